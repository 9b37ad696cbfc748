"""Training and measuring the aspect-sentiment classifier on hand labels (plus weak labels).

Everything is grouped by company: thresholds are tuned on out-of-fold predictions where a
company's units are never in the fold that predicts them, and the held-out measurement uses
companies the model never saw.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from company_reviewer.aspects.model import SENTIMENTS, AspectSentimentClassifier

ENCODERS: tuple[str, ...] = ("minilm", "e5", "minilm+e5")


def get_unit_encoder(name: str) -> Callable[[Sequence[str]], np.ndarray]:
    """``texts -> embeddings`` for an encoder name of :data:`ENCODERS`."""
    if name not in ENCODERS:
        raise ValueError(f"unknown encoder {name!r}; choose one of {', '.join(ENCODERS)}")
    parts = []
    if "minilm" in name.split("+"):
        from company_reviewer.embedding import get_encoder

        parts.append(get_encoder())
    if "e5" in name.split("+"):
        from company_reviewer.embedding_e5 import get_e5_encoder

        parts.append(get_e5_encoder())

    def encode(texts: Sequence[str]) -> np.ndarray:
        return np.hstack([p.encode(list(texts)) for p in parts]).astype(np.float32)

    return encode


def label_arrays(labels: Sequence[dict[str, str]], ids: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    index = {d: i for i, d in enumerate(ids)}
    Y = np.zeros((len(labels), len(ids)), dtype=np.int8)
    S = np.full((len(labels), len(ids)), -1, dtype=np.int8)
    for row, label in enumerate(labels):
        for dimension, sentiment in label.items():
            if dimension in index:
                Y[row, index[dimension]] = 1
                S[row, index[dimension]] = SENTIMENTS.index(sentiment)
    return Y, S


def tune_thresholds(proba: np.ndarray, Y: np.ndarray, min_positives: int = 8,
                    precision_floor: float = 0.0) -> np.ndarray:
    """Per dimension, the threshold maximising F1 (among those reaching ``precision_floor``)."""
    grid = np.round(np.arange(0.1, 0.91, 0.02), 2)
    out = np.full(Y.shape[1], 0.5)
    for d in range(Y.shape[1]):
        truth = Y[:, d] == 1
        if truth.sum() < min_positives:
            continue
        best, best_f1 = 0.5, -1.0
        for t in grid:
            pred = proba[:, d] >= t
            tp = float((pred & truth).sum())
            precision = tp / max(pred.sum(), 1)
            f1 = 2 * tp / max(pred.sum() + truth.sum(), 1)
            if precision >= precision_floor and f1 > best_f1 + 1e-9:
                best, best_f1 = float(t), f1
        out[d] = best
    return out


def _fit(X, fields, Y, S, weight, params, thresholds=None) -> AspectSentimentClassifier:
    return AspectSentimentClassifier(**params).fit(X, fields, Y, S, sample_weight=weight,
                                                   sentiment_weight=weight, thresholds=thresholds)


def out_of_fold(X: np.ndarray, fields: Sequence[str], Y: np.ndarray, S: np.ndarray, groups: Sequence[str],
                params: dict[str, Any], n_splits: int = 5, extra: tuple | None = None,
                random_state: int = 0, extra_groups: Sequence[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold dimension and sentiment probabilities, folds grouped by company.

    ``extra`` = ``(X, fields, Y, S, weight)`` of additional training rows (weak labels) that
    join every fold's training part and are never predicted; with ``extra_groups`` (their
    companies), the rows of a fold's held-out companies stay out of its training part.
    """
    from sklearn.model_selection import GroupKFold

    fields = np.asarray(fields, dtype=object)
    proba = np.zeros(Y.shape, dtype=np.float32)
    sentiment = np.zeros((*Y.shape, len(SENTIMENTS)), dtype=np.float32)
    groups = np.asarray(groups)
    # Shuffle the group order with the seed: GroupKFold itself is deterministic by size.
    rng = np.random.default_rng(random_state)
    names = np.unique(groups)
    relabel = dict(zip(names, rng.permutation(len(names))))
    folds = GroupKFold(n_splits=min(n_splits, len(names)))
    for train, test in folds.split(X, groups=[relabel[g] for g in groups]):
        parts = [(X[train], fields[train], Y[train], S[train], np.ones(len(train)))]
        if extra is not None:
            keep = (np.ones(len(extra[0]), dtype=bool) if extra_groups is None
                    else ~np.isin(np.asarray(extra_groups), groups[test]))
            parts.append(tuple(np.asarray(part, dtype=object if i == 1 else None)[keep]
                               for i, part in enumerate(extra)))
        Xt = np.vstack([p[0] for p in parts])
        ft = np.concatenate([np.asarray(p[1], dtype=object) for p in parts])
        Yt = np.vstack([p[2] for p in parts])
        St = np.vstack([p[3] for p in parts])
        wt = np.concatenate([p[4] for p in parts])
        model = _fit(Xt, ft, Yt, St, wt, params)
        proba[test] = model.predict_proba(X[test], fields[test])
        sentiment[test] = model.sentiment_proba(X[test], fields[test])
    return proba, sentiment


