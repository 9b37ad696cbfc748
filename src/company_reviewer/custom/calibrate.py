"""Fitting and measuring the detection combiner on the default taxonomy, as if it were untrained.

The hand labels (``labeling/gold/hand_en.csv``: English Glassdoor units; ``hand_de.csv``: German
kununu units) say which of the 12 default dimensions each unit speaks to. The combiner sees only
dimension-agnostic features of (unit, dimension) pairs computed from descriptions and seeds
(:data:`~company_reviewer.custom.detect.FEATURES`), so it transfers to any taxonomy. Measured by
leave-one-dimension-out: each dimension's pairs are scored by a combiner fitted on the other 11,
so the figures are those of a dimension the combiner never saw. The shipped threshold maximises
F0.5 (precision counts twice) on those held-out scores.

``python -m company_reviewer.custom.calibrate [--write]`` prints the figures (and writes
``combiner.json``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from company_reviewer.custom.detect import (
    COMBINER_FILE,
    FEATURES,
    ROUTES,
    Combiner,
    unit_features,
)
from company_reviewer.taxonomy import Taxonomy, load_taxonomy

# Precision counts twice as much as recall when the threshold is chosen: a wrong quote under a
# client's dimension costs more than a missed mention.
BETA = 0.5


def gold_units(route: str) -> tuple[pd.DataFrame, np.ndarray]:
    """Hand-labelled units for a route (MiniLM: English; e5: German) and ``Y`` (n, 12)."""
    from company_reviewer.labeling.hand import hand_gold, label_matrices

    gold = hand_gold("en" if route == "minilm" else "de")
    Y, _ = label_matrices(gold, load_taxonomy("default").ids)
    return gold.reset_index(drop=True), Y


def fit_combiner(F: np.ndarray, y: np.ndarray, threshold: float = 0.5) -> Combiner:
    """A logistic model over standardised pair features (``F`` (N, k), ``y`` (N,) 0/1)."""
    from sklearn.linear_model import LogisticRegression

    mean, scale = F.mean(axis=0), F.std(axis=0) + 1e-6
    model = LogisticRegression(C=1.0, max_iter=2000).fit((F - mean) / scale, y)
    return Combiner(mean, scale, model.coef_[0].astype(float), float(model.intercept_[0]), threshold)


def leave_one_dimension_out(F: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """(n, d) scores, each dimension's from a combiner fitted on the other dimensions' pairs."""
    n, d, k = F.shape
    out = np.zeros((n, d))
    for held in range(d):
        rest = [j for j in range(d) if j != held]
        combiner = fit_combiner(F[:, rest].reshape(-1, k), Y[:, rest].reshape(-1))
        out[:, held] = combiner.proba(F[:, held])
    return out


def best_threshold(scores: np.ndarray, Y: np.ndarray, beta: float = BETA) -> float:
    grid = np.round(np.arange(0.2, 0.91, 0.02), 2)
    truth = Y.astype(bool)

    def f_beta(t: float) -> float:
        pred = scores >= t
        tp = float((pred & truth).sum())
        p, r = tp / max(pred.sum(), 1), tp / max(truth.sum(), 1)
        return (1 + beta ** 2) * p * r / max(beta ** 2 * p + r, 1e-12)

    return float(max(grid, key=f_beta))


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    f1: float
    support: int

    def row(self) -> str:
        return f"P {self.precision:.3f}  R {self.recall:.3f}  F1 {self.f1:.3f}  (n={self.support})"


def prf(pred: np.ndarray, truth: np.ndarray) -> Scores:
    pred, truth = pred.astype(bool), truth.astype(bool)
    tp = float((pred & truth).sum())
    p, r = tp / max(pred.sum(), 1), tp / max(truth.sum(), 1)
    return Scores(p, r, 2 * p * r / max(p + r, 1e-12), int(truth.sum()))


def route_measurement(route: str, taxonomy: Taxonomy | None = None) -> dict:
    """Features, held-out scores and the figures of one route on its hand labels."""
    taxonomy = taxonomy or load_taxonomy("default")
    gold, Y = gold_units(route)
    languages = ["en" if route == "minilm" else "de"] * len(gold)
    F, _ = unit_features(gold["text"].tolist(), languages, taxonomy)
    held_out = leave_one_dimension_out(F, Y)
    threshold = best_threshold(held_out, Y)
    pred = held_out >= threshold
    seeds_only = F[:, :, FEATURES.index("seed_match")] > 0
    nearest = (F[:, :, FEATURES.index("is_best")] > 0) & (F[:, :, FEATURES.index("description")] >= 0.3)
    return {
        "route": route, "units": len(gold), "threshold": threshold, "features": F, "Y": Y,
        "held_out": held_out, "ids": taxonomy.ids,
        "micro": prf(pred, Y), "seeds_only": prf(seeds_only, Y), "nearest_prototype": prf(nearest, Y),
        "per_dimension": {dim: prf(pred[:, j], Y[:, j]) for j, dim in enumerate(taxonomy.ids)},
    }


def fit_shipped(measurements: dict[str, dict]) -> dict:
    """The combiner file: one combiner per route fitted on all 12 dimensions, at the held-out
    threshold, with the held-out figures it was chosen on."""
    routes = {}
    for route, m in measurements.items():
        F, Y = m["features"], m["Y"]
        combiner = fit_combiner(F.reshape(-1, F.shape[2]), Y.reshape(-1), threshold=m["threshold"])
        routes[route] = combiner.to_dict()
    return {
        "features": list(FEATURES),
        "fitted_on": "labeling/gold/hand_en.csv (minilm), hand_de.csv (e5): the default taxonomy's "
                     "descriptions and seeds, as if untrained",
        "held_out": {route: {"threshold": m["threshold"], "units": m["units"],
                             **{k: round(v, 4) for k, v in vars(m["micro"]).items() if k != "support"}}
                     for route, m in measurements.items()},
        "routes": routes,
    }


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"write {COMBINER_FILE} into the package")
    args = parser.parse_args(argv)
    measurements = {}
    for route in ROUTES:
        m = measurements[route] = route_measurement(route)
        print(f"{route}: {m['units']} units, threshold {m['threshold']:.2f} (held-out dimensions)")
        print(f"  combiner           {m['micro'].row()}")
        print(f"  seeds only         {m['seeds_only'].row()}")
        print(f"  nearest prototype  {m['nearest_prototype'].row()}")
        for dim, s in m["per_dimension"].items():
            print(f"    {dim:22s} {s.row()}")
    if args.write:
        path = Path(__file__).with_name(COMBINER_FILE)
        path.write_text(json.dumps(fit_shipped(measurements), indent=1) + "\n", encoding="utf-8")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
