"""The aspect-sentiment classifier of one opinion unit: which dimensions, and which sentiment each.

Two heads over the unit's sentence embedding plus a one-hot of the field it was written in (a
feature, never an override: the heads learn how much the field says on top of the words):

* **dimensions** - one logistic regression per dimension (multi-label), with a decision threshold
  per dimension chosen on out-of-fold predictions grouped by company;
* **sentiment** - a three-class logistic regression (positive / negative / neutral) trained on
  (unit, dimension) pairs; its input adds the dimension one-hot, so "long hours" and "long
  career" need not share a bias.

Trained on hand labels (weight 1) and, optionally, weak labels (a lower weight), see
:mod:`company_reviewer.aspects.training`. Saved as ``aspects.npz`` + ``aspects.json`` (floats and
JSON only; loading never unpickles; prediction is numpy).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

SENTIMENTS: tuple[str, ...] = ("positive", "negative", "neutral")
FIELDS: tuple[str, ...] = ("pros", "cons", "advice", "headline")  # anything else: free text
FORMAT_VERSION = 1
_STEM = "aspects"


def field_onehot(fields: Sequence[str]) -> np.ndarray:
    """(n, 4) one-hot of the field; free text (and unknown fields) is all zeros."""
    out = np.zeros((len(fields), len(FIELDS)), dtype=np.float32)
    index = {f: i for i, f in enumerate(FIELDS)}
    for row, value in enumerate(fields):
        name = _field_name(value)
        if name in index:
            out[row, index[name]] = 1.0
    return out


def _field_name(value: Any) -> str:
    """Field names as the classifier knows them: kununu's "Gut am Arbeitgeber" answers are pros."""
    text = str(value or "").strip()
    if text.startswith("text_"):
        section = text[len("text_"):]
        return {"Gut am Arbeitgeber finde ich": "pros", "Schlecht am Arbeitgeber finde ich": "cons",
                "Verbesserungsvorschläge": "advice"}.get(section, "text")
    return text.lower()


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


