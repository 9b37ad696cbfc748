"""The Ray engine: a pool of actors, each loading the reviewer once, fed companies as they free up.

Without an address Ray starts a single-machine instance here (Ray 2.x removed the old in-process
"local mode"); with ``--ray-address`` (``auto``, ``ray://head:10001``) the same code runs on a
cluster. Workers write their results straight to the store when it is PostgreSQL (several writers);
with SQLite the driver writes them, since SQLite allows one writer at a time.
"""

from __future__ import annotations

import os
from typing import Callable, Sequence

from company_reviewer.batch.checkpoint import Result
from company_reviewer.batch.tasks import BatchSpec, CompanyTask


def _make_actor_class():
    import ray

    @ray.remote
    class ReviewActor:
        def __init__(self, spec: BatchSpec, database_url: str | None):
            from company_reviewer.batch.tasks import load_reviewer

            self.spec = spec
            self.reviewer = load_reviewer(spec)
            self.engine = None
            if database_url and database_url.startswith("postgresql"):
                from company_reviewer.store.db import get_engine

                self.engine = get_engine(database_url)

        def review(self, task: CompanyTask, run: str) -> tuple[Result, bool]:
            from company_reviewer.batch.checkpoint import save_results
            from company_reviewer.batch.tasks import review_task

            result = review_task(self.reviewer, task, self.spec)
            if self.engine is not None:
                save_results(self.engine, run, [result])
                return result, True
            return result, False

    return ReviewActor


def run(tasks: Sequence[CompanyTask], spec: BatchSpec, on_result: Callable[..., None], *,
        run_name: str, database_url: str | None = None, address: str | None = None,
        workers: int | None = None, **_: object) -> None:
    if not tasks:
        return
    import ray

    started_here = not ray.is_initialized()
    if started_here:
        # The workers must find this package and the same data directory as the driver.
        env = {k: v for k, v in os.environ.items()
               if k.startswith(("COMPANY_REVIEWER_", "HF_", "TRANSFORMERS_", "TOKENIZERS_"))}
        ray.init(address=address, num_cpus=None if address else (workers or os.cpu_count()),
                 include_dashboard=False, log_to_driver=False, configure_logging=False,
                 runtime_env={"env_vars": env})
    try:
        n_actors = max(1, min(len(tasks), workers or int(ray.available_resources().get("CPU", 1))))
        actor_class = _make_actor_class()
        actors = [actor_class.remote(spec, database_url) for _ in range(n_actors)]
        pending: dict = {}
        queue = list(tasks)
        for actor in actors:
            if queue:
                pending[actor.review.remote(queue.pop(0), run_name)] = actor
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            actor = pending.pop(ready[0])
            result, saved = ray.get(ready[0])
            on_result(result, saved=saved)
            if queue:
                pending[actor.review.remote(queue.pop(0), run_name)] = actor
    finally:
        if started_here:
            ray.shutdown()
