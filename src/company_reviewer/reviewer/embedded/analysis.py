"""Per-company analysis: opinion units, their dimensions and polarity, mention statistics.

Kept apart from writing so that evaluation and the API can use the numbers without the prose.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from company_reviewer.units import split_frame

# A unit is positive/negative when p(positive) - p(negative) clears this margin, else neutral.
POLARITY_MARGIN = 0.2


@dataclass(frozen=True)
class CompanyUnits:
    """The opinion units of one company's reviews, with what the heads say about each."""

    units: pd.DataFrame          # review_index, review_id, field, start, end, text, sentiment, score
    embeddings: np.ndarray       # (n_units, 384), L2-normalised
    proba: np.ndarray            # (n_units, n_dimensions) detection probabilities
    mentions: np.ndarray         # (n_units, n_dimensions) bool
    dimension_ids: tuple[str, ...]
    # With the aspect-sentiment classifier: per (unit, dimension) lean in [-1, 1], sentiment label
    # and confidence of the (dimension, sentiment) claim. None with the older detector + polarity.
    scores: np.ndarray | None = None
    sentiments: np.ndarray | None = None
    confidence: np.ndarray | None = None
    # (n_units, n_dimensions, 3) sentiment probabilities from the words alone (field left out).
    wording: np.ndarray | None = None

    def shown_as(self, column: int, sentiment: str) -> np.ndarray:
        """Units that may be shown as ``sentiment`` about one dimension: detected, labelled so, and
        not read the opposite way from their words alone. The field a sentence sits in is a feature
        of the heads; a reader sees only the words, so "Below average pay" under pros is no pro."""
        mask = self.mentions[:, column] & (self.sentiment_of(column) == sentiment)
        if self.wording is not None and sentiment in ("positive", "negative"):
            p_pos, p_neg = self.wording[:, column, 0], self.wording[:, column, 1]
            against, towards = (p_neg, p_pos) if sentiment == "positive" else (p_pos, p_neg)
            mask &= ~((against > towards) & (against > 0.5))
        return mask

    def lean(self, column: int) -> np.ndarray:
        """Each unit's lean about one dimension (its own sentiment about it where known)."""
        return self.units["score"].to_numpy(dtype=float) if self.scores is None else self.scores[:, column]

    def sentiment_of(self, column: int) -> np.ndarray:
        return self.units["sentiment"].to_numpy() if self.sentiments is None else self.sentiments[:, column]


def analyse_units(reviews: pd.DataFrame, bundle, encoder, aspects=None) -> CompanyUnits:
    """Split, encode and label the units of one company's reviews.

    With ``aspects`` (an :class:`~company_reviewer.aspects.classify.AspectClassifier`) the
    dimensions and the sentiment about each come from the aspect-sentiment classifier, read from
    the words (the field is one of its features); without it, from the older detector with the
    pros/cons field as polarity.
    """
    keyed = reviews.assign(review_key=[str(i) for i in range(len(reviews))])
    units = split_frame(keyed)
    units["review_index"] = units["review_key"].astype(int)
    units["review_id"] = [str(reviews["review_id"].iloc[i]) for i in units["review_index"]]
    ids = tuple(bundle.detector.ids_)
    if units.empty:
        empty = np.zeros((0, len(ids)))
        units["sentiment"], units["score"] = [], []
        return CompanyUnits(units, np.zeros((0, 384), np.float32), empty, empty.astype(bool), ids)
    embeddings = encoder.encode(units["text"].tolist())
    languages = reviews["language"] if "language" in reviews.columns else pd.Series(["en"] * len(reviews))
    units["language"] = [languages.iloc[i] if isinstance(languages.iloc[i], str) and languages.iloc[i] else "en"
                         for i in units["review_index"]]
    if aspects is not None:
        return _classified_units(units, embeddings, aspects)
    proba = bundle.detector.predict_proba(embeddings)
    mentions = proba >= bundle.detector.thresholds_
    _add_pattern_mentions(units, proba, mentions, ids)
    polarity = bundle.polarity.predict_proba(embeddings)
    classes = list(bundle.polarity.classes_)
    score = polarity[:, classes.index("positive")] - polarity[:, classes.index("negative")]
    # The field a reviewer wrote in (pros, cons) beats the classifier where there is one: 0.867
    # vs 0.749 accuracy on the Glassdoor gold set (docs/detector-report.md), and it does not
    # depend on the English-only encoder.
    field_sign = units["field"].map({"pros": 1.0, "cons": -1.0}).to_numpy(dtype=float)
    score = np.where(~np.isnan(field_sign), field_sign, score)
    units["score"] = score
    units["sentiment"] = np.where(score > POLARITY_MARGIN, "positive",
                                  np.where(score < -POLARITY_MARGIN, "negative", "neutral"))
    return CompanyUnits(units.reset_index(drop=True), embeddings, proba, mentions, ids)


