"""What the rating model reads from reviews, and what it is fitted to.

- :func:`review_units`: each review's opinion units (:func:`company_reviewer.units.split_frame`,
  the same segmentation the dimension detector and the quotes use, so a company's text is
  encoded once), grouped per review for :class:`~company_reviewer.reviewer.unit_attention.UnitAttentionHeads`.
- :func:`company_view`: a review's per-field mean unit embedding (headline | pros | cons | advice)
  plus unit counts, the features of the company-level correction.
- :func:`target_frame`: the star targets, :func:`company_folds`: folds that keep companies whole.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from company_reviewer.reviewer.unit_attention import FIELD_INDEX, ReviewUnits

TARGETS: tuple[str, ...] = (
    "overall", "comp_benefits", "work_life_balance", "culture_values",
    "diversity_inclusion", "career_opportunities", "senior_management",
)
VIEW_FIELDS: tuple[str, ...] = ("headline", "pros", "cons", "advice")


def target_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Targets as float columns named as in :data:`TARGETS` (``rating_*`` names accepted)."""
    out = {}
    for t in TARGETS:
        col = t if t in frame.columns else f"rating_{t}"
        values = pd.to_numeric(frame[col], errors="coerce") if col in frame.columns else np.nan
        out[t] = values
    y = pd.DataFrame(out, index=frame.index).astype(float)
    return y.where((y >= 1) & (y <= 5))


def review_units(reviews: pd.DataFrame, encoder: Any) -> ReviewUnits:
    """Split every review into opinion units and encode them (through the encoder's cache)."""
    from company_reviewer.units import split_frame

    keyed = pd.DataFrame({c: reviews[c].to_numpy() for c in FIELD_INDEX if c in reviews.columns})
    keyed["review_key"] = [str(i) for i in range(len(reviews))]
    units = split_frame(keyed)
    texts = units["text"].tolist()
    vectors = encoder.encode(texts) if texts else np.zeros((0, 384), dtype=np.float32)
    return ReviewUnits.from_units(units["review_key"].astype(int).to_numpy(), units["field"], vectors, len(reviews))


def company_view(units: ReviewUnits) -> tuple[np.ndarray, np.ndarray]:
    """Per-review features for the company stage, and which reviews have them (pros or cons).

    Columns: the mean unit embedding of each of :data:`VIEW_FIELDS`, then log unit counts and
    presence flags per field (long cons next to short pros mark unhappy reviewers).
    """
    n, dim = units.n_reviews, units.embeddings.shape[1]
    review = np.repeat(np.arange(n), units.counts())
    blocks, counts = [], []
    for name in VIEW_FIELDS:
        pick = units.field == FIELD_INDEX[name]
        total = np.zeros((n, dim), np.float32)
        np.add.at(total, review[pick], units.embeddings[pick])
        count = np.bincount(review[pick], minlength=n).astype(np.float32)
        blocks.append(total / np.maximum(count, 1)[:, None])
        counts.append(count)
    count = np.column_stack(counts)
    x = np.hstack([*blocks, np.log1p(count) / 3.0, (count > 0).astype(np.float32)])
    structured = (count[:, VIEW_FIELDS.index("pros")] + count[:, VIEW_FIELDS.index("cons")]) > 0
    return x, structured


def company_folds(groups: np.ndarray, n_folds: int, random_state: int) -> np.ndarray:
    """Fold number per row; whole companies go to one fold (shuffled, seeded)."""
    keys = pd.unique(groups)
    rng = np.random.default_rng(random_state)
    fold_of = {k: i % n_folds for i, k in enumerate(rng.permutation(keys))}
    return np.array([fold_of[g] for g in groups])
