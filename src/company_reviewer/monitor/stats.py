"""The drift statistics, small enough to own (scipy only).

Decisions use effect sizes (PSI, the KS distance, a domain classifier's AUC) rather than p-values
alone: with thousands of reviews a p-value flags differences too small to matter, and with dozens of
checks per run some p-values fall under 0.05 by chance even when nothing moved.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

# Smoothing for empty bins: PSI takes log(p/q), so a bin seen on one side only must not be zero.
_EPSILON = 1e-4


def psi_from_shares(reference: np.ndarray, current: np.ndarray) -> float:
    """Population stability index of two distributions over the same bins."""
    p = np.clip(np.asarray(reference, dtype=float), _EPSILON, None)
    q = np.clip(np.asarray(current, dtype=float), _EPSILON, None)
    p, q = p / p.sum(), q / q.sum()
    return float(np.sum((q - p) * np.log(q / p)))


def categorical_shares(reference: Sequence, current: Sequence) -> tuple[list, np.ndarray, np.ndarray]:
    """Categories seen on either side and each side's share of them."""
    ref = pd.Series(list(reference), dtype=object).value_counts(normalize=True)
    cur = pd.Series(list(current), dtype=object).value_counts(normalize=True)
    categories = sorted(set(ref.index) | set(cur.index), key=str)
    return (categories, ref.reindex(categories, fill_value=0).to_numpy(),
            cur.reindex(categories, fill_value=0).to_numpy())


def psi_categorical(reference: Sequence, current: Sequence) -> float:
    _, p, q = categorical_shares(reference, current)
    return psi_from_shares(p, q) if len(p) else 0.0


def psi_numeric(reference: Sequence[float], current: Sequence[float], bins: int = 10) -> float:
    """PSI over the reference's quantile bins (equal-mass bins make the index comparable)."""
    ref = np.asarray(reference, dtype=float)
    cur = np.asarray(current, dtype=float)
    ref, cur = ref[np.isfinite(ref)], cur[np.isfinite(cur)]
    if len(ref) == 0 or len(cur) == 0:
        return 0.0
    edges = np.unique(np.quantile(ref, np.linspace(0, 1, bins + 1)))
    if len(edges) < 2:
        edges = np.array([ref.min() - 0.5, ref.min() + 0.5])
    edges[0], edges[-1] = -np.inf, np.inf
    p = np.histogram(ref, edges)[0] / len(ref)
    q = np.histogram(cur, edges)[0] / len(cur)
    return psi_from_shares(p, q)


def ks(reference: Sequence[float], current: Sequence[float]) -> tuple[float, float]:
    """Two-sample Kolmogorov–Smirnov: (distance D, p-value)."""
    from scipy.stats import ks_2samp

    ref = np.asarray(reference, dtype=float)
    cur = np.asarray(current, dtype=float)
    ref, cur = ref[np.isfinite(ref)], cur[np.isfinite(cur)]
    if len(ref) == 0 or len(cur) == 0:
        return 0.0, 1.0
    result = ks_2samp(ref, cur)
    return float(result.statistic), float(result.pvalue)


def chi_squared(reference: Sequence, current: Sequence) -> tuple[float, float, float]:
    """Chi-squared test of homogeneity of two categorical samples: (statistic, p-value, Cramér's V)."""
    from scipy.stats import chi2_contingency

    ref = pd.Series(list(reference), dtype=object).value_counts()
    cur = pd.Series(list(current), dtype=object).value_counts()
    table = pd.concat([ref, cur], axis=1).fillna(0).to_numpy()
    if table.shape[0] < 2 or table.sum() == 0:
        return 0.0, 1.0, 0.0
    statistic, p_value, _, _ = chi2_contingency(table)
    cramers_v = float(np.sqrt(statistic / (table.sum() * (min(table.shape) - 1))))
    return float(statistic), float(p_value), cramers_v


def domain_classifier_auc(reference: np.ndarray, current: np.ndarray, *, folds: int = 5,
                          random_state: int = 0) -> float:
    """Cross-validated ROC AUC of a classifier telling current from reference embeddings.

    0.5 means the two sets cannot be told apart; the further above, the more the content moved.
    Balanced by subsampling the larger side so the AUC is not driven by class sizes.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(random_state)
    n = min(len(reference), len(current))
    if n < folds * 2:
        return 0.5
    ref = reference[rng.choice(len(reference), n, replace=False)]
    cur = current[rng.choice(len(current), n, replace=False)]
    X = np.vstack([ref, cur]).astype(np.float32)
    y = np.r_[np.zeros(n), np.ones(n)]
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=random_state)
    scores = cross_val_predict(LogisticRegression(C=1.0, max_iter=1000), X, y, cv=splitter,
                               method="predict_proba")[:, 1]
    return float(roc_auc_score(y, scores))
