"""Rating schemes, ground truth, metrics and evidence checks of the evaluation (no model runs)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from company_reviewer.evaluate.core import token_cost, load_prices
from company_reviewer.evaluate.metrics import check_evidence, rating_metrics, review_texts
from company_reviewer.evaluate.schemes import OVERALL, builtin_schemes, load_scheme
from company_reviewer.evaluate.truth import company_truth, resolve_companies
from company_reviewer.reviewer.schema import CompanyReview, DimensionReview, Evidence, ModelInfo, OverallReview
from company_reviewer.taxonomy import DEFAULT_DIMENSION_IDS


def _review(ratings: dict[str, float | None], intervals: dict | None = None, evidence: dict | None = None,
            overall: float = 3.5) -> CompanyReview:
    dims = {d: DimensionReview(label=d, rating=ratings.get(d), interval=(intervals or {}).get(d), mentions=1,
                               summary="", evidence=(evidence or {}).get(d, []))
            for d in DEFAULT_DIMENSION_IDS}
    return CompanyReview(company="Fictional", n_reviews_used=3, model=ModelInfo(name="t", version="0"),
                         overall=OverallReview(rating=overall, interval=(3.0, 4.0), verdict=""), dimensions=dims)


def test_builtin_schemes_cover_the_platforms_and_name_real_dimensions():
    assert set(builtin_schemes()) >= {"glassdoor", "indeed", "ambitionbox", "kununu"}
    glassdoor = load_scheme("glassdoor")
    assert [c.key for c in glassdoor.categories] == ["work_life_balance", "culture_values", "diversity_inclusion",
                                                     "career_opportunities", "comp_benefits", "senior_management"]
    assert len(load_scheme("kununu").categories) == 13
    for name in builtin_schemes():
        for category in load_scheme(name).categories:
            assert set(category.dimensions) <= set(DEFAULT_DIMENSION_IDS)


def test_compensation_is_the_mean_of_salary_and_benefits_with_intervals():
    review = _review({"salary": 3.0, "benefits": 4.0, "culture": 2.5},
                     intervals={"salary": (2.5, 3.5), "benefits": (3.5, 4.5), "culture": (2.0, 3.0)})
    predicted = load_scheme("glassdoor").predict(review)
    assert predicted["comp_benefits"] == (3.5, (3.0, 4.0))
    assert predicted["culture_values"] == (2.5, (2.0, 3.0))
    assert predicted["work_life_balance"] == (None, None)
    assert predicted[OVERALL][0] == 3.5
    # one of the pair unrated: the other alone
    assert load_scheme("glassdoor").predict(_review({"salary": 3.2}))["comp_benefits"][0] == 3.2


def test_user_scheme_file_and_its_errors(tmp_path):
    good = tmp_path / "mine.yaml"
    good.write_text("name: mine\noverall: false\ncategories:\n  pay: {label: Pay, dimensions: [salary]}\n"
                    "  fun: {dimensions: []}\n")
    scheme = load_scheme(good)
    assert scheme.name == "mine" and [c.key for c in scheme.scored] == ["pay"]
    assert [c.key for c in scheme.uncovered] == ["fun"]
    assert OVERALL not in scheme.predict(_review({"salary": 4.0}))
    bad = tmp_path / "bad.yaml"
    bad.write_text("categories:\n  pay: {dimensions: [wages]}\n")
    with pytest.raises(ValueError, match="unknown dimension"):
        load_scheme(bad)
    with pytest.raises(ValueError, match="unknown rating scheme"):
        load_scheme("nosuchplatform")


def test_truth_needs_enough_ratings():
    reviews = pd.DataFrame({"rating_overall": [4, 5, 3, 4],
                            "sub_ratings": [{"culture_values": 4.0, "comp_benefits": 2.0}, {"culture_values": 5.0},
                                            {}, {"culture_values": 3.0}]})
    truth = company_truth(reviews, load_scheme("glassdoor"), min_rated=2)
    assert truth["culture_values"] == 4.0 and truth[OVERALL] == 4.0
    assert math.isnan(truth["comp_benefits"])  # one rating only


def test_rating_metrics_by_hand():
    m = rating_metrics([3.0, 4.0, None, 2.0], [3.5, 4.0, 3.0, 2.1], low=[2.0, 3.9, None, 2.5],
                       high=[3.2, 4.1, None, 3.0])
    assert m["n"] == 3
    assert m["mae"] == pytest.approx((0.5 + 0 + 0.1) / 3)
    assert m["rmse"] == pytest.approx(np.sqrt((0.25 + 0 + 0.01) / 3))
    assert m["within_0_25"] == pytest.approx(2 / 3)
    assert m["spearman"] == pytest.approx(1.0)
    assert m["interval_calibration"] == pytest.approx(1 / 3)  # only 4.0 in [3.9, 4.1]
    assert math.isnan(rating_metrics([3.0, 3.0, 3.0], [2.0, 3.0, 4.0])["spearman"])  # a constant has no order


def test_evidence_checks_verbatim_and_contradiction():
    reviews = pd.DataFrame({"review_id": ["a", "b"], "headline": ["Fine", ""], "pros": ["Great pay here.", None],
                            "cons": ["", "Long hours."], "advice": ["", ""], "text": ["", ""]})
    texts = review_texts(reviews)
    good = DimensionReview(label="Salary", rating=4.2, mentions=2, summary="", evidence=[
        Evidence(review_id="a", quote="Great pay", sentiment="positive"),
        Evidence(review_id="b", quote="Great pay", sentiment="positive"),  # wrong review: not verbatim
    ])
    check = check_evidence(good, texts)
    assert (check.quotes, check.verbatim, check.consistent, check.grounded_flags) == (2, 1, True, ())
    contradicting = good.model_copy(update={"rating": 1.8})
    assert check_evidence(contradicting, texts).consistent is False
    neutral = good.model_copy(update={"rating": 3.1})
    assert check_evidence(neutral, texts).consistent is True


def test_token_cost_and_price_file(tmp_path):
    prices = tmp_path / "prices.yaml"
    prices.write_text('"llm:openai": {prompt: 1.0, completion: 2.0}\n"llm:openai:big": {prompt: 10, completion: 20}\n')
    table = load_prices(prices)
    assert token_cost("llm:openai:small", 1_000_000, 500_000, table) == pytest.approx(2.0)
    assert token_cost("llm:openai:big", 1000, 0, table) == pytest.approx(0.01)  # longest prefix wins
    assert token_cost("embedded", 0, 0, table) == 0.0
    assert math.isnan(token_cost("llm:openai:other-vendor", 10, 10, {}))
    assert token_cost("llm:llamacpp:/m.gguf", 10, 10, table) == 0.0  # local models are free by default
    with pytest.raises(FileNotFoundError):
        load_prices(tmp_path / "missing.yaml")


def test_company_specs():
    frame = pd.DataFrame({"company_key": ["s1::A", "s1::B", "s2::A", "s2::C"]})
    assert resolve_companies("all", frame) == ["s1::A", "s1::B", "s2::A", "s2::C"]
    assert resolve_companies("A, s1::B", frame) == ["s1::A", "s2::A", "s1::B"]
    with pytest.raises(ValueError, match="no reviews for Z"):
        resolve_companies("A,Z", frame)


def test_grounding_rate_comes_from_llm_provenance_when_present():
    from company_reviewer.reviewer.schema import Generation

    plain = DimensionReview(label="Culture", rating=4.0, mentions=1, summary="")
    assert check_evidence(plain, {}).grounded_flags == ()  # no provenance: n/a
    generated = plain.model_copy(update={"generation": Generation(source="llm", kept=["a", "b", "c"], dropped=["d"])})
    assert sorted(check_evidence(generated, {}).grounded_flags) == [False, True, True, True]


def test_a_taxonomy_model_is_compared_with_the_baselines_on_the_categories_both_rate():
    from company_reviewer.evaluate.compare import Comparison
    from company_reviewer.evaluate.core import EvaluationResult

    def result(model, maes, params=None):
        per_dimension = pd.DataFrame({"category": list(maes), "label": [f"{c} label" for c in maes],
                                      "mae": list(maes.values())}).set_index("category")
        summary = {"mean_mae": float(np.mean(list(maes.values()))), "n_failed": 0}
        return EvaluationResult(model=model, scheme="glassdoor", per_dimension=per_dimension,
                                per_evidence=pd.DataFrame(), predictions=pd.DataFrame(), companies=pd.DataFrame(),
                                summary=summary, params=params or {})

    # The taxonomy model predicts no culture: its low mean MAE over two categories must not beat a
    # baseline whose mean includes a hard category; on the shared two it is worse by 0.1.
    comparison = Comparison([result("embedded", {"pay": 0.5, "mgmt": 0.5}, {"taxonomy": {"name": "t"}}),
                             result("baseline:tfidf", {"pay": 0.4, "mgmt": 0.4, "culture": 1.6}),
                             result("baseline:mean", {"pay": 0.6, "mgmt": 0.6, "culture": 1.5})])
    verdict = comparison.verdict()
    assert verdict.loc["embedded", "delta_vs_best_baseline"] == pytest.approx(0.1)
    assert verdict.loc["embedded", "verdict"] == "worse than baseline:tfidf by 0.100 stars MAE " \
                                                 "(on the 2 categories both rate)"
    assert list(comparison.labels) == ["pay", "mgmt", "culture"]
    # Same categories: the delta is the difference of the means, as before, with no note.
    same = Comparison([result("embedded", {"pay": 0.2, "mgmt": 0.4}),
                       result("baseline:tfidf", {"pay": 0.4, "mgmt": 0.4}),
                       result("baseline:mean", {"pay": 0.6, "mgmt": 0.6})])
    assert same.verdict().loc["embedded", "verdict"] == "better than baseline:tfidf by 0.100 stars MAE"


def test_a_scheme_restated_in_a_taxonomy_predicts_its_categories_through_maps_to():
    from company_reviewer.evaluate.taxonomy_truth import scheme_for_taxonomy
    from company_reviewer.taxonomy import parse_taxonomy

    taxonomy = parse_taxonomy({"name": "two", "version": "1", "dimensions": [
        {"id": "pay", "label": "Pay", "description": "Pay and salary.", "seeds": {"en": ["pay"]},
         "maps_to": ["salary"]},
        {"id": "desks", "label": "Desks", "description": "Desks and chairs.", "seeds": {"en": ["desk"]}}]}, "<test>")
    scheme, unscored = scheme_for_taxonomy(load_scheme("glassdoor"), taxonomy)
    assert unscored == ["desks"]
    review = _review({})
    review = review.model_copy(update={"dimensions": {
        "pay": DimensionReview(label="Pay", rating=2.0, mentions=1, summary="", evidence=[]),
        "desks": DimensionReview(label="Desks", rating=5.0, mentions=1, summary="", evidence=[])}})
    predicted = scheme.predict(review)
    assert predicted["comp_benefits"][0] == 2.0
    assert all(key in ("comp_benefits", OVERALL) for key in predicted)  # nothing else is covered
