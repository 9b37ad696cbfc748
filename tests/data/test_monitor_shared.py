"""Drift on real shifts in the shared data: periods, languages; and none on a random split."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from company_reviewer.monitor.checks import data_checks

pytestmark = pytest.mark.slow
SAMPLE = 300


@pytest.fixture(scope="module")
def glassdoor(shared_data) -> pd.DataFrame:
    from company_reviewer.data.load import read_reviews

    frame, _ = read_reviews(shared_data / "glassdoor" / "reviews.csv.gz", preset="glassdoor")
    return frame


def _years(frame: pd.DataFrame, first: int, last: int) -> pd.DataFrame:
    years = pd.to_datetime(frame["date"], errors="coerce").dt.year
    return frame[(years >= first) & (years <= last)].reset_index(drop=True)


def _drifted(checks) -> set[str]:
    return {c.name for c in checks if c.drifted}


def test_a_random_split_of_one_period_raises_no_drift(glassdoor):
    recent = _years(glassdoor, 2024, 2025)
    order = np.random.default_rng(7).permutation(len(recent))
    half = len(order) // 2
    checks = data_checks(recent.iloc[order[:half]], recent.iloc[order[half:]], sample_size=SAMPLE)
    assert _drifted(checks) == set(), [(c.name, round(c.value, 3)) for c in checks]
    assert len(checks) >= 6


def test_english_against_german_reviews_is_drift(glassdoor, shared_data):
    from company_reviewer.data.load import read_reviews

    german, _ = read_reviews(shared_data / "kununu" / "reviews_flat.csv.gz", preset="kununu")
    english = _years(glassdoor, 2024, 2025).sample(SAMPLE * 2, random_state=0)
    drifted = _drifted(data_checks(english, german, sample_size=SAMPLE))
    assert {"language_mix", "embedding", "text_length"} <= drifted


def test_cli_flags_2008_2015_against_2024_2025_with_exit_3_and_a_report(shared_data, tmp_path):
    path = shared_data / "glassdoor" / "reviews.csv.gz"
    report = tmp_path / "drift.html"
    result = subprocess.run(
        [sys.executable, "-m", "company_reviewer.cli", "monitor", "--reference", f"{path}@2008..2015",
         "--current", f"{path}@2024..2025", "--sample-size", str(SAMPLE), "--json", "--report", str(report),
         "--database", f"sqlite:///{tmp_path / 'store.sqlite'}"],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 3, result.stderr[-2000:]
    summary = json.loads(result.stdout)
    assert summary["drift"] and {"text_length", "embedding"} <= set(summary["drifted"])
    html = report.read_text()
    assert "Drift report" in html and html.count("data:image/png;base64,") >= 5
