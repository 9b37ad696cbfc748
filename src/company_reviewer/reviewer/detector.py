"""Which dimensions an opinion unit talks about, and with which polarity, from its embedding.

:class:`DimensionDetector` is a multi-label head (a linear layer or a small MLP, trained with
torch on CPU in seconds) over the 384-d unit embeddings. It learns from label-model output, so
its targets may be soft probabilities. Rare dimensions get per-dimension decision thresholds
tuned on a held-out part of the training data (a single 0.5 cut-off suits the frequent ones
only); class-balanced and focal losses (:mod:`company_reviewer.imbalance`) are options.

:class:`PolarityClassifier` is a logistic regression on the same embeddings. Its natural
training signal is where reviewers typed a sentence: pros units are positive, cons units negative
(:func:`polarity_targets` combines that with label-model polarity where the field says nothing).

Both save to a small ``.npz`` of float arrays plus a JSON file; loading never unpickles, and
prediction needs only numpy.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from company_reviewer.imbalance import class_balanced_bce, effective_number_weights, focal_loss
from company_reviewer.units import natural_polarity

LOSSES: tuple[str, ...] = ("bce", "cb_bce", "focal", "cb_focal")
POLARITIES: tuple[str, ...] = ("positive", "negative", "neutral")
FORMAT_VERSION = 1
_GRID = np.round(np.arange(0.05, 0.951, 0.01), 2)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # tanh form never overflows


def _write(path: str | Path, stem: str, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> Path:
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(folder / f"{stem}.npz", **{k: np.asarray(v, dtype=np.float32) for k, v in arrays.items()})
    (folder / f"{stem}.json").write_text(json.dumps(meta, indent=1, ensure_ascii=False), encoding="utf-8")
    return folder


def _read(path: str | Path, stem: str, cls: str) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    folder = Path(path)
    meta = json.loads((folder / f"{stem}.json").read_text(encoding="utf-8"))
    if meta.get("class") != cls or meta.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"{folder / (stem + '.json')} holds {meta.get('class')} format "
                         f"{meta.get('format_version')}, expected {cls} format {FORMAT_VERSION}")
    with np.load(folder / f"{stem}.npz", allow_pickle=False) as data:
        return meta, {k: data[k] for k in data.files}


def tune_thresholds(proba: np.ndarray, Y: np.ndarray, min_positives: int = 5) -> np.ndarray:
    """Per-column threshold on a 0.05..0.95 grid that maximises F1 against ``Y >= 0.5``.

    Ties go to the threshold nearest 0.5; a column with fewer than ``min_positives`` positives
    keeps 0.5 because its F1 curve is noise.
    """
    truth = np.asarray(Y) >= 0.5
    pred = proba[:, :, None] >= _GRID[None, None, :]
    tp = (pred & truth[:, :, None]).sum(axis=0)
    f1 = 2 * tp / np.maximum(pred.sum(axis=0) + truth.sum(axis=0)[:, None], 1)
    best = np.isclose(f1, f1.max(axis=1, keepdims=True))
    distance = np.where(best, np.abs(_GRID - 0.5)[None, :], np.inf)
    out = _GRID[distance.argmin(axis=1)].astype(float)
    out[truth.sum(axis=0) < min_positives] = 0.5
    return out


class DimensionDetector(BaseEstimator):
    """Multi-label dimension head over unit embeddings.

    Parameters
    ----------
    hidden : 0 for a linear head, else the width of one ReLU hidden layer.
    loss : ``"bce"``, ``"cb_bce"`` (class-balanced BCE), ``"focal"`` or ``"cb_focal"``
        (class-balanced focal loss, Cui et al. 2019).
    beta : effective-number parameter of the class-balanced weights.
    gamma : focal-loss focusing parameter.
    epochs, lr, weight_decay, batch_size : AdamW training schedule.
    dropout : dropout before the output layer of the MLP (unused when ``hidden=0``).
    threshold : ``"tuned"`` (per dimension, on a ``val_fraction`` split of the training data
        that the network does not see) or a fixed probability for every dimension.
    ids : dimension ids when ``Y`` is an array; a ``DataFrame`` ``Y`` brings its own columns.
    random_state : seeds initialisation, batch order and the validation split.

    The defaults (linear head, plain BCE on the label-model probabilities, 60 epochs, tuned
    thresholds) are what ``bench/detector.py`` supports: on both gold sets no class-balanced or
    focal loss, resampling, augmentation or MLP head beat them by more than the gold sets'
    bootstrap noise, class-balanced focal loss was slightly worse on the rare dimensions, and
    tuned thresholds beat a fixed 0.5 (docs/detector-report.md).
    """

    def __init__(self, hidden: int = 0, loss: str = "bce", beta: float = 0.999,
                 gamma: float = 2.0, epochs: int = 60, lr: float = 3e-3, weight_decay: float = 1e-4,
                 batch_size: int = 512, dropout: float = 0.1, threshold: str | float = "tuned",
                 val_fraction: float = 0.15, ids: Sequence[str] | None = None,
                 random_state: int | None = 0) -> None:
        self.hidden = hidden
        self.loss = loss
        self.beta = beta
        self.gamma = gamma
        self.epochs = epochs
        self.lr = lr
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.dropout = dropout
        self.threshold = threshold
        self.val_fraction = val_fraction
        self.ids = ids
        self.random_state = random_state

    # -- training -------------------------------------------------------------------------
    def fit(self, X: np.ndarray, Y: np.ndarray | pd.DataFrame,
            sample_weight: np.ndarray | None = None) -> "DimensionDetector":
        """Train on embeddings ``X`` (n, d) and hard or soft targets ``Y`` (n, k) in [0, 1]."""
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}, got {self.loss!r}")
        columns = [str(c) for c in Y.columns] if isinstance(Y, pd.DataFrame) else None
        X = np.asarray(X, dtype=np.float32)
        Y = np.clip(np.asarray(Y, dtype=np.float32), 0.0, 1.0)
        if X.ndim != 2 or Y.ndim != 2 or len(X) != len(Y):
            raise ValueError(f"X {X.shape} and Y {Y.shape} must be 2-d with the same rows")
        ids = columns or (list(self.ids) if self.ids is not None else [f"d{j}" for j in range(Y.shape[1])])
        if len(ids) != Y.shape[1]:
            raise ValueError(f"{len(ids)} ids for {Y.shape[1]} label columns")
        self.ids_ = ids
        weight = np.ones(len(X), np.float32) if sample_weight is None else np.asarray(sample_weight, np.float32)
        self.n_features_in_ = X.shape[1]
        rng = np.random.default_rng(self.random_state)
        tuned = self.threshold == "tuned"
        val = np.zeros(len(X), dtype=bool)
        if tuned:
            val[rng.permutation(len(X))[:int(round(self.val_fraction * len(X)))]] = True
        self.counts_ = Y[~val].sum(axis=0).astype(float)
        self._train(X[~val], Y[~val], weight[~val], rng)
        if tuned and val.any():
            self.thresholds_ = tune_thresholds(self.predict_proba(X[val]), Y[val])
        else:
            self.thresholds_ = np.full(Y.shape[1], 0.5 if tuned else float(self.threshold))
        return self

    def _train(self, X: np.ndarray, Y: np.ndarray, weight: np.ndarray, rng: np.random.Generator) -> None:
        import torch

        seed = int(rng.integers(2**31 - 1))
        # fork_rng keeps torch's global generator untouched for the caller.
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            d, k = X.shape[1], Y.shape[1]
            if self.hidden:
                net = torch.nn.Sequential(torch.nn.Linear(d, self.hidden), torch.nn.ReLU(),
                                          torch.nn.Dropout(self.dropout), torch.nn.Linear(self.hidden, k))
            else:
                net = torch.nn.Sequential(torch.nn.Linear(d, k))
            # Start the biases at the label log-odds so early epochs do not spend their time
            # pushing every rare dimension down from p = 0.5.
            prior = np.clip(Y.mean(axis=0), 1e-4, 1 - 1e-4)
            with torch.no_grad():
                net[-1].bias.copy_(torch.as_tensor(np.log(prior / (1 - prior)), dtype=torch.float32))
            optimizer = torch.optim.AdamW(net.parameters(), lr=self.lr, weight_decay=self.weight_decay)
            cb = effective_number_weights(self.counts_, self.beta)
            xt, yt, wt = torch.from_numpy(X), torch.from_numpy(Y), torch.from_numpy(weight)
            self.loss_curve_: list[float] = []
            net.train()
            for _ in range(self.epochs):
                order = torch.from_numpy(rng.permutation(len(X)))
                total = 0.0
                for start in range(0, len(X), self.batch_size):
                    idx = order[start:start + self.batch_size]
                    per_row = self._loss(net(xt[idx]), yt[idx], cb).mean(dim=1) * wt[idx]
                    loss = per_row.sum() / wt[idx].sum().clamp(min=1e-8)
                    optimizer.zero_grad()
                    loss.backward()
                    optimizer.step()
                    total += loss.item() * len(idx)
                self.loss_curve_.append(total / max(len(X), 1))
            layers = [m for m in net if isinstance(m, torch.nn.Linear)]
            self.coefs_ = [m.weight.detach().numpy().T.copy() for m in layers]
            self.intercepts_ = [m.bias.detach().numpy().copy() for m in layers]

    def _loss(self, logits: Any, targets: Any, cb: np.ndarray) -> Any:
        if self.loss == "bce":
            return focal_loss(logits, targets, gamma=0.0, reduction="none")
        if self.loss == "cb_bce":
            return class_balanced_bce(logits, targets, self.counts_, self.beta, reduction="none")
        if self.loss == "focal":
            return focal_loss(logits, targets, gamma=self.gamma, reduction="none")
        return focal_loss(logits, targets, gamma=self.gamma, weight=cb, reduction="none")

    # -- prediction -----------------------------------------------------------------------
    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """Logits (n, k), computed in numpy from the stored weights."""
        h = np.asarray(X, dtype=np.float32)
        if h.ndim != 2 or h.shape[1] != self.n_features_in_:
            raise ValueError(f"X must have shape (n, {self.n_features_in_}), got {h.shape}")
        for i, (w, b) in enumerate(zip(self.coefs_, self.intercepts_)):
            h = h @ w + b
            if i < len(self.coefs_) - 1:
                h = np.maximum(h, 0.0)
        return h

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Per-dimension probabilities (n, k); columns in the order of ``ids_``."""
        return _sigmoid(self.decision_function(X))

    def predict(self, X: np.ndarray) -> np.ndarray:
        """0/1 matrix (n, k): probability at or above the dimension's threshold."""
        return (self.predict_proba(X) >= self.thresholds_).astype(np.int8)

    def predict_frame(self, X: np.ndarray) -> pd.DataFrame:
        """Probabilities as a frame with one column per dimension id."""
        return pd.DataFrame(self.predict_proba(X), columns=self.ids_)

    # -- persistence ----------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write ``dimension_detector.{json,npz}`` into the folder ``path``."""
        meta = {"class": "DimensionDetector", "format_version": FORMAT_VERSION,
                "params": {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.get_params().items()},
                "ids": self.ids_, "thresholds": [float(t) for t in self.thresholds_],
                "counts": [float(c) for c in self.counts_], "n_features_in": int(self.n_features_in_),
                "n_layers": len(self.coefs_)}
        arrays = {f"coef{i}": w for i, w in enumerate(self.coefs_)}
        arrays |= {f"intercept{i}": b for i, b in enumerate(self.intercepts_)}
        return _write(path, "dimension_detector", meta, arrays)

    @classmethod
    def load(cls, path: str | Path) -> "DimensionDetector":
        meta, arrays = _read(path, "dimension_detector", "DimensionDetector")
        model = cls(**meta["params"])
        model.ids_ = list(meta["ids"])
        model.thresholds_ = np.asarray(meta["thresholds"], dtype=float)
        model.counts_ = np.asarray(meta["counts"], dtype=float)
        model.n_features_in_ = int(meta["n_features_in"])
        model.coefs_ = [arrays[f"coef{i}"] for i in range(meta["n_layers"])]
        model.intercepts_ = [arrays[f"intercept{i}"] for i in range(meta["n_layers"])]
        return model


