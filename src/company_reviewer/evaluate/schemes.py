"""Rating schemes: which of a platform's star categories corresponds to which of the 12 dimensions.

A scheme is YAML (built in under ``evaluate/schemes/``, or any file a user writes)::

    name: glassdoor
    overall: true                       # also score overall.rating against rating_overall
    categories:
      comp_benefits: {label: Compensation & benefits, dimensions: [salary, benefits]}

Category keys are the ``sub_ratings`` names after ingest (a preset's sub-rating names, or
``rating__<key>`` columns). A category's predicted rating is the mean of its dimensions' ratings
(and intervals); a category with no dimensions has no counterpart and is listed as uncovered.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from company_reviewer import registry
from company_reviewer.reviewer.schema import CompanyReview

OVERALL = "overall"


@dataclass(frozen=True)
class Category:
    key: str
    label: str
    dimensions: tuple[str, ...]


@dataclass(frozen=True)
class RatingScheme:
    name: str
    categories: tuple[Category, ...]
    overall: bool = True
    description: str = ""

    @property
    def scored(self) -> tuple[Category, ...]:
        """Categories with a counterpart among the dimensions (the ones metrics are computed for)."""
        return tuple(c for c in self.categories if c.dimensions)

    @property
    def uncovered(self) -> tuple[Category, ...]:
        return tuple(c for c in self.categories if not c.dimensions)

    def label(self, key: str) -> str:
        if key == OVERALL:
            return "Overall"
        return next((c.label for c in self.categories if c.key == key), key)

    def predict(self, review: CompanyReview) -> dict[str, tuple[float | None, tuple[float, float] | None]]:
        """``{category: (rating, interval)}`` from a company review; ``overall`` included when scored.

        A category's rating is the mean of its dimensions' non-null ratings; its interval the mean
        of their bounds, present only when every rated dimension has one.
        """
        out: dict[str, tuple[float | None, tuple[float, float] | None]] = {}
        for category in self.scored:
            rated = [review.dimensions[d] for d in category.dimensions
                     if d in review.dimensions and review.dimensions[d].rating is not None]
            if not rated:
                out[category.key] = (None, None)
                continue
            rating = sum(d.rating for d in rated) / len(rated)
            intervals = [d.interval for d in rated]
            interval = None
            if all(i is not None for i in intervals):
                interval = (sum(i[0] for i in intervals) / len(rated), sum(i[1] for i in intervals) / len(rated))
            out[category.key] = (rating, interval)
        if self.overall:
            out[OVERALL] = (review.overall.rating, review.overall.interval)
        return out


def builtin_schemes() -> list[str]:
    """The registered schemes (``company_reviewer.rating_schemes``), built-ins and plugins'."""
    return sorted(registry.rating_schemes.names())


def load_scheme(spec: str | Path = "glassdoor") -> RatingScheme:
    """A built-in scheme by name (``glassdoor``, ``indeed``, ``ambitionbox``, ``kununu``) or a YAML path."""
    path = Path(spec)
    if path.suffix in (".yaml", ".yml") or path.exists():
        if not path.exists():
            raise FileNotFoundError(f"rating scheme file {path} does not exist")
        text, source = path.read_text(encoding="utf-8"), str(path)
    else:
        name = str(spec).strip().lower()
        if name not in builtin_schemes():
            raise ValueError(f"unknown rating scheme {spec!r}; built in: {', '.join(builtin_schemes())}, "
                             "or give the path of a YAML file")
        text = registry.rating_schemes.get(name).read_text(encoding="utf-8")
        source = name
    return parse_scheme(yaml.safe_load(text), source)


def parse_scheme(data: object, source: str = "<scheme>") -> RatingScheme:
    from company_reviewer.taxonomy import DEFAULT_DIMENSION_IDS

    def fail(problem: str) -> ValueError:
        return ValueError(f"rating scheme {source}: {problem}")

    if not isinstance(data, dict) or not isinstance(data.get("categories"), dict) or not data["categories"]:
        raise fail("needs a `categories:` mapping of sub-rating key -> {label, dimensions: [...]}")
    categories = []
    for key, raw in data["categories"].items():
        raw = raw if isinstance(raw, dict) else {"dimensions": raw}
        dimensions = raw.get("dimensions") or []
        if isinstance(dimensions, str):
            dimensions = [dimensions]
        unknown = [d for d in dimensions if d not in DEFAULT_DIMENSION_IDS]
        if unknown:
            raise fail(f"category {key!r} names unknown dimension(s) {unknown}; "
                       f"dimensions are: {', '.join(DEFAULT_DIMENSION_IDS)}")
        categories.append(Category(str(key), str(raw.get("label", key)), tuple(dimensions)))
    return RatingScheme(name=str(data.get("name", Path(source).stem)), categories=tuple(categories),
                        overall=bool(data.get("overall", True)), description=str(data.get("description", "")))
