"""One registry for everything that can be plugged in, in the spirit of spaCy's ``registry``.

Every kind (reviewers, LLM backends, presets, ...) is an entry-point group
``company_reviewer.<kind>``. The built-ins are registered there too, in ``pyproject.toml``, exactly
as a third-party package would register its own, so there is one way to add anything::

    [project.entry-points."company_reviewer.presets"]
    workday = "my_package.presets:WORKDAY"

Entry points are read on first use and their objects imported only when asked for, so listing
names costs no imports (``company-reviewer --help`` stays fast). :meth:`Registry.register` adds an
object in-process (tests, notebooks) without installing a package.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Any

GROUP_PREFIX = "company_reviewer."
OWN_DISTRIBUTION = "company-reviewer"


class UnknownNameError(KeyError, ValueError):
    """A name no plugin of the kind registered; the message lists the names that are.

    A ``KeyError`` and a ``ValueError``, so callers written against either kind of lookup
    (``dict[name]`` or a validating function) keep catching it.
    """

    def __str__(self) -> str:  # KeyError would print the message quoted
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class Plugin:
    """One registered name: where it points and which distribution registered it."""

    kind: str
    name: str
    target: str  # "module:attribute", or "<in-process>" for register()
    origin: str  # "built-in", "<distribution> <version>" or "in-process"


class Registry:
    """The plugins of one kind, by name, in registration order (built-ins first)."""

    def __init__(self, kind: str, description: str, what: str | None = None) -> None:
        self.kind = kind
        self.group = GROUP_PREFIX + kind
        self.description = description
        self.what = what or kind.rstrip("s").replace("_", " ")  # "unknown <what> 'x'"
        self._entry_points: dict[str, EntryPoint] | None = None
        self._loaded: dict[str, Any] = {}
        self._in_process: dict[str, Any] = {}

    def _points(self) -> dict[str, EntryPoint]:
        if self._entry_points is None:
            # Built-ins first (a stable sort keeps each distribution's own order); the first
            # registration of a name wins, so a plugin cannot silently replace a built-in.
            found = sorted(entry_points(group=self.group), key=lambda ep: _origin(ep) != "built-in")
            points: dict[str, EntryPoint] = {}
            for point in found:
                points.setdefault(point.name, point)
            self._entry_points = points
        return self._entry_points

    def names(self) -> list[str]:
        """Registered names, built-ins first; by name within a distribution (setuptools writes
        entry points sorted), then in-process registrations."""
        return [*self._points(), *(n for n in self._in_process if n not in self._points())]

    def __contains__(self, name: object) -> bool:
        return name in self._in_process or name in self._points()

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def get(self, name: str) -> Any:
        """The object registered as ``name`` (imported on first use)."""
        if name in self._in_process:
            return self._in_process[name]
        if name not in self._loaded:
            point = self._points().get(name)
            if point is None:
                raise UnknownNameError(f"unknown {self.what} {name!r}; available: {', '.join(self.names()) or 'none'}")
            self._loaded[name] = point.load()
        return self._loaded[name]

    def items(self) -> list[tuple[str, Any]]:
        """Every (name, object) pair, each imported."""
        return [(name, self.get(name)) for name in self.names()]

    def register(self, name: str, obj: Any = None) -> Any:
        """Register ``obj`` as ``name`` in this process; used bare it is a decorator."""
        if obj is None:
            def decorator(target: Any) -> Any:
                self._in_process[name] = target
                return target

            return decorator
        self._in_process[name] = obj
        return obj

    def unregister(self, name: str) -> None:
        """Drop an in-process registration (entry points stay)."""
        self._in_process.pop(name, None)

    def plugins(self) -> list[Plugin]:
        """What is installed: name, target and origin of every registration."""
        points = self._points()
        listed = [Plugin(self.kind, name, ep.value, _origin(ep)) for name, ep in points.items()]
        return listed + [Plugin(self.kind, name, "<in-process>", "in-process")
                         for name in self._in_process if name not in points]


def _origin(point: EntryPoint) -> str:
    dist = point.dist
    if dist is None:
        return "unknown"
    name = dist.metadata["Name"] or ""
    return "built-in" if name.lower().replace("_", "-") == OWN_DISTRIBUTION else f"{name} {dist.version}"


reviewers = Registry("reviewers", "Reviewer classes: --model NAME[:MODEL]", "model")
llm_backends = Registry("llm_backends", "LLM backend classes: --model llm:NAME[:MODEL]", "LLM backend")
presets = Registry("presets", "Input layouts mapped to the canonical record: ingest --preset NAME")
readers = Registry("readers", "File format readers, by detected format: (path, chunk_rows, encoding) -> frames",
                   "file format")
batch_engines = Registry("batch_engines", "Batch execution engines: batch --engine NAME", "batch engine")
labeling_backends = Registry("labeling_backends", "Labeling-function appliers: run(batch, lfs, ...)",
                             "labeling backend")
label_models = Registry("label_models", "Weak-label models: factory(cardinality, random_state)", "label model")
taxonomies = Registry("taxonomies", "Dimension taxonomies (YAML resources): --taxonomy NAME", "taxonomy")
rating_schemes = Registry("rating_schemes", "Platform rating schemes (YAML resources): evaluate --scheme NAME",
                          "rating scheme")
token_counters = Registry("token_counters", "Chat token counters: finetune dataset --tokenizer NAME", "tokenizer")

KINDS: dict[str, Registry] = {r.kind: r for r in (
    reviewers, llm_backends, presets, readers, batch_engines, labeling_backends, label_models, taxonomies,
    rating_schemes, token_counters)}


def get_registry(kind: str) -> Registry:
    """The registry of ``kind`` (``"reviewers"``, ``"presets"``, ...)."""
    try:
        return KINDS[kind]
    except KeyError:
        raise UnknownNameError(f"unknown plugin kind {kind!r}; available: {', '.join(KINDS)}") from None
