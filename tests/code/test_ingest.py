"""Ingestion on both backends: bad rows are quarantined with a reason, good rows land, reruns add nothing."""

from __future__ import annotations

import csv
import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from company_reviewer.cli import main
from company_reviewer.store.ingest import ingest_file, ingest_paths
from company_reviewer.store import tables
from company_reviewer.store.repository import load_reviews_frame, quarantined_rows

HEADER = ["company", "review_id", "date", "job_title", "rating_overall", "headline", "pros", "cons", "advice"]
CSV_INJECTION = ["=cmd|' /C calc'!A0", "+1+1", "@SUM(1,2)", "-2+3"]
SQL_INJECTION = "Robert'); DROP TABLE reviews;-- and \" OR 1=1 --"


def write(path: Path, rows, header=HEADER) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def good(i: int, company="Acme Corp", **overrides):
    row = dict(company=company, review_id=f"r{i}", date="2024-05-01", job_title="Engineer", rating_overall="4",
               headline=f"Review number {i}", pros="Fair pay and a friendly team", cons="Long meetings", advice="")
    row.update(overrides)
    return [row[h] for h in HEADER]


def counts(engine) -> tuple[int, int]:
    with engine.connect() as connection:
        n_reviews = connection.execute(sa.select(sa.func.count()).select_from(tables.reviews)).scalar()
        n_quarantine = connection.execute(sa.select(sa.func.count()).select_from(tables.quarantine)).scalar()
    return n_reviews, n_quarantine


def test_bad_rows_are_quarantined_with_reasons_and_good_rows_land(engine, tmp_path):
    rows = [
        good(1),
        good(2, headline="", pros="", cons="", advice=""),                  # no text at all
        good(3, rating_overall="7"),                                         # out of range
        good(4, rating_overall="great"),                                     # wrong type
        good(5, date="yesterday"),                                           # unparsable date
        good(6, job_title="x" * 5000),                                       # over-long field
        good(7, date="", rating_overall="", job_title=""),                   # missing optional: fine
        good(8, date="0999-12-31"),                                          # implausible date
    ]
    summary = ingest_file(write(tmp_path / "mixed.csv", rows), engine, source="test")
    assert (summary.read, summary.stored, summary.duplicates, summary.quarantined) == (8, 2, 0, 6)
    reasons = quarantined_rows(engine)["reason"].tolist()
    assert any("no review text" in r for r in reasons)
    assert any("rating_overall" in r and "less than or equal to 5" in r for r in reasons)
    assert any("rating_overall: not a number" in r for r in reasons)
    assert any("date: cannot parse" in r for r in reasons)
    assert any("outside 1990..today" in r for r in reasons)
    assert any("job_title" in r and "at most" in r for r in reasons)
    raw = quarantined_rows(engine)["raw"].tolist()
    assert any("yesterday" in r for r in raw), "the raw row is kept for repair"
    stored = load_reviews_frame(engine)
    assert set(stored["review_id"]) == {"r1", "r7"}
    assert stored.set_index("review_id").loc["r7", "date"] is None


def test_injection_strings_are_stored_verbatim(engine, tmp_path):
    rows = [good(i, pros=text) for i, text in enumerate(CSV_INJECTION)] + [good(9, cons=SQL_INJECTION)]
    ingest_file(write(tmp_path / "inject.csv", rows), engine, source="test")
    frame = load_reviews_frame(engine).set_index("review_id")
    for i, text in enumerate(CSV_INJECTION):
        assert frame.loc[f"r{i}", "pros"] == text
    assert frame.loc["r9", "cons"] == SQL_INJECTION
    assert counts(engine)[0] == len(rows), "the reviews table survived"


def test_duplicates_within_and_across_runs(engine, tmp_path):
    path = write(tmp_path / "dups.csv", [good(1), good(2), good(1), good(3)])
    first = ingest_file(path, engine, source="test")
    assert (first.stored, first.duplicates) == (3, 1)
    second = ingest_file(path, engine, source="test")
    assert (second.stored, second.duplicates) == (0, 4)
    assert counts(engine) == (3, 0)


