"""The company-review output contract (``review --format json|jsonl``, the API, evaluation).

Other tools depend on these exact field names; add optional fields only.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializationInfo, SerializerFunctionWrapHandler, model_serializer

Sentiment = Literal["positive", "negative", "neutral"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _OmitsUnsetProvenance(_Frozen):
    """Optional provenance fields (set by the LLM reviewer) are left out of the output while None,
    so the embedded model's JSON stays exactly what it was before they existed."""

    _omit_when_none: ClassVar[tuple[str, ...]] = ()

    @model_serializer(mode="wrap")
    def _drop_unset_provenance(self, handler: SerializerFunctionWrapHandler, info: SerializationInfo) -> Any:
        data = handler(self)
        for name in self._omit_when_none:
            if isinstance(data, dict) and data.get(name, ...) is None:
                data.pop(name)
        return data


class Evidence(_Frozen):
    review_id: str
    quote: str = Field(description="An exact substring of the review's text.")
    sentiment: Sentiment


class Generation(_Frozen):
    """Where a dimension's text came from: ``llm`` (the model's text, after the grounding check),
    ``embedded`` (the embedded writer, by choice) or ``fallback`` (the LLM failed: invalid output
    after every retry, a backend error, or nothing survived the grounding check)."""

    source: Literal["llm", "embedded", "fallback"]
    kept: list[str] = Field(default_factory=list,
                            description="LLM sentences and bullets that passed the grounding check.")
    dropped: list[str] = Field(default_factory=list, description="LLM sentences and bullets that failed it.")
    retries: int = Field(0, ge=0)
    error: str | None = Field(None, description="Why the LLM text was not used (fallback only).")
    llm_rating: float | None = Field(None, description="The LLM's own rating before it was kept near the embedded one.")


class Usage(_Frozen):
    """What the LLM calls of one company review cost."""

    prompt_tokens: int = Field(0, ge=0)
    completion_tokens: int = Field(0, ge=0)
    llm_calls: int = Field(0, ge=0)
    retries: int = Field(0, ge=0)
    fallbacks: int = Field(0, ge=0)


Basis = Literal["text", "text+stars", "inferred"]


class DimensionTrend(_Frozen):
    """How a dimension's mentions leaned in the recent window against the time before it (only
    where the reviews are dated and each window has enough mentions). Balance: (positive -
    negative) / mentions, in [-1, 1]."""

    direction: Literal["better", "worse", "steady"] = Field(
        description="better/worse: the balance moved by at least the writer's threshold (TREND_MIN_CHANGE).")
    months: int = Field(ge=1, description="Length of the recent window, ending at the latest dated review.")
    until: str | None = Field(None, description="ISO date of the latest dated review.")
    recent_mentions: int = Field(ge=0)
    recent_positive: int | None = None
    recent_negative: int | None = None
    recent_balance: float
    earlier_mentions: int = Field(ge=0)
    earlier_positive: int | None = None
    earlier_negative: int | None = None
    earlier_balance: float

    @classmethod
    def of(cls, trend) -> "DimensionTrend | None":
        """From the writer's ``Trend`` (``writing.trend_of``); None stays None."""
        if trend is None:
            return None
        direction = ("steady" if not trend.notable else "better" if trend.change > 0 else "worse")
        return cls(direction=direction, months=trend.months, until=trend.until,
                   recent_mentions=trend.recent_mentions, recent_positive=trend.recent_positive,
                   recent_negative=trend.recent_negative, recent_balance=round(trend.recent_balance, 3),
                   earlier_mentions=trend.earlier_mentions, earlier_positive=trend.earlier_positive,
                   earlier_negative=trend.earlier_negative, earlier_balance=round(trend.earlier_balance, 3))


class DimensionReview(_OmitsUnsetProvenance):
    _omit_when_none: ClassVar[tuple[str, ...]] = ("generation", "basis", "trend")

    label: str
    rating: float | None = Field(default=None, ge=1, le=5)
    interval: tuple[float, float] | None = None
    mentions: int = Field(ge=0)
    summary: str
    pros: list[str] = Field(default_factory=list)
    cons: list[str] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list)
    generation: Generation | None = None
    basis: Basis | None = Field(None, description="What the rating stands on: the reviews' text, their text and "
                                "star ratings, or (too few mentions) inferred from the overall tone.")
    trend: DimensionTrend | None = None


class OverallReview(_OmitsUnsetProvenance):
    _omit_when_none: ClassVar[tuple[str, ...]] = ("generation", "basis")

    rating: float | None = Field(default=None, ge=1, le=5)
    interval: tuple[float, float] | None = None
    verdict: str
    generation: Generation | None = None
    basis: Basis | None = None


class TaxonomyInfo(_Frozen):
    """The custom taxonomy a review was made along (``--taxonomy``); absent for the default 12."""

    name: str
    version: str


class ModelInfo(_OmitsUnsetProvenance):
    _omit_when_none: ClassVar[tuple[str, ...]] = ("experimental", "parameters", "ratings_from", "taxonomy")

    name: str
    version: str
    experimental: str | None = Field(None, description='"wiring model": the LLM that wrote the text is too '
                                     "small to write faithfully (a test of the wiring, not a review).")
    parameters: int | None = Field(None, ge=0, description="The LLM's parameter count, when its backend knows it.")
    ratings_from: str | None = Field(None, description="The model whose ratings this output reports when it is not "
                                     'this one (e.g. "embedded": an LLM reviewer that only writes the text).')
    taxonomy: TaxonomyInfo | None = Field(None, description="The taxonomy whose ids are the `dimensions` keys, "
                                          "when it is not the default one.")


class CompanyReview(_OmitsUnsetProvenance):
    _omit_when_none: ClassVar[tuple[str, ...]] = ("usage", "language")

    company: str
    n_reviews_used: int = Field(ge=0)
    model: ModelInfo
    overall: OverallReview
    dimensions: dict[str, DimensionReview]
    usage: Usage | None = None
    language: str | None = Field(None, description='The language the text is written in ("en", "de").')
