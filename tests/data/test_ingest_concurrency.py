"""Ingest under concurrency and kills, on SQLite and PostgreSQL (synthetic rows): two ingests of
one file at once, first use of a new database by several commands at once, a killed ingest and
its rerun. Counts must be exact in the store and in every summary."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from company_reviewer.store import tables

HEADER = ["company", "review_id", "date", "rating_overall", "pros", "cons"]


def _write(path: Path, n_good: int, bad_every: int) -> tuple[Path, int, int]:
    """``n_good`` good rows with a bad one (rating 9) after every ``bad_every``th."""
    bad = 0
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(n_good):
            writer.writerow([f"Company {i % 7}", f"g{i}", "2024-05-01", "4", f"Fair pay, review {i}", "Meetings"])
            if (i + 1) % bad_every == 0:
                bad += 1
                writer.writerow([f"Company {i % 7}", f"b{i}", "2024-05-01", "9", f"Bad rating {i}", "x"])
    return path, n_good, bad


def _cli(*args: str, chunk_rows: int = 200) -> list[str]:
    return [sys.executable, "-m", "company_reviewer.cli", *args]


def _env(chunk_rows: int) -> dict[str, str]:
    return dict(os.environ, COMPANY_REVIEWER_INGEST_CHUNK_ROWS=str(chunk_rows))


def _counts(url: str) -> tuple[int, int]:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as connection:
            return (connection.execute(sa.select(sa.func.count()).select_from(tables.reviews)).scalar_one(),
                    connection.execute(sa.select(sa.func.count()).select_from(tables.quarantine)).scalar_one())
    except sa.exc.OperationalError:
        return 0, 0
    finally:
        engine.dispose()


def _batches(url: str) -> list[dict]:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as connection:
            return [dict(r) for r in connection.execute(
                sa.select(tables.ingest_batches).order_by(tables.ingest_batches.c.id)).mappings()]
    finally:
        engine.dispose()


def test_two_concurrent_ingests_of_one_file_report_exact_counts(database_url, tmp_path):
    # A fresh database: both commands also race to create its tables.
    path, n_good, n_bad = _write(tmp_path / "same.csv", 3000, 50)
    command = _cli("ingest", str(path), "--json", "--database", database_url)
    processes = [subprocess.Popen(command, env=_env(200), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(2)]
    outputs = [p.communicate(timeout=300) for p in processes]
    for process, (_out, err) in zip(processes, outputs):
        assert process.returncode == 3, err[-2000:]
        assert "Traceback" not in err
    first, second = (json.loads(out) for out, _ in outputs)
    assert _counts(database_url) == (n_good, n_bad)
    for summary in (first, second):
        assert summary["read"] == n_good + n_bad
        assert summary["stored"] + summary["duplicates"] == n_good
        assert summary["quarantined"] + summary["already_quarantined"] == n_bad
    assert first["stored"] + second["stored"] == n_good, "no phantom stored rows"
    assert first["quarantined"] + second["quarantined"] == n_bad
    batches = _batches(database_url)
    assert [b["status"] for b in batches] == ["complete", "complete"]
    assert sum(b["stored"] for b in batches) == n_good and sum(b["quarantined"] for b in batches) == n_bad


def test_commands_opening_one_new_sqlite_file_at_once_all_succeed(tmp_path):
    code = "import sys; from company_reviewer.store.db import get_engine; get_engine(sys.argv[1])"
    for attempt in range(3):
        url = f"sqlite:///{tmp_path / f'new{attempt}.sqlite'}"
        processes = [subprocess.Popen([sys.executable, "-c", code, url], stderr=subprocess.PIPE, text=True)
                     for _ in range(6)]
        errors = [p.communicate(timeout=120)[1] for p in processes]
        assert [p.returncode for p in processes] == [0] * 6, "\n".join(e[-500:] for e in errors if e)


def test_commands_opening_one_new_postgres_database_at_once_all_succeed(postgres_url):
    code = "import sys; from company_reviewer.store.db import get_engine; get_engine(sys.argv[1])"
    processes = [subprocess.Popen([sys.executable, "-c", code, postgres_url], stderr=subprocess.PIPE, text=True)
                 for _ in range(6)]
    errors = [p.communicate(timeout=120)[1] for p in processes]
    assert [p.returncode for p in processes] == [0] * 6, "\n".join(e[-500:] for e in errors if e)


@pytest.mark.slow
def test_killed_ingest_is_marked_interrupted_and_the_rerun_reports_only_its_own_work(database_url, tmp_path):
    path, n_good, n_bad = _write(tmp_path / "big.csv", 30_000, 100)
    command = _cli("ingest", str(path), "--json", "--database", database_url)
    from company_reviewer.store.db import get_engine

    get_engine(database_url)  # migrated before the clock starts
    process = subprocess.Popen(command, env=_env(500), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and _counts(database_url)[0] < 2000:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    stored_before, quarantined_before = _counts(database_url)
    assert 0 < stored_before < n_good, "the kill must land mid-file for this test to mean anything"
    assert quarantined_before > 0
    (killed,) = _batches(database_url)
    assert killed["status"] == "running"
    rerun = subprocess.run(command, env=_env(500), capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 3, rerun.stderr[-2000:]
    summary = json.loads(rerun.stdout)
    assert summary["interrupted_batches"] == [killed["id"]]
    assert [b["status"] for b in _batches(database_url)] == ["interrupted", "complete"]
    assert _counts(database_url) == (n_good, n_bad)
    assert summary["stored"] == n_good - stored_before
    assert summary["quarantined"] == n_bad - quarantined_before, "old quarantines are not reported as new"
    assert summary["already_quarantined"] == quarantined_before


def test_only_batches_of_gone_processes_are_marked_interrupted(engine, tmp_path):
    from company_reviewer.store.ingest import ingest_file

    now = dt.datetime.now(dt.timezone.utc)
    here = socket.gethostname()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    rows = {"dead here": (here, dead.pid, now), "alive here": (here, os.getpid(), now - dt.timedelta(hours=5)),
            "silent elsewhere": ("elsewhere", 1, now - dt.timedelta(hours=2)),
            "recent elsewhere": ("elsewhere", 1, now - dt.timedelta(minutes=1)), "legacy": (None, None, None)}
    ids = {}
    with engine.begin() as connection:
        for name, (host, pid, heartbeat) in rows.items():
            started = now - dt.timedelta(days=1) if name == "legacy" else now
            ids[name] = connection.execute(tables.ingest_batches.insert().values(
                source_file=name, file_sha256="0" * 64, preset="canonical", status="running", started_at=started,
                rows_read=0, stored=0, duplicates=0, quarantined=0, host=host, pid=pid, heartbeat_at=heartbeat,
            )).inserted_primary_key[0]
    path = tmp_path / "one.csv"
    path.write_text("company,pros\nTestco Ltd,Fine\n")
    summary = ingest_file(path, engine)
    assert sorted(summary.interrupted_batches) == sorted(ids[n] for n in ("dead here", "silent elsewhere", "legacy"))
    with engine.connect() as connection:
        status = dict(connection.execute(sa.select(tables.ingest_batches.c.source_file,
                                                   tables.ingest_batches.c.status)).all())
    assert status["alive here"] == "running" and status["recent elsewhere"] == "running"
    assert status["dead here"] == status["legacy"] == status["silent elsewhere"] == "interrupted"
