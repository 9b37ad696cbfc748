"""The in-process engine: one reviewer, companies one after another."""

from __future__ import annotations

from typing import Callable, Sequence

from company_reviewer.batch.checkpoint import Result
from company_reviewer.batch.tasks import BatchSpec, CompanyTask, load_reviewer, review_task


def run(tasks: Sequence[CompanyTask], spec: BatchSpec, on_result: Callable[[Result], None], **_: object) -> None:
    if not tasks:
        return
    reviewer = load_reviewer(spec)
    for task in tasks:
        on_result(review_task(reviewer, task, spec))
