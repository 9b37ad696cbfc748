"""Reviewing companies: sampling up to ``max_reviews`` per company, then the chosen model."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import pandas as pd

from company_reviewer.reviewer.base import get_reviewer
from company_reviewer.reviewer.schema import CompanyReview


def company_groups(frame: pd.DataFrame, companies: Sequence[str] | None = None) -> list[tuple[str, pd.DataFrame]]:
    """Split a frame of reviews by company, in first-seen order; ``companies`` filters by name."""
    if frame.empty:
        return []
    wanted = set(companies or [])
    groups = []
    for name, group in frame.groupby("company", sort=False):
        if not wanted or name in wanted:
            groups.append((str(name), group))
    missing = wanted - {name for name, _ in groups}
    if missing:
        raise KeyError(f"no reviews for {', '.join(sorted(missing))}")
    return groups


def review_groups(
    groups: Sequence[tuple[str, pd.DataFrame]],
    *,
    model: str | None = None,
    options: dict | None = None,
    max_reviews: int = 50,
    sample: str = "stratified",
    random_state: int = 0,
    progress: Callable[[str], None] | None = None,
    taxonomy=None,
) -> Iterator[CompanyReview]:
    """Review each company on at most ``max_reviews`` of its reviews (chosen by ``sample``).

    ``progress`` gets one line per company, and per step within it from reviewers that report
    their own (the LLM reviewer: per dimension); reviewers without a ``progress`` hook stay quiet.
    ``taxonomy`` (a :class:`~company_reviewer.taxonomy.Taxonomy`, a built-in name or a file) reviews
    along its dimensions instead of the default 12 (the embedded model only)."""
    from company_reviewer.sampling import sample_reviews

    reviewer = get_reviewer(model, options)
    review = taxonomy_review_function(reviewer, taxonomy)
    reports = progress is not None and hasattr(reviewer, "progress")
    if reports:
        reviewer.progress = progress
    for position, (company, reviews) in enumerate(groups, start=1):
        chosen = sample_reviews(reviews, k=max_reviews, strategy=sample, random_state=random_state)
        if reports:
            progress(f"company {position}/{len(groups)}: {company}")
        yield review(company, chosen)


def taxonomy_review_function(reviewer, taxonomy=None):
    """``reviewer.review_company``, or for a custom taxonomy the review along it; a model that
    cannot review along one fails here, before any company is read."""
    if taxonomy is None:
        return reviewer.review_company
    from company_reviewer.taxonomy import is_default, resolve_taxonomy

    taxonomy = resolve_taxonomy(taxonomy)
    if is_default(taxonomy):
        return reviewer.review_company
    from company_reviewer.custom.review import embedded_of, review_with_taxonomy

    embedded = embedded_of(reviewer)
    return lambda company, reviews: review_with_taxonomy(embedded, company, reviews, taxonomy)
