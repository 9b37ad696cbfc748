"""The embedded reviewer plugin: the product's default model, offline on CPU.

For each dimension: detected mentions and their lean (counted per review), a rating from the text
(calibrated rating heads for the six dimensions Glassdoor rates, the mention model for the rest),
recurring points and quotes chosen from opinion units, and a paragraph written from those numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pydantic import Field

from company_reviewer.reviewer.base import Reviewer, ReviewerOptions
from company_reviewer.reviewer.embedded.analysis import (
    POLARITY_MARGIN, CompanyUnits, analyse_units, mention_stats, review_leans,
)
from company_reviewer.reviewer.embedded.bundle import load_bundle
from company_reviewer.reviewer.embedded.evidence import cluster_points, medoid, mmr_select, quote_quality
from company_reviewer.reviewer.embedded.writing import (
    THIN_EVIDENCE_MENTIONS, DimensionFacts, Point, bullets, dimension_summary, language_of, trend_of, verdict,
)
from company_reviewer.reviewer.schema import (
    CompanyReview, DimensionReview, DimensionTrend, Evidence, ModelInfo, OverallReview,
)
from company_reviewer.reviewer.unit_attention import ReviewUnits


# Fewer mentioning reviews than writing.THIN_EVIDENCE_MENTIONS: the rating is inferred from the
# overall tone (basis "inferred"), its interval at least +-THIN_INTERVAL, and the verdict never
# names the dimension.
THIN_INTERVAL = 0.75

# How sure the classifier must be of a (dimension, sentiment) claim before a reader sees the unit:
# as a quote, or as a recurring point in the pros/cons bullets.
MIN_QUOTE_CONFIDENCE = 0.6
MIN_POINT_CONFIDENCE = 0.5


class EmbeddedOptions(ReviewerOptions):
    artifact: str | None = Field(None, description="Folder of a trained bundle; default: the shipped one.")
    quotes_per_side: int = Field(2, ge=0, le=5, description="Evidence quotes per dimension and side.")
    n_boot: int = Field(200, ge=0, le=5000, description="Bootstrap resamples for intervals.")
    use_star_ratings: bool = Field(True, description="Use the reviews' own star ratings (overall stars, "
                                   "platform sub-ratings) when they carry them; the text is always read.")
    random_state: int = 0


@dataclass(frozen=True)
class EmbeddedAnalysis:
    """A company review with what it was written from, for writers built on top (the LLM reviewer)."""

    review: CompanyReview
    units: CompanyUnits
    columns: dict[str, int | None]      # dimension id -> column in units.mentions/proba (None: undetected)
    facts: dict[str, DimensionFacts]


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 2)


class EmbeddedReviewer(Reviewer):
    name = "embedded"
    Options = EmbeddedOptions

    @property
    def bundle(self):
        return load_bundle(self.options.artifact)

    @property
    def aspects(self):
        """The bundle's aspect-sentiment classifier (None for bundles trained before it existed)."""
        from company_reviewer.aspects.classify import AspectClassifier, load_aspect_classifier

        folder = self.bundle.path / "aspects"
        return load_aspect_classifier(str(self.bundle.path)) if AspectClassifier.exists(folder) else None

    @property
    def version(self) -> str:  # type: ignore[override]
        return self.bundle.version

    def review_company(self, company: str, reviews: pd.DataFrame) -> CompanyReview:
        return self.analyse(company, reviews).review

    def analyse(self, company: str, reviews: pd.DataFrame) -> EmbeddedAnalysis:
        from company_reviewer.embedding import get_encoder
        from company_reviewer.taxonomy import load_taxonomy

        from company_reviewer.aspects.guard import strip_instructions

        bundle = self.bundle
        # Instruction-like units are not opinions: blanked (offsets kept) before anything reads them,
        # so they are never evidence and never move a rating.
        reviews, _ = strip_instructions(reviews.reset_index(drop=True))
        taxonomy = load_taxonomy()
        cu = analyse_units(reviews, bundle, get_encoder(), aspects=self.aspects)
        # The rating heads read the same units the classifier just read: no second encoding.
        units = ReviewUnits.from_units(cu.units["review_index"].to_numpy(), cu.units["field"], cu.embeddings,
                                       len(reviews))
        estimates, bases = self._estimates(reviews, units)
        overall = estimates["overall"]
        language = language_of(reviews["language"].tolist()) if "language" in reviews.columns else "en"
        dates = reviews["date"] if "date" in reviews.columns else None
        facts: dict[str, DimensionFacts] = {}
        dimensions: dict[str, DimensionReview] = {}
        all_stats = {}
        for dimension in taxonomy:
            column = cu.dimension_ids.index(dimension.id) if dimension.id in cu.dimension_ids else None
            leans = review_leans(cu, column) if column is not None else pd.Series(dtype=float)
            all_stats[dimension.id] = (column, leans, mention_stats(leans))
        shifts = self._shared_target_shifts(all_stats)
        for dimension in taxonomy:
            column, leans, stats = all_stats[dimension.id]
            rating, interval = self._rating(dimension.id, estimates, stats, leans, overall.rating, len(reviews))
            if rating is not None and dimension.id in shifts:
                shift = shifts[dimension.id]
                rating = float(np.clip(rating + shift, 1, 5))
                interval = (float(np.clip(interval[0] + shift, 1, 5)), float(np.clip(interval[1] + shift, 1, 5)))
            basis = self._basis(dimension.id, stats.mentions, rating, bases)
            if basis == "inferred" and interval is not None:
                # One rule for thin evidence: the rating comes from the overall tone, and its
                # interval says how little the reviews pin it down.
                interval = (max(1.0, min(interval[0], rating - THIN_INTERVAL)),
                            min(5.0, max(interval[1], rating + THIN_INTERVAL)))
            praise = self._points(cu, column, "positive") if column is not None else ()
            complaints = self._points(cu, column, "negative") if column is not None else ()
            facts[dimension.id] = DimensionFacts(
                label=dimension.label, n_reviews=len(reviews), mentions=stats.mentions,
                positive=stats.positive, negative=stats.negative, mixed=stats.mixed,
                rating=rating, interval=interval, praise=praise, complaints=complaints,
                language=language, company=company, dimension_id=dimension.id, basis=basis,
                trend=trend_of(leans, dates) if dates is not None and len(leans) else None,
            )
            dimensions[dimension.id] = DimensionReview(
                label=dimension.label, rating=_round(rating),
                interval=None if interval is None else (_round(interval[0]), _round(interval[1])),
                mentions=stats.mentions, summary=dimension_summary(facts[dimension.id]),
                pros=bullets(praise, language=language), cons=bullets(complaints, language=language),
                evidence=self._evidence(cu, column) if column is not None else [],
                basis=basis, trend=DimensionTrend.of(facts[dimension.id].trend),
            )
        overall_interval = None if overall.rating is None else (overall.low, overall.high)
        review = CompanyReview(
            company=company,
            n_reviews_used=len(reviews),
            model=ModelInfo(name=self.name, version=self.version),
            overall=OverallReview(
                rating=_round(overall.rating),
                interval=None if overall_interval is None else tuple(_round(v) for v in overall_interval),
                verdict=verdict(company, len(reviews), overall.rating, overall_interval, facts, language=language),
                basis=bases.get("overall") if overall.rating is not None else None,
            ),
            dimensions=dimensions,
            language=language,
        )
        columns = {dimension_id: stats[0] for dimension_id, stats in all_stats.items()}
        return EmbeddedAnalysis(review=review, units=cu, columns=columns, facts=facts)

    def _estimates(self, reviews: pd.DataFrame, units: ReviewUnits):
        """Rating estimates per dimension and what each stands on: the text heads, then (when the
        reviews carry star ratings and the option is on) the star stage. The dimensions rated
        from mention balance sit on the overall rating, so they inherit its basis."""
        from company_reviewer.reviewer.rating import DIMENSION_TARGETS
        from company_reviewer.reviewer.star_stage import apply_star_stage, load_star_stage

        bundle = self.bundle
        by_target = bundle.rating.predict_company(reviews, n_boot=self.options.n_boot,
                                                  random_state=self.options.random_state, units=units)
        target_basis = {t: "text" for t in by_target}
        if self.options.use_star_ratings:
            stage = load_star_stage(bundle.path)
            if stage is not None:
                by_target, target_basis = apply_star_stage(stage, by_target, reviews)
        estimates = {dim: by_target[t] for dim, t in DIMENSION_TARGETS.items()}
        bases = {dim: target_basis.get(t, "text") for dim, t in DIMENSION_TARGETS.items()}
        overall_basis = target_basis.get("overall", "text")
        return estimates, {"overall": overall_basis, **{d: bases.get(d, overall_basis) for d in
                                                         self._dimension_ids()}}

    @staticmethod
    def _dimension_ids() -> tuple[str, ...]:
        from company_reviewer.taxonomy import load_taxonomy

        return tuple(load_taxonomy().ids)

    @staticmethod
    def _basis(dimension_id: str, mentions: int, rating, bases: dict[str, str]) -> str | None:
        """What a dimension's rating stands on (see :data:`THIN_EVIDENCE_MENTIONS`)."""
        if rating is None:
            return None
        if mentions < THIN_EVIDENCE_MENTIONS:
            return "inferred"
        return bases.get(dimension_id, "text")

    def _shared_target_shifts(self, all_stats) -> dict[str, float]:
        """Salary and benefits share Glassdoor's compensation & benefits stars. Their calibrated
        rating stays the pair's mean; each moves from it by how its own mentions lean compared
        with the other's, with the mention model's slope and shrinkage."""
        from company_reviewer.reviewer.rating import DIMENSION_TARGETS

        model = self.bundle.mention_rating
        by_target: dict[str, list[str]] = {}
        for dimension_id, target in DIMENSION_TARGETS.items():
            if dimension_id in all_stats:
                by_target.setdefault(target, []).append(dimension_id)
        shifts = {}
        for members in by_target.values():
            if len(members) < 2:
                continue
            signal = {d: float(model.signal(all_stats[d][2].balance, all_stats[d][2].mentions)) for d in members}
            centre = float(np.mean(list(signal.values())))
            shifts.update({d: float(model.slope_ * (x - centre)) for d, x in signal.items()})
        return shifts

    def _rating(self, dimension_id, estimates, stats, leans, base, n_reviews):
        estimate = estimates.get(dimension_id)
        if estimate is not None and estimate.rating is not None:
            return estimate.rating, (estimate.low, estimate.high)
        if stats.mentions == 0 or base is None:
            return None, None
        model = self.bundle.mention_rating
        rating = float(model.predict([stats.balance], [stats.mentions], [base])[0])
        if self.options.n_boot == 0:
            return rating, None
        # Bootstrap over reviews: reviews that do not mention the dimension count as non-mentions.
        rng = np.random.default_rng(self.options.random_state)
        lean_by_review = np.full(n_reviews, np.nan)
        lean_by_review[leans.index.to_numpy()] = leans.to_numpy()
        draws = lean_by_review[rng.integers(0, n_reviews, size=(self.options.n_boot, n_reviews))]
        mentioned = ~np.isnan(draws)
        counts = mentioned.sum(axis=1)
        pos = np.nansum(draws > POLARITY_MARGIN, axis=1)
        neg = np.nansum(draws < -POLARITY_MARGIN, axis=1)
        balance = np.where(counts > 0, (pos - neg) / np.maximum(counts, 1), 0.0)
        samples = model.predict(balance, counts, np.full(len(counts), base))
        # The bootstrap sees sampling noise only; the transfer's own residual error widens it.
        half_lo = np.hypot(rating - np.percentile(samples, 5), 1.645 * model.resid_sd_)
        half_hi = np.hypot(np.percentile(samples, 95) - rating, 1.645 * model.resid_sd_)
        return rating, (float(max(1.0, rating - half_lo)), float(min(5.0, rating + half_hi)))

    def _points(self, cu: CompanyUnits, column: int, sentiment: str) -> tuple[Point, ...]:
        mask = cu.shown_as(column, sentiment)
        if cu.confidence is not None:
            mask &= cu.confidence[:, column] >= MIN_POINT_CONFIDENCE
        indices = list(np.flatnonzero(mask))
        if not indices:
            return ()
        lengths = cu.units["text"].str.len().to_numpy()
        lean = cu.lean(column)
        # Strongest-opinion units lead their clusters, which keeps the clusters stable.
        indices.sort(key=lambda i: -abs(lean[i]) * cu.proba[i, column])
        points = []
        for members in cluster_points(cu.embeddings, indices)[:3]:
            chosen = medoid(cu.embeddings, members, lengths)
            n_reviews = cu.units["review_index"].iloc[members].nunique()
            points.append(Point(cu.units["text"].iat[chosen], int(n_reviews)))
        return tuple(points)

    def _evidence(self, cu: CompanyUnits, column: int) -> list[Evidence]:
        out: list[Evidence] = []
        lengths = cu.units["text"].str.len().to_numpy()
        groups = cu.units["review_index"].to_numpy()
        lean = np.abs(cu.lean(column))
        for sentiment in ("positive", "negative"):
            mask = cu.shown_as(column, sentiment)
            if cu.confidence is not None:
                # Only confident, on-topic units are shown as evidence.
                mask &= cu.confidence[:, column] >= MIN_QUOTE_CONFIDENCE
            relevance = np.where(mask, cu.proba[:, column] * lean * quote_quality(lengths), 0.0)
            for i in mmr_select(cu.embeddings, relevance, self.options.quotes_per_side, groups=groups):
                out.append(Evidence(review_id=cu.units["review_id"].iat[i], quote=cu.units["text"].iat[i],
                                    sentiment=sentiment))
        return out
