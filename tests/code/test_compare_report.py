"""The comparison report read back from its stored JSON (docs/compare/comparison.json, figures
only): borrowed ratings are marked and never ranked, tables have one header row, degenerate plots
are not drawn, nothing active is in the HTML."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import numpy as np
import pytest

from company_reviewer.evaluate.compare import Comparison
from company_reviewer.evaluate.report import write_report

STORED = Path(__file__).resolve().parents[2] / "docs" / "compare" / "comparison.json"


@pytest.fixture(scope="module")
def stored() -> dict:
    return json.loads(STORED.read_text())


def test_an_llm_that_borrows_the_embedded_ratings_is_not_ranked(stored):
    comparison = Comparison.from_dict(stored)
    assert comparison.borrowed == {"llm:llamacpp": "embedded"}
    verdict = comparison.verdict()
    row = verdict.loc["llm:llamacpp"]
    assert row["verdict"].startswith("not ranked") and row["ratings"] == "borrowed from embedded"
    assert np.isnan(row["delta_vs_best_baseline"]) and np.isnan(row["mean_mae"])
    assert verdict.loc["embedded", "verdict"].startswith("better than baseline:tfidf")
    winners = comparison.winners()
    assert "llm:llamacpp" not in set(winners["best_model"]) | set(winners["runner_up"])
    assert "llm:llamacpp" not in comparison.category_table("mae").columns
    assert comparison.to_dict()["borrowed_ratings"] == {"llm:llamacpp": "embedded"}


def test_a_model_with_its_own_ratings_is_ranked(stored):
    # The same figures, as if the LLM had rated (llm_rates): now it is credited, so the test above
    # is what keeps borrowed ratings out.
    own = copy.deepcopy(stored)
    llm = next(r for r in own["results"] if r["model"] == "llm:llamacpp")
    llm["summary"]["ratings_from"] = None
    comparison = Comparison.from_dict(own)
    assert comparison.borrowed == {}
    assert comparison.verdict().loc["llm:llamacpp", "verdict"].startswith("better than baseline:tfidf")
    assert "llm:llamacpp" in comparison.category_table("mae").columns


def test_the_html_report_is_one_styled_page_with_proper_tables(stored, tmp_path):
    paths = write_report(Comparison.from_dict(stored), tmp_path, title="Model comparison", stem="comparison")
    page = paths["html"].read_text()
    assert "<style>" in page and "<script" not in page.lower() and not re.search(r"(src|href)=\"(https?:)?//", page)
    tables = re.findall(r"<table>(.*?)</table>", page, flags=re.S)
    assert len(tables) >= 8
    for table in tables:
        head = re.search(r"<thead>(.*?)</thead>", table, flags=re.S).group(1)
        assert head.count("<tr>") == 1 and "<th scope=\"col\"></th>" not in head and "<th" in head
    assert "borrowed ratings</span>" in page and 'class="borrowed"' in page
    for term in ("MAE", "Spearman", "Interval calibration", "Borrowed ratings"):
        assert f"<dt>{term}" in page
    markdown = paths["markdown"].read_text()
    assert "| llm:llamacpp   | borrowed from embedded |" in markdown and "## What the figures mean" in markdown
    # Counts print as counts.
    assert "27.000" not in page and ">27<" in page


def test_a_constant_series_is_not_plotted(stored, tmp_path):
    comparison = Comparison.from_dict(stored)
    assert {r.summary["cost_per_company"] for r in comparison.results} == {0.0}
    paths = write_report(comparison, tmp_path / "a", title="t", stem="comparison")
    assert "cost is not drawn: 0 USD per company" in paths["markdown"].read_text()
    priced = copy.deepcopy(stored)
    priced["results"][1]["summary"]["cost_per_company"] = 0.012
    paths = write_report(Comparison.from_dict(priced), tmp_path / "b", title="t", stem="comparison")
    assert "Speed and cost per company" in paths["markdown"].read_text()
