"""The company-review output contract (``review --format json|jsonl``, the API, evaluation).

Other tools depend on these exact field names; add optional fields only.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Sentiment = Literal["positive", "negative", "neutral"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Evidence(_Frozen):
    review_id: str
    quote: str = Field(description="An exact substring of the review's text.")
    sentiment: Sentiment


class DimensionReview(_Frozen):
    label: str
    rating: float | None = Field(default=None, ge=1, le=5)
    interval: tuple[float, float] | None = None
    mentions: int = Field(ge=0)
    summary: str
    pros: list[str] = Field(default_factory=list)
    cons: list[str] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list)


class OverallReview(_Frozen):
    rating: float | None = Field(default=None, ge=1, le=5)
    interval: tuple[float, float] | None = None
    verdict: str


class ModelInfo(_Frozen):
    name: str
    version: str


class CompanyReview(_Frozen):
    company: str
    n_reviews_used: int = Field(ge=0)
    model: ModelInfo
    overall: OverallReview
    dimensions: dict[str, DimensionReview]
