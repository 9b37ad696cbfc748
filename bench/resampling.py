"""Rare-label-aware over- and undersampling of a multi-label data set (ML-ROS / ML-RUS style).

Research-only: ``bench/detector.py`` compares them with plain training (docs/detector-report.md);
neither beat it beyond the gold sets' noise, so the shipped detector does not resample.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def label_counts(Y: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """Positive count per column of a hard or soft label matrix (soft: ``>= threshold``)."""
    return (np.asarray(Y) >= threshold).sum(axis=0)


def _default_target(counts: np.ndarray) -> int:
    present = counts[counts > 0]
    return int(np.median(present)) if present.size else 0


def resample_multilabel(X: np.ndarray, Y: np.ndarray, strategy: str = "oversample",
                        target: int | float | None = None, random_state: int | None = 0,
                        threshold: float = 0.5, return_indices: bool = False) -> Any:
    """Rebalance a multi-label data set by rows, aware that one row carries several labels.

    ``oversample`` (ML-ROS): for each label below ``target`` positives, rarest first, duplicate
    random rows having that label until it reaches ``target``. Going rarest first matters because
    duplicating a row also raises the labels it shares, which then need fewer copies.
    ``undersample`` (ML-RUS): drop random rows whose labels are all above ``target`` (rows with
    no label count as one more class), never a row carrying a label at or below ``target``, and
    never below ``target`` for any class.

    ``target``: ``None`` = the median positive count of the labels present (lifting every label to
    the maximum would copy rare rows dozens of times and overfit them); a float in (0, 1] = that
    fraction of the largest count; an int = that count. ``Y`` may be soft; a label counts as
    present at ``>= threshold`` and the rows are returned with their original (soft) values.
    Returns ``(X_res, Y_res)``, plus the row indices used when ``return_indices``.
    """
    X, Y = np.asarray(X), np.asarray(Y)
    if X.shape[0] != Y.shape[0] or Y.ndim != 2:
        raise ValueError("X and Y need the same number of rows and Y must be 2-d")
    hard = Y >= threshold
    counts = hard.sum(axis=0)
    if target is None:
        goal = _default_target(counts)
    elif isinstance(target, float) and 0 < target <= 1:
        goal = int(round(target * counts.max()))
    else:
        goal = int(target)
    rng = np.random.default_rng(random_state)
    if strategy == "oversample":
        index = _oversample(hard, counts.copy(), goal, rng)
    elif strategy == "undersample":
        index = _undersample(hard, goal, rng)
    else:
        raise ValueError(f"strategy must be 'oversample' or 'undersample', got {strategy!r}")
    out = (X[index], Y[index])
    return (*out, index) if return_indices else out


def _oversample(hard: np.ndarray, counts: np.ndarray, goal: int, rng: np.random.Generator) -> np.ndarray:
    extra: list[np.ndarray] = []
    for j in np.argsort(counts, kind="stable"):
        need = goal - counts[j]
        rows = np.flatnonzero(hard[:, j])
        if need <= 0 or rows.size == 0:
            continue
        picked = rng.choice(rows, size=int(need), replace=True)
        extra.append(picked)
        counts += hard[picked].sum(axis=0)
    return np.concatenate([np.arange(hard.shape[0]), *extra]) if extra else np.arange(hard.shape[0])


def _undersample(hard: np.ndarray, goal: int, rng: np.random.Generator) -> np.ndarray:
    # The "no label" rows form an extra column so they are thinned like a frequent class.
    full = np.column_stack([hard, ~hard.any(axis=1)])
    counts = full.sum(axis=0)
    majority = counts > goal
    keep = np.ones(full.shape[0], dtype=bool)
    candidates = np.flatnonzero(~(full & ~majority).any(axis=1))
    for i in rng.permutation(candidates):
        labels = full[i]
        if np.all(counts[labels] > goal):
            keep[i] = False
            counts -= labels
    return np.flatnonzero(keep)
