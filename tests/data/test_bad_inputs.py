"""The bad-input corpus (``tests/data/bad_inputs``, synthetic files written by its
``make_corpus.py``) through the real ``ingest`` command: per file, the exit code, no traceback,
exactly the good rows stored (with the values given), every bad row quarantined with a reason
(and its raw row), the summary's notes and counts; a rerun stores and quarantines nothing new.

``COMPANY_REVIEWER_BAD_INPUTS=DIR`` points the same check at another corpus laid out the same way
(files plus ``expected.json``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from company_reviewer.cli import main
from company_reviewer.store import tables

CORPUS = Path(os.environ.get("COMPANY_REVIEWER_BAD_INPUTS") or Path(__file__).parent / "bad_inputs")
EXPECTED: dict[str, dict] = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))


def _ingest(path: Path, url: str) -> tuple[int, dict, str]:
    result = CliRunner().invoke(main, ["ingest", str(path), "--json", "--database", url])
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        f"{path.name}: {result.exception!r}\n{result.output}"
    assert "Traceback" not in result.output, result.output
    return result.exit_code, json.loads(result.output.strip().splitlines()[-1]), result.output


def _store(url: str) -> tuple[dict[str, dict], list[dict]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            reviews = {row["review_id"]: dict(row) for row in connection.execute(sa.select(tables.reviews)).mappings()}
            quarantine = [dict(row) for row in connection.execute(sa.select(tables.quarantine)).mappings()]
    finally:
        engine.dispose()
    return reviews, quarantine


def test_the_corpus_covers_every_kind_of_bad_input() -> None:
    names = set(EXPECTED)
    if "COMPANY_REVIEWER_BAD_INPUTS" in os.environ:
        return
    for needed in ("nul_near_top.csv", "nul_deep.csv", "broken_line.jsonl", "unequal_lists.json",
                   "nested_values.json", "nan_rating.json", "odd_dates.csv", "odd_numbers.csv",
                   "duplicate_columns.csv", "latin1.csv", "bidi_and_zero_width.csv", "scraper_artefacts.csv",
                   "long_text.csv", "wrong_schema.parquet", "corrupt.avro"):
        assert needed in names, needed
    assert all((CORPUS / name).is_file() for name in names)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_input(name: str, tmp_path: Path) -> None:
    expected = EXPECTED[name]
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    code, summary, output = _ingest(CORPUS / name, url)
    assert code == expected["exit"], output
    files = summary["files"]
    if expected["error"] or expected["exit"] == 4:
        assert summary["failed_files"] == 1 and files[0]["error"], output
        for word in expected["error"]:
            assert word in files[0]["error"], files[0]["error"]
        for word in expected["error_not"]:
            assert word not in files[0]["error"], files[0]["error"]
        assert len(files[0]["error"]) < 600, "a message for a person, not a dump"
        return
    reviews, quarantine = _store(url)
    assert sorted(reviews) == expected["stored"], "exactly the good rows land"
    assert not any(rid.startswith("b") for rid in reviews), "no bad row stored as valid"
    assert len(quarantine) == expected["quarantined"]
    assert (summary["stored"], summary["quarantined"]) == (len(expected["stored"]), expected["quarantined"])
    assert summary["read"] == summary["stored"] + summary["duplicates"] + summary["quarantined"]
    for row in quarantine:
        assert row["reason"].strip() and row["raw"].strip(), row
        for word in expected["reasons"]:
            assert word in row["reason"], (word, row["reason"])
    for review_id, values in expected["values"].items():
        stored = reviews[review_id]
        for field, value in values.items():
            got = stored[field]
            got = got.isoformat() if hasattr(got, "isoformat") else got
            assert got == value, (review_id, field, got)
    notes = " ".join(files[0]["notes"])
    for word in expected["notes"]:
        assert word in notes, notes
    if not expected["notes"]:
        assert not notes, notes
    for key, value in expected["summary"].items():
        assert summary[key] == value, (key, summary[key])
    # A rerun adds nothing and reports the earlier quarantine as such, not as new.
    again_code, again, _ = _ingest(CORPUS / name, url)
    assert again_code == expected["exit"]
    assert (again["stored"], again["quarantined"]) == (0, 0)
    assert again["already_quarantined"] == expected["quarantined"]
    assert _store(url)[1] == quarantine
