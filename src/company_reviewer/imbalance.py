"""Class imbalance across the review dimensions: loss weighting and per-label metrics.

Reviewers write about pay, hours and managers far more than about diversity, job security or
internal communication, so a multi-label head trained naively predicts the frequent dimensions
well and the rare ones hardly ever. This module holds the standard remedies:

* :func:`effective_number_weights` - class-balanced weights from the "effective number of
  samples" (Cui et al., CVPR 2019): ``w_c ∝ (1 - beta) / (1 - beta ** n_c)``;
* :func:`class_balanced_bce` and :func:`focal_loss` - multi-label (per-dimension sigmoid) losses
  in torch that accept soft targets, so label-model probabilities can be used directly;
* :func:`per_dimension_f1` / :func:`macro_f1` - precision, recall and F1 per dimension, because
  accuracy on a label that is absent in 98% of units says nothing.

Over- and undersampling, which ``bench/detector.py`` measured and the shipped detector does not
use, are in ``bench/resampling.py``.

torch is imported inside the loss functions so that importing this module stays cheap.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import torch

_REDUCTIONS = ("mean", "sum", "none")


def effective_number_weights(counts: Sequence[float] | np.ndarray, beta: float = 0.999) -> np.ndarray:
    """Class-balanced weights ``(1 - beta) / (1 - beta ** n_c)``, normalised to sum to ``n_classes``.

    ``beta`` in [0, 1): 0 gives equal weights, values towards 1 approach inverse frequency.
    Counts below 1 are treated as 1, since a class with no examples would otherwise get an
    infinite weight (it cannot be learnt from anyway).
    """
    if not 0.0 <= beta < 1.0:
        raise ValueError(f"beta must be in [0, 1), got {beta}")
    n = np.maximum(np.asarray(counts, dtype=np.float64), 1.0)
    if n.ndim != 1 or n.size == 0:
        raise ValueError("counts must be a non-empty 1-d sequence")
    weights = (1.0 - beta) / (1.0 - np.power(beta, n))
    return weights * (n.size / weights.sum())


def _reduce(loss: "torch.Tensor", reduction: str) -> "torch.Tensor":
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _positive_weighting(targets: "torch.Tensor", weight: Any) -> "torch.Tensor | None":
    """Per-element multiplier ``t * w_j + (1 - t)`` that scales only the positive part."""
    import torch

    if weight is None:
        return None
    w = torch.as_tensor(np.asarray(weight, dtype=np.float32) if not torch.is_tensor(weight) else weight,
                        dtype=targets.dtype, device=targets.device)
    if w.shape != targets.shape[-1:]:
        raise ValueError(f"weight needs one entry per column ({targets.shape[-1]}), got {tuple(w.shape)}")
    return targets * w + (1.0 - targets)


def class_balanced_bce(logits: "torch.Tensor", targets: "torch.Tensor",
                       counts: Sequence[float] | np.ndarray, beta: float = 0.999,
                       reduction: str = "mean") -> "torch.Tensor":
    """Binary cross-entropy per dimension with class-balanced weights on the positive terms.

    Cui et al. weight a sample by the weight of its class; in the multi-label case a unit can
    be positive for several dimensions, so the weight of dimension ``j`` multiplies the positive
    term of column ``j`` only. Negative terms keep weight 1: every dimension has plenty of
    negatives, and scaling them would just shift the decision threshold back.
    ``targets`` may be soft (label-model probabilities). ``counts`` are positive counts per column.
    """
    import torch

    weights = effective_number_weights(counts, beta)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    return _reduce(loss * _positive_weighting(targets, weights), reduction)


def focal_loss(logits: "torch.Tensor", targets: "torch.Tensor", gamma: float = 2.0,
               alpha: float | Sequence[float] | None = None, weight: Any = None,
               reduction: str = "mean") -> "torch.Tensor":
    """Sigmoid focal loss (Lin et al. 2017) for multi-label targets, soft targets allowed.

    ``FL = -alpha_t * (1 - p_t) ** gamma * log(p_t)`` with ``p_t = p*t + (1-p)*(1-t)``. It
    down-weights the easy negatives that dominate rare dimensions. ``gamma=0`` and ``alpha=None``
    give plain BCE. ``alpha`` (scalar or one per column) weights positives by ``alpha`` and
    negatives by ``1 - alpha``; ``weight`` (one per column, e.g. :func:`effective_number_weights`)
    scales the positive terms as in :func:`class_balanced_bce`, giving the class-balanced focal
    loss of Cui et al.
    """
    import torch

    if gamma < 0:
        raise ValueError(f"gamma must be >= 0, got {gamma}")
    bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    loss = bce
    if gamma > 0:
        p = torch.sigmoid(logits)
        p_t = p * targets + (1.0 - p) * (1.0 - targets)
        loss = loss * (1.0 - p_t).clamp(min=0.0).pow(gamma)
    if alpha is not None:
        a = torch.as_tensor(alpha, dtype=logits.dtype, device=logits.device)
        loss = loss * (a * targets + (1.0 - a) * (1.0 - targets))
    scale = _positive_weighting(targets, weight)
    if scale is not None:
        loss = loss * scale
    return _reduce(loss, reduction)


def per_dimension_f1(Y_true: np.ndarray, Y_pred: np.ndarray, ids: Sequence[str]) -> pd.DataFrame:
    """Precision, recall and F1 per dimension, with support and number predicted.

    Indexed by dimension id. Division by zero gives 0 (no predictions: precision 0); F1 is NaN
    for a dimension without positives in ``Y_true``, where recall is undefined.
    """
    t = np.asarray(Y_true) >= 0.5
    p = np.asarray(Y_pred) >= 0.5
    if t.shape != p.shape or t.shape[1] != len(ids):
        raise ValueError(f"shapes differ: true {t.shape}, pred {p.shape}, {len(ids)} ids")
    tp = (t & p).sum(axis=0).astype(float)
    support, predicted = t.sum(axis=0), p.sum(axis=0)
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    recall = np.divide(tp, support, out=np.full_like(tp, np.nan), where=support > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(tp), where=denom > 0)
    f1[support == 0] = np.nan
    return pd.DataFrame({"support": support, "predicted": predicted, "precision": precision,
                         "recall": recall, "f1": f1}, index=pd.Index(list(ids), name="dimension"))


def macro_f1(Y_true: np.ndarray, Y_pred: np.ndarray, ids: Sequence[str] | None = None) -> float:
    """Mean F1 over the dimensions that have positives in ``Y_true``."""
    ids = ids if ids is not None else [str(j) for j in range(np.asarray(Y_true).shape[1])]
    f1 = per_dimension_f1(Y_true, Y_pred, ids)["f1"]
    return float(f1.mean(skipna=True)) if f1.notna().any() else float("nan")


def micro_f1(Y_true: np.ndarray, Y_pred: np.ndarray) -> float:
    """F1 over all (unit, dimension) decisions pooled; dominated by the frequent dimensions."""
    t, p = np.asarray(Y_true) >= 0.5, np.asarray(Y_pred) >= 0.5
    tp, fp, fn = (t & p).sum(), (~t & p).sum(), (t & ~p).sum()
    return float(2 * tp / (2 * tp + fp + fn)) if tp + fp + fn else float("nan")