def test_rerun_does_not_duplicate_quarantine(engine, tmp_path):
    path = write(tmp_path / "bad.csv", [good(1), good(2, rating_overall="9")])
    ingest_file(path, engine, source="test")
    ingest_file(path, engine, source="test")
    assert counts(engine) == (1, 1)


def test_unreadable_files_fail_with_a_message_and_others_still_land(engine, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    truncated = tmp_path / "cut.csv.gz"
    body = "".join(f"Acme {i},good pay {i * 7919 % 10007}\n" for i in range(5000)).encode()
    compressed = gzip.compress(b"company,pros\n" + body)
    truncated.write_bytes(compressed[: len(compressed) // 2])
    latin = tmp_path / "latin.csv"
    latin.write_bytes("company,pros\nAcme,Gehalt ist schön\n".encode("latin-1"))
    binary = tmp_path / "blob.csv"
    binary.write_bytes(bytes(range(256)) * 20)
    ok = write(tmp_path / "ok.csv", [good(1)])
    summary = ingest_paths([empty, truncated, latin, binary, ok], engine, source="test")
    errors = {Path(f.path).name: f.error for f in summary.files}
    assert errors["ok.csv"] is None
    for name in ("empty.csv", "cut.csv.gz", "blob.csv"):
        assert errors[name] and name in errors[name], f"{name}: {errors[name]}"
    assert "truncat" in errors["cut.csv.gz"].lower() or "corrupt" in errors["cut.csv.gz"].lower()
    # A latin-1 file is read (its encoding detected and reported), not refused.
    latin_summary = next(f for f in summary.files if f.path.endswith("latin.csv"))
    assert errors["latin.csv"] is None and latin_summary.stored == 1 and "Windows-1252" in latin_summary.notes[0]
    assert counts(engine)[0] == 2


def test_cli_json_summary_and_exit_status(database_url, tmp_path):
    runner = CliRunner()
    path = write(tmp_path / "r.csv", [good(1), good(2), good(2), good(3, rating_overall="0")])
    result = runner.invoke(main, ["ingest", str(path), "--json", "--database", database_url, "--source", "t"])
    assert result.exit_code == 3, result.output
    payload = json.loads(result.output)
    assert {k: payload[k] for k in ("read", "stored", "duplicates", "quarantined")} == \
        {"read": 4, "stored": 2, "duplicates": 1, "quarantined": 1}
    again = runner.invoke(main, ["ingest", str(path), "--json", "--database", database_url, "--source", "t"])
    assert json.loads(again.output)["stored"] == 0
    clean = write(tmp_path / "clean.csv", [good(10)])
    assert runner.invoke(main, ["ingest", str(clean), "--database", database_url]).exit_code == 0
    missing = runner.invoke(main, ["ingest", str(tmp_path / "nope.csv"), "--database", database_url])
    assert missing.exit_code == 4 and "nope.csv" in missing.output


@pytest.mark.slow
def test_kill_mid_ingest_then_rerun_completes_without_duplicates(database_url, tmp_path):
    n = 30_000
    path = write(tmp_path / "big.csv", [good(i, pros=f"Solid pay, review {i}") for i in range(n)])
    env = dict(os.environ, COMPANY_REVIEWER_INGEST_CHUNK_ROWS="500")
    cmd = [sys.executable, "-m", "company_reviewer.cli", "ingest", str(path), "--database", database_url]
    from company_reviewer.store.db import get_engine

    engine = get_engine(database_url)
    process = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and counts(engine)[0] < 2000:
        time.sleep(0.2)
    process.send_signal(signal.SIGKILL)
    process.wait()
    stored_before = counts(engine)[0]
    assert 0 < stored_before < n, "the kill must land mid-file for this test to mean anything"
    assert stored_before % 500 == 0, "only whole chunks are committed"
    subprocess.run(cmd, env=env, check=False, capture_output=True)
    frame = load_reviews_frame(engine)
    assert len(frame) == n and frame["review_id"].is_unique
