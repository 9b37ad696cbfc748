"""Class-balanced weights, multi-label losses, resampling and per-dimension metrics."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from company_reviewer.imbalance import (
    class_balanced_bce,
    effective_number_weights,
    focal_loss,
    label_counts,
    macro_f1,
    micro_f1,
    per_dimension_f1,
    resample_multilabel,
)


def test_effective_number_weights_known_values() -> None:
    counts = [1000, 100, 10]
    w = effective_number_weights(counts, beta=0.99)
    raw = np.array([(1 - 0.99) / (1 - 0.99 ** n) for n in counts])
    np.testing.assert_allclose(w, raw * 3 / raw.sum())
    assert w.sum() == pytest.approx(3.0)
    # Rarer classes weigh more: order inverse to the counts.
    assert list(np.argsort(w)) == [0, 1, 2]


def test_effective_number_weights_limits() -> None:
    np.testing.assert_allclose(effective_number_weights([5, 50, 500], beta=0.0), [1, 1, 1])
    # Close to 1 the weights approach inverse frequency.
    w = effective_number_weights([10, 100], beta=0.999999)
    assert w[0] / w[1] == pytest.approx(10.0, rel=1e-3)
    assert np.isfinite(effective_number_weights([0, 10])).all()
    with pytest.raises(ValueError):
        effective_number_weights([1, 2], beta=1.0)


def _batch(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(32, 5, generator=g)
    targets = (torch.rand(32, 5, generator=g) < 0.3).float()
    return logits, targets


def test_focal_equals_bce_at_gamma_zero() -> None:
    logits, targets = _batch()
    bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, targets)
    assert focal_loss(logits, targets, gamma=0.0).item() == pytest.approx(bce.item(), rel=1e-6)
    soft = targets * 0.8 + 0.1
    bce_soft = torch.nn.functional.binary_cross_entropy_with_logits(logits, soft)
    assert focal_loss(logits, soft, gamma=0.0).item() == pytest.approx(bce_soft.item(), rel=1e-6)


def test_focal_down_weights_easy_examples() -> None:
    targets = torch.tensor([[1.0, 0.0]])
    easy = torch.tensor([[4.0, -4.0]])
    hard = torch.tensor([[-1.0, 1.0]])
    ratio_bce = (focal_loss(easy, targets, gamma=0.0) / focal_loss(hard, targets, gamma=0.0)).item()
    ratio_fl = (focal_loss(easy, targets, gamma=2.0) / focal_loss(hard, targets, gamma=2.0)).item()
    assert ratio_fl < ratio_bce / 10
    assert focal_loss(easy, targets, gamma=2.0).item() < focal_loss(easy, targets, gamma=0.0).item()


def test_focal_alpha_and_reduction() -> None:
    logits, targets = _batch(1)
    none = focal_loss(logits, targets, gamma=1.0, alpha=0.25, reduction="none")
    assert none.shape == logits.shape
    assert focal_loss(logits, targets, gamma=1.0, alpha=0.25, reduction="sum").item() == pytest.approx(
        none.sum().item(), rel=1e-6)
    with pytest.raises(ValueError):
        focal_loss(logits, targets, reduction="median")


def test_class_balanced_bce_weights_positive_terms() -> None:
    logits, targets = _batch(2)
    counts = [1000, 500, 100, 20, 5]
    loss = class_balanced_bce(logits, targets, counts, beta=0.999, reduction="none")
    plain = torch.nn.functional.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    w = torch.tensor(effective_number_weights(counts, 0.999), dtype=torch.float32)
    torch.testing.assert_close(loss, plain * (targets * w + (1 - targets)))
    # Negative terms are untouched.
    torch.testing.assert_close(loss[targets == 0], plain[targets == 0])
    # beta=0: equal weights of 1 -> plain BCE.
    torch.testing.assert_close(class_balanced_bce(logits, targets, counts, beta=0.0), plain.mean())


def test_losses_have_gradients() -> None:
    logits, targets = _batch(3)
    logits.requires_grad_(True)
    focal_loss(logits, targets, weight=effective_number_weights([5, 4, 3, 2, 1])).backward()
    assert logits.grad is not None and torch.isfinite(logits.grad).all()


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


def test_per_dimension_f1_known_values() -> None:
    y_true = np.array([[1, 0, 1], [1, 0, 0], [0, 0, 1], [0, 0, 0]])
    y_pred = np.array([[1, 1, 0], [0, 0, 0], [1, 0, 1], [0, 0, 0]])
    table = per_dimension_f1(y_true, y_pred, ["a", "b", "c"])
    assert table.loc["a", "precision"] == pytest.approx(0.5)
    assert table.loc["a", "recall"] == pytest.approx(0.5)
    assert table.loc["a", "f1"] == pytest.approx(0.5)
    assert np.isnan(table.loc["b", "f1"])  # no positives: undefined, left out of the macro mean
    assert table.loc["c", "f1"] == pytest.approx(2 / 3)
    assert list(table["support"]) == [2, 0, 2]
    assert macro_f1(y_true, y_pred, ["a", "b", "c"]) == pytest.approx((0.5 + 2 / 3) / 2)
    assert micro_f1(y_true, y_pred) == pytest.approx(2 * 2 / (2 * 2 + 2 + 2))


def test_per_dimension_f1_never_predicting_scores_zero() -> None:
    y_true = np.array([[1], [0], [0], [0]])
    table = per_dimension_f1(y_true, np.zeros_like(y_true), ["rare"])
    assert table.loc["rare", "f1"] == 0.0 and table.loc["rare", "precision"] == 0.0
