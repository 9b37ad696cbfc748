"""The embedded reviewer plugin: the product's default model, offline on CPU.

For each dimension: detected mentions and their lean (counted per review), a rating from the text
(calibrated rating heads for the six dimensions Glassdoor rates, the mention model for the rest),
recurring points and quotes chosen from opinion units, and a paragraph written from those numbers.
"""

from __future__ import annotations

import copy
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
from company_reviewer.reviewer.embedded.writing import DimensionFacts, Point, bullets, dimension_summary, verdict
from company_reviewer.reviewer.schema import CompanyReview, DimensionReview, Evidence, ModelInfo, OverallReview
from company_reviewer.reviewer.unit_attention import ReviewUnits


class EmbeddedOptions(ReviewerOptions):
    artifact: str | None = Field(None, description="Folder of a trained bundle; default: the shipped one.")
    quotes_per_side: int = Field(2, ge=0, le=5, description="Evidence quotes per dimension and side.")
    n_boot: int = Field(200, ge=0, le=5000, description="Bootstrap resamples for intervals.")
    use_star_ratings: bool = Field(False, description="Blend the reviews' own star ratings in.")
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
    def version(self) -> str:  # type: ignore[override]
        return self.bundle.version

    def review_company(self, company: str, reviews: pd.DataFrame) -> CompanyReview:
        return self.analyse(company, reviews).review

    def analyse(self, company: str, reviews: pd.DataFrame) -> EmbeddedAnalysis:
        from company_reviewer.embedding import get_encoder
        from company_reviewer.taxonomy import load_taxonomy

        bundle = self.bundle
        reviews = reviews.reset_index(drop=True)
        taxonomy = load_taxonomy()
        cu = analyse_units(reviews, bundle, get_encoder())
        rating_model = bundle.rating
        if self.options.use_star_ratings != rating_model.use_star_ratings:
            # A shallow copy: the cached bundle is shared by threads and must not change.
            rating_model = copy.copy(rating_model)
            rating_model.use_star_ratings = self.options.use_star_ratings
        # The rating heads read the same units the detector just encoded: no second encoding.
        units = ReviewUnits.from_units(cu.units["review_index"].to_numpy(), cu.units["field"], cu.embeddings, len(reviews))
        estimates = rating_model.predict_dimensions(
            reviews, n_boot=self.options.n_boot, random_state=self.options.random_state, units=units
        )
        overall = estimates["overall"]
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
            praise = self._points(cu, column, "positive") if column is not None else ()
            complaints = self._points(cu, column, "negative") if column is not None else ()
            facts[dimension.id] = DimensionFacts(
                label=dimension.label, n_reviews=len(reviews), mentions=stats.mentions,
                positive=stats.positive, negative=stats.negative, mixed=stats.mixed,
                rating=rating, interval=interval, praise=praise, complaints=complaints,
            )
            dimensions[dimension.id] = DimensionReview(
                label=dimension.label, rating=_round(rating),
                interval=None if interval is None else (_round(interval[0]), _round(interval[1])),
                mentions=stats.mentions, summary=dimension_summary(facts[dimension.id]),
                pros=bullets(praise), cons=bullets(complaints),
                evidence=self._evidence(cu, column) if column is not None else [],
            )
        overall_interval = None if overall.rating is None else (overall.low, overall.high)
        review = CompanyReview(
            company=company,
            n_reviews_used=len(reviews),
            model=ModelInfo(name=self.name, version=self.version),
            overall=OverallReview(
                rating=_round(overall.rating),
                interval=None if overall_interval is None else tuple(_round(v) for v in overall_interval),
                verdict=verdict(company, len(reviews), overall.rating, overall_interval, facts),
            ),
            dimensions=dimensions,
        )
        columns = {dimension_id: stats[0] for dimension_id, stats in all_stats.items()}
        return EmbeddedAnalysis(review=review, units=cu, columns=columns, facts=facts)

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
        mask = cu.mentions[:, column] & (cu.units["sentiment"].to_numpy() == sentiment)
        indices = list(np.flatnonzero(mask))
        if not indices:
            return ()
        lengths = cu.units["text"].str.len().to_numpy()
        # Strongest-opinion units lead their clusters, which keeps the clusters stable.
        indices.sort(key=lambda i: -abs(cu.units["score"].iat[i]) * cu.proba[i, column])
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
        for sentiment in ("positive", "negative"):
            mask = cu.mentions[:, column] & (cu.units["sentiment"].to_numpy() == sentiment)
            relevance = np.where(
                mask, cu.proba[:, column] * np.abs(cu.units["score"].to_numpy()) * quote_quality(lengths), 0.0
            )
            for i in mmr_select(cu.embeddings, relevance, self.options.quotes_per_side, groups=groups):
                out.append(Evidence(review_id=cu.units["review_id"].iat[i], quote=cu.units["text"].iat[i],
                                    sentiment=sentiment))
        return out
