"""Metrics over predictions and evidence: pure functions on arrays and company reviews.

Rating metrics compare one category's predictions with one truth across companies; evidence
metrics check each quote against the review it cites.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from company_reviewer.reviewer.schema import DimensionReview

WITHIN = 0.25  # "close enough" in stars
NEUTRAL_BAND = 0.25  # a rating within this of 3.0 takes no side
TEXT_FIELDS = ("headline", "pros", "cons", "advice", "text")


def rating_metrics(pred: Sequence[float | None], truth: Sequence[float], low: Sequence[float | None] = (),
                   high: Sequence[float | None] = ()) -> dict[str, float]:
    """MAE, RMSE, Spearman, share within 0.25 stars and interval calibration over the companies
    that have both a prediction and a truth; ``n`` is how many those are. NaN where undefined
    (Spearman needs 3 companies and varying values on both sides)."""
    from scipy.stats import spearmanr

    p = np.array([np.nan if v is None else v for v in pred], dtype=float)
    t = np.asarray(truth, dtype=float)
    both = ~np.isnan(p) & ~np.isnan(t)
    err = p[both] - t[both]
    out = {"n": int(both.sum()), "mae": float(np.abs(err).mean()) if both.any() else np.nan,
           "rmse": float(np.sqrt((err ** 2).mean())) if both.any() else np.nan,
           "within_0_25": float((np.abs(err) <= WITHIN + 1e-9).mean()) if both.any() else np.nan,
           "spearman": np.nan, "interval_calibration": np.nan}
    if both.sum() >= 3 and np.ptp(p[both]) > 0 and np.ptp(t[both]) > 0:
        out["spearman"] = float(spearmanr(p[both], t[both]).statistic)
    if len(low):
        lo = np.array([np.nan if v is None else v for v in low], dtype=float)
        hi = np.array([np.nan if v is None else v for v in high], dtype=float)
        has = both & ~np.isnan(lo) & ~np.isnan(hi)
        if has.any():
            # Intervals are rounded to 0.01 in the output, so allow that much at the edges.
            inside = (t[has] >= lo[has] - 0.005) & (t[has] <= hi[has] + 0.005)
            out["interval_calibration"] = float(inside.mean())
    return out


def coverage(pred: Sequence[float | None]) -> float:
    """Share of companies with a (non-null) rating."""
    values = [v is not None and not (isinstance(v, float) and np.isnan(v)) for v in pred]
    return float(np.mean(values)) if values else np.nan


@dataclass(frozen=True)
class EvidenceCheck:
    quotes: int
    verbatim: int
    # One flag per generated sentence or bullet (kept by the grounding check or dropped), from the
    # optional provenance an LLM reviewer reports; empty when it reports none (n/a).
    grounded_flags: tuple[bool, ...]
    consistent: bool | None  # None: no rating or no evidence to compare


def review_texts(reviews: pd.DataFrame) -> dict[str, list[str]]:
    """``{review_id: [its text fields]}``; reviews without an id share the key ``""``."""
    columns = [c for c in TEXT_FIELDS if c in reviews.columns]
    out: dict[str, list[str]] = {}
    for review_id, *values in reviews[["review_id", *columns]].itertuples(index=False):
        key = "" if review_id is None or (isinstance(review_id, float) and np.isnan(review_id)) else str(review_id)
        out.setdefault(key, []).extend(v for v in values if isinstance(v, str) and v)
    return out


def check_evidence(dimension: DimensionReview, texts: dict[str, list[str]]) -> EvidenceCheck:
    """Is each quote an exact substring of the review it cites; does the evidence contradict the rating.

    Consistency is "no contradiction": evidence that leans positive (more positive than negative
    quotes) under a rating below 3 - 0.25, or leans negative under one above 3 + 0.25, is
    inconsistent; balanced evidence or a near-neutral rating is consistent.
    """
    evidence = dimension.evidence
    verbatim = sum(any(e.quote in t for t in texts.get(e.review_id, ())) for e in evidence)
    flags = tuple(bool(f) for f in (_grounded_flag(e) for e in evidence) if f is not None)
    generation = getattr(dimension, "generation", None)  # the LLM reviewer's provenance, when present
    if generation is not None and getattr(generation, "source", None) == "llm":
        flags += (True,) * len(generation.kept) + (False,) * len(generation.dropped)
    consistent = None
    if dimension.rating is not None and evidence:
        lean = sum(e.sentiment == "positive" for e in evidence) - sum(e.sentiment == "negative" for e in evidence)
        side = 0 if abs(dimension.rating - 3.0) <= NEUTRAL_BAND else (1 if dimension.rating > 3.0 else -1)
        consistent = not (lean * side < 0)
    return EvidenceCheck(quotes=len(evidence), verbatim=verbatim, grounded_flags=flags, consistent=consistent)


def _grounded_flag(evidence) -> bool | None:
    """An LLM reviewer may report provenance on a quote (optional schema fields); none means n/a."""
    for name in ("grounded", "verified"):
        value = getattr(evidence, name, None)
        if value is not None:
            return bool(value)
    return None


def share(numerator: float, denominator: float) -> float:
    return float(numerator / denominator) if denominator else np.nan


def size_bin(n_reviews: int) -> str:
    return "<100 reviews" if n_reviews < 100 else ("100-499 reviews" if n_reviews < 500 else "500+ reviews")


def recency_bin(year: float) -> str:
    if np.isnan(year):
        return "undated"
    return "median year <2016" if year < 2016 else ("median year 2016-2020" if year <= 2020 else "median year 2021+")
