"""The hand judgments of evidence quotes (bench/evidence_quotes.py): references only, no review text,
for the 20 held-out companies and both runs."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd

from company_reviewer.taxonomy import load_taxonomy

ROOT = Path(__file__).resolve().parents[2]


def _bench():
    spec = importlib.util.spec_from_file_location("evidence_quotes", ROOT / "bench" / "evidence_quotes.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_judgments_are_references_of_held_out_companies() -> None:
    bench = _bench()
    frame = pd.read_csv(bench.JUDGMENTS, dtype=str, keep_default_na=False)
    assert list(frame.columns) == bench.JUDGMENT_COLUMNS
    assert frame["quote_sha1"].str.fullmatch(r"[0-9a-f]{40}").all()
    assert set(frame["run"]) == set(bench.RUNS)
    assert set(frame["on_topic"]) <= {"yes", "no"} and set(frame["sentiment_right"]) <= {"yes", "no"}
    assert set(frame["sentiment"]) <= {"positive", "negative", "neutral"}
    assert set(frame["dimension"]) <= set(load_taxonomy().ids)
    assert set(frame["company_key"]) == set(bench.held_out_companies())
    # One judgment per quote shown in a run: a duplicate would count a quote twice.
    assert not frame.duplicated(["run", "company_key", "dimension", "sentiment", "quote_sha1"]).any()


def test_held_out_companies_are_the_test_split_first() -> None:
    from company_reviewer.reviewer.embedded.bundle import load_bundle

    splits = load_bundle().manifest["splits"]
    keys = _bench().held_out_companies()
    assert len(keys) == len(set(keys)) == 20
    assert set(keys[:16]) == set(splits["test"]) and set(keys[16:]) <= set(splits["validation"])
