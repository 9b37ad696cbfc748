"""The embedded reviewer end to end on the bundled demo reviews and on real Glassdoor companies."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from company_reviewer.cli import main
from company_reviewer.data.load import read_reviews
from company_reviewer.reviewer.predict import company_groups, review_groups
from company_reviewer.reviewer.schema import CompanyReview
from company_reviewer.taxonomy import DEFAULT_DIMENSION_IDS

TEXT_FIELDS = ("headline", "pros", "cons", "advice", "text")


@pytest.fixture(scope="module")
def demo_frame(demo_reviews_path):
    frame, rejected = read_reviews(demo_reviews_path)
    assert not rejected
    return frame


@pytest.fixture(scope="module")
def demo_reviews(demo_frame):
    return {r.company: r for r in review_groups(company_groups(demo_frame))}


def assert_grounded(review: CompanyReview, frame: pd.DataFrame) -> None:
    by_id = frame.set_index("review_id")
    for dimension in review.dimensions.values():
        for evidence in dimension.evidence:
            row = by_id.loc[evidence.review_id]
            texts = [row[f] for f in TEXT_FIELDS if isinstance(row[f], str)]
            assert any(evidence.quote in t for t in texts), f"not verbatim: {evidence.quote!r}"


def test_contract_shape_for_every_company(demo_reviews, demo_frame):
    assert set(demo_reviews) == set(demo_frame["company"])
    for review in demo_reviews.values():
        payload = json.loads(review.model_dump_json())
        # Additive: "language" says what the text is written in.
        assert set(payload) - {"language"} == {"company", "n_reviews_used", "model", "overall", "dimensions"}
        assert payload["language"] in ("en", "de")
        assert list(payload["dimensions"]) == list(DEFAULT_DIMENSION_IDS)
        assert payload["model"]["name"] == "embedded"
        for d in payload["dimensions"].values():
            assert set(d) - {"basis", "trend"} == {"label", "rating", "interval", "mentions", "summary", "pros",
                                                   "cons", "evidence"}
            # The additive "basis" says what a rating stands on; thin evidence is "inferred".
            assert d.get("basis") in (None, "text", "text+stars", "inferred")
            assert (d["rating"] is None) == (d.get("basis") is None)
            if d["mentions"] < 3 and d["rating"] is not None:
                assert d["basis"] == "inferred"
            if d["rating"] is not None:
                lo, hi = d["interval"]
                assert 1 <= lo <= d["rating"] <= hi <= 5
        assert_grounded(review, demo_frame)


def test_every_dimension_is_found_and_rated_in_the_demo(demo_reviews):
    for review in demo_reviews.values():
        rated = [k for k, d in review.dimensions.items() if d.rating is not None]
        mentioned = [k for k, d in review.dimensions.items() if d.mentions > 0]
        assert len(rated) == 12, review.company
        assert len(mentioned) >= 10, (review.company, mentioned)


def test_profiles_show_through(demo_reviews):
    northwind, bluefin = demo_reviews["Northwind Analytics"], demo_reviews["Bluefin Logistics"]
    assert northwind.dimensions["salary"].rating > bluefin.dimensions["salary"].rating
    assert bluefin.dimensions["colleagues"].rating > bluefin.dimensions["working_conditions"].rating


def test_injected_markup_stays_text(demo_reviews):
    from company_reviewer.reviewer.render import to_markdown

    for review in demo_reviews.values():
        assert "<script>" not in to_markdown(review)


def test_cli_formats(demo_reviews_path, tmp_path):
    runner = CliRunner()
    out = tmp_path / "reviews.jsonl"
    result = runner.invoke(main, ["review", str(demo_reviews_path), "--company", "Bluefin Logistics",
                                  "--format", "jsonl", "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = out.read_text().splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["company"] == "Bluefin Logistics"
    markdown = runner.invoke(main, ["review", str(demo_reviews_path), "--company", "Kieler Werft GmbH"])
    assert markdown.exit_code == 0 and "# Kieler Werft GmbH" in markdown.output
    missing = runner.invoke(main, ["review", str(demo_reviews_path), "--company", "Nope Inc"])
    assert missing.exit_code != 0 and "Nope Inc" in missing.output
    bad_model = runner.invoke(main, ["review", str(demo_reviews_path), "--model", "nonsense"])
    assert bad_model.exit_code != 0 and "available" in bad_model.output


@pytest.mark.slow
def test_glassdoor_company_reviews_are_grounded_and_sensible(shared_data):
    frame, _ = read_reviews(shared_data / "glassdoor" / "reviews.csv.gz", preset="glassdoor")
    means = frame.groupby(["source", "company"])["rating_overall"].agg(["mean", "count"])
    means = means[means["count"] >= 100].sort_values("mean")
    low, high = means.index[0], means.index[-1]
    picked = [(f"{c}", frame[(frame.source == s) & (frame.company == c)]) for s, c in (low, high)]
    reviews = list(review_groups(picked))
    for review, (_, group) in zip(reviews, picked):
        assert review.n_reviews_used == 50
        assert_grounded(review, group)
    assert reviews[0].overall.rating < reviews[1].overall.rating
