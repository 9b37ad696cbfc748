"""Label models: turn a label matrix of LF votes into probabilistic labels.

Two interchangeable estimators with scikit-learn's shape (``fit(L)``, ``predict_proba(L)``,
``predict(L)``, hyper-parameters in ``__init__``, learned state in trailing-underscore attributes):

* :class:`LabelModel` - snorkel's generative label model, which learns each LF's accuracy from
  how the LFs agree and disagree, without gold labels. Every snorkel import of the product is in
  this module, inside the methods that need it.
* :class:`MajorityVote` - counts votes; the baseline the label model has to beat.

Dimensions are multi-label, which snorkel's model (one class per item) does not express. So
:class:`OneVsRestLabelModel` fits one binary model per dimension on a per-dimension view of the
dimension matrix (see :func:`dimension_view`): an LF votes 1 there when it votes for that
dimension and 0 when it votes "no dimension"; a vote for *another* dimension is an abstain, since
"mentions pay" is no evidence against "mentions benefits" ("good pay and benefits"). LFs that can
vote neither are left out. An earlier variant also read ``emb_nearest`` choosing another dimension
as a 0; snorkel then learned that a 0 from it almost never meets a true positive and wiped out
every second dimension of multi-dimension units (Glassdoor gold macro-F1 0.67 instead of 0.74).
Each binary problem satisfies snorkel's assumptions (one latent binary label, LFs conditionally
independent given it) as well as the LF families allow: keyword and regex LFs of a dimension
share words and are positively correlated, which the model cannot represent.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from company_reviewer import registry

ABSTAIN = -1


def _check_matrix(L: np.ndarray, cardinality: int) -> np.ndarray:
    L = np.asarray(L, dtype=np.int64)
    if L.ndim != 2:
        raise ValueError(f"L must be 2-dimensional (units x LFs), got shape {L.shape}")
    if L.size and (L.min() < ABSTAIN or L.max() >= cardinality):
        raise ValueError(f"L values must be -1 (abstain) or 0..{cardinality - 1}")
    return L


def vote_counts(L: np.ndarray, cardinality: int) -> np.ndarray:
    """``(n, cardinality)`` number of votes for each class per row."""
    counts = np.zeros((L.shape[0], cardinality), dtype=np.float64)
    for label in range(cardinality):
        counts[:, label] = (L == label).sum(axis=1)
    return counts


class MajorityVote:
    """Majority vote with the label models' interface.

    Probabilities are vote shares; a row with no votes gets ``class_balance_`` (fitted as the
    share of rows each class wins, rows without votes counted for class 0 in the binary case,
    where 0 means "not this dimension").
    """

    def __init__(self, cardinality: int = 2) -> None:
        self.cardinality = cardinality

    def fit(self, L: np.ndarray, class_balance: Sequence[float] | None = None, **_: Any) -> "MajorityVote":
        L = _check_matrix(L, self.cardinality)
        if class_balance is not None:
            self.class_balance_ = np.asarray(class_balance, dtype=np.float64)
        else:
            self.class_balance_ = majority_class_balance(L, self.cardinality)
        return self

    def predict_proba(self, L: np.ndarray) -> np.ndarray:
        L = _check_matrix(L, self.cardinality)
        counts = vote_counts(L, self.cardinality)
        totals = counts.sum(axis=1, keepdims=True)
        proba = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
        proba[totals[:, 0] == 0] = self.class_balance_
        return proba

    def predict(self, L: np.ndarray) -> np.ndarray:
        return predict_from_proba(self.predict_proba(L))


def majority_class_balance(L: np.ndarray, cardinality: int, floor: float = 1e-3) -> np.ndarray:
    """Class prior from majority votes (unvoted rows go to class 0), floored and normalised."""
    counts = vote_counts(L, cardinality)
    winners = np.where(counts.sum(axis=1) > 0, counts.argmax(axis=1), 0)
    balance = np.bincount(winners, minlength=cardinality).astype(np.float64) + 1.0
    balance = np.maximum(balance / balance.sum(), floor)
    return balance / balance.sum()


def predict_from_proba(proba: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """Binary: class 1 when its probability reaches ``threshold``; multiclass: argmax."""
    if proba.shape[1] == 2:
        return (proba[:, 1] >= threshold).astype(np.int64)
    return proba.argmax(axis=1).astype(np.int64)


class LabelModel:
    """snorkel's ``LabelModel`` behind the product's interface.

    ``class_balance`` defaults to the majority-vote prior: snorkel's default is uniform, which
    would give every unit no LF voted on a 50% chance of being about each dimension. Columns that
    never vote are dropped before fitting (they carry no information and make snorkel's
    covariance estimate singular); with fewer than ``min_lfs`` informative LFs the model falls
    back to :class:`MajorityVote` (snorkel needs at least three).
    """

    def __init__(self, cardinality: int = 2, n_epochs: int = 500, lr: float = 0.01, l2: float = 0.0,
                 min_lfs: int = 3, random_state: int = 0) -> None:
        self.cardinality = cardinality
        self.n_epochs = n_epochs
        self.lr = lr
        self.l2 = l2
        self.min_lfs = min_lfs
        self.random_state = random_state

    def fit(self, L: np.ndarray, class_balance: Sequence[float] | None = None, **_: Any) -> "LabelModel":
        L = _check_matrix(L, self.cardinality)
        self.class_balance_ = (np.asarray(class_balance, dtype=np.float64) if class_balance is not None
                               else majority_class_balance(L, self.cardinality))
        self.columns_ = np.flatnonzero((L != ABSTAIN).any(axis=0))
        self.fallback_: MajorityVote | None = None
        self.model_: Any = None
        if len(self.columns_) < self.min_lfs:
            self.fallback_ = MajorityVote(self.cardinality).fit(L, class_balance=self.class_balance_)
            return self
        self.model_ = self._fit_snorkel(L[:, self.columns_])
        return self

    def _fit_snorkel(self, L: np.ndarray) -> Any:
        import logging

        from snorkel.labeling.model import LabelModel as SnorkelLabelModel

        # snorkel logs every fit at INFO level; one fit per dimension would flood the console.
        logging.getLogger("snorkel").setLevel(logging.WARNING)
        model = SnorkelLabelModel(cardinality=self.cardinality, verbose=False, device="cpu")
        model.fit(L, class_balance=self.class_balance_, n_epochs=self.n_epochs, lr=self.lr, l2=self.l2,
                  seed=self.random_state, progress_bar=False)
        return model

    def predict_proba(self, L: np.ndarray) -> np.ndarray:
        L = _check_matrix(L, self.cardinality)
        if self.fallback_ is not None:
            return self.fallback_.predict_proba(L)
        sub = L[:, self.columns_]
        proba = np.asarray(self.model_.predict_proba(sub), dtype=np.float64)
        # snorkel gives rows without votes the learned prior, as intended; keep the fitted one.
        proba[(sub == ABSTAIN).all(axis=1)] = self.class_balance_
        return proba

    def predict(self, L: np.ndarray) -> np.ndarray:
        return predict_from_proba(self.predict_proba(L))


def label_model(cardinality: int = 2, random_state: int = 0) -> LabelModel:
    return LabelModel(cardinality=cardinality, random_state=random_state)


def majority_vote(cardinality: int = 2, random_state: int = 0) -> MajorityVote:
    return MajorityVote(cardinality=cardinality)  # deterministic: no random state to use


def make_model(kind: str, cardinality: int = 2, random_state: int = 0) -> Any:
    """A fresh label model of ``kind``: ``"label"`` (snorkel), ``"majority"``, or a plugin's
    (registered under ``company_reviewer.label_models`` as ``factory(cardinality, random_state)``)."""
    return registry.label_models.get(kind)(cardinality=cardinality, random_state=random_state)


def dimension_view(L: np.ndarray, targets: Sequence[frozenset[int]], dimension: int,
                   n_dimensions: int) -> tuple[np.ndarray, np.ndarray]:
    """The binary matrix for one dimension and the indices of the LF columns it keeps.

    ``targets[j]`` is the label set LF ``j`` can emit; labels ``>= n_dimensions`` mean "no
    dimension". Column values: 1 = votes this dimension, 0 = votes no dimension, -1 otherwise.
    """
    keep, columns = [], []
    for j, labels in enumerate(targets):
        says_none = any(label >= n_dimensions for label in labels)
        if dimension not in labels and not says_none:
            continue
        votes = L[:, j]
        keep.append(j)
        columns.append(np.where(votes == dimension, 1, np.where(votes >= n_dimensions, 0, ABSTAIN)))
    matrix = np.stack(columns, axis=1) if columns else np.full((L.shape[0], 0), ABSTAIN)
    return matrix.astype(np.int64), np.asarray(keep, dtype=np.int64)


class OneVsRestLabelModel:
    """One binary label model per dimension; ``predict_proba`` gives ``(n, n_dimensions)``."""

    def __init__(self, targets: Sequence[frozenset[int]], n_dimensions: int, model: str = "label",
                 threshold: float = 0.5, random_state: int = 0) -> None:
        self.targets = list(targets)
        self.n_dimensions = n_dimensions
        self.model = model
        self.threshold = threshold
        self.random_state = random_state

    def fit(self, L: np.ndarray) -> "OneVsRestLabelModel":
        L = np.asarray(L, dtype=np.int64)
        if L.shape[1] != len(self.targets):
            raise ValueError(f"L has {L.shape[1]} columns but {len(self.targets)} LF targets were given")
        self.models_: list[Any] = []
        self.columns_: list[np.ndarray] = []
        for d in range(self.n_dimensions):
            view, columns = dimension_view(L, self.targets, d, self.n_dimensions)
            self.models_.append(make_model(self.model, 2, self.random_state).fit(view))
            self.columns_.append(columns)
        return self

    def predict_proba(self, L: np.ndarray) -> np.ndarray:
        L = np.asarray(L, dtype=np.int64)
        out = np.zeros((L.shape[0], self.n_dimensions), dtype=np.float64)
        for d, model in enumerate(self.models_):
            view, _ = dimension_view(L, self.targets, d, self.n_dimensions)
            out[:, d] = model.predict_proba(view)[:, 1]
        return out

    def predict(self, L: np.ndarray) -> np.ndarray:
        return (self.predict_proba(L) >= self.threshold).astype(np.int64)
