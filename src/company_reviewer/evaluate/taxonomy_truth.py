"""Which platform truth a custom taxonomy's dimension can be scored against.

Platforms rate the default dimensions' categories (Glassdoor's comp_benefits, culture_values, ...;
``reviewer.rating.DIMENSION_TARGETS``); a taxonomy dimension is scored against the truth of the
default dimensions it ``maps_to``. A dimension that maps to nothing, or only to default dimensions
no platform rates, has no truth: it is *unscored*, listed as such, never silently dropped.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from company_reviewer.taxonomy import Taxonomy


def targets_of(dimension) -> tuple[str, ...]:
    """The default dimensions a taxonomy dimension stands for: its ``maps_to``, else itself when
    its id is a default dimension's (the default taxonomy, or a copy that renames nothing)."""
    from company_reviewer.taxonomy import DEFAULT_DIMENSION_IDS

    if dimension.maps_to:
        return tuple(dimension.maps_to)
    return (dimension.id,) if dimension.id in DEFAULT_DIMENSION_IDS else ()


def truth_columns(taxonomy: Taxonomy, truth_dimensions: object) -> dict[str, tuple[str, ...]]:
    """``{dimension id: the truth columns it is scored against}`` for the scored dimensions.

    ``truth_dimensions``: the default-dimension ids the truth has (columns of a truth frame, keys
    of a truth mapping). A dimension named in both taxonomies' ids is scored against itself (so the
    default taxonomy scores as it always did); otherwise against its ``maps_to`` targets present in
    the truth.
    """
    if isinstance(truth_dimensions, Mapping):  # a truth mapping: only the known truths count
        truth_dimensions = [k for k, v in truth_dimensions.items() if v is not None and not np.isnan(float(v))]
    available = set(truth_dimensions)
    out: dict[str, tuple[str, ...]] = {}
    for dimension in taxonomy:
        targets = tuple(t for t in targets_of(dimension) if t in available)
        if targets:
            out[dimension.id] = targets
    return out


def unscored_dimensions(taxonomy: Taxonomy, truth_dimensions: object) -> list[str]:
    """The taxonomy's dimensions with no truth to be scored against, in taxonomy order."""
    scored = truth_columns(taxonomy, truth_dimensions)
    return [d for d in taxonomy.ids if d not in scored]


def mapped_truth(truth: Mapping[str, float | None], columns: tuple[str, ...]) -> float | None:
    """The truth of one dimension: the mean of its targets' truths that are known."""
    values = [float(truth[c]) for c in columns if truth.get(c) is not None and not np.isnan(float(truth[c]))]
    return float(np.mean(values)) if values else None


def platform_truth_of_default(target_truth: Mapping[str, float | None]) -> dict[str, float | None]:
    """Platform target truths (``comp_benefits`` ...) as default-dimension truths (``salary`` ...)."""
    from company_reviewer.reviewer.rating import DIMENSION_TARGETS

    return {dim: target_truth.get(target) for dim, target in DIMENSION_TARGETS.items() if target in target_truth}


def scheme_for_taxonomy(scheme, taxonomy: Taxonomy):
    """A rating scheme (platform category -> default dimensions) restated in ``taxonomy``'s ids.

    Each platform category is predicted by the taxonomy dimensions whose :func:`targets_of` reach one
    of the category's default dimensions (their mean, as schemes always combine dimensions); a
    category no dimension maps to is uncovered. The default taxonomy gives ``scheme`` unchanged.
    Returns ``(scheme, unscored)``: ``unscored`` lists the taxonomy's dimensions no category
    scores (no ``maps_to``, or only onto dimensions the platform does not rate).
    """
    from dataclasses import replace

    from company_reviewer.evaluate.schemes import Category
    from company_reviewer.taxonomy import is_default

    if is_default(taxonomy):
        return scheme, []
    categories, scored = [], set()
    for category in scheme.categories:
        members = tuple(d.id for d in taxonomy if set(targets_of(d)) & set(category.dimensions))
        scored.update(members)
        label = f"{category.label} (via {', '.join(members)})" if members else category.label
        categories.append(Category(category.key, label, members))
    unscored = [d for d in taxonomy.ids if d not in scored]
    return replace(scheme, categories=tuple(categories)), unscored
