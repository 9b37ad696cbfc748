"""LF statistics and label-model scores: the numbers behind the labeling report.

Coverage, overlap and conflict follow snorkel's ``LFAnalysis`` definitions, with one change for
the multi-label dimension task: two dimension LFs conflict on a unit only when they give
opposite votes in some per-dimension view (:func:`~.label_model.dimension_view`), i.e. one says
"this dimension" and the other "no dimension". "Mentions pay" and "mentions benefits" are both
true of "good pay and benefits", so they do not conflict.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from company_reviewer.labeling.functions import ABSTAIN, LabelingFunction
from company_reviewer.labeling.label_model import dimension_view

POLARITY_NAMES = {0: "negative", 1: "positive"}


def _views(L: np.ndarray, lfs: Sequence[LabelingFunction], n_dimensions: int) -> list[np.ndarray]:
    """Per-dimension ``(n, n_lfs)`` views, -1 where an LF says nothing about that dimension."""
    targets = [lf.targets for lf in lfs]
    views = []
    for d in range(n_dimensions):
        view, columns = dimension_view(L, targets, d, n_dimensions)
        full = np.full(L.shape, ABSTAIN, dtype=np.int64)
        full[:, columns] = view
        views.append(full)
    return views


def conflict_matrix(L: np.ndarray, lfs: Sequence[LabelingFunction], n_dimensions: int | None = None,
                    chunk_size: int = 20_000) -> pd.DataFrame:
    """Share of units on which each pair of LFs conflicts (symmetric, zero diagonal).

    ``n_dimensions`` set: the dimension task (conflict in a per-dimension view); None: a
    single-label task such as polarity (both vote, votes differ).
    """
    n, m = L.shape
    counts = np.zeros((m, m), dtype=np.int64)
    for start in range(0, n, chunk_size):
        part = L[start:start + chunk_size]
        clash = np.zeros((len(part), m, m), dtype=bool)
        if n_dimensions is None:
            voted = part != ABSTAIN
            clash |= voted[:, :, None] & voted[:, None, :] & (part[:, :, None] != part[:, None, :])
        else:
            for view in _views(part, lfs, n_dimensions):
                yes, no = view == 1, view == 0
                clash |= (yes[:, :, None] & no[:, None, :]) | (no[:, :, None] & yes[:, None, :])
        counts += clash.sum(axis=0)
    names = [lf.name for lf in lfs]
    return pd.DataFrame(counts / max(n, 1), index=names, columns=names)


def lf_summary(L: np.ndarray, lfs: Sequence[LabelingFunction], n_dimensions: int | None = None,
               chunk_size: int = 20_000) -> pd.DataFrame:
    """Per LF: family, coverage, overlap and conflict (shares of all units)."""
    n = max(L.shape[0], 1)
    voted = L != ABSTAIN
    others = voted.sum(axis=1, keepdims=True) - voted
    in_conflict = np.zeros(L.shape, dtype=bool)
    for start in range(0, L.shape[0], chunk_size):
        part = L[start:start + chunk_size]
        if n_dimensions is None:
            for value in np.unique(part[part != ABSTAIN]):
                differs = ((part != ABSTAIN) & (part != value)).any(axis=1, keepdims=True)
                in_conflict[start:start + len(part)] |= (part == value) & differs
        else:
            for view in _views(part, lfs, n_dimensions):
                yes, no = view == 1, view == 0
                in_conflict[start:start + len(part)] |= (yes & no.any(axis=1, keepdims=True)) | \
                                                       (no & yes.any(axis=1, keepdims=True))
    return pd.DataFrame({
        "lf": [lf.name for lf in lfs], "family": [lf.family for lf in lfs],
        "coverage": voted.sum(axis=0) / n,
        "overlap": (voted & (others > 0)).sum(axis=0) / n,
        "conflict": in_conflict.sum(axis=0) / n,
    })


def dimension_lf_accuracy(L: np.ndarray, lfs: Sequence[LabelingFunction], Y: np.ndarray) -> pd.DataFrame:
    """Per dimension LF on gold units: how many votes, and the share that are right.

    A vote for a dimension is right when the gold set lists that dimension (precision of the
    vote); a "no dimension" vote is right when the gold lists none.
    """
    n_dimensions = Y.shape[1]
    none = Y.sum(axis=1) == 0
    rows = []
    for j, lf in enumerate(lfs):
        votes = L[:, j]
        index = np.flatnonzero(votes != ABSTAIN)
        right = [bool(none[i]) if votes[i] >= n_dimensions else bool(Y[i, votes[i]]) for i in index]
        rows.append({"lf": lf.name, "gold_votes": len(index),
                     "gold_accuracy": float(np.mean(right)) if right else np.nan})
    return pd.DataFrame(rows)


def polarity_lf_accuracy(L: np.ndarray, lfs: Sequence[LabelingFunction], polarity: Sequence[str]) -> pd.DataFrame:
    """Per polarity LF: accuracy on the gold units whose polarity is positive or negative."""
    gold = np.asarray(polarity, dtype=object)
    rows = []
    for j, lf in enumerate(lfs):
        votes = L[:, j]
        mask = (votes != ABSTAIN) & np.isin(gold, ["positive", "negative"])
        predicted = np.array([POLARITY_NAMES.get(int(v), "") for v in votes[mask]], dtype=object)
        rows.append({"lf": lf.name, "gold_votes": int(mask.sum()),
                     "gold_accuracy": float((predicted == gold[mask]).mean()) if mask.any() else np.nan})
    return pd.DataFrame(rows)


def dimension_scores(Y_true: np.ndarray, Y_pred: np.ndarray, ids: Sequence[str]) -> pd.DataFrame:
    """Precision, recall, F1 and support per dimension, plus a ``macro`` row.

    The macro average is over dimensions with gold support, so a dimension a gold set never
    contains (kununu has no job-security category) neither helps nor hurts.
    """
    from sklearn.metrics import precision_recall_fscore_support

    p, r, f, s = precision_recall_fscore_support(Y_true, Y_pred, zero_division=0)
    table = pd.DataFrame({"precision": p, "recall": r, "f1": f, "support": s},
                         index=pd.Index(list(ids), name="dimension"))
    supported = table[table["support"] > 0]
    table.loc["macro"] = [supported["precision"].mean(), supported["recall"].mean(),
                          supported["f1"].mean(), supported["support"].sum()]
    return table


def macro_f1(Y_true: np.ndarray, Y_pred: np.ndarray) -> float:
    """Macro-F1 over the dimensions present in ``Y_true``."""
    return float(dimension_scores(Y_true, Y_pred, [str(i) for i in range(Y_true.shape[1])]).at["macro", "f1"])


def polarity_scores(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, float]:
    """Accuracy on gold positive/negative units, and on all units with neutral as a third class."""
    gold = np.asarray(gold, dtype=object)
    predicted = np.asarray(predicted, dtype=object)
    polar = np.isin(gold, ["positive", "negative"])
    return {"accuracy_pos_neg": float((gold[polar] == predicted[polar]).mean()) if polar.any() else np.nan,
            "accuracy_3class": float((gold == predicted).mean()) if len(gold) else np.nan,
            "n_pos_neg": int(polar.sum()), "n": int(len(gold))}