class AspectSentimentClassifier(BaseEstimator):
    """Dimensions (multi-label) and a sentiment per dimension for opinion units.

    Parameters
    ----------
    ids : dimension ids, in taxonomy order.
    C_dimension, C_sentiment : inverse regularisation strengths of the two heads.
    encoder : name of the sentence encoder whose embeddings the heads read (recorded, checked).
    random_state : seed of the solvers.
    """

    def __init__(self, ids: Sequence[str] = (), C_dimension: float = 2.0, C_sentiment: float = 1.0,
                 encoder: str = "", random_state: int = 0) -> None:
        self.ids = ids
        self.C_dimension = C_dimension
        self.C_sentiment = C_sentiment
        self.encoder = encoder
        self.random_state = random_state

    # -- features -------------------------------------------------------------------------------
    @staticmethod
    def _features(X: np.ndarray, fields: Sequence[str]) -> np.ndarray:
        return np.hstack([np.asarray(X, dtype=np.float32), field_onehot(fields)])

    def _pair_features(self, F: np.ndarray, columns: np.ndarray) -> np.ndarray:
        onehot = np.zeros((len(columns), len(self.ids_)), dtype=np.float32)
        onehot[np.arange(len(columns)), columns] = 1.0
        return np.hstack([F, onehot])

    # -- fitting --------------------------------------------------------------------------------
    def fit(self, X: np.ndarray, fields: Sequence[str], Y: np.ndarray, S: np.ndarray,
            sample_weight: np.ndarray | None = None, sentiment_weight: np.ndarray | None = None,
            thresholds: np.ndarray | None = None) -> "AspectSentimentClassifier":
        """``Y`` (n, d) 0/1; ``S`` (n, d) sentiment index per present dimension (-1 absent or
        unknown: weak labels carry no sentiment). ``thresholds`` (d,) from out-of-fold tuning;
        0.5 when not given."""
        from sklearn.linear_model import LogisticRegression

        self.ids_ = list(self.ids)
        F = self._features(X, fields)
        weight = np.ones(len(F)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
        coef, intercept = [], []
        for d in range(Y.shape[1]):
            y = np.asarray(Y[:, d]).astype(int)
            if y.min() == y.max():  # no positive (or no negative) example: never (always) fire
                coef.append(np.zeros(F.shape[1])), intercept.append(-10.0 if y.max() == 0 else 10.0)
                continue
            model = LogisticRegression(C=self.C_dimension, max_iter=2000, random_state=self.random_state)
            model.fit(F, y, sample_weight=weight)
            coef.append(model.coef_[0]), intercept.append(float(model.intercept_[0]))
        self.dimension_coef_ = np.vstack(coef).astype(np.float32)
        self.dimension_intercept_ = np.asarray(intercept, dtype=np.float32)
        rows, columns = np.nonzero(np.asarray(S) >= 0)
        pair_weight = (np.ones(len(rows)) if sentiment_weight is None
                       else np.asarray(sentiment_weight, dtype=float)[rows])
        model = LogisticRegression(C=self.C_sentiment, max_iter=3000, class_weight="balanced",
                                   random_state=self.random_state)
        model.fit(self._pair_features(F[rows], columns), np.asarray(S)[rows, columns], sample_weight=pair_weight)
        if len(model.classes_) != len(SENTIMENTS):
            raise ValueError(f"the sentiment head needs examples of all of {SENTIMENTS}")
        order = np.argsort(model.classes_)  # rows in SENTIMENTS order
        self.sentiment_coef_ = model.coef_[order].astype(np.float32)
        self.sentiment_intercept_ = model.intercept_[order].astype(np.float32)
        self.thresholds_ = (np.full(len(self.ids_), 0.5) if thresholds is None
                            else np.asarray(thresholds, dtype=float)).astype(np.float32)
        return self

    # -- prediction -----------------------------------------------------------------------------
    def predict_proba(self, X: np.ndarray, fields: Sequence[str]) -> np.ndarray:
        """(n, d) probability that each unit speaks to each dimension."""
        F = self._features(X, fields)
        return _sigmoid(F @ self.dimension_coef_.T + self.dimension_intercept_)

    def sentiment_proba(self, X: np.ndarray, fields: Sequence[str]) -> np.ndarray:
        """(n, d, 3) sentiment probabilities (SENTIMENTS order) of each unit about each dimension."""
        F = self._features(X, fields)
        d = len(self.ids_)
        W = self.sentiment_coef_
        base = F @ W[:, :F.shape[1]].T + self.sentiment_intercept_          # (n, 3)
        per_dimension = W[:, F.shape[1]:].T                                  # (d, 3)
        return _softmax(base[:, None, :] + per_dimension[None, :d, :])

    def predict(self, X: np.ndarray, fields: Sequence[str]) -> list[dict[str, dict[str, Any]]]:
        """Per unit: ``{dimension: {"sentiment", "confidence"}}`` for the detected dimensions.

        ``confidence`` is the probability of the dimension times that of the chosen sentiment:
        how sure the classifier is of the whole (dimension, sentiment) claim.
        """
        proba = self.predict_proba(X, fields)
        sentiment = self.sentiment_proba(X, fields)
        out = []
        for row in range(len(proba)):
            labels = {}
            for d in np.flatnonzero(proba[row] >= self.thresholds_):
                k = int(np.argmax(sentiment[row, d]))
                labels[self.ids_[d]] = {"sentiment": SENTIMENTS[k],
                                        "confidence": round(float(proba[row, d] * sentiment[row, d, k]), 4)}
            out.append(labels)
        return out

    # -- persistence ----------------------------------------------------------------------------
    def save(self, folder: str | Path) -> Path:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        arrays = {"dimension_coef": self.dimension_coef_, "dimension_intercept": self.dimension_intercept_,
                  "sentiment_coef": self.sentiment_coef_, "sentiment_intercept": self.sentiment_intercept_,
                  "thresholds": self.thresholds_}
        np.savez_compressed(folder / f"{_STEM}.npz", **{k: np.asarray(v, np.float32) for k, v in arrays.items()})
        meta = {"class": type(self).__name__, "format_version": FORMAT_VERSION, "ids": self.ids_,
                "encoder": self.encoder, "params": self.get_params(), "fields": list(FIELDS),
                "sentiments": list(SENTIMENTS)}
        (folder / f"{_STEM}.json").write_text(json.dumps(meta, indent=1, default=list), encoding="utf-8")
        return folder

    @classmethod
    def exists(cls, folder: str | Path) -> bool:
        return (Path(folder) / f"{_STEM}.json").is_file()

    @classmethod
    def load(cls, folder: str | Path) -> "AspectSentimentClassifier":
        folder = Path(folder)
        meta = json.loads((folder / f"{_STEM}.json").read_text(encoding="utf-8"))
        if meta.get("class") != cls.__name__ or meta.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"{folder / (_STEM + '.json')} is not a {cls.__name__} of format {FORMAT_VERSION}; "
                             "retrain with `company-reviewer train`")
        params = {k: v for k, v in meta["params"].items() if k in cls().get_params()}
        model = cls(**params)
        with np.load(folder / f"{_STEM}.npz", allow_pickle=False) as data:
            model.dimension_coef_ = data["dimension_coef"]
            model.dimension_intercept_ = data["dimension_intercept"]
            model.sentiment_coef_ = data["sentiment_coef"]
            model.sentiment_intercept_ = data["sentiment_intercept"]
            model.thresholds_ = data["thresholds"]
        model.ids_ = list(meta["ids"])
        return model
