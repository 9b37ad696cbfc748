"""Ingest throughput: company-reviewer's validating, de-duplicating ingest vs a plain pandas ``to_sql``.

Both read the same gzip CSV and write into SQLite and PostgreSQL in the same run. The 10x scale-up
repeats the shared Glassdoor reviews with each copy made distinct (so de-duplication keeps them).

    .venv/bin/python bench/ingest.py [--scales 1,10] [--pg-url URL]

PostgreSQL: ``--pg-url`` or ``COMPANY_REVIEWER_TEST_PG_URL`` (``scripts/pg-test-server.sh start``
prints one); without either, only SQLite is measured.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from company_reviewer.config import Settings, shared_data_dir
from company_reviewer.data.ingest import ingest_file
from company_reviewer.store.db import get_engine


def scaled_file(directory: Path, scale: int) -> Path:
    source = shared_data_dir() / "glassdoor" / "reviews.csv.gz"
    if scale == 1:
        return source
    frame = pd.read_csv(source, dtype=str, keep_default_na=False)
    copies = []
    for k in range(scale):
        copy = frame.copy()
        if k:
            copy["headline"] = copy["headline"] + f" (copy {k})"
            copy["review_id"] = copy["review_id"].where(copy["review_id"] == "", copy["review_id"] + f"-{k}")
        copies.append(copy)
    path = directory / f"glassdoor_x{scale}.csv.gz"
    pd.concat(copies).to_csv(path, index=False)
    return path


def fresh_pg_database(admin_url: str) -> str:
    admin = sa.create_engine(admin_url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    name = f"bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def run_baseline(path: Path, url: str) -> tuple[float, int]:
    start = time.perf_counter()
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    frame.to_sql("baseline_reviews", engine, if_exists="append", index=False, chunksize=5000)
    engine.dispose()
    return time.perf_counter() - start, len(frame)


def run_ours(path: Path, url: str) -> tuple[float, int, object]:
    start = time.perf_counter()
    summary = ingest_file(path, get_engine(url), settings=Settings.from_env(url), progress=sys.stderr.isatty())
    return time.perf_counter() - start, summary.read, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default="1,10")
    parser.add_argument("--pg-url", default=os.environ.get("COMPANY_REVIEWER_TEST_PG_URL"))
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        for scale in (int(s) for s in args.scales.split(",")):
            path = scaled_file(directory, scale)
            backends = {"sqlite": lambda name: f"sqlite:///{directory / name}.sqlite"}
            if args.pg_url:
                backends["postgresql"] = lambda name: fresh_pg_database(args.pg_url)
            for backend, make_url in backends.items():
                base_seconds, n = run_baseline(path, make_url(f"base_{scale}"))
                ours_seconds, read, summary = run_ours(path, make_url(f"ours_{scale}"))
                results.append({
                    "scale": f"{scale}x", "backend": backend, "rows": n,
                    "to_sql rows/s": round(n / base_seconds), "ours rows/s": round(read / ours_seconds),
                    "ours/to_sql": round(base_seconds / ours_seconds, 2),
                    "stored": summary.stored, "duplicates": summary.duplicates, "quarantined": summary.quarantined,
                })
                print(results[-1], flush=True)
    print()
    print(pd.DataFrame(results).to_markdown(index=False))
    print("\nours = read + map + clean + detect language + validate + hash + de-duplicate + store;"
          "\nto_sql = pandas.read_csv + DataFrame.to_sql of the same file, no validation.")


if __name__ == "__main__":
    main()
