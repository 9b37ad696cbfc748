"""Review features and ridge heads for :mod:`company_reviewer.reviewer.rating`.

Features: each text field is split into sentences, the sentences are encoded once (the encoder
caches them) and mean-pooled per field. Two views:

- ``fields`` (reviews with pros or cons): headline | pros | cons | advice blocks + length features;
- ``text`` (any review): the mean of all its sentences + its length, used for reviews that only
  have free text, which the Glassdoor training data never has on its own.

Ridge heads are solved from Gram matrices accumulated per inner company fold, so the full fit
and every leave-one-fold-out fit (for out-of-fold predictions) cost one pass over the data.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

TARGETS: tuple[str, ...] = (
    "overall", "comp_benefits", "work_life_balance", "culture_values",
    "diversity_inclusion", "career_opportunities", "senior_management",
)
FIELDS: tuple[str, ...] = ("headline", "pros", "cons", "advice")
MAX_SENTENCES = 24  # per field: bounds encoding cost of the rare essay-length review
_SENT_END = re.compile(r"(?<=[.!?;])\s+|[\r\n]+|\s*[•·▪●]\s*|\s+-\s+(?=[A-Z])")


def split_sentences(text: Any) -> list[str]:
    """Sentences (opinion units) of one text field; HTML entities are decoded first."""
    if text is None or (isinstance(text, float) and np.isnan(text)) or text is pd.NA:
        return []
    parts = (p.strip(" \t-*") for p in _SENT_END.split(html.unescape(str(text))))
    return [p for p in parts if len(p) >= 2][:MAX_SENTENCES]


def target_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Targets as float columns named as in :data:`TARGETS` (``rating_*`` names accepted)."""
    out = {}
    for t in TARGETS:
        col = t if t in frame.columns else f"rating_{t}"
        values = pd.to_numeric(frame[col], errors="coerce") if col in frame.columns else np.nan
        out[t] = values
    y = pd.DataFrame(out, index=frame.index).astype(float)
    return y.where((y >= 1) & (y <= 5))


@dataclass
class ReviewFeatures:
    """Feature matrices per view; ``rows[view]`` are the review positions each view scores."""

    n: int
    views: dict[str, np.ndarray]
    rows: dict[str, np.ndarray]
    train_views: dict[str, np.ndarray]
    has_text: np.ndarray

    @property
    def n_with_text(self) -> int:
        return int(self.has_text.sum())


def _column(frame: pd.DataFrame, name: str) -> list[Any]:
    return list(frame[name]) if name in frame.columns else [None] * len(frame)


def featurize(reviews: pd.DataFrame, encoder: Any) -> ReviewFeatures:
    """Encode and pool every review's sentences into the ``fields`` and ``text`` views."""
    n = len(reviews)
    per_field = {f: [split_sentences(v) for v in _column(reviews, f)] for f in FIELDS}
    free = [split_sentences(v) for v in _column(reviews, "text")]
    unique = list(dict.fromkeys(s for lists in (*per_field.values(), free) for sents in lists for s in sents))
    index = {s: i for i, s in enumerate(unique)}
    vecs = encoder.encode(unique) if unique else np.zeros((0, 384), dtype=np.float32)
    dim = vecs.shape[1] if len(unique) else 384

    def pool(lists: Sequence[list[str]]) -> tuple[np.ndarray, np.ndarray]:
        out = np.zeros((n, dim), dtype=np.float32)
        chars = np.zeros(n, dtype=np.float32)
        for i, sents in enumerate(lists):
            if sents:
                out[i] = vecs[[index[s] for s in sents]].mean(axis=0)
                chars[i] = sum(len(s) for s in sents)
        return out, chars

    blocks, lengths = [], []
    for f in FIELDS:
        block, chars = pool(per_field[f])
        blocks.append(block)
        lengths.append(chars)
    # Length features: long cons relative to pros mark unhappy reviewers.
    length_feats = np.log1p(np.column_stack(lengths)) / 5.0
    fields_x = np.hstack([*blocks, length_feats, (np.column_stack(lengths) > 0).astype(np.float32)])
    all_lists = [sum((per_field[f][i] for f in FIELDS), []) + free[i] for i in range(n)]
    text_block, text_chars = pool(all_lists)
    text_x = np.hstack([text_block, (np.log1p(text_chars) / 5.0)[:, None]])
    structured = np.array([bool(per_field["pros"][i] or per_field["cons"][i]) for i in range(n)])
    has_text = np.array([bool(s) for s in all_lists])
    rows = {"fields": np.flatnonzero(structured), "text": np.flatnonzero(~structured & has_text)}
    return ReviewFeatures(
        n=n,
        views={"fields": fields_x[rows["fields"]], "text": text_x[rows["text"]]},
        rows=rows,
        train_views={"fields": fields_x, "text": text_x},
        has_text=has_text,
    )