def decode(proba: np.ndarray, sentiment: np.ndarray, thresholds: np.ndarray,
           ids: Sequence[str]) -> list[dict[str, str]]:
    out = []
    for row in range(len(proba)):
        out.append({ids[d]: SENTIMENTS[int(np.argmax(sentiment[row, d]))]
                    for d in np.flatnonzero(proba[row] >= thresholds)})
    return out


def scores(gold: Sequence[dict[str, str]], predicted: Sequence[dict[str, str]],
           ids: Sequence[str]) -> dict[str, Any]:
    """Micro precision/recall/F1 of (unit, dimension) and F1 of (unit, dimension, sentiment),
    plus a per-dimension table."""
    def prf(tp: int, n_pred: int, n_true: int) -> tuple[float, float, float]:
        p = tp / n_pred if n_pred else 0.0
        r = tp / n_true if n_true else 0.0
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)

    tp = n_pred = n_true = tp_sent = 0
    per: dict[str, list[int]] = {d: [0, 0, 0, 0] for d in ids}
    for g, p in zip(gold, predicted):
        n_pred += len(p)
        n_true += len(g)
        for d in p:
            per.setdefault(d, [0, 0, 0, 0])[1] += 1
            if d in g:
                tp += 1
                per[d][0] += 1
                if g[d] == p[d]:
                    tp_sent += 1
                    per[d][3] += 1
        for d in g:
            per.setdefault(d, [0, 0, 0, 0])[2] += 1
    precision, recall, f1 = prf(tp, n_pred, n_true)
    _, _, f1_sent = prf(tp_sent, n_pred, n_true)
    table = []
    for d in ids:
        t, np_, nt, ts = per[d]
        p, r, f = prf(t, np_, nt)
        table.append({"dimension": d, "support": nt, "precision": round(p, 3), "recall": round(r, 3),
                      "f1": round(f, 3), "f1_sentiment": round(prf(ts, np_, nt)[2], 3)})
    macro = float(np.mean([row["f1"] for row in table if row["support"] > 0])) if table else 0.0
    return {"units": len(gold), "precision": round(precision, 4), "recall": round(recall, 4),
            "f1": round(f1, 4), "f1_sentiment": round(f1_sent, 4), "macro_f1": round(macro, 4),
            "per_dimension": table}


def cohen_kappa(first: Sequence[dict[str, str]], second: Sequence[dict[str, str]],
                ids: Sequence[str]) -> dict[str, Any]:
    """Agreement of two labellings of the same units: kappa of each dimension's presence, and of
    the sentiment where both gave the dimension."""
    from sklearn.metrics import cohen_kappa_score

    per = {}
    for d in ids:
        a = [int(d in x) for x in first]
        b = [int(d in x) for x in second]
        both = sum(1 for x, y in zip(a, b) if x and y)
        per[d] = {"kappa": (round(float(cohen_kappa_score(a, b)), 3) if len(set(a) | set(b)) > 1 else None),
                  "first": int(sum(a)), "second": int(sum(b)), "both": both}
    pairs = [(x[d], y[d]) for x, y in zip(first, second) for d in ids if d in x and d in y]
    sentiment = (round(float(cohen_kappa_score([p[0] for p in pairs], [p[1] for p in pairs])), 3)
                 if len(pairs) > 1 else None)
    exact = float(np.mean([x == y for x, y in zip(first, second)])) if first else 0.0
    return {"units": len(first), "per_dimension": per, "sentiment_kappa": sentiment,
            "sentiment_pairs": len(pairs), "exact_match": round(exact, 3)}


