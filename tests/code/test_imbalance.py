"""Class-balanced weights, multi-label losses and per-dimension metrics."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from company_reviewer.imbalance import (
    class_balanced_bce,
    effective_number_weights,
    focal_loss,
    macro_f1,
    micro_f1,
    per_dimension_f1,
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