@dataclass
class RidgeHeads:
    coef: dict[str, np.ndarray]
    intercept: dict[str, np.ndarray]
    oof: np.ndarray | None  # (n_reviews, n_targets) out-of-fold raw predictions, or None


def company_folds(groups: np.ndarray, n_folds: int, random_state: int) -> np.ndarray:
    """Fold number per row; whole companies go to one fold (shuffled, seeded)."""
    keys = pd.unique(groups)
    rng = np.random.default_rng(random_state)
    fold_of = {k: i % n_folds for i, k in enumerate(rng.permutation(keys))}
    return np.array([fold_of[g] for g in groups])


def _solve(g: np.ndarray, s: np.ndarray, b: np.ndarray, n: float, sy: float, alpha: float) -> tuple[np.ndarray, float]:
    """Ridge with an unpenalised intercept from sufficient statistics (X'X, X'1, X'y, n, sum y)."""
    gc = g - np.outer(s, s) / n
    bc = b - s * sy / n
    gc[np.diag_indices_from(gc)] += alpha
    # Symmetric positive definite: Cholesky is about twice as fast as a general LU solve.
    from scipy.linalg import cho_factor, cho_solve

    w = cho_solve(cho_factor(gc, check_finite=False), bc, check_finite=False)
    return w, float((sy - s @ w) / n)


def fit_ridge_heads(
    feats: ReviewFeatures,
    y: pd.DataFrame,
    alpha: float,
    groups: np.ndarray | None = None,
    n_folds: int = 5,
    random_state: int = 0,
    sample_weight: np.ndarray | None = None,
) -> RidgeHeads:
    """One ridge head per (view, target) on the reviews with that target; optional OOF predictions."""
    values = y[list(TARGETS)].to_numpy(dtype=float)
    weight = np.ones(len(values)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    n_groups = 0 if groups is None else len(pd.unique(groups))
    k = min(n_folds, n_groups) if n_groups >= 2 else 1
    fold = company_folds(groups, k, random_state) if k > 1 else np.zeros(len(values), dtype=int)
    coef: dict[str, np.ndarray] = {}
    intercept: dict[str, np.ndarray] = {}
    oof = np.full(values.shape, np.nan) if k > 1 else None
    for view, x in feats.train_views.items():
        # Gram products in float32 (BLAS speed; relative error ~1e-6 per sum, far below the
        # ridge penalty), solves in float64.
        x32 = x.astype(np.float32)
        x64 = x32
        d = x.shape[1]
        coef[view] = np.zeros((len(TARGETS), d))
        intercept[view] = np.zeros(len(TARGETS))
        # Targets rated by the same reviewers share one Gram matrix.
        masks: dict[bytes, list[int]] = {}
        for j in range(len(TARGETS)):
            masks.setdefault(np.packbits(~np.isnan(values[:, j])).tobytes(), []).append(j)
        for js in masks.values():
            present = ~np.isnan(values[:, js[0]])
            if present.sum() < 2:
                intercept[view][js] = np.nanmean(values[:, js]) if present.any() else 3.0
                continue
            stats = []
            for f in range(k):
                rows = present & (fold == f)
                xf = x32[rows]
                wf = weight[rows]
                yf = values[rows][:, js] * wf[:, None]
                xw = xf * np.sqrt(wf, dtype=np.float32)[:, None]
                stats.append(((xw.T @ xw).astype(np.float64), xf.T.astype(np.float64) @ wf,
                              xf.T.astype(np.float64) @ yf, float(wf.sum()), yf.sum(0)))
            tot = [sum(st[i] for st in stats) for i in range(5)]
            for col, j in enumerate(js):
                w, b0 = _solve(tot[0], tot[1], tot[2][:, col], tot[3], tot[4][col], alpha)
                coef[view][j], intercept[view][j] = w, b0
                if oof is None:
                    continue
                scored = feats.rows[view]
                for f in range(k):
                    g, s, b, nn, sy = (tot[i] - stats[f][i] for i in range(5))
                    idx = scored[fold[scored] == f]
                    if nn < 2 or not len(idx):
                        continue
                    wf, bf = _solve(g, s, b[:, col], nn, sy[col], alpha)
                    oof[idx, j] = x64[idx] @ wf + bf
    return RidgeHeads(coef=coef, intercept=intercept, oof=oof)