def _classified_units(units: pd.DataFrame, embeddings: np.ndarray, aspects) -> CompanyUnits:
    from company_reviewer.aspects.model import SENTIMENTS

    labels = aspects.classify(units[["text", "field", "language"]], minilm_vectors=embeddings, wording=True)
    best = labels.sentiment.argmax(axis=2)
    sentiments = np.asarray(SENTIMENTS, dtype=object)[best]
    confidence = labels.proba * np.take_along_axis(labels.sentiment, best[:, :, None], axis=2)[:, :, 0]
    scores = labels.score
    # The unit-level lean (for the rating heads' unit features and older callers): its strongest
    # detected dimension's, 0 for units about nothing.
    strongest = np.where(labels.mentions, labels.proba, -1.0).argmax(axis=1)
    unit_score = np.where(labels.mentions.any(axis=1), scores[np.arange(len(units)), strongest], 0.0)
    units["score"] = unit_score
    units["sentiment"] = np.where(unit_score > POLARITY_MARGIN, "positive",
                                  np.where(unit_score < -POLARITY_MARGIN, "negative", "neutral"))
    units["instruction"] = labels.instruction
    return CompanyUnits(units.reset_index(drop=True), embeddings, labels.proba, labels.mentions,
                        tuple(labels.ids), scores=scores, sentiments=sentiments, confidence=confidence,
                        wording=labels.wording)


@lru_cache(maxsize=2)
def _pattern_lfs(dimension_ids: tuple[str, ...]):
    from company_reviewer.labeling.functions import keyword_lfs, regex_lfs
    from company_reviewer.taxonomy import load_taxonomy

    taxonomy = load_taxonomy()
    if taxonomy.ids != dimension_ids:
        return None
    return tuple(keyword_lfs(taxonomy) + regex_lfs(taxonomy))


def _add_pattern_mentions(units: pd.DataFrame, proba: np.ndarray, mentions: np.ndarray, ids) -> None:
    """The encoder (all-MiniLM-L6-v2) is English-only, so the detector misses most mentions in other
    languages. There, the taxonomy's seed keywords and hand-written patterns (English and German)
    decide as well: a unit they assign to a dimension counts as a mention of it."""
    foreign = np.flatnonzero(units["language"].to_numpy() != "en")
    lfs = _pattern_lfs(tuple(ids)) if len(foreign) else None
    if not lfs:
        return
    from company_reviewer.labeling.applier import apply_lfs

    votes, _ = apply_lfs(units.iloc[foreign][["text", "field", "language"]].reset_index(drop=True), lfs)
    for row, unit_votes in zip(foreign, votes):
        for label in set(unit_votes.tolist()):
            if 0 <= label < len(ids):
                mentions[row, label] = True
                proba[row, label] = max(proba[row, label], 0.9)


@dataclass(frozen=True)
class MentionStats:
    """How the reviews talk about one dimension: per-review lean, counted."""

    mentions: int
    positive: int
    negative: int
    mixed: int
    balance: float  # (positive - negative) / mentions, in [-1, 1]


def review_leans(cu: CompanyUnits, column: int) -> pd.Series:
    """Mean unit score per review among the units that mention the dimension."""
    mask = cu.mentions[:, column]
    if not mask.any():
        return pd.Series(dtype=float)
    lean = pd.Series(cu.lean(column)[mask], index=cu.units["review_index"].to_numpy()[mask])
    return lean.groupby(level=0).mean().rename_axis("review_index")


def mention_stats(leans: pd.Series) -> MentionStats:
    positive = int((leans > POLARITY_MARGIN).sum())
    negative = int((leans < -POLARITY_MARGIN).sum())
    mentions = int(len(leans))
    balance = (positive - negative) / mentions if mentions else 0.0
    return MentionStats(mentions, positive, negative, mentions - positive - negative, balance)