# -- the shipped heads ---------------------------------------------------------------------------

HEAD_PARAMS: dict[str, dict[str, float]] = {"minilm": {"C_dimension": 4.0, "C_sentiment": 1.0},
                                            "e5": {"C_dimension": 4.0, "C_sentiment": 1.0}}


def fit_aspect_heads(out: Path, held_out: set[str] | None = None, random_state: int = 0, tuned: bool = False,
                     progress: bool = False) -> dict[str, Any]:
    """Train the language routes on the packaged hand labels and save them under ``out``.

    * ``tuned`` (English units): MiniLM with its top layers fine-tuned (:mod:`.finetune`);
      ``minilm``: linear heads over MiniLM embeddings, the fallback when ``tuned=False``.
    * ``e5`` (other languages): linear heads over multilingual-e5-small on English and German
      labels together, so German borrows from the larger English set.

    English units of the ``held_out`` companies (``source::company`` keys; the bundle's test
    split) are never trained on, so ``bench/aspects.py`` measures the shipped heads on them.
    Linear heads' thresholds come from out-of-fold predictions grouped by company; the
    fine-tuned head keeps 0.5 (its sigmoid outputs are trained with BCE on hand labels).
    """
    import json
    from pathlib import Path

    from company_reviewer.labeling.hand import hand_gold
    from company_reviewer.taxonomy import load_taxonomy

    out = Path(out)
    ids = tuple(load_taxonomy("default").ids)
    english, german = hand_gold("en"), hand_gold("de")
    keys = english["source"] + "::" + english["company"]
    english = english[~keys.isin(held_out or set())].reset_index(drop=True)
    report: dict[str, Any] = {"hand_units": {"en_trained": int(len(english)), "de": int(len(german))},
                              "held_out_companies": sorted(held_out or ())}
    linear = {"e5": (pd.concat([english, german]).reset_index(drop=True),
                     np.arange(len(english), len(english) + len(german)))}
    if not tuned:
        linear["minilm"] = (english, english.index.to_numpy())
    for route, (gold, tuned_rows) in linear.items():
        if progress:
            print(f"aspect heads: {route} linear heads on {len(gold)} hand-labelled units", flush=True)
        X = get_unit_encoder(route)(gold["text"].tolist())
        fields = gold["field"].tolist()
        Y, S = label_arrays(list(gold["label"]), ids)
        params = {"ids": ids, "encoder": route, "random_state": random_state, **HEAD_PARAMS[route]}
        proba, sentiment = out_of_fold(X, fields, Y, S, gold["company"].tolist(), params, random_state=random_state)
        thresholds = tune_thresholds(proba[tuned_rows], Y[tuned_rows])
        report[route] = {"out_of_fold": scores([gold["label"].iat[i] for i in tuned_rows],
                                               decode(proba[tuned_rows], sentiment[tuned_rows], thresholds, ids),
                                               ids), "trained_on": int(len(gold))}
        _fit(X, fields, Y, S, np.ones(len(X)), params, thresholds).save(out / route)
    if tuned:
        from company_reviewer.aspects.finetune import TunedAspectModel

        if progress:
            print(f"aspect heads: fine-tuning MiniLM on {len(english)} English hand-labelled units", flush=True)
        Y, S = label_arrays(list(english["label"]), ids)
        model = TunedAspectModel(ids=ids, random_state=random_state).fit(
            english["text"].tolist(), english["field"].tolist(), Y, S, progress=progress)
        model.save(out / "tuned")
        report["tuned"] = {"trained_on": int(len(english))}
    (out / "report.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    return report
