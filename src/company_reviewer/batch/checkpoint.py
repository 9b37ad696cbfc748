"""Per-company checkpoints in the store: a result is committed as soon as it exists, and a unique
(run, company) key makes a rerun after a crash skip what is done and never write a duplicate."""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import sqlalchemy as sa

from company_reviewer.store.tables import batch_results, batch_runs

class RunMismatchError(ValueError):
    """A run name reused with other parameters; the message says how to proceed."""


@dataclass(frozen=True)
class Result:
    company_key: str
    model_name: str
    model_version: str
    output: str  # the CompanyReview JSON, stored as produced so exports are byte-identical


def start_run(engine: sa.Engine, name: str, params: dict[str, Any], n_companies: int) -> None:
    """Record the run, or check that an existing run of that name has the same parameters."""
    with engine.begin() as connection:
        row = connection.execute(sa.select(batch_runs.c.params).where(batch_runs.c.name == name)).first()
        if row is None:
            connection.execute(batch_runs.insert().values(
                name=name, params=params, n_companies=n_companies, created_at=dt.datetime.now(dt.timezone.utc)))
        elif row.params != params:
            raise RunMismatchError(f"batch run {name!r} exists with other parameters ({row.params}); "
                                   "pick another --run-name to start a new run")


def done_companies(engine: sa.Engine, run: str) -> set[str]:
    with engine.connect() as connection:
        return set(connection.execute(
            sa.select(batch_results.c.company_key).where(batch_results.c.run_name == run)).scalars())


def save_results(engine: sa.Engine, run: str, results: Iterable[Result]) -> None:
    rows = [{"run_name": run, "company_key": r.company_key, "model_name": r.model_name,
             "model_version": r.model_version, "output": r.output,
             "created_at": dt.datetime.now(dt.timezone.utc)} for r in results]
    if not rows:
        return
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(batch_results).on_conflict_do_nothing(index_elements=["run_name", "company_key"])
    with engine.begin() as connection:
        connection.execute(statement, rows)


def finish_run(engine: sa.Engine, run: str) -> None:
    with engine.begin() as connection:
        connection.execute(batch_runs.update().where(batch_runs.c.name == run)
                           .values(finished_at=dt.datetime.now(dt.timezone.utc)))


def export_jsonl(engine: sa.Engine, run: str, path: str | Path) -> int:
    """Write the run's outputs, one JSON object per line in company-key order; atomically, so a
    reader never sees half a file. Returns the number of lines."""
    query = (sa.select(batch_results.c.output).where(batch_results.c.run_name == run)
             .order_by(batch_results.c.company_key))
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    count = 0
    with engine.connect() as connection, partial.open("w", encoding="utf-8") as handle:
        for output in connection.execute(query).scalars():
            handle.write(output.rstrip("\n") + "\n")
            count += 1
    os.replace(partial, path)
    return count


def run_params(**params: Any) -> dict[str, Any]:
    """Parameters as stored (JSON round-trip so comparisons see what the store returns)."""
    return json.loads(json.dumps(params, sort_keys=True, default=str))
