"""Reviews and unit labels along a custom taxonomy: the same contract, the taxonomy's ids.

A company is first analysed along the default dimensions by the embedded reviewer (units, the
trained classifier, the rating heads, the star stage, the overall rating); the taxonomy's
dimensions are then detected in the same units (:func:`~company_reviewer.custom.detect.detect`).
Each dimension's rating is the mention model's reading of its mention balance around the overall
rating (as for the default dimensions no platform rates), blended where it ``maps_to`` default
dimensions with their trained ratings; thin evidence follows the one rule
(``writing.THIN_EVIDENCE_MENTIONS``); quotes, pros/cons and paragraphs come from the same code as
the built-ins', with the dimension's label.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from company_reviewer.aspects.model import SENTIMENTS
from company_reviewer.custom.detect import detect
from company_reviewer.reviewer.embedded.analysis import (
    CompanyUnits,
    mention_stats,
    review_leans,
)
from company_reviewer.reviewer.schema import (
    CompanyReview,
    DimensionReview,
    ModelInfo,
    OverallReview,
)
from company_reviewer.taxonomy import Taxonomy

# Weight of the mapped default dimensions' trained rating against the mention balance, for a
# dimension that `maps_to` some: the trained heads are the better-measured signal (embedded MAE
# 0.19 on Glassdoor's categories, docs/compare), the balance keeps the dimension's own reading.
MAPPED_WEIGHT = 0.7


class TaxonomyNotSupported(ValueError):
    """The chosen model cannot review along a custom taxonomy."""


def embedded_of(reviewer: Any):
    """The embedded reviewer a model stands on (itself, or an LLM reviewer's pipeline)."""
    from company_reviewer.reviewer.embedded.pipeline import EmbeddedReviewer

    if not isinstance(reviewer, EmbeddedReviewer):
        name = getattr(reviewer, "name", type(reviewer).__name__)
        raise TaxonomyNotSupported(f"--taxonomy needs the embedded model (or a registry bundle); {name!r} "
                                   f"reviews the 12 default dimensions only: drop --model or --taxonomy")
    return reviewer


def section_dimensions(units: pd.DataFrame, reviews: pd.DataFrame, taxonomy: Taxonomy) -> np.ndarray:
    """(n, d) bool: the reviews' own structure assigns the unit to a dimension (a kununu "Label:
    answer" section whose label is the dimension's label, as the kununu preset writes them)."""
    from company_reviewer.units import OpinionUnit, unit_category

    by_label = {d.label.casefold(): i for i, d in enumerate(taxonomy)}
    out = np.zeros((len(units), len(taxonomy)), dtype=bool)
    if not len(units):
        return out
    records = reviews.to_dict("records")
    for row, unit in enumerate(units.itertuples(index=False)):
        record = records[int(unit.review_index)]
        label = unit_category(OpinionUnit(str(unit.review_index), unit.field, int(unit.start), int(unit.end),
                                          unit.text), record)
        if label is not None and label.casefold() in by_label:
            out[row, by_label[label.casefold()]] = True
    return out


def taxonomy_units(cu: CompanyUnits, reviews: pd.DataFrame, taxonomy: Taxonomy, aspects) -> CompanyUnits:
    """The company's units labelled with ``taxonomy`` (same units, embeddings and order)."""
    units = cu.units
    aspect_labels = (aspects.classify(units[["text", "field", "language"]], minilm_vectors=cu.embeddings)
                     if aspects is not None and len(units) else None)
    labels = detect(units, taxonomy, aspect_labels, minilm_vectors=cu.embeddings,
                    sections=section_dimensions(units, reviews, taxonomy))
    best = labels.sentiment.argmax(axis=2) if len(units) else np.zeros((0, len(taxonomy)), dtype=int)
    sentiments = np.asarray(SENTIMENTS, dtype=object)[best]
    confidence = (labels.proba * np.take_along_axis(labels.sentiment, best[:, :, None], axis=2)[:, :, 0]
                  if len(units) else np.zeros((0, len(taxonomy))))
    return CompanyUnits(units, cu.embeddings, labels.proba, labels.mentions, taxonomy.ids,
                        scores=labels.score, sentiments=sentiments, confidence=confidence)


def _blend(mention: tuple[float | None, tuple | None], mapped: list[DimensionReview]):
    """The dimension's rating and interval from its own mention reading and the mapped ratings."""
    rated = [m for m in mapped if m.rating is not None]
    rating, interval = mention
    if not rated:
        return rating, interval
    r_map = float(np.mean([m.rating for m in rated]))
    bounds = [m.interval for m in rated if m.interval is not None]
    i_map = (float(np.mean([b[0] for b in bounds])), float(np.mean([b[1] for b in bounds]))) if bounds else None
    if rating is None:
        return r_map, i_map
    blended = MAPPED_WEIGHT * r_map + (1 - MAPPED_WEIGHT) * rating
    if i_map is None or interval is None:
        return blended, i_map or interval
    return blended, (MAPPED_WEIGHT * i_map[0] + (1 - MAPPED_WEIGHT) * interval[0],
                     MAPPED_WEIGHT * i_map[1] + (1 - MAPPED_WEIGHT) * interval[1])


def review_with_taxonomy(reviewer: Any, company: str, reviews: pd.DataFrame, taxonomy: Taxonomy) -> CompanyReview:
    """One company's review along ``taxonomy`` (the ``review`` contract with its ids)."""
    from company_reviewer.aspects.guard import strip_instructions
    from company_reviewer.reviewer.embedded.pipeline import THIN_INTERVAL, _round
    from company_reviewer.reviewer.embedded.writing import (
        THIN_EVIDENCE_MENTIONS,
        DimensionFacts,
        bullets,
        dimension_summary,
        language_of,
        verdict,
    )

    embedded = embedded_of(reviewer)
    analysis = embedded.analyse(company, reviews)
    base = analysis.review
    # The same blanking analyse() applied, so section headers are read from the same text.
    cleaned, _ = strip_instructions(reviews.reset_index(drop=True))
    cu = taxonomy_units(analysis.units, cleaned, taxonomy, embedded.aspects)
    language = language_of(cleaned["language"].tolist()) if "language" in cleaned.columns else "en"
    overall = base.overall.rating
    facts: dict[str, DimensionFacts] = {}
    dimensions: dict[str, DimensionReview] = {}
    for column, dimension in enumerate(taxonomy):
        leans = review_leans(cu, column)
        stats = mention_stats(leans)
        own = embedded._rating(dimension.id, {}, stats, leans, overall, len(cleaned))
        mapped = [base.dimensions[m] for m in dimension.maps_to if m in base.dimensions]
        # Nothing detected: nothing in the reviews bears on this dimension (a mapped default
        # dimension's rating is about what was detected for it, not for this one).
        rating, interval = _blend(own, mapped) if stats.mentions else (None, None)
        basis = None
        if rating is not None:
            mapped_bases = {m.basis for m in mapped if m.rating is not None}
            basis = ("inferred" if stats.mentions < THIN_EVIDENCE_MENTIONS else
                     "text+stars" if "text+stars" in mapped_bases or (not mapped_bases and
                                                                     base.overall.basis == "text+stars")
                     else "text")
        if basis == "inferred" and interval is not None:
            interval = (max(1.0, min(interval[0], rating - THIN_INTERVAL)),
                        min(5.0, max(interval[1], rating + THIN_INTERVAL)))
        praise = embedded._points(cu, column, "positive")
        complaints = embedded._points(cu, column, "negative")
        facts[dimension.id] = DimensionFacts(
            label=dimension.label, n_reviews=len(cleaned), mentions=stats.mentions, positive=stats.positive,
            negative=stats.negative, mixed=stats.mixed, rating=rating, interval=interval, praise=praise,
            complaints=complaints, language=language, company=company, dimension_id=dimension.id, basis=basis,
        )
        dimensions[dimension.id] = DimensionReview(
            label=dimension.label, rating=_round(rating),
            interval=None if interval is None else (_round(interval[0]), _round(interval[1])),
            mentions=stats.mentions, summary=dimension_summary(facts[dimension.id]),
            pros=bullets(praise, language=language), cons=bullets(complaints, language=language),
            evidence=embedded._evidence(cu, column), basis=basis,
        )
    overall_review = OverallReview(
        rating=base.overall.rating, interval=base.overall.interval, basis=base.overall.basis,
        verdict=verdict(company, len(cleaned), overall,
                        None if base.overall.interval is None else tuple(base.overall.interval), facts,
                        language=language),
    )
    return base.model_copy(update={
        "model": taxonomy_model_info(base.model, taxonomy),
        "overall": overall_review,
        "dimensions": dimensions,
    })


def taxonomy_model_info(model: ModelInfo, taxonomy: Taxonomy) -> ModelInfo:
    """``model`` with the taxonomy's name and version (the one addition to the contract)."""
    from company_reviewer.reviewer.schema import TaxonomyInfo

    return model.model_copy(update={"taxonomy": TaxonomyInfo(name=taxonomy.name, version=taxonomy.version)})


def classify_with_taxonomy(units: pd.DataFrame, taxonomy: Taxonomy, model: str | None = None) -> list[dict]:
    """The ``classify`` rows (``{"id", "text", "dimensions": {id: {sentiment, confidence}}}``) with
    ``taxonomy``'s dimensions."""
    from company_reviewer.aspects.classify import load_aspect_classifier
    from company_reviewer.embedding import get_encoder

    if not len(units):
        return []
    classifier = load_aspect_classifier(model)
    vectors = get_encoder().encode(units["text"].fillna("").astype(str).tolist())
    aspect_labels = classifier.classify(units, minilm_vectors=vectors)
    labels = detect(units, taxonomy, aspect_labels, minilm_vectors=vectors).as_dicts()
    return [{"id": str(i), "text": t, "dimensions": d} for i, t, d in zip(units["id"], units["text"], labels)]
