"""Reviewing companies: sampling up to ``max_reviews`` per company, then the chosen model."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

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
) -> Iterator[CompanyReview]:
    """Review each company on at most ``max_reviews`` of its reviews (chosen by ``sample``)."""
    from company_reviewer.sampling import sample_reviews

    reviewer = get_reviewer(model, options)
    for company, reviews in groups:
        chosen = sample_reviews(reviews, k=max_reviews, strategy=sample, random_state=random_state)
        yield reviewer.review_company(company, chosen)
