"""DimensionDetector and PolarityClassifier on synthetic embeddings (seconds, no real data).

Synthetic units: each dimension has a random unit-norm direction in 384-d; a unit is a noisy mix
of the directions of its labels. Frequencies mimic the real skew (a few rare dimensions).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from company_reviewer.imbalance import macro_f1, per_dimension_f1
from company_reviewer.reviewer.detector import (
    DimensionDetector,
    PolarityClassifier,
    polarity_targets,
    tune_thresholds,
)

IDS = ["salary", "benefits", "work_life_balance", "career_growth", "learning_development",
       "management", "culture", "colleagues", "working_conditions", "job_security",
       "diversity_inclusion", "communication"]
FREQ = np.array([0.18, 0.08, 0.15, 0.08, 0.04, 0.17, 0.12, 0.14, 0.07, 0.025, 0.02, 0.03])


def synthetic(n: int, seed: int, noise: float = 0.9) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = np.random.default_rng(123).normal(size=(len(IDS), 384))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    Y = (rng.random((n, len(IDS))) < FREQ).astype(np.float32)
    X = Y @ centres + noise * rng.normal(size=(n, 384)) / np.sqrt(384) * 4
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    return X.astype(np.float32), Y


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    X, Y = synthetic(6000, 0)
    Xt, Yt = synthetic(3000, 1)
    return X, Y, Xt, Yt


@pytest.fixture(scope="module")
def fitted(data) -> DimensionDetector:
    X, Y, _, _ = data
    return DimensionDetector(epochs=25, random_state=0).fit(X, pd.DataFrame(Y, columns=IDS))


def test_detector_learns_all_dimensions(fitted: DimensionDetector, data) -> None:
    _, _, Xt, Yt = data
    assert fitted.ids_ == IDS
    proba = fitted.predict_proba(Xt)
    assert proba.shape == Yt.shape and ((proba >= 0) & (proba <= 1)).all()
    pred = fitted.predict(Xt)
    assert set(np.unique(pred)) <= {0, 1}
    table = per_dimension_f1(Yt, pred, IDS)
    assert macro_f1(Yt, pred, IDS) > 0.8, table
    assert (table["f1"] > 0.6).all(), table
    assert fitted.thresholds_.shape == (len(IDS),)
    assert fitted.predict_frame(Xt[:3]).columns.tolist() == IDS


def test_class_balancing_helps_rare_recall(data) -> None:
    X, Y, Xt, Yt = data
    rare = [IDS.index(d) for d in ("job_security", "diversity_inclusion", "communication")]
    recall = {}
    for loss in ("bce", "cb_focal"):
        model = DimensionDetector(loss=loss, threshold=0.5, epochs=10, beta=0.9999, random_state=0).fit(X, Y)
        recall[loss] = per_dimension_f1(Yt, model.predict(Xt), IDS)["recall"].to_numpy()[rare].mean()
    assert recall["cb_focal"] >= recall["bce"]


def test_soft_targets_and_sample_weight(data) -> None:
    X, Y, Xt, Yt = data
    soft = np.clip(Y * 0.85 + 0.05, 0, 1)
    model = DimensionDetector(loss="bce", epochs=8, random_state=0).fit(X, soft, sample_weight=np.ones(len(X)))
    assert macro_f1(Yt, model.predict(Xt), IDS) > 0.7
    assert model.ids_ == [f"d{j}" for j in range(len(IDS))]


def test_mlp_head_and_fixed_threshold(data) -> None:
    X, Y, Xt, Yt = data
    model = DimensionDetector(hidden=64, loss="cb_bce", epochs=15, threshold=0.4, ids=IDS).fit(X, Y)
    np.testing.assert_allclose(model.thresholds_, 0.4)
    assert len(model.coefs_) == 2 and model.coefs_[0].shape == (384, 64)
    assert macro_f1(Yt, model.predict(Xt), IDS) > 0.7


def test_seeded_and_leaves_global_torch_rng_alone(data) -> None:
    X, Y, Xt, _ = data
    torch.manual_seed(7)
    expected = torch.rand(1)
    torch.manual_seed(7)
    a = DimensionDetector(epochs=2, random_state=3).fit(X[:1000], Y[:1000])
    after = torch.rand(1)
    b = DimensionDetector(epochs=2, random_state=3).fit(X[:1000], Y[:1000])
    np.testing.assert_array_equal(a.predict_proba(Xt[:50]), b.predict_proba(Xt[:50]))
    assert torch.equal(expected, after)


def test_save_load_roundtrip(fitted: DimensionDetector, data, tmp_path: Path) -> None:
    _, _, Xt, _ = data
    fitted.save(tmp_path)
    size = sum(p.stat().st_size for p in tmp_path.iterdir())
    assert size < 2 * 1024 * 1024
    loaded = DimensionDetector.load(tmp_path)
    np.testing.assert_allclose(loaded.predict_proba(Xt[:100]), fitted.predict_proba(Xt[:100]), atol=1e-6)
    np.testing.assert_array_equal(loaded.predict(Xt[:100]), fitted.predict(Xt[:100]))
    assert loaded.ids_ == fitted.ids_ and loaded.get_params() == fitted.get_params()
    mlp = DimensionDetector(hidden=256, epochs=1).fit(data[0][:500], data[1][:500])
    mlp.save(tmp_path / "mlp")
    assert sum(p.stat().st_size for p in (tmp_path / "mlp").iterdir()) < 2 * 1024 * 1024
    # A file of another class is refused before its arrays are read.
    (tmp_path / "polarity.json").write_text('{"class": "DimensionDetector", "format_version": 1}')
    with pytest.raises(ValueError):
        PolarityClassifier.load(tmp_path)


def test_rejects_bad_input(data) -> None:
    X, Y, _, _ = data
    with pytest.raises(ValueError):
        DimensionDetector(loss="hinge").fit(X, Y)
    with pytest.raises(ValueError):
        DimensionDetector(ids=["a"]).fit(X, Y)
    model = DimensionDetector(epochs=1).fit(X[:200], Y[:200])
    with pytest.raises(ValueError):
        model.predict(X[:, :10])


def test_tune_thresholds_finds_separating_cut() -> None:
    proba = np.array([[0.1], [0.2], [0.3], [0.35], [0.8], [0.9]] * 3)
    truth = np.array([[0], [0], [0], [1], [1], [1]] * 3)
    t = tune_thresholds(proba, truth)
    assert 0.3 < t[0] <= 0.35
    assert tune_thresholds(proba[:4], np.array([[0], [0], [0], [1]]))[0] == 0.5  # too few positives


def test_polarity_targets() -> None:
    targets, weights = polarity_targets(["pros", "cons", "advice", "headline", "text"],
                                        [None, "positive", "neutral", None, "bogus"])
    assert list(targets) == ["positive", "negative", "neutral", None, None]
    assert list(weights) == [1.0, 1.0, 0.5, 0.0, 0.0]
    with pytest.raises(ValueError):
        polarity_targets(["pros"], [])


def test_polarity_classifier(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(3, 384))
    y = rng.choice(["positive", "negative", "neutral"], size=1500, p=[0.45, 0.45, 0.1])
    X = centres[pd.Series(y).map({"positive": 0, "negative": 1, "neutral": 2})] + rng.normal(size=(1500, 384))
    model = PolarityClassifier().fit(X[:1000], y[:1000])
    assert set(model.classes_) == {"positive", "negative", "neutral"}
    assert (model.predict(X[1000:]) == y[1000:]).mean() > 0.9
    np.testing.assert_allclose(model.predict_proba(X[:5]).sum(axis=1), 1.0, rtol=1e-5)
    fields = ["pros", "cons", "advice", "headline", "pros"]
    combined = model.predict_with_fields(X[:5], fields)
    assert list(combined[:2]) == ["positive", "negative"] and combined[4] == "positive"
    assert list(combined[2:4]) == list(model.predict(X[2:4]))
    model.save(tmp_path)
    loaded = PolarityClassifier.load(tmp_path)
    np.testing.assert_array_equal(loaded.predict(X[1000:]), model.predict(X[1000:]))
    # Two classes (natural labels only): probabilities match scikit-learn's.
    from sklearn.linear_model import LogisticRegression

    two = y != "neutral"
    binary = PolarityClassifier(class_weight=None).fit(X[two], y[two])
    reference = LogisticRegression(max_iter=1000, random_state=0).fit(X[two].astype(np.float32), y[two])
    np.testing.assert_allclose(binary.predict_proba(X[:20]), reference.predict_proba(X[:20].astype(np.float32)),
                               atol=1e-4)


# -- real data: weak labels of a Glassdoor slice, scored against the hand-labeled gold units -------

def _real_data_available() -> bool:
    from company_reviewer.config import shared_data_dir

    try:
        from company_reviewer.labeling.labeler import label_units  # noqa: F401
    except ImportError:
        return False
    return (shared_data_dir() / "glassdoor" / "reviews.csv.gz").exists()


@pytest.mark.slow
@pytest.mark.skipif(not _real_data_available(), reason="labeling package or shared data missing")
def test_detector_on_glassdoor_gold() -> None:
    """Trained on 8,000 weak-labeled units of reviews outside the gold set (about 50 s, cached
    embeddings); bench/detector.py gets macro-F1 ~0.64 with 50,000 units and a company split."""
    from company_reviewer.embedding import get_encoder
    from company_reviewer.labeling.gold import canonical_reviews, glassdoor_gold, gold_matrix, review_units
    from company_reviewer.labeling.labeler import label_units
    from company_reviewer.taxonomy import load_taxonomy

    taxonomy = load_taxonomy("default")
    reviews = canonical_reviews()
    gold = glassdoor_gold(reviews=reviews)
    units = review_units(reviews)
    units = units[~units["review_key"].isin(set(gold["review_key"]))].sample(8000, random_state=0)
    units = units.reset_index(drop=True)
    encoder = get_encoder()
    X = encoder.encode(units["text"].tolist())
    labels = label_units(units, taxonomy)  # embeddings come from the same cache
    Y = labels[[f"p_{d}" for d in taxonomy.ids]].set_axis(list(taxonomy.ids), axis=1)
    model = DimensionDetector(random_state=0).fit(X, Y)
    X_gold = encoder.encode(gold["text"].tolist())
    Y_gold = gold_matrix(gold, taxonomy)
    table = per_dimension_f1(Y_gold, model.predict(X_gold), list(taxonomy.ids))
    assert table["f1"].mean() > 0.5, table
    assert table.loc["salary", "f1"] > 0.75, table
    # Polarity from the field a reviewer typed into, scored on gold units that have a sentiment.
    from company_reviewer.reviewer.detector import polarity_targets

    y, w = polarity_targets(units["field"].tolist())
    keep = w > 0
    polarity = PolarityClassifier().fit(X[keep], y[keep])
    polar = (gold["polarity"] != "neutral").to_numpy()
    accuracy = (polarity.predict(X_gold[polar]) == gold["polarity"].to_numpy()[polar]).mean()
    assert accuracy > 0.8
