"""``company-reviewer batch``: review many companies, resumable, on the local or the Ray engine."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import pandas as pd

from company_reviewer.batch import checkpoint as C
from company_reviewer.batch.engines import get_batch_engine
from company_reviewer.batch.tasks import BatchSpec, CompanyTask


@dataclass(frozen=True)
class BatchSummary:
    run_name: str
    total: int
    already_done: int
    reviewed: int
    seconds: float
    exported: int | None = None

    @property
    def companies_per_minute(self) -> float:
        return 60 * self.reviewed / self.seconds if self.seconds else 0.0


def company_tasks(groups: Sequence[tuple[str, pd.DataFrame]]) -> list[CompanyTask]:
    """Tasks keyed by ``source::company`` when the frame has a source (names repeat across sources)."""
    tasks = []
    for name, frame in groups:
        source = str(frame["source"].iloc[0]) if "source" in frame.columns and len(frame) else ""
        tasks.append(CompanyTask(f"{source}::{name}" if source else name, name, frame))
    keys = [t.company_key for t in tasks]
    if len(set(keys)) != len(keys):
        raise ValueError("two companies share a key; give each (source, company) once")
    return tasks


def default_run_name(tasks: Sequence[CompanyTask], spec: BatchSpec) -> str:
    """Same input and parameters → same name, so rerunning the same command resumes it."""
    digest = hashlib.sha256(json.dumps(C.run_params(**spec.params()), sort_keys=True).encode())
    for task in sorted(tasks, key=lambda t: t.company_key):
        digest.update(task.company_key.encode())
        digest.update(pd.util.hash_pandas_object(task.reviews.astype(str), index=False).values.tobytes())
    return f"batch-{digest.hexdigest()[:16]}"


def run_batch(groups: Sequence[tuple[str, pd.DataFrame]], spec: BatchSpec, *, engine: str = "local",
              database_url: str | None = None, run_name: str | None = None, out: str | Path | None = None,
              ray_address: str | None = None, workers: int | None = None, progress: bool = True) -> BatchSummary:
    from tqdm import tqdm

    from company_reviewer.store.db import get_engine as store_engine

    tasks = company_tasks(groups)
    run = run_name or default_run_name(tasks, spec)
    store = store_engine(database_url)
    C.start_run(store, run, C.run_params(**spec.params()), len(tasks))
    done = C.done_companies(store, run)
    todo = [t for t in tasks if t.company_key not in done]
    bar = tqdm(total=len(tasks), initial=len(tasks) - len(todo), desc=f"batch {run}", unit=" company",
               disable=not progress)
    started = time.perf_counter()

    def on_result(result: C.Result, saved: bool = False) -> None:
        if not saved:  # a Ray worker writing to PostgreSQL has committed it already
            C.save_results(store, run, [result])
        bar.update(1)

    get_batch_engine(engine)(todo, spec, on_result, run_name=run, database_url=database_url,
                       address=ray_address, workers=workers)
    bar.close()
    seconds = time.perf_counter() - started
    missing = {t.company_key for t in tasks} - C.done_companies(store, run)
    if missing:
        raise RuntimeError(f"{len(missing)} companies have no result; rerun the same command to finish")
    C.finish_run(store, run)
    exported = C.export_jsonl(store, run, out) if out else None
    return BatchSummary(run, len(tasks), len(tasks) - len(todo), len(todo), seconds, exported)

