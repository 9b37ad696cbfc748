"""One unit of batch work, the same on every engine: sample a company's reviews, review them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
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
    # A custom taxonomy as its document (Taxonomy.to_dict): the content travels to Ray workers,
    # which may not see the file the command named. None: the 12 default dimensions.
    taxonomy: dict[str, Any] | None = None

    def params(self) -> dict[str, Any]:
        """What identifies the run: a taxonomy by name, version and content hash; no key at all
        without one, so runs started before taxonomies existed still resume."""
        params = asdict(self)
        document = params.pop("taxonomy")
        if document is not None:
            from company_reviewer.taxonomy import resolve_taxonomy

            taxonomy = resolve_taxonomy(document)
            params["taxonomy"] = {"name": taxonomy.name, "version": taxonomy.version,
                                  "sha256": taxonomy.content_hash()}
        return params


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
    if spec.taxonomy is None:
        review = reviewer.review_company(task.company, chosen)
    else:
        from company_reviewer.reviewer.predict import taxonomy_review_function

        review = taxonomy_review_function(reviewer, spec.taxonomy)(task.company, chosen)
    return Result(task.company_key, review.model.name, review.model.version, review.model_dump_json())