def polarity_targets(fields: Sequence[str], label_polarity: Sequence[Any] | None = None,
                     label_weight: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Polarity training targets and sample weights for units.

    The field a reviewer typed into decides first (pros -> positive, cons -> negative,
    :func:`~company_reviewer.units.natural_polarity`); where it implies nothing (headline,
    advice, free text) the label-model polarity fills in with weight ``label_weight``, because
    labelling functions are noisier than the reviewer's own choice of field. Units with neither
    get target ``None`` and weight 0; drop them before :meth:`PolarityClassifier.fit`.
    """
    n = len(fields)
    labels = list(label_polarity) if label_polarity is not None else [None] * n
    if len(labels) != n:
        raise ValueError(f"{n} fields but {len(labels)} label polarities")
    targets = np.empty(n, dtype=object)
    weights = np.zeros(n, dtype=float)
    for i, (field, label) in enumerate(zip(fields, labels)):
        natural = natural_polarity(str(field))
        if natural is not None:
            targets[i], weights[i] = natural, 1.0
        elif isinstance(label, str) and label in POLARITIES:
            targets[i], weights[i] = label, label_weight
    return targets, weights


class PolarityClassifier(BaseEstimator):
    """Multinomial logistic regression over unit embeddings: positive / negative / neutral.

    ``class_weight="balanced"`` by default because neutral units are rare among pros/cons.
    Trained on whatever classes ``y`` holds (natural labels alone give positive/negative only).
    """

    def __init__(self, C: float = 1.0, class_weight: str | None = "balanced", max_iter: int = 1000,
                 random_state: int | None = 0) -> None:
        self.C = C
        self.class_weight = class_weight
        self.max_iter = max_iter
        self.random_state = random_state

    def fit(self, X: np.ndarray, y: Sequence[str], sample_weight: np.ndarray | None = None) -> "PolarityClassifier":
        from sklearn.linear_model import LogisticRegression

        y = np.asarray([str(v) for v in y], dtype=object)
        model = LogisticRegression(C=self.C, class_weight=self.class_weight, max_iter=self.max_iter,
                                   random_state=self.random_state)
        model.fit(np.asarray(X, dtype=np.float32), y, sample_weight=sample_weight)
        self.classes_ = np.asarray(model.classes_, dtype=object)
        coef, intercept = model.coef_, model.intercept_
        if len(self.classes_) == 2:
            # sklearn keeps one row for two classes; two symmetric rows make the softmax exact.
            coef, intercept = np.vstack([-coef / 2, coef / 2]), np.array([-intercept[0] / 2, intercept[0] / 2])
        self.coef_, self.intercept_ = coef.astype(np.float32), intercept.astype(np.float32)
        self.n_features_in_ = self.coef_.shape[1]
        return self

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(X, dtype=np.float32) @ self.coef_.T + self.intercept_

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities (n, n_classes) in the order of ``classes_``."""
        z = self.decision_function(X)
        z = np.exp(z - z.max(axis=1, keepdims=True))
        return z / z.sum(axis=1, keepdims=True)

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    def predict_with_fields(self, X: np.ndarray, fields: Sequence[str]) -> np.ndarray:
        """The field's own polarity where it has one (pros, cons), the classifier elsewhere.

        On the Glassdoor gold set this beats the classifier alone by a wide margin
        (docs/detector-report.md): the reviewer's choice of field is the better signal, and the
        classifier is needed only for headlines, advice and free text.
        """
        pred = self.predict(X)
        natural = [natural_polarity(str(f)) for f in fields]
        return np.array([n if n is not None else p for n, p in zip(natural, pred)], dtype=object)

    def save(self, path: str | Path) -> Path:
        """Write ``polarity.{json,npz}`` into the folder ``path``."""
        meta = {"class": "PolarityClassifier", "format_version": FORMAT_VERSION,
                "params": self.get_params(), "classes": [str(c) for c in self.classes_]}
        return _write(path, "polarity", meta, {"coef": self.coef_, "intercept": self.intercept_})

    @classmethod
    def load(cls, path: str | Path) -> "PolarityClassifier":
        meta, arrays = _read(path, "polarity", "PolarityClassifier")
        model = cls(**meta["params"])
        model.classes_ = np.asarray(meta["classes"], dtype=object)
        model.coef_, model.intercept_ = arrays["coef"], arrays["intercept"]
        model.n_features_in_ = model.coef_.shape[1]
        return model
