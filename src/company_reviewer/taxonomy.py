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
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from company_reviewer import registry
from company_reviewer.config import ENV_PREFIX

TAXONOMY_ENV = f"{ENV_PREFIX}TAXONOMY"
BUILTIN_TAXONOMIES: tuple[str, ...] = ("default", "kununu", "indeed")
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
    ``"default"``, ``"kununu"`` or ``"indeed"`` name a built-in (an explicit ``"default"`` is
    not overridden by the environment); anything else is a path to a ``.yaml``/``.yml``/``.json``
    file. Raises ``ValueError`` naming the file and the problem when the file is invalid.
    """
    if spec is None:
        spec = os.environ.get(TAXONOMY_ENV) or "default"
    if isinstance(spec, str) and spec in registry.taxonomies:
        resource = registry.taxonomies.get(spec)
        return parse_taxonomy(yaml.safe_load(resource.read_text(encoding="utf-8")), f"<built-in {spec}>")
    path = Path(spec).expanduser()
    if not path.is_file():
        raise ValueError(f"taxonomy {str(spec)!r} is neither a built-in ({', '.join(registry.taxonomies.names())}) "
                         f"nor an existing file")
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as error:
        raise ValueError(f"taxonomy file {path}: cannot be parsed: {error}") from error
    return parse_taxonomy(data, str(path))


def parse_taxonomy(data: Any, source: str = "<taxonomy>") -> Taxonomy:
    """Validate a parsed taxonomy document and build a :class:`Taxonomy`.

    ``source`` names the file in error messages. Seeds are stripped and lower-cased because
    matching is case-insensitive; everything else is taken as written.
    """
    def fail(problem: str) -> ValueError:
        return ValueError(f"taxonomy file {source}: {problem}")

    if not isinstance(data, Mapping):
        raise fail("top level must be a mapping with name, version and dimensions")
    name, version = data.get("name"), data.get("version")
    if not isinstance(name, str) or not name.strip():
        raise fail("'name' must be a non-empty string")
    # YAML turns an unquoted 1.0 into a float; a version is text, so accept numbers as written.
    if isinstance(version, (int, float)) and not isinstance(version, bool):
        version = str(version)
    if not isinstance(version, str) or not version.strip():
        raise fail("'version' must be a non-empty string such as \"1.0.0\"")
    raw_dimensions = data.get("dimensions")
    if not isinstance(raw_dimensions, list) or not raw_dimensions:
        raise fail("'dimensions' must be a non-empty list")
    dimensions = tuple(_parse_dimension(raw, i, fail) for i, raw in enumerate(raw_dimensions))
    seen: set[str] = set()
    for dimension in dimensions:
        if dimension.id in seen:
            raise fail(f"duplicate dimension id {dimension.id!r}")
        seen.add(dimension.id)
    return Taxonomy(name=name.strip(), version=version.strip(), dimensions=dimensions)


def _parse_dimension(raw: Any, index: int, fail: Any) -> Dimension:
    if not isinstance(raw, Mapping):
        raise fail(f"dimension #{index + 1} must be a mapping")
    dim_id = raw.get("id")
    where = f"dimension #{index + 1} ({dim_id!r})"
    if not isinstance(dim_id, str) or not ID_PATTERN.match(dim_id):
        raise fail(f"{where}: 'id' must match {ID_PATTERN.pattern}")
    for key in ("label", "description"):
        value = raw.get(key)
        if not isinstance(value, str) or not value.strip():
            raise fail(f"{where}: '{key}' must be a non-empty string")
    unknown = set(raw) - {"id", "label", "description", "seeds", "maps_to"}
    if unknown:
        raise fail(f"{where}: unknown keys {sorted(unknown)}")
    return Dimension(
        id=dim_id,
        label=raw["label"].strip(),
        description=" ".join(raw["description"].split()),
        seeds=_parse_seeds(raw.get("seeds") or {}, where, fail),
        maps_to=_parse_maps_to(raw.get("maps_to") or [], where, fail),
    )


def _parse_seeds(raw: Any, where: str, fail: Any) -> Mapping[str, tuple[str, ...]]:
    if not isinstance(raw, Mapping):
        raise fail(f"{where}: 'seeds' must map a language code to a list of words")
    seeds: dict[str, tuple[str, ...]] = {}
    for language, terms in raw.items():
        if not isinstance(language, str) or not _LANGUAGE_PATTERN.match(language):
            raise fail(f"{where}: seed language {language!r} is not a language code such as 'en'")
        if not isinstance(terms, list) or not all(isinstance(t, str) and t.strip() for t in terms):
            raise fail(f"{where}: seeds[{language!r}] must be a list of non-empty strings")
        seeds[language] = tuple(dict.fromkeys(t.strip().lower() for t in terms))
    return MappingProxyType(seeds)


def _parse_maps_to(raw: Any, where: str, fail: Any) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(t, str) and ID_PATTERN.match(t) for t in raw):
        raise fail(f"{where}: 'maps_to' must be a list of dimension ids")
    return tuple(raw)
