"""Training pairs for the LLM reviewer, in the exact prompts it sends at inference.

Inputs are built the way ``llm.reviewer.LLMReviewer`` builds them: the embedded pipeline analyses a
company's reviews; per dimension its most telling opinion units (polarity-marked) and measured
counts go through :func:`company_reviewer.llm.prompts.grounded_messages` (grounded mode), or the
whole sampled reviews through ``single_messages`` (single mode). ``tests/finetune/test_pairs.py``
records the reviewer's real prompts and checks a training pair's prompt is identical, so the two
cannot drift apart silently. Targets come from one of three sources:

- ``gold``: text a person wrote (a file, see :func:`read_gold`);
- ``teacher``: a stronger model behind any LLM backend, e.g. ``openai:gpt-4o`` (distillation);
- ``silver``: the embedded writer's own summary, pros and cons (offline, and exactly as grounded
  as the embedded model: a student learns its template, not better judgement).

Every target is validated against the reviewer's output models (``llm.schemas``), so a model
trained on these pairs learns to produce what the reviewer accepts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import BaseModel, ValidationError

from company_reviewer.finetune.dataset import ChatExample
from company_reviewer.reviewer.schema import CompanyReview

SOURCES = ("gold", "teacher", "silver")
TASKS = ("grounded", "single")
REVIEW_FIELDS = ("headline", "pros", "cons", "advice", "text")
_SIGN = {"positive": "[+]", "negative": "[-]"}
# The embedded summary's last sentence states the rating, which the grounded prompt does not carry
# (ratings come from the rating model); a target must not teach the model to state unseen numbers.
_RATING_SENTENCE = re.compile(
    r"\s*(Estimated rating \d(?:\.\d+)?/5(?: \(90% interval [^)]*\))?(?: inferred from [^.]*)?\."
    r"|There is no signal to rate it\.)\s*$"
)
_SENTENCE_END = re.compile(r"[.!?][\u201d\")]?(?=\s|$)")
_COUNT_SUFFIX = re.compile(r"\s*\(\d+ reviews\)$")


class DimensionInputs(BaseModel):
    """What the grounded prompt of one dimension is built from."""

    dimension_id: str
    label: str
    evidence: list[str]
    stats: dict


def analyse(company: str, reviews: pd.DataFrame, embedded_options: dict | None = None):
    """The embedded pipeline's analysis: its review (silver targets) and what it was written from."""
    from company_reviewer.reviewer.embedded.pipeline import EmbeddedReviewer

    return EmbeddedReviewer(embedded_options or {}).analyse(company, reviews.reset_index(drop=True))


def _reviewer_default(option: str):
    """The LLM reviewer's default for one of its options, so training follows it when it changes."""
    from company_reviewer.llm.reviewer import LLMOptions

    return LLMOptions.model_fields[option].default


def dimension_inputs(analysis, evidence_units: int | None = None) -> list[DimensionInputs]:
    """Per dimension with evidence: its most telling units (relevance and diversity, one per
    reviewer, none that reads as an instruction), polarity-marked, and the measured counts."""
    from company_reviewer.llm.grounding import looks_like_instruction
    from company_reviewer.reviewer.embedded.evidence import mmr_select, quote_quality

    evidence_units = evidence_units or _reviewer_default("evidence_units")
    units = analysis.units.units
    out: list[DimensionInputs] = []
    if units.empty:
        return out
    texts = units["text"].tolist()
    plain = np.array([not looks_like_instruction(t) for t in texts])
    strength = np.maximum(np.abs(units["score"].to_numpy()), 0.3)
    quality = quote_quality(units["text"].str.len().to_numpy())
    for dimension_id, base in analysis.review.dimensions.items():
        column = analysis.columns.get(dimension_id)
        if column is None:
            continue
        usable = analysis.units.mentions[:, column] & plain
        relevance = np.where(usable, analysis.units.proba[:, column] * strength * quality, 0.0)
        chosen = mmr_select(analysis.units.embeddings, relevance, evidence_units,
                            groups=units["review_index"].to_numpy())
        if not chosen:
            continue
        facts = analysis.facts[dimension_id]
        out.append(DimensionInputs(
            dimension_id=dimension_id, label=base.label,
            evidence=[f"{_SIGN.get(units['sentiment'].iat[i], '[~]')} {units['text'].iat[i]}" for i in chosen],
            stats={"reviews": facts.n_reviews, "mentions": facts.mentions, "positive": facts.positive,
                   "negative": facts.negative, "mixed": facts.mixed},
        ))
    return out


