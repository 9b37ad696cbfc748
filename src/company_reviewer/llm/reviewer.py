"""The LLM reviewer: ``--model llm:<backend>[:<model>]``, built on the embedded pipeline.

- ``grounded`` (default): the embedded pipeline analyses the reviews (units, dimensions, ratings,
  quotes); per dimension only that dimension's evidence units go to the LLM, which writes the
  summary, pros and cons. Short prompts, little to invent.
- ``single``: all sampled reviews in one prompt, the whole review back (the seed's approach).

Either way: the output is validated against a pydantic model (the backend is constrained by its
JSON schema where it can be); an invalid answer is retried with the validation error fed back,
then the embedded writer's text is used for that part. Every LLM sentence and bullet goes through
the grounding check (:mod:`company_reviewer.llm.grounding`) and is dropped when unsupported;
``DimensionReview.generation`` records what was kept and dropped, ``CompanyReview.usage`` the cost.
Evidence quotes are always the embedded pipeline's verbatim quotes. Ratings come from the embedded
rating model unless ``llm_rates``, and even then stay within reach of it (see ``rating_slack``);
without it the output says so (``model.ratings_from: "embedded"``), so that no comparison credits
the LLM with them. A model below ``WIRING_MODEL_MAX_PARAMETERS`` (the bundled SmolLM2-135M) is
too small to write faithfully: its output is labelled ``model.experimental: "wiring model"``.
Long work reports progress through ``progress`` (a callable taking one line), per company and
dimension.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field, ValidationError

from company_reviewer.embedding import get_encoder
from company_reviewer.llm.backends.base import LLMBackend, LLMBackendError, get_backend
from company_reviewer.llm.grounding import GroundingCheck, looks_like_instruction, split_sentences, text_claims
from company_reviewer.llm.prompts import grounded_messages, single_messages, system_prompts
from company_reviewer.llm.schemas import SUMMARY_CHARS, DimensionParagraph, LLMCompanyReview, json_schema_for
from company_reviewer.reviewer.base import Reviewer, ReviewerOptions
from company_reviewer.reviewer.schema import CompanyReview, DimensionReview, Generation, ModelInfo, Usage

log = logging.getLogger(__name__)
REVIEW_FIELDS = ("headline", "pros", "cons", "advice", "text")
_TAGS = {"positive": "[+]", "negative": "[-]"}
_BULLET_PREFIX = re.compile(r"^\s*(?:[-*\u2022]\s*)?(?:\d+[.)]\s*)?(?:\[?[+\-~]\]\s*)?")
_TERMINAL = re.compile(r"[.!?\u2026\"\u201d')]\s*$")
# Below this many parameters a model's text is a test of the wiring, not a review: SmolLM2-135M
# invents claims, echoes the prompt and lists complaints as pros (issue 16).
WIRING_MODEL_MAX_PARAMETERS = 1_000_000_000
WIRING_MODEL = "wiring model"


class LLMOptions(ReviewerOptions):
    mode: Literal["grounded", "single"] = "grounded"
    llm_rates: bool = Field(False, description="Ratings from the LLM (kept near the embedded ones) instead of the "
                                               "embedded model.")
    max_retries: int = Field(1, ge=0, le=5, description="Retries with the validation error fed back.")
    max_tokens: int | None = Field(None, ge=16, description="Per call; default 400 grounded (room for the longest "
                                   "reply the schema allows), 2200 single.")
    temperature: float = Field(0.0, ge=0, le=2)
    grounding_threshold: float = Field(0.5, ge=0, le=1, description="Least cosine similarity to the evidence.")
    evidence_units: int = Field(8, ge=1, le=40, description="Evidence units per dimension (grounded).")
    prompt_chars: int = Field(6000, ge=500, description="Review text per prompt in single mode: with the reply it "
                              "must fit the context window (n_ctx, 4096 by default).")
    rating_slack: float = Field(0.5, ge=0, le=4, description="How far an LLM rating may leave the embedded interval.")
    dimensions: list[str] | None = Field(None, description="Only these dimensions go to the LLM (grounded); "
                                         "default: all. The others keep the embedded text.")
    embedded: dict[str, Any] = Field(default_factory=dict, description="Options of the embedded pipeline.")


class ParagraphWithRating(DimensionParagraph):
    rating: float = Field(ge=1, le=5)


@dataclass
class _Tally:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    llm_calls: int = 0
    retries: int = 0
    fallbacks: int = 0
    notes: list[str] = field(default_factory=list)

    def usage(self) -> Usage:
        return Usage(prompt_tokens=self.prompt_tokens, completion_tokens=self.completion_tokens,
                     llm_calls=self.llm_calls, retries=self.retries, fallbacks=self.fallbacks)


def parse_json_object(text: str, model: type[BaseModel]) -> BaseModel:
    """The first JSON object in ``text`` (models may wrap it in prose or code fences), validated."""
    start = text.find("{")
    if start < 0:
        raise ValueError("no JSON object in the reply")
    try:
        # strict=False: a raw newline inside a string is harmless, not worth a retry.
        payload, _ = json.JSONDecoder(strict=False).raw_decode(text[start:])
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON ({exc.msg} at character {exc.pos}; was the reply cut off?)") from exc
    return model.model_validate(payload)


def _clean_bullet(text: str) -> str:
    """Small models copy the prompt's list numbering and polarity tags into their bullets."""
    return _BULLET_PREFIX.sub("", text).strip()


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'reply'}: {e['msg']}" for e in exc.errors()[:5])
    return str(exc)


