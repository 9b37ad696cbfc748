"""RatingModel behaviour on real Glassdoor reviews (a small, fixed subset of companies).

Embeddings go through the default encoder cache, so reruns only fit ridge heads (seconds).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from company_reviewer.config import shared_data_dir
from company_reviewer.reviewer.rating import DIMENSION_TARGETS, RatingEstimate, RatingModel
from company_reviewer.reviewer.rating_features import TARGETS, review_units

DATA = shared_data_dir() / "glassdoor" / "reviews.csv.gz"
TEXT = ["headline", "pros", "cons", "advice"]
pytestmark = pytest.mark.skipif(not DATA.exists(), reason="real Glassdoor data not available")


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train: 24 saiteja companies + 1,500 reviews of one large source; test: other companies."""
    df = pd.read_csv(DATA, low_memory=False)
    df["key"] = df["source"] + " | " + df["company"]
    sai = df[df["source"] == "glassdoor_saiteja_2025"]
    keys = sorted(sai["key"].unique())
    big = df[df["source"] == "glassdoor_unco3892_banks_2020"]
    big_keys = sorted(big["key"].unique())
    train = pd.concat([
        sai[sai["key"].isin(keys[:24])],
        big[big["key"] == big_keys[0]].sample(1500, random_state=0),
    ])
    test = pd.concat([sai[sai["key"].isin(keys[24:40])], big[big["key"] == big_keys[1]]])
    return train.reset_index(drop=True), test.reset_index(drop=True)


@pytest.fixture(scope="module")
def model(data: tuple[pd.DataFrame, pd.DataFrame]) -> RatingModel:
    train, _ = data
    return RatingModel(random_state=0).fit(train, companies=train["key"].tolist())


def _company_of_stars(test: pd.DataFrame, stars: float, n: int = 40) -> pd.DataFrame:
    pool = test[test["rating_overall"] == stars]
    return pool.sample(min(n, len(pool)), random_state=1)[TEXT]


def test_glowing_reviews_beat_miserable_ones(model: RatingModel, data: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    _, test = data
    happy = model.predict_company(_company_of_stars(test, 5.0))
    unhappy = model.predict_company(_company_of_stars(test, 1.0))
    for t in TARGETS:
        assert happy[t].rating > unhappy[t].rating + 0.5, t


def test_held_out_companies_rank_roughly_right(model: RatingModel, data: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    _, test = data
    preds, truth = [], []
    for _, company in test.groupby("key"):
        sample = company.sample(min(50, len(company)), random_state=0)
        preds.append(model.predict_company(sample[TEXT], n_boot=20)["overall"].rating)
        truth.append(sample["rating_overall"].mean())
    from scipy.stats import spearmanr

    assert spearmanr(preds, truth).statistic > 0.6


def test_estimates_are_valid(model: RatingModel, data: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    _, test = data
    est = model.predict_company(test.sample(50, random_state=2)[TEXT])
    assert set(est) == set(TARGETS)
    for value in est.values():
        assert isinstance(value, RatingEstimate)
        assert 1.0 <= value.low <= value.rating <= value.high <= 5.0
        assert value.n_signal == 50
    dims = model.predict_dimensions(test.sample(50, random_state=2)[TEXT])
    assert set(dims) == set(DIMENSION_TARGETS) and dims["salary"] == dims["benefits"]


def test_per_review_predictions(model: RatingModel, data: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    _, test = data
    sample = test.sample(200, random_state=3)
    per = model.predict_reviews(sample[TEXT])
    assert list(per.columns) == list(TARGETS) and per.index.equals(sample.index)
    assert np.corrcoef(per["overall"], sample["rating_overall"])[0, 1] > 0.5


def test_free_text_only_reviews_work(model: RatingModel, data: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    _, test = data
    rows = _company_of_stars(test, 5.0, 20)
    only_text = pd.DataFrame({"text": (rows["pros"].fillna("") + ". " + rows["cons"].fillna("")).tolist()})
    est = model.predict_company(only_text, n_boot=20)
    assert est["overall"].n_signal == 20 and 1.0 <= est["overall"].rating <= 5.0
    empty = model.predict_company(pd.DataFrame({"text": ["", None]}))
    assert empty["overall"] == RatingEstimate(None, None, None, 0)


def test_deterministic_with_fixed_random_state(data: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    train, test = data
    small = train[train["source"] == "glassdoor_saiteja_2025"]
    fits = [RatingModel(random_state=3, inner_folds=3).fit(small, companies=small["key"].tolist()) for _ in range(2)]
    sample = test.sample(50, random_state=4)[TEXT]
    assert fits[0].predict_company(sample, random_state=7) == fits[1].predict_company(sample, random_state=7)
    assert fits[0].predict_company(sample, random_state=7) != fits[0].predict_company(sample, random_state=8)


def test_save_load_round_trip(model: RatingModel, data: tuple[pd.DataFrame, pd.DataFrame], tmp_path: Path) -> None:
    _, test = data
    model.save(tmp_path / "rating")
    size = sum(p.stat().st_size for p in (tmp_path / "rating").iterdir())
    assert size < 5_000_000
    loaded = RatingModel.load(tmp_path / "rating")
    sample = test.sample(50, random_state=5)[TEXT]
    assert loaded.predict_company(sample) == model.predict_company(sample)
    pd.testing.assert_frame_equal(loaded.predict_reviews(sample), model.predict_reviews(sample))


def test_star_ratings_option_pulls_overall_to_the_stars(data: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    train, test = data
    starred = RatingModel(use_star_ratings=True, inner_folds=3).fit(train, companies=train["key"].tolist())
    sample = test.sample(50, random_state=6)
    est = starred.predict_company(sample[TEXT + ["rating_overall"]], n_boot=20)
    assert abs(est["overall"].rating - sample["rating_overall"].mean()) < 0.35


def test_optional_company_correction_is_fitted_and_applied(data: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    train, test = data
    corrected = RatingModel(company_alpha=1.0, inner_folds=3).fit(train, companies=train["key"].tolist())
    plain = RatingModel(inner_folds=3).fit(train, companies=train["key"].tolist())
    assert np.any(corrected.company_coef_) and not np.any(plain.company_coef_)
    sample = test.sample(50, random_state=10)[TEXT]
    with_correction, without = corrected.predict_company(sample, n_boot=20), plain.predict_company(sample, n_boot=20)
    assert all(1.0 <= e.low <= e.rating <= e.high <= 5.0 for e in with_correction.values())
    assert any(abs(with_correction[t].rating - without[t].rating) > 1e-6 for t in TARGETS)


def test_unfitted_model_refuses() -> None:
    with pytest.raises(RuntimeError):
        RatingModel().predict_company(pd.DataFrame({"pros": ["good"]}))


def test_precomputed_units_give_the_same_estimate(model: RatingModel, data: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    """The embedded reviewer hands over the units it already encoded; the result must not change."""
    _, test = data
    sample = test.sample(40, random_state=9)[TEXT].reset_index(drop=True)
    units = review_units(sample, model._encoder())
    assert units.n_reviews == 40 and units.counts().sum() > 40
    assert model.predict_company(sample, units=units) == model.predict_company(sample)


def test_shipped_model_loads_and_predicts(data: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    from company_reviewer.reviewer.rating import artifact_path, load_default

    assert (artifact_path() / "rating.json").is_file(), "the package ships the trained rating heads"
    _, test = data
    est = load_default().predict_company(test.sample(30, random_state=8)[TEXT], n_boot=20)
    assert all(1.0 <= e.low <= e.rating <= e.high <= 5.0 for e in est.values())