def review_texts(reviews: pd.DataFrame, prompt_chars: int | None = None) -> list[str]:
    """Each review's fields as one text, instruction-like sentences removed, cut to fit the prompt."""
    from company_reviewer.llm.grounding import looks_like_instruction, split_sentences

    prompt_chars = prompt_chars or _reviewer_default("prompt_chars")
    fields = [f for f in REVIEW_FIELDS if f in reviews.columns]
    texts = []
    for _, row in reviews.iterrows():
        parts = [f"{f.capitalize()}: {row[f]}" for f in fields if isinstance(row[f], str) and row[f].strip()]
        texts.append(" ".join(s for s in split_sentences(" ".join(parts)) if not looks_like_instruction(s)))
    per_review = max(80, prompt_chars // max(1, len(texts)))
    return [t[:per_review] for t in texts]


def fit_summary(text: str, limit: int) -> str | None:
    """The longest run of whole sentences from the start that fits in ``limit`` characters, never
    ending inside a quotation (None when not even the first sentence fits)."""
    text = text.strip()
    if len(text) <= limit:
        return text or None
    best = None
    for match in _SENTENCE_END.finditer(text):
        prefix = text[: match.end()]
        if len(prefix) > limit:
            break
        if prefix.count("\u201c") == prefix.count("\u201d") and prefix.count('"') % 2 == 0:
            best = prefix
    return best


def _bullets(items: Iterable[str], limit: int, count: int) -> list[str]:
    """Bullets that fit whole (quotes are never cut), without the embedded '(N reviews)' suffix."""
    cleaned = [_COUNT_SUFFIX.sub("", item).strip() for item in items]
    return [b for b in cleaned if 0 < len(b) <= limit][:count]


def _paragraph(summary: str, pros: Iterable[str], cons: Iterable[str]):
    from company_reviewer.llm.schemas import BULLET_CHARS, BULLETS, SUMMARY_CHARS, DimensionParagraph

    fitted = fit_summary(summary, SUMMARY_CHARS)
    if fitted is None:
        return None
    return DimensionParagraph(summary=fitted, pros=_bullets(pros, BULLET_CHARS, BULLETS),
                              cons=_bullets(cons, BULLET_CHARS, BULLETS))


def _company_review(review: CompanyReview, strip_ratings: bool):
    """A company review (embedded or gold) as the single mode's :class:`LLMCompanyReview` target."""
    from company_reviewer.llm.schemas import SUMMARY_CHARS, LLMCompanyReview, LLMDimension

    dimensions = []
    for dimension_id, d in review.dimensions.items():
        summary = _RATING_SENTENCE.sub("", d.summary) if strip_ratings else d.summary
        paragraph = _paragraph(summary, d.pros, d.cons) if d.mentions or not strip_ratings else None
        if paragraph is not None:
            dimensions.append(LLMDimension(dimension=dimension_id, rating=d.rating, **paragraph.model_dump()))
    verdict = fit_summary(review.overall.verdict, SUMMARY_CHARS)
    if verdict is None:
        return None
    return LLMCompanyReview(overall_rating=review.overall.rating, verdict=verdict, dimensions=dimensions)


def _example(company: str, task: str, prompt: list[dict[str, str]], target: BaseModel) -> ChatExample:
    return ChatExample(company=company, task=task,
                       messages=[*prompt, {"role": "assistant", "content": target.model_dump_json()}])


def _grounded_prompt(inputs: DimensionInputs) -> list[dict[str, str]]:
    from company_reviewer.llm.prompts import grounded_messages

    return grounded_messages(inputs.dimension_id, inputs.label, inputs.evidence, inputs.stats)


def _single_prompt(company: str, reviews: pd.DataFrame) -> list[dict[str, str]]:
    from company_reviewer.llm.prompts import single_messages

    return single_messages(company, review_texts(reviews.reset_index(drop=True)))


def silver_pairs(company: str, reviews: pd.DataFrame, tasks: Iterable[str] = ("grounded",)) -> Iterator[ChatExample]:
    """Pairs whose targets are the embedded writer's text (rating sentences removed: the grounded
    prompt does not carry ratings); dimensions without evidence units have nothing to learn from."""
    analysis = analyse(company, reviews, {"n_boot": 0})
    if "grounded" in tasks:
        for inputs in dimension_inputs(analysis):
            d = analysis.review.dimensions[inputs.dimension_id]
            paragraph = _paragraph(_RATING_SENTENCE.sub("", d.summary), d.pros, d.cons)
            if paragraph is not None:
                yield _example(company, f"paragraph:{inputs.dimension_id}", _grounded_prompt(inputs), paragraph)
    if "single" in tasks:
        target = _company_review(analysis.review, strip_ratings=True)
        if target is not None:
            yield _example(company, "review", _single_prompt(company, reviews), target)


def teacher_pairs(company: str, reviews: pd.DataFrame, backend, tasks: Iterable[str] = ("grounded",),
                  max_tokens: int = 600) -> Iterator[ChatExample]:
    """Pairs whose targets a teacher model wrote from the same prompts; answers that fail the
    reviewer's schema are dropped (a student must not learn them)."""
    from company_reviewer.llm.schemas import DimensionParagraph, LLMCompanyReview, json_schema_for

    analysis = analyse(company, reviews, {"n_boot": 0})
    jobs = []
    if "grounded" in tasks:
        jobs += [(f"paragraph:{i.dimension_id}", _grounded_prompt(i), DimensionParagraph)
                 for i in dimension_inputs(analysis)]
    if "single" in tasks:
        jobs.append(("review", _single_prompt(company, reviews), LLMCompanyReview))
    for task, prompt, model in jobs:
        completion = backend.complete(prompt, json_schema=json_schema_for(model), max_tokens=max_tokens,
                                      temperature=0.0)
        try:
            target = model.model_validate_json(completion.text)
        except ValidationError:
            continue
        yield _example(company, task, prompt, target)


def read_gold(path: str | Path) -> list[dict]:
    """A gold file: a JSON array or JSONL of records, each either

    - a company review in the ``review --format json`` contract (:class:`CompanyReview`, e.g. the
      embedded model's output edited by a person): every dimension with a summary gives a grounded
      pair, the whole record a single-mode pair; or
    - a paragraph record ``{"company", "dimension", "paragraph", "pros"?: [...], "cons"?: [...]}``
      with ``dimension`` one of the taxonomy's ids.

    Returns paragraph records ``{"company", "dimension", "summary", "pros", "cons"}`` and, for whole
    reviews, ``{"company", "review": CompanyReview}``.
    """
    from company_reviewer.taxonomy import load_taxonomy

    ids = set(load_taxonomy().ids)
    text = Path(path).read_text(encoding="utf-8").strip()
    if not text:
        raise ValueError(f"{path} is empty; expected a JSON array or JSONL of gold reviews")
    try:
        rows = json.loads(text)
        rows = rows if isinstance(rows, list) else [rows]
    except json.JSONDecodeError:
        try:
            rows = [json.loads(line) for line in text.splitlines() if line.strip()]
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path} is neither a JSON array nor JSONL: {exc}") from exc
    records: list[dict] = []
    for number, row in enumerate(rows, start=1):
        if isinstance(row, dict) and "dimensions" in row:
            try:
                review = CompanyReview.model_validate(row)
            except ValidationError as exc:
                raise ValueError(f"{path}: record {number} is not a valid company review: {exc}") from exc
            records.append({"company": review.company, "review": review})
            records += [{"company": review.company, "dimension": k, "summary": d.summary, "pros": d.pros,
                         "cons": d.cons} for k, d in review.dimensions.items() if d.summary.strip()]
        elif isinstance(row, dict) and {"company", "dimension", "paragraph"} <= set(row):
            if row["dimension"] not in ids:
                raise ValueError(f"{path}: record {number}: unknown dimension {row['dimension']!r}; "
                                 f"use one of {', '.join(sorted(ids))}")
            records.append({"company": str(row["company"]), "dimension": str(row["dimension"]),
                            "summary": str(row["paragraph"]), "pros": list(row.get("pros") or []),
                            "cons": list(row.get("cons") or [])})
        else:
            raise ValueError(f"{path}: record {number} is neither a company review nor "
                             "{company, dimension, paragraph}")
    return records


def gold_pairs(company: str, reviews: pd.DataFrame, records: list[dict],
               tasks: Iterable[str] = ("grounded",)) -> Iterator[ChatExample]:
    """Pairs whose targets are a person's text for ``company``; the prompts come from its reviews."""
    mine = [r for r in records if r["company"] == company]
    if "grounded" in tasks:
        by_dimension = {r["dimension"]: r for r in mine if "dimension" in r}
        analysis = analyse(company, reviews, {"n_boot": 0})
        for inputs in dimension_inputs(analysis):
            record = by_dimension.get(inputs.dimension_id)
            paragraph = record and _paragraph(record["summary"], record["pros"], record["cons"])
            if paragraph:
                yield _example(company, f"paragraph:{inputs.dimension_id}", _grounded_prompt(inputs), paragraph)
    if "single" in tasks:
        for record in (r for r in mine if "review" in r):
            target = _company_review(record["review"], strip_ratings=False)
            if target is not None:
                yield _example(company, "review", _single_prompt(company, reviews), target)
