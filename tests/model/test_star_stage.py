"""The star stage on real Glassdoor reviews: fitted quickly on a few companies the text heads never
saw, applied, saved and loaded; and ``train --calibrate-on`` on a file built here from the shared data.

Embeddings go through the default encoder cache, so reruns mostly fit closed-form regressions.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from company_reviewer.config import shared_data_dir
from company_reviewer.reviewer.rating import RatingEstimate, RatingModel
from company_reviewer.reviewer.rating_features import TARGETS
from company_reviewer.reviewer.star_stage import (
    STAR_FILE,
    StarStage,
    apply_star_stage,
    company_draws,
    load_star_stage,
    review_ratings,
)

DATA = shared_data_dir() / "glassdoor" / "reviews.csv.gz"
pytestmark = pytest.mark.skipif(not DATA.exists(), reason="real Glassdoor data not available")
SUBS = [t for t in TARGETS if t != "overall"]


@pytest.fixture(scope="module")
def bundle() -> Path:
    from company_reviewer.reviewer.embedded.bundle import default_artifact_path

    return default_artifact_path()


@pytest.fixture(scope="module")
def splits(bundle: Path) -> dict[str, list[str]]:
    return json.loads((bundle / "manifest.json").read_text())["splits"]


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    from company_reviewer.labeling.gold import canonical_reviews

    return canonical_reviews()


@pytest.fixture(scope="module")
def model(bundle: Path) -> RatingModel:
    return RatingModel.load(bundle / "rating")


def _small_rated(frame: pd.DataFrame, keys: list[str], n: int) -> list[str]:
    """The ``n`` smallest of ``keys`` whose reviews carry sub-ratings (cheap to encode)."""
    rated = review_ratings(frame)["culture_values"].notna()
    counts = rated.groupby(frame["company_key"]).sum()
    sizes = frame.groupby("company_key").size()
    usable = [k for k in keys if counts.get(k, 0) >= 40]
    return sorted(usable, key=lambda k: (sizes[k], k))[:n]


@pytest.fixture(scope="module")
def stage(frame: pd.DataFrame, splits, model: RatingModel) -> StarStage:
    keys = _small_rated(frame, splits["validation"], 6)
    draws = company_draws(frame[frame["company_key"].isin(keys)], keys, model, n_draws=3, pool_size=None)
    return StarStage().fit(draws.text, draws.stars, draws.truth, draws.keys)


@pytest.fixture(scope="module")
def test_sample(frame: pd.DataFrame, splits) -> pd.DataFrame:
    key = _small_rated(frame, splits["test"], 1)[0]
    return frame[frame["company_key"] == key].head(50).reset_index(drop=True)


def _no_subs(reviews: pd.DataFrame, stars: float | None = None) -> pd.DataFrame:
    out = reviews.copy()
    out["sub_ratings"] = [{} for _ in range(len(out))]
    if stars is not None:
        out["rating_overall"] = stars
    return out


def test_fit_and_predict_shapes(stage: StarStage) -> None:
    assert stage.coef_.shape == (len(TARGETS), 4) and stage.form_ in StarStage.FORMS
    for t in SUBS:
        assert stage.fitted(t), t
        assert np.isfinite(stage.resid_sd_[TARGETS.index(t)]) and stage.resid_sd_[TARGETS.index(t)] > 0
    pred = stage.predict(np.full((4, len(TARGETS)), 3.5), [2.0, 3.0, 4.0, 5.0])
    assert pred.shape == (4, len(TARGETS))
    assert np.all((pred >= 1) & (pred <= 5))


def test_stars_pull_ratings_toward_them(stage: StarStage, model: RatingModel, test_sample: pd.DataFrame) -> None:
    text = model.predict_company(test_sample, n_boot=50)
    high, basis = apply_star_stage(stage, text, _no_subs(test_sample, 5.0))
    low, _ = apply_star_stage(stage, text, _no_subs(test_sample, 1.0))
    assert all(basis[t] == "text+stars" for t in TARGETS if t == "overall" or stage.uses_stars(t)), basis
    assert all(basis[t] == "text" and high[t] == text[t] for t in SUBS if not stage.uses_stars(t))
    assert high["overall"].rating == pytest.approx(5.0) and low["overall"].rating == pytest.approx(1.0)
    moved_up = sum(high[t].rating > text[t].rating for t in SUBS)
    moved_down = sum(low[t].rating < text[t].rating for t in SUBS)
    assert moved_up >= 4 and moved_down >= 4, (moved_up, moved_down)
    for t in SUBS:
        assert high[t].rating >= low[t].rating, t  # more stars never lower a rating
        assert high[t].low <= high[t].rating <= high[t].high
    assert sum(high[t].rating > low[t].rating + 0.3 for t in SUBS) >= 4


def test_without_stars_text_passes_through(stage: StarStage, model: RatingModel, test_sample: pd.DataFrame) -> None:
    text = model.predict_company(test_sample, n_boot=50)
    reviews = _no_subs(test_sample)
    reviews["rating_overall"] = np.nan
    out, basis = apply_star_stage(stage, text, reviews)
    assert out == text and set(basis.values()) == {"text"}
    # Too few stars: still text.
    reviews.loc[: stage.min_star_reviews - 2, "rating_overall"] = 5.0
    out, basis = apply_star_stage(stage, text, reviews)
    assert out == text and set(basis.values()) == {"text"}
    assert apply_star_stage(None, text, test_sample) == (text, {t: "text" for t in text})


def test_own_sub_ratings_are_averaged(stage: StarStage, model: RatingModel, test_sample: pd.DataFrame) -> None:
    text = model.predict_company(test_sample, n_boot=0)
    out, basis = apply_star_stage(stage, text, test_sample)
    own = review_ratings(test_sample)
    for t in TARGETS:
        if own[t].notna().sum() >= stage.min_direct_reviews:
            assert out[t].rating == pytest.approx(own[t].mean()), t
            assert out[t].low < out[t].rating < out[t].high
            assert basis[t] == "text+stars"


def test_no_text_but_stars_uses_stars_only(stage: StarStage, test_sample: pd.DataFrame) -> None:
    empty = {t: RatingEstimate(None, None, None, 0) for t in TARGETS}
    out, basis = apply_star_stage(stage, empty, _no_subs(test_sample, 4.0))
    assert out["culture_values"].rating is not None and basis["culture_values"] == "text+stars"


def test_save_load_round_trip(stage: StarStage, tmp_path: Path) -> None:
    path = stage.save(tmp_path)
    assert path.name == STAR_FILE and "pickle" not in path.read_text()
    loaded = StarStage.load(tmp_path)
    assert loaded.to_dict()["targets"] == json.loads(path.read_text())["targets"]
    text, stars = np.random.default_rng(0).uniform(2, 4.5, (5, len(TARGETS))), np.linspace(2, 4.8, 5)
    np.testing.assert_allclose(loaded.predict(text, stars), stage.predict(text, stars), atol=1e-5)
    assert loaded.get_params() == stage.get_params()


def test_shipped_stage_is_fitted_on_validation(bundle: Path) -> None:
    stage = load_star_stage(bundle)
    assert stage is not None, f"no {STAR_FILE} in the shipped bundle"
    info = json.loads((bundle / STAR_FILE).read_text())["fit"]
    assert info["split"] == "validation"
    used = [t for t in SUBS if stage.uses_stars(t)]
    assert len(used) >= 4, used
    for t in SUBS:
        j = TARGETS.index(t)
        assert stage.fitted(t) and stage.coef_[j, 2] >= 0, t  # more stars never lower a sub-rating
        if t in used:
            assert stage.cv_mae_[j] < stage.text_mae_[j], t   # used only where it helped held-out companies


def _rated_file(frame: pd.DataFrame, keys: list[str], per_company: int, path: Path) -> Path:
    """A Glassdoor-layout file of raw shared-data rows of ``keys`` (built at test time, never committed)."""
    raw = pd.read_csv(DATA, low_memory=False)
    rows = frame[frame["company_key"].isin(keys)].groupby("company_key").head(per_company)["source_row"]
    raw.iloc[np.sort(rows.to_numpy() - 1)].to_csv(path, index=False)
    return path


def test_calibrate_on_writes_a_bundle_that_loads(frame: pd.DataFrame, splits, bundle: Path, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from company_reviewer.cli import main
    from company_reviewer.reviewer.embedded.bundle import load_bundle

    keys = _small_rated(frame, splits["validation"], 6)
    path = _rated_file(frame, keys, 40, tmp_path / "rated.csv")
    out = tmp_path / "calibrated"
    runner = CliRunner()
    result = runner.invoke(main, ["train", "--calibrate-on", str(path), "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output.strip().splitlines()[-1])
    assert report["companies"] == 6
    assert sum(v["calibration"] == "refit" for v in report["targets"].values()) == len(TARGETS)
    loaded = load_bundle(str(out))
    shipped = RatingModel.load(bundle / "rating")
    assert not np.allclose(loaded.rating.calib_, shipped.calib_)
    for name, value in shipped.heads_.to_arrays().items():  # the heads are not retrained
        np.testing.assert_array_equal(loaded.rating.heads_.to_arrays()[name], value)
    assert load_star_stage(out) is not None
    assert json.loads((out / "manifest.json").read_text())["calibrated_on"]["companies"] == 6
    assert (bundle / "rating" / "rating.npz").read_bytes() != (out / "rating" / "rating.npz").read_bytes()


def test_calibrate_on_says_what_is_missing(frame: pd.DataFrame, splits, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from company_reviewer.cli import main

    keys = _small_rated(frame, splits["validation"], 2)
    path = _rated_file(frame, keys, 30, tmp_path / "few.csv")
    result = CliRunner().invoke(main, ["train", "--calibrate-on", str(path), "--out", str(tmp_path / "x")])
    assert result.exit_code != 0
    assert "at least 5 companies" in result.output and "has 2 such companies" in result.output
    assert not (tmp_path / "x").exists()
