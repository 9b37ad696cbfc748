"""The review dimensions: a versioned taxonomy file shipped in the package.

The product reviews a company along the 12 dimensions of ``taxonomies/default.yaml``. Platform
taxonomies (``kununu``, ``indeed``) describe the categories those sites rate, and each of their
dimensions lists the default dimensions it ``maps_to`` so platform labels can serve as weak labels.

``load_taxonomy()`` reads the built-in default (or the file/name in ``COMPANY_REVIEWER_TAXONOMY``),
``load_taxonomy("kununu")`` a built-in by name, ``load_taxonomy(path)`` a user YAML/JSON file.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from company_reviewer import registry
from company_reviewer.config import ENV_PREFIX, env

TAXONOMY_ENV = f"{ENV_PREFIX}TAXONOMY"
# ``hotel`` is outside the employer domain on purpose: it shows that detection, ratings and quotes
# work for dimensions nothing was trained on (and with no ``maps_to`` to lean on).
BUILTIN_TAXONOMIES: tuple[str, ...] = ("default", "kununu", "indeed", "hotel")
DEFAULT_DIMENSION_IDS: tuple[str, ...] = (
    "salary", "benefits", "work_life_balance", "career_growth", "learning_development",
    "management", "culture", "colleagues", "working_conditions", "job_security",
    "diversity_inclusion", "communication",
)
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
_LANGUAGE_PATTERN = re.compile(r"^[a-z]{2,3}(?:[-_][A-Za-z0-9]+)*$")


@dataclass(frozen=True)
class Dimension:
    """One review dimension: what it is called, what it covers and words that signal it."""

    id: str
    label: str
    description: str
    # Excluded from the hash because a mapping is unhashable; id and text identify a dimension.
    seeds: Mapping[str, tuple[str, ...]] = field(hash=False)
    maps_to: tuple[str, ...] = ()

    def seed_terms(self, language: str | None = None) -> tuple[str, ...]:
        """Seeds of one language, or of all languages (deduplicated, first occurrence kept)."""
        if language is not None:
            return tuple(self.seeds.get(language, ()))
        return tuple(dict.fromkeys(t for terms in self.seeds.values() for t in terms))

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "description": self.description,
                "seeds": {lang: list(terms) for lang, terms in self.seeds.items()},
                "maps_to": list(self.maps_to)}


@dataclass(frozen=True)
class Taxonomy:
    """An ordered, named and versioned set of dimensions."""

    name: str
    version: str
    dimensions: tuple[Dimension, ...]

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(d.id for d in self.dimensions)

    def get(self, dimension_id: str) -> Dimension:
        """The dimension with this id; ``KeyError`` listing the known ids otherwise."""
        for dimension in self.dimensions:
            if dimension.id == dimension_id:
                return dimension
        raise KeyError(f"taxonomy {self.name!r} has no dimension {dimension_id!r}; known: {self.ids}")

    def __iter__(self) -> Iterator[Dimension]:
        return iter(self.dimensions)

    def __len__(self) -> int:
        return len(self.dimensions)

    def __contains__(self, dimension_id: object) -> bool:
        return dimension_id in self.ids

    def mapping(self) -> dict[str, tuple[str, ...]]:
        """``{dimension id: default dimension ids it maps to}``."""
        return {d.id: d.maps_to for d in self.dimensions}

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version,
                "dimensions": [d.to_dict() for d in self.dimensions]}

    def content_hash(self) -> str:
        """SHA-256 of the canonical JSON form; models and caches record it to detect drift."""
        blob = json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def load_taxonomy(spec: str | Path | None = None) -> Taxonomy:
    """Load a taxonomy.

    ``None`` means ``$COMPANY_REVIEWER_TAXONOMY`` if set, else the built-in default;
    ``"default"``, ``"kununu"``, ``"indeed"`` or ``"hotel"`` name a built-in (an explicit
    ``"default"`` is not overridden by the environment); anything else is a path to a
    ``.yaml``/``.yml``/``.json`` file. Raises :class:`TaxonomyError` (a ``ValueError``) naming the
    file, the line and the problem when the file is invalid.
    """
    if spec is None:
        spec = env("TAXONOMY") or "default"
    if isinstance(spec, str) and spec in registry.taxonomies:
        resource = registry.taxonomies.get(spec)
        return parse_taxonomy(yaml.safe_load(resource.read_text(encoding="utf-8")), f"<built-in {spec}>")
    path = Path(spec).expanduser()
    if not path.is_file():
        raise ValueError(f"taxonomy {str(spec)!r} is neither a built-in ({', '.join(registry.taxonomies.names())}) "
                         f"nor an existing file")
    taxonomy, problems = check_taxonomy_file(path)
    errors = [p for p in problems if p.severity == "error"]
    if taxonomy is None or errors:
        raise TaxonomyError(str(path), errors)
    return taxonomy


def resolve_taxonomy(spec: str | Path | Mapping[str, Any] | Taxonomy | None) -> Taxonomy:
    """A taxonomy from what a caller passes: a loaded one, a built-in name or a file (as
    :func:`load_taxonomy`), or an inline document (the API's ``taxonomy`` object)."""
    if isinstance(spec, Taxonomy):
        return spec
    if isinstance(spec, Mapping):
        return parse_taxonomy(spec, "<inline taxonomy>")
    return load_taxonomy(spec)


def is_default(taxonomy: Taxonomy) -> bool:
    """Whether ``taxonomy`` is the product's own (the shipped default, unchanged)."""
    return taxonomy.name == "default" and taxonomy == load_taxonomy("default")


# -- validation: every problem, with the line it is on -----------------------------------------

@dataclass(frozen=True)
class TaxonomyProblem:
    """One thing wrong (``error``: the taxonomy cannot be used) or doubtful (``warning``)."""

    message: str
    line: int | None = None  # 1-based line in the file, when the file is YAML or JSON text
    severity: str = "error"

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


class TaxonomyError(ValueError):
    """An invalid taxonomy; the message names the source and the first problem, ``problems`` all."""

    def __init__(self, source: str, problems: list[TaxonomyProblem]) -> None:
        self.source, self.problems = source, list(problems)
        first = str(problems[0]) if problems else "invalid"
        more = (f" (and {len(problems) - 1} more problem(s): `company-reviewer taxonomy check {source}` "
                f"lists them)") if len(problems) > 1 else ""
        super().__init__(f"taxonomy file {source}: {first}{more}")


_Where = tuple[Any, ...]  # a path into the document: ("dimensions", 2, "maps_to", 0)


def check_taxonomy_file(path: str | Path) -> tuple[Taxonomy | None, list[TaxonomyProblem]]:
    """Read and validate a YAML/JSON taxonomy file: the taxonomy (None when it has errors) and every
    problem found, errors and warnings, each with its line."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as error:
        line = getattr(error, "lineno", None) or (getattr(getattr(error, "problem_mark", None), "line", -1) + 1)
        return None, [TaxonomyProblem(f"cannot be parsed: {error}", line or None)]
    lines, problems = _yaml_lines(text)
    taxonomy, found = taxonomy_problems(data, lines)
    problems = sorted(problems + found, key=lambda p: (p.line or 0))
    return (taxonomy if not any(p.severity == "error" for p in problems) else None), problems


def _yaml_lines(text: str) -> tuple[dict[_Where, int], list[TaxonomyProblem]]:
    """Line numbers of every key and list item (a YAML composer keeps the marks that
    ``safe_load`` drops), and keys written twice in one mapping (YAML keeps the last silently)."""
    lines: dict[_Where, int] = {}
    problems: list[TaxonomyProblem] = []
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:  # JSON that YAML cannot compose: no line numbers, nothing else lost
        return lines, problems

    def walk(node: Any, where: _Where) -> None:
        lines.setdefault(where, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key, value in node.value:
                name = key.value if isinstance(key, yaml.ScalarNode) else str(key.value)
                if name in seen:
                    problems.append(TaxonomyProblem(f"key {name!r} is written twice in one mapping",
                                                    key.start_mark.line + 1))
                seen.add(name)
                lines[(*where, name)] = key.start_mark.line + 1
                walk(value, (*where, name))  # its key's line stays the one recorded
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                walk(item, (*where, index))

    if root is not None:
        walk(root, ())
    return lines, problems


def parse_taxonomy(data: Any, source: str = "<taxonomy>", lines: Mapping[_Where, int] | None = None) -> Taxonomy:
    """Validate a parsed taxonomy document and build a :class:`Taxonomy`.

    ``source`` names the file in error messages and ``lines`` (see :func:`check_taxonomy_file`)
    their lines. Seeds are stripped and lower-cased because matching is case-insensitive;
    everything else is taken as written. Raises :class:`TaxonomyError` on the first errors.
    """
    taxonomy, problems = taxonomy_problems(data, lines or {})
    errors = [p for p in problems if p.severity == "error"]
    if errors or taxonomy is None:
        raise TaxonomyError(source, errors)
    return taxonomy


def taxonomy_problems(data: Any, lines: Mapping[_Where, int] | None = None
                      ) -> tuple[Taxonomy | None, list[TaxonomyProblem]]:
    """Every problem of a parsed document, and the taxonomy when there is no error."""
    lines = lines or {}
    problems: list[TaxonomyProblem] = []

    def report(problem: str, *where: Any, severity: str = "error") -> None:
        line = None
        for cut in range(len(where), -1, -1):  # the nearest enclosing thing that has a line
            if where[:cut] in lines:
                line = lines[where[:cut]]
                break
        problems.append(TaxonomyProblem(problem, line, severity))

    if not isinstance(data, Mapping):
        report("top level must be a mapping with name, version and dimensions")
        return None, problems
    name, version = data.get("name"), data.get("version")
    if not isinstance(name, str) or not name.strip():
        report("'name' must be a non-empty string", "name")
    # YAML turns an unquoted 1.0 into a float; a version is text, so accept numbers as written.
    if isinstance(version, (int, float)) and not isinstance(version, bool):
        version = str(version)
    if not isinstance(version, str) or not version.strip():
        report("'version' must be a non-empty string such as \"1.0.0\"", "version")
    unknown = set(data) - {"name", "version", "dimensions", "description"}
    if unknown:
        report(f"unknown top-level keys {sorted(map(str, unknown))}; allowed: name, version, description, "
               f"dimensions", min(map(str, unknown)))
    raw_dimensions = data.get("dimensions")
    if not isinstance(raw_dimensions, list) or not raw_dimensions:
        report("'dimensions' must be a non-empty list", "dimensions")
        return None, problems
    dimensions = []
    for index, raw in enumerate(raw_dimensions):
        dimension = _parse_dimension(raw, index, report)
        if dimension is not None:
            dimensions.append(dimension)
    first_index: dict[str, int] = {}
    for index, raw in enumerate(raw_dimensions):
        dim_id = raw.get("id") if isinstance(raw, Mapping) else None
        if isinstance(dim_id, str) and dim_id in first_index:
            report(f"duplicate dimension id {dim_id!r} (first used by dimension #{first_index[dim_id] + 1})",
                   "dimensions", index, "id")
        elif isinstance(dim_id, str):
            first_index[dim_id] = index
    _warn_about_seeds(dimensions, raw_dimensions, report)
    if any(p.severity == "error" for p in problems):
        return None, problems
    return Taxonomy(name=name.strip(), version=version.strip(), dimensions=tuple(dimensions)), problems


def _parse_dimension(raw: Any, index: int, report: Any) -> Dimension | None:
    at = ("dimensions", index)
    if not isinstance(raw, Mapping):
        report(f"dimension #{index + 1} must be a mapping (id, label, description, seeds, maps_to)", *at)
        return None
    dim_id = raw.get("id")
    where = f"dimension #{index + 1} ({dim_id!r})"
    ok = True
    if not isinstance(dim_id, str) or not ID_PATTERN.match(dim_id):
        report(f"{where}: 'id' must match {ID_PATTERN.pattern} (lower-case letters, digits and _, "
               f"starting with a letter)", *at, "id")
        ok = False
    for key in ("label", "description"):
        value = raw.get(key)
        if not isinstance(value, str) or not value.strip():
            report(f"{where}: '{key}' must be a non-empty string", *at, key)
            ok = False
    unknown = set(raw) - {"id", "label", "description", "seeds", "maps_to"}
    if unknown:
        report(f"{where}: unknown keys {sorted(map(str, unknown))}; allowed: id, label, description, seeds, "
               f"maps_to", *at, min(map(str, unknown)))
        ok = False
    seeds = _parse_seeds(raw.get("seeds") or {}, where, report, at)
    maps_to = _parse_maps_to(raw.get("maps_to") or [], where, report, at)
    if not ok or seeds is None or maps_to is None:
        return None
    description = " ".join(raw["description"].split())
    if len(description.split()) < 5:
        report(f"{where}: the description has fewer than 5 words; detection compares review sentences with "
               f"it, so say what reviewers write about", *at, "description", severity="warning")
    return Dimension(id=dim_id, label=raw["label"].strip(), description=description, seeds=seeds,
                     maps_to=maps_to)


def _parse_seeds(raw: Any, where: str, report: Any, at: _Where) -> Mapping[str, tuple[str, ...]] | None:
    if not isinstance(raw, Mapping):
        report(f"{where}: 'seeds' must map a language code to a list of words", *at, "seeds")
        return None
    seeds: dict[str, tuple[str, ...]] = {}
    ok = True
    for language, terms in raw.items():
        if not isinstance(language, str) or not _LANGUAGE_PATTERN.match(language):
            report(f"{where}: seed language {language!r} is not a language code such as 'en'",
                   *at, "seeds", language)
            ok = False
            continue
        if not isinstance(terms, list) or not all(isinstance(t, str) and t.strip() for t in terms):
            report(f"{where}: seeds[{language!r}] must be a list of non-empty strings", *at, "seeds", language)
            ok = False
            continue
        seeds[language] = tuple(dict.fromkeys(t.strip().lower() for t in terms))
    return MappingProxyType(seeds) if ok else None


def _parse_maps_to(raw: Any, where: str, report: Any, at: _Where) -> tuple[str, ...] | None:
    if not isinstance(raw, list) or not all(isinstance(t, str) and ID_PATTERN.match(t) for t in raw):
        report(f"{where}: 'maps_to' must be a list of dimension ids", *at, "maps_to")
        return None
    unknown = [t for t in raw if t not in DEFAULT_DIMENSION_IDS]
    for target in unknown:
        report(f"{where}: 'maps_to' names {target!r}, which is not a default dimension; maps_to lists the "
               f"trained default dimensions: {', '.join(DEFAULT_DIMENSION_IDS)}", *at, "maps_to",
               raw.index(target))
    return None if unknown else tuple(dict.fromkeys(raw))


def _warn_about_seeds(dimensions: list[Dimension], raw_dimensions: list[Any], report: Any) -> None:
    """Doubtful but usable: a dimension without seeds, and a seed two dimensions share."""
    owner: dict[tuple[str, str], str] = {}
    position: dict[str, int] = {}
    for index, raw in enumerate(raw_dimensions):
        if isinstance(raw, Mapping) and isinstance(raw.get("id"), str):
            position.setdefault(raw["id"], index)
    for dimension in dimensions:
        at = ("dimensions", position.get(dimension.id, 0))
        if not any(dimension.seeds.values()):
            report(f"dimension {dimension.id!r} has no seeds: detection rests on its description alone; add "
                   f"the words reviewers use, for each language of your reviews", *at, severity="warning")
        for language, terms in dimension.seeds.items():
            for term in terms:
                other = owner.setdefault((language, term), dimension.id)
                if other != dimension.id:
                    report(f"seed {term!r} ({language}) is in both {other!r} and {dimension.id!r}: a sentence "
                           f"with it counts for both", *at, "seeds", language, severity="warning")


# -- the template `company-reviewer taxonomy init` writes ----------------------------------------

TEMPLATE = '''\
# A review taxonomy: the dimensions `company-reviewer review --taxonomy THIS_FILE` rates.
# Check it with `company-reviewer taxonomy check THIS_FILE`; see how it is detected in your
# reviews with `company-reviewer taxonomy show THIS_FILE --sample reviews.csv`.
name: my-taxonomy          # shown in the output's "model": {"taxonomy": {"name", "version"}}
version: "0.1.0"           # bump it when ids, descriptions or seeds change: caches key on it
dimensions:
  # id: lower-case letters, digits and _ (the key in the output's "dimensions").
  # label: how the dimension is named in the report; a kununu section with this exact label
  #   ("Label: answer" lines) counts as a mention of it.
  # description: one or two sentences naming what reviewers write about. Review sentences are
  #   compared with it by meaning, in any language, so concrete words help.
  # seeds: cue words and phrases per language (matched as whole words, case-insensitively; German
  #   ones also inside compounds). Keep each seed specific to one dimension.
  # maps_to (optional): default dimensions this one is evidence of (see `company-reviewer
  #   dimensions`); their trained classifier and rating heads are then used as well.
  - id: pay
    label: Pay
    description: >-
      What people earn: base salary, wages, bonuses and raises, and whether pay is fair
      compared with the market.
    seeds:
      en: [pay, salary, wage, wages, bonus, raise, underpaid, compensation]
      de: [gehalt, bezahlung, lohn, bonus, gehaltserhöhung, unterbezahlt]
    maps_to: [salary]
  - id: onboarding
    label: Onboarding
    description: >-
      How new hires are brought in: the first weeks, induction, training on the job, a buddy or
      mentor, and whether newcomers know what to do.
    seeds:
      en: [onboarding, induction, first week, new hire, buddy, orientation]
      de: [einarbeitung, onboarding, erste woche, pate, einführung]
'''
