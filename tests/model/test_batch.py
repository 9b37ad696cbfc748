"""Batch review: the Ray engine gives the local engine's ratings byte for byte, and a killed run
resumes with no duplicates and no gaps."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest
import sqlalchemy as sa

pytestmark = pytest.mark.slow


def _batch(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "company_reviewer.cli", "batch", *args],
                          capture_output=True, text=True, timeout=600, env=env)


def test_ray_engine_matches_the_local_engine_byte_for_byte(demo_reviews_path, tmp_path, postgres_url):
    local, ray = tmp_path / "local.jsonl", tmp_path / "ray.jsonl"
    done = _batch(str(demo_reviews_path), "--out", str(local), "--database", f"sqlite:///{tmp_path / 's.db'}")
    assert done.returncode == 0, done.stderr[-3000:]
    # PostgreSQL: the Ray workers commit their own results (several writers).
    done = _batch(str(demo_reviews_path), "--out", str(ray), "--engine", "ray", "--workers", "2",
                  "--database", postgres_url)
    assert done.returncode == 0, done.stderr[-3000:]
    from company_reviewer.batch.compare import compare_outputs, rating_view

    comparison = compare_outputs(local.read_bytes(), ray.read_bytes())
    assert comparison.ratings_identical, comparison
    local_ratings = [rating_view(json.loads(x)) for x in local.read_text().splitlines()]
    assert local_ratings == [rating_view(json.loads(x)) for x in ray.read_text().splitlines()]
    lines = [json.loads(line) for line in local.read_text().splitlines()]
    assert len(lines) == 4 and all(len(line["dimensions"]) == 12 for line in lines)


@pytest.fixture(scope="module")
def twelve_companies(tmp_path_factory, shared_data):
    from company_reviewer.data.load import read_reviews

    frame, _ = read_reviews(shared_data / "glassdoor" / "reviews.csv.gz", preset="glassdoor")
    counts = frame.groupby("company").size()
    names = sorted(counts[counts >= 30].index)[:12]
    subset = frame[frame["company"].isin(names)].groupby("company").head(30)
    path = tmp_path_factory.mktemp("batch") / "twelve.csv"  # a temporary copy, never in the repository
    subset.drop(columns=["sub_ratings", "attributes"], errors="ignore").to_csv(path, index=False)
    return path, names


def test_a_killed_run_resumes_with_no_duplicates_and_no_gaps(twelve_companies, tmp_path):
    path, names = twelve_companies
    database = f"sqlite:///{tmp_path / 'store.db'}"
    out = tmp_path / "out.jsonl"
    args = [sys.executable, "-m", "company_reviewer.cli", "batch", str(path), "--out", str(out),
            "--max-reviews", "20", "--database", database]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    engine = sa.create_engine(database)
    deadline = time.time() + 300
    finished = 0
    while time.time() < deadline and process.poll() is None:
        try:
            with engine.connect() as connection:
                finished = connection.execute(sa.text("select count(*) from batch_results")).scalar()
        except sa.exc.OperationalError:  # tables not migrated yet
            finished = 0
        if finished >= 2:
            break
        time.sleep(0.2)
    assert process.poll() is None, "the run ended before it could be killed; give it more companies"
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert not out.exists(), "the output is only written once every company is done"

    resumed = _batch(str(path), "--out", str(out), "--max-reviews", "20", "--database", database)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "already done" in resumed.stderr and " 0 already done" not in resumed.stderr
    outputs = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(o["company"] for o in outputs) == sorted(names)
    with engine.connect() as connection:
        rows = pd.read_sql("select run_name, company_key from batch_results", connection)
    assert len(rows) == len(names) and not rows.duplicated().any()
