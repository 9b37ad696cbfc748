"""Rare-label-aware over- and undersampling (bench/resampling.py)."""

from __future__ import annotations

import numpy as np
import pytest

from resampling import label_counts, resample_multilabel


def _imbalanced(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = 2000
    Y = np.column_stack([rng.random(n) < p for p in (0.5, 0.3, 0.1, 0.02, 0.005)]).astype(float)
    X = rng.normal(size=(n, 4))
    return X, Y


def test_oversampling_raises_rare_label_frequency() -> None:
    X, Y = _imbalanced()
    Xr, Yr, idx = resample_multilabel(X, Y, "oversample", random_state=0, return_indices=True)
    before, after = Y.mean(axis=0), Yr.mean(axis=0)
    assert after[3] > 2 * before[3] and after[4] > 5 * before[4]
    goal = int(np.median(label_counts(Y)))
    assert (label_counts(Yr) >= goal).all()
    np.testing.assert_array_equal(Xr, X[idx])
    assert len(Xr) > len(X) and set(range(len(X))) <= set(idx.tolist())


def test_oversampling_is_seeded_and_keeps_soft_values() -> None:
    X, Y = _imbalanced()
    soft = Y * 0.9
    a = resample_multilabel(X, soft, random_state=3, threshold=0.5)
    b = resample_multilabel(X, soft, random_state=3, threshold=0.5)
    np.testing.assert_array_equal(a[0], b[0])
    assert set(np.unique(a[1])) <= {0.0, 0.9}


def test_undersampling_keeps_rare_rows_and_balances() -> None:
    X, Y = _imbalanced(1)
    Xr, Yr, idx = resample_multilabel(X, Y, "undersample", random_state=0, return_indices=True)
    assert len(Xr) < len(X)
    rare = Y[:, 3:].any(axis=1)
    assert set(np.flatnonzero(rare)) <= set(idx.tolist())
    goal = int(np.median(label_counts(Y)))
    assert (label_counts(Yr) >= min(goal, 1)).all()
    assert Yr[:, 0].mean() < Y[:, 0].mean()
    assert Yr[:, 4].mean() > Y[:, 4].mean()


def test_resample_rejects_bad_input() -> None:
    X, Y = _imbalanced()
    with pytest.raises(ValueError):
        resample_multilabel(X, Y, "smote")
    with pytest.raises(ValueError):
        resample_multilabel(X[:10], Y)