class LLMReviewer(Reviewer):
    name = "llm"
    Options = LLMOptions

    def __init__(self, options: ReviewerOptions | dict[str, Any] | None = None, model: str | None = None):
        # Options this reviewer does not know go to the backend, whose options forbid unknown
        # fields too, so a typo is still an error.
        raw = options.model_dump() if isinstance(options, ReviewerOptions) else dict(options or {})
        own = {k: v for k, v in raw.items() if k in LLMOptions.model_fields}
        rest = {k: v for k, v in raw.items() if k not in LLMOptions.model_fields}
        super().__init__(own, model)
        self.backend_spec = model or "llamacpp"
        try:
            self.backend: LLMBackend = get_backend(self.backend_spec, rest)
        except ValidationError as exc:
            raise ValueError(
                f"unknown or invalid option(s) {sorted(rest)} for the llm reviewer: it takes "
                f"{sorted(LLMOptions.model_fields)} and the {self.backend_spec.split(':')[0]} backend takes "
                f"{sorted(_backend_fields(self.backend_spec))} ({_error_text(exc)})"
            ) from exc
        from company_reviewer.reviewer.embedded.pipeline import EmbeddedReviewer

        self.embedded = EmbeddedReviewer(self.options.embedded)
        self.progress: Callable[[str], None] | None = None

    def _report(self, line: str) -> None:
        if self.progress is not None:
            self.progress(line)

    def model_info(self) -> ModelInfo:
        """The output's model: name, version, and what a reader must know about it (a wiring model
        wrote the text; the ratings are the embedded model's)."""
        parameters = self.backend.parameter_count()
        wiring = parameters is not None and parameters < WIRING_MODEL_MAX_PARAMETERS
        return ModelInfo(name=f"llm:{self.backend.name}", version=self.version, parameters=parameters,
                         experimental=WIRING_MODEL if wiring else None,
                         ratings_from=None if self.options.llm_rates else self.embedded.name)

    @property
    def version(self) -> str:  # type: ignore[override]
        weights = self.backend.identity()
        return (f"{self.backend_spec}{f'+{weights}' if weights else ''} {self.options.mode} "
                f"(embedded {self.embedded.version})")

    # -- calling the model ---------------------------------------------------------------
    def _generate(self, messages: list[dict[str, str]], model: type[BaseModel], tally: _Tally,
                  default_tokens: int) -> tuple[BaseModel | None, int, str | None]:
        """(parsed reply or None, retries used, why it failed)."""
        schema = json_schema_for(model)
        conversation, error = list(messages), None
        for attempt in range(self.options.max_retries + 1):
            try:
                completion = self.backend.complete(conversation, json_schema=schema,
                                                   max_tokens=self.options.max_tokens or default_tokens,
                                                   temperature=self.options.temperature)
            except LLMBackendError as exc:
                return None, attempt, f"backend error: {exc}"
            tally.llm_calls += 1
            tally.prompt_tokens += completion.prompt_tokens
            tally.completion_tokens += completion.completion_tokens
            try:
                return parse_json_object(completion.text, model), attempt, None
            except (ValueError, ValidationError) as exc:
                error = _error_text(exc)
            if attempt < self.options.max_retries:
                tally.retries += 1
                conversation = [*messages, {"role": "assistant", "content": completion.text[:2000]},
                                {"role": "user", "content": f"That reply was invalid: {error}. Reply with the "
                                 "corrected JSON only; keep it shorter if it was cut off."}]
        return None, self.options.max_retries, f"invalid output after {self.options.max_retries} retries: {error}"

    def _check(self, analysis, rows: list[int], facts: dict, *, dimension: str | None = None,
               measured: list[str] = ()) -> GroundingCheck:
        """The grounding check against units ``rows`` of ``analysis`` (and the embedded writer's
        ``measured`` sentences): similarity, numbers, leaks and, with the bundle's aspect-sentiment
        classifier, the (dimension, sentiment) claims of each sentence against the units' own."""
        units = analysis.units
        support = [units.units["text"].iat[i] for i in rows] + list(measured)
        embeddings = [units.embeddings[rows]] if rows else []
        if measured:
            embeddings.append(get_encoder().encode(list(measured)))
        support_embeddings = np.vstack(embeddings) if embeddings else None
        classifier = self.embedded.aspects if units.sentiments is not None else None
        language = analysis.review.language or "en"
        support_claims = None
        if classifier is not None:
            # The units' claims as the pipeline read them (with their pros/cons field); the measured
            # sentences are classified here.
            support_claims = [frozenset((units.dimension_ids[d], str(units.sentiments[i, d]))
                                        for d in np.flatnonzero(units.mentions[i])) for i in rows]
            if measured:
                support_claims += text_claims(classifier, list(measured), language, embeddings[-1])
        return GroundingCheck(get_encoder(), support, self.options.grounding_threshold, facts=facts,
                              secrets=system_prompts(), support_embeddings=support_embeddings,
                              classifier=classifier, dimension=dimension, language=language,
                              support_claims=support_claims)

    def _clamp(self, llm_rating: float | None, base: DimensionReview | Any) -> tuple[float | None, Any]:
        """An LLM rating may move at most ``rating_slack`` outside the embedded interval; with no
        embedded rating (nothing in the reviews bears on it) there is nothing to anchor it: None."""
        if llm_rating is None or base.rating is None:
            return base.rating, base.interval
        lo, hi = base.interval or (base.rating, base.rating)
        slack = self.options.rating_slack
        rating = round(float(np.clip(llm_rating, max(1.0, lo - slack), min(5.0, hi + slack))), 2)
        return rating, (min(lo, rating), max(hi, rating))

    # -- the review ------------------------------------------------------------------------
    def review_company(self, company: str, reviews: pd.DataFrame) -> CompanyReview:
        start = time.perf_counter()
        self._report(f"{company}: analysing {len(reviews)} reviews (embedded pipeline)")
        analysis = self.embedded.analyse(company, reviews)
        tally = _Tally()
        if self.options.mode == "single":
            review = self._single(company, reviews.reset_index(drop=True), analysis, tally)
        else:
            review = self._grounded(analysis, tally)
        if self.options.llm_rates:
            review = self._verdict_with_final_ratings(company, review, analysis)
        review = review.model_copy(update={"model": self.model_info(), "usage": tally.usage()})
        self._report(f"{company}: done in {time.perf_counter() - start:.1f} s ({tally.llm_calls} LLM call(s), "
                     f"{tally.fallbacks} fallback(s) to the embedded text)")
        # model_copy does not validate: one full validation, so nothing invalid leaves here.
        return CompanyReview.model_validate(review.model_dump())

    def _verdict_with_final_ratings(self, company: str, review: CompanyReview, analysis) -> CompanyReview:
        """With ``llm_rates`` the ratings are the LLM's (clamped), not the embedded model's the verdict
        was written from: the verdict must quote the ratings the output reports. The embedded
        writer's verdict is written again from the final ratings; an LLM verdict loses any
        sentence that states another rating."""
        from dataclasses import replace

        from company_reviewer.reviewer.embedded.writing import verdict as write_verdict

        overall = review.overall
        final = [overall.rating, *(d.rating for d in review.dimensions.values())]
        generation = overall.generation
        if generation is not None and generation.source == "llm":
            sentences = split_sentences(overall.verdict)
            contradicting = [s for s in sentences if contradicts_ratings(s, final)]
            if not contradicting:
                return review
            kept = [s for s in sentences if s not in contradicting]
            if kept:
                generation = generation.model_copy(update={"kept": [s for s in generation.kept if s in kept],
                                                           "dropped": [*generation.dropped, *contradicting]})
                return review.model_copy(update={"overall": overall.model_copy(
                    update={"verdict": " ".join(kept), "generation": generation})})
            generation = generation.model_copy(update={
                "source": "fallback", "kept": [], "dropped": [*generation.dropped, *contradicting],
                "error": "every sentence of the LLM verdict stated a rating the review does not report"})
        facts = {key: replace(fact, rating=review.dimensions[key].rating, interval=review.dimensions[key].interval)
                 for key, fact in analysis.facts.items() if key in review.dimensions}
        text = write_verdict(company, review.n_reviews_used, overall.rating, overall.interval, facts)
        return review.model_copy(update={"overall": overall.model_copy(update={"verdict": text,
                                                                              "generation": generation})})

    def _dimension_units(self, analysis, column: int | None) -> list[int]:
        """That dimension's most telling units (relevance and diversity, one per reviewer), minus
        any that read as instructions to a model."""
        from company_reviewer.reviewer.embedded.evidence import mmr_select, quote_quality

        if column is None:
            return []
        units = analysis.units.units
        if units.empty:
            return []
        texts = units["text"].tolist()
        usable = analysis.units.mentions[:, column] & np.array([not looks_like_instruction(t) for t in texts])
        strength = np.maximum(np.abs(units["score"].to_numpy()), 0.3)
        relevance = np.where(usable, analysis.units.proba[:, column] * strength
                             * quote_quality(units["text"].str.len().to_numpy()), 0.0)
        return mmr_select(analysis.units.embeddings, relevance, self.options.evidence_units,
                          groups=units["review_index"].to_numpy())

    def _fallback(self, base: DimensionReview, tally: _Tally, error: str, retries: int,
                  dropped: list[str] = (), llm_rating: float | None = None) -> DimensionReview:
        """The embedded dimension review, ratings included; what the LLM said is only recorded."""
        tally.fallbacks += 1
        generation = Generation(source="fallback", dropped=list(dropped), retries=retries, error=error[:500],
                                llm_rating=llm_rating)
        return base.model_copy(update={"generation": generation})

    def _grounded(self, analysis, tally: _Tally) -> CompanyReview:
        base_review = analysis.review
        rate = self.options.llm_rates
        out: dict[str, DimensionReview] = {}
        total = len(base_review.dimensions)
        for position, (dimension_id, base) in enumerate(base_review.dimensions.items(), start=1):
            column = analysis.columns.get(dimension_id)
            wanted = self.options.dimensions is None or dimension_id in self.options.dimensions
            chosen = self._dimension_units(analysis, column) if wanted else []
            if not chosen:  # nothing for the LLM to write from: the measured text stays
                out[dimension_id] = base.model_copy(update={"generation": Generation(source="embedded")})
                continue
            started = time.perf_counter()
            units = analysis.units.units
            evidence = [f"{_TAGS.get(units['sentiment'].iat[i], '[~]')} {units['text'].iat[i]}" for i in chosen]
            facts = analysis.facts[dimension_id]
            stats = {"reviews": facts.n_reviews, "mentions": facts.mentions, "positive": facts.positive,
                     "negative": facts.negative, "mixed": facts.mixed}
            messages = grounded_messages(dimension_id, base.label, evidence, stats, rate=rate)
            try:
                parsed, retries, error = self._generate(messages, ParagraphWithRating if rate else DimensionParagraph,
                                                        tally, default_tokens=400)
                if parsed is None:  # reported below like any other dimension
                    out[dimension_id] = self._fallback(base, tally, error or "no reply", retries)
                else:
                    # Support: the units the LLM saw, and the embedded writer's measured sentences.
                    check = self._check(analysis, chosen, stats, dimension=dimension_id,
                                        measured=split_sentences(base.summary))
                    out[dimension_id] = self._merge(base, parsed, check, retries, tally,
                                                    getattr(parsed, "rating", None))
            except Exception as exc:  # never crash a company review on one dimension's LLM step
                log.exception("LLM step failed for %s", dimension_id)
                out[dimension_id] = self._fallback(base, tally, f"{type(exc).__name__}: {exc}", 0)
            generation = out[dimension_id].generation
            self._report(f"{base_review.company}: {base.label} ({position}/{total}) {generation.source}, "
                         f"{len(generation.kept)} kept, {len(generation.dropped)} dropped, "
                         f"{time.perf_counter() - started:.1f} s")
        return base_review.model_copy(update={"dimensions": out})

    def _merge(self, base: DimensionReview, parsed, check: GroundingCheck, retries: int, tally: _Tally,
               llm_rating: float | None) -> DimensionReview:
        """The LLM's surviving sentences and bullets over the embedded dimension review."""
        sentences = split_sentences(parsed.summary)
        cut_off = []
        if sentences and len(parsed.summary) >= 0.9 * SUMMARY_CHARS and not _TERMINAL.search(sentences[-1]):
            cut_off = [sentences.pop()]  # the string limit ended it mid-sentence
        kept_summary, dropped = check.check(sentences)
        kept_pros, dropped_pros = check.check([_clean_bullet(b) for b in parsed.pros], min_words=2, side="pro")
        kept_cons, dropped_cons = check.check([_clean_bullet(b) for b in parsed.cons], min_words=2, side="con")
        dropped += cut_off + dropped_pros + dropped_cons
        rating, interval = self._clamp(llm_rating, base) if self.options.llm_rates else (base.rating, base.interval)
        # A sentence may not state a rating other than the one this dimension reports (the measured
        # summary it may echo carries the embedded rating, which llm_rates replaces).
        contradicting = [s for s in kept_summary if contradicts_ratings(s, [rating])]
        kept_summary = [s for s in kept_summary if s not in contradicting]
        dropped += contradicting
        if not kept_summary:
            return self._fallback(base, tally, "no sentence of the LLM summary passed the grounding check",
                                  retries, dropped, llm_rating)
        generation = Generation(source="llm", kept=kept_summary + kept_pros + kept_cons, dropped=dropped,
                                retries=retries, llm_rating=llm_rating)
        # A side the LLM left with no grounded bullet keeps the embedded writer's points.
        return base.model_copy(update={"summary": " ".join(kept_summary), "pros": kept_pros or base.pros,
                                       "cons": kept_cons or base.cons, "rating": rating, "interval": interval,
                                       "generation": generation})

    def _review_texts(self, reviews: pd.DataFrame) -> list[str]:
        """Each review's fields as one text, instruction-like sentences removed, cut to fit the prompt."""
        fields = [f for f in REVIEW_FIELDS if f in reviews.columns]
        texts = []
        for _, row in reviews.iterrows():
            parts = [f"{f.capitalize()}: {row[f]}" for f in fields if isinstance(row[f], str) and row[f].strip()]
            sentences = split_sentences(" ".join(parts))
            texts.append(" ".join(s for s in sentences if not looks_like_instruction(s)))
        per_review = max(80, self.options.prompt_chars // max(1, len(texts)))
        return [t[:per_review] for t in texts]

    def _single(self, company: str, reviews: pd.DataFrame, analysis, tally: _Tally) -> CompanyReview:
        base_review = analysis.review
        parsed, retries, error = None, 0, None
        self._report(f"{company}: the whole review in one LLM call ({len(reviews)} reviews)")
        try:
            parsed, retries, error = self._generate(single_messages(company, self._review_texts(reviews)),
                                                    LLMCompanyReview, tally, default_tokens=2200)
        except Exception as exc:  # never crash: the embedded review is the fallback
            log.exception("LLM step failed for %s", company)
            error = f"{type(exc).__name__}: {exc}"
        if parsed is None:
            dims = {k: self._fallback(d, tally, error or "no reply", retries)
                    for k, d in base_review.dimensions.items()}
            return base_review.model_copy(update={"dimensions": dims})
        by_id = {}
        for entry in parsed.dimensions:
            by_id.setdefault(entry.dimension, entry)
        units = analysis.units
        out = {}
        for dimension_id, base in base_review.dimensions.items():
            entry = by_id.get(dimension_id)
            column = analysis.columns.get(dimension_id)
            if entry is None:
                out[dimension_id] = self._fallback(base, tally, "the LLM did not cover this dimension", retries)
                continue
            mask = units.mentions[:, column] if column is not None else np.zeros(len(units.units), bool)
            idx = [int(i) for i in np.flatnonzero(mask)]
            facts = analysis.facts[dimension_id]
            stats = {"reviews": facts.n_reviews, "mentions": facts.mentions}
            check = self._check(analysis, idx, stats, dimension=dimension_id)
            out[dimension_id] = self._merge(base, entry, check, retries, tally, entry.rating)
        verdict_check = self._check(analysis, list(range(len(units.units))), {"reviews": len(reviews)})
        kept, dropped = verdict_check.check(split_sentences(parsed.verdict))
        overall = base_review.overall
        if self.options.llm_rates:
            rating, interval = self._clamp(parsed.overall_rating, overall)
            overall = overall.model_copy(update={"rating": rating, "interval": interval})
        generation = Generation(source="llm" if kept else "fallback", kept=kept, dropped=dropped, retries=retries,
                                llm_rating=parsed.overall_rating,
                                error=None if kept else "no sentence of the LLM verdict passed the grounding check")
        overall = overall.model_copy(update={"generation": generation}
                                     | ({"verdict": " ".join(kept)} if kept else {}))
        return base_review.model_copy(update={"dimensions": out, "overall": overall})


_RATING_CLAIM = re.compile(r"(?<![\d.])([1-5](?:\.\d+)?)\s*(?:/\s*5(?![\d.])|out of (?:5|five)\b|stars?\b)",
                          re.IGNORECASE)


def contradicts_ratings(sentence: str, ratings) -> bool:
    """True when ``sentence`` states a rating ("3.8/5", "3.8 out of 5", "4 stars") that is none of
    ``ratings`` (compared at the one decimal a sentence gives)."""
    allowed = {round(float(r), 1) for r in ratings if r is not None}
    return any(round(float(claim), 1) not in allowed for claim in _RATING_CLAIM.findall(sentence))


def _backend_fields(spec: str) -> list[str]:
    from company_reviewer import registry

    name = spec.split(":")[0]
    return list(registry.llm_backends.get(name).Options.model_fields) if name in registry.llm_backends else []
