"""One unit of batch work, the same on every engine: sample a company's reviews, review them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from company_reviewer.batch.checkpoint import Result


@dataclass(frozen=True)
class BatchSpec:
    model: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    max_reviews: int = 50
    sample: str = "stratified"
    random_state: int = 0


@dataclass(frozen=True)
class CompanyTask:
    company_key: str
    company: str
    reviews: pd.DataFrame


def load_reviewer(spec: BatchSpec):
    from company_reviewer.reviewer.base import get_reviewer

    return get_reviewer(spec.model, spec.options)


def review_task(reviewer, task: CompanyTask, spec: BatchSpec) -> Result:
    from company_reviewer.sampling import sample_reviews

    chosen = sample_reviews(task.reviews, k=spec.max_reviews, strategy=spec.sample, random_state=spec.random_state)
    review = reviewer.review_company(task.company, chosen)
    return Result(task.company_key, review.model.name, review.model.version, review.model_dump_json())
