"""Questions about one company, answered from its reviews with quotes.

Retrieval: the reviews' opinion units (:mod:`company_reviewer.units`) and the question are encoded
with the product's sentence encoder; the units closest to the question, at most one per review and
diverse (maximal marginal relevance), are the quotes. Every quote is a unit's text, an exact
substring of its review. The answer is extractive by default (how many reviews speak to the
question, in their pros or cons, and the closest quotes); with an LLM configured
(``COMPANY_REVIEWER_CHAT_MODEL``, e.g. ``llamacpp`` or ``openai:MODEL``) the LLM writes the answer
from the same quotes, which are returned either way.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from company_reviewer.data.records import TEXT_FIELDS

log = logging.getLogger(__name__)

MAX_REVIEWS_SEARCHED = 1000  # the most recent ones; keeps a cold first question to seconds
RELEVANT = 0.45              # cosine at which a unit counts as speaking to the question
QUOTABLE = 0.30              # weakest unit still shown as a quote
MIN_UNIT_CHARS = 12

SYSTEM_PROMPT = (
    "You answer questions about an employer using only the numbered quotes from its employees' reviews. "
    "Cite the quotes you use as [1], [2]. If the quotes do not answer the question, say so. "
    "Answer in at most four sentences."
)


def _units(reviews: pd.DataFrame) -> pd.DataFrame:
    from company_reviewer.units import split_frame

    if "date" in reviews.columns and len(reviews) > MAX_REVIEWS_SEARCHED:
        reviews = reviews.sort_values("date", ascending=False, na_position="last").head(MAX_REVIEWS_SEARCHED)
    columns = ["review_id", *[f for f in TEXT_FIELDS if f in reviews.columns]]
    units = split_frame(reviews[columns].astype({"review_id": str}))
    units = units[units["text"].str.len() >= MIN_UNIT_CHARS].reset_index(drop=True)
    units["sentiment"] = _sentiments(units, reviews)
    # Instruction-like text is never a quote (aspects.guard); the classifier marks it "instruction".
    units = units[units["sentiment"] != "instruction"].reset_index(drop=True)
    units.attrs["n_reviews"] = len(reviews)
    return units.rename(columns={"review_key": "review_id"})


def _sentiments(units: pd.DataFrame, reviews: pd.DataFrame) -> list[str]:
    """Each unit's sentiment as the aspect-sentiment classifier reads it from the words (that of
    the dimension it speaks to most clearly; neutral when about none), not the field it sits in."""
    from company_reviewer.aspects.classify import load_aspect_classifier
    from company_reviewer.aspects.guard import instruction_mask
    from company_reviewer.aspects.model import SENTIMENTS

    if units.empty:
        return []
    languages = dict(zip(reviews["review_id"].astype(str), reviews.get("language", pd.Series(dtype=str))))
    frame = units.assign(language=[languages.get(k) or "en" for k in units["review_key"]])
    try:
        labels = load_aspect_classifier().classify(frame[["text", "field", "language"]])
    except FileNotFoundError:  # no classifier installed: the field's side, as before it existed
        from company_reviewer.units import natural_polarity

        flagged = instruction_mask(units["text"].tolist())
        return ["instruction" if f else (natural_polarity(field) or "neutral")
                for f, field in zip(flagged, units["field"])]
    strongest = np.where(labels.mentions, labels.proba, -1.0).argmax(axis=1)
    best = labels.sentiment[np.arange(len(units)), strongest].argmax(axis=1)
    return ["instruction" if flagged else (SENTIMENTS[b] if any_dim else "neutral")
            for flagged, any_dim, b in zip(labels.instruction, labels.mentions.any(axis=1), best)]


def retrieve(question: str, reviews: pd.DataFrame, k: int = 5) -> tuple[list[dict], dict]:
    """The ``k`` quotes closest to ``question`` and counts over all units that speak to it."""
    from company_reviewer.embedding import get_encoder
    from company_reviewer.reviewer.embedded.evidence import mmr_select

    units = _units(reviews)
    n_reviews = units.attrs["n_reviews"]
    if units.empty:
        return [], {"reviews_searched": n_reviews, "reviews_relevant": 0, "positive": 0, "negative": 0}
    encoder = get_encoder()
    vectors = encoder.encode(units["text"].tolist())
    scores = vectors @ encoder.encode([question])[0]
    relevant = units[scores >= RELEVANT]
    by_review = relevant.groupby("review_id")["sentiment"].agg(set)
    counts = {"reviews_searched": n_reviews, "reviews_relevant": int(len(by_review)),
              "positive": int(sum("positive" in s for s in by_review)),
              "negative": int(sum("negative" in s for s in by_review))}
    quotable = np.where(scores >= QUOTABLE, scores, 0.0)
    chosen = mmr_select(vectors, quotable, k, diversity=0.3, groups=units["review_id"].to_numpy())
    quotes = [{"n": n, "review_id": units.at[i, "review_id"], "field": units.at[i, "field"],
               "start": int(units.at[i, "start"]), "end": int(units.at[i, "end"]),
               "quote": units.at[i, "text"], "sentiment": units.at[i, "sentiment"], "score": round(float(scores[i]), 3)}
              for n, i in enumerate(chosen, start=1)]
    return quotes, counts


def extractive_answer(company: str, quotes: list[dict], counts: dict) -> str:
    if not quotes:
        return (f"None of the {counts['reviews_searched']} reviews of {company} seem to talk about that. "
                "Try other words, or ask about a topic reviews usually cover (pay, hours, managers...).")
    if counts["reviews_relevant"]:
        lean = (f"{counts['reviews_relevant']} of the {counts['reviews_searched']} reviews of {company} speak to this "
                f"({counts['positive']} of them positive about it, {counts['negative']} negative).")
    else:
        lean = f"Nothing in the {counts['reviews_searched']} reviews of {company} addresses this directly; the closest:"
    closest = " ".join(f"\u201c{q['quote']}\u201d [{q['n']}]" for q in quotes[:3])
    return f"{lean} {closest}"


def llm_answer(spec: str, company: str, question: str, quotes: list[dict]) -> str:
    from company_reviewer.llm.backends.base import get_backend

    numbered = "\n".join(f"[{q['n']}] ({q['sentiment']}) {q['quote']}" for q in quotes)
    messages = [{"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": f"Employer: {company}\nQuotes:\n{numbered}\n\nQuestion: {question}"}]
    return get_backend(spec).complete(messages, max_tokens=300).text.strip()


def answer(company: str, question: str, reviews: pd.DataFrame, chat_model: str | None, k: int = 5) -> dict:
    """``{"answer", "mode", "model", "quotes", "counts"}``; quotes are always included."""
    quotes, counts = retrieve(question, reviews, k)
    result = {"company": company, "question": question, "mode": "extractive", "model": None,
              "answer": extractive_answer(company, quotes, counts), "quotes": quotes, "counts": counts}
    if chat_model and quotes:
        from company_reviewer.llm.backends.base import LLMBackendError

        try:
            result.update(answer=llm_answer(chat_model, company, question, quotes), mode="llm", model=chat_model)
        except (LLMBackendError, OSError) as exc:  # the quotes still answer; say why the LLM did not
            log.warning("chat LLM %s failed: %s", chat_model, exc)
            result["note"] = f"the LLM ({chat_model}) failed ({exc}); showing the extractive answer"
    return result
