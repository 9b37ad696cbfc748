"""The grounding check on LLM text, and the guard against instructions hidden in reviews.

Every sentence of an LLM paragraph, and every pro/con bullet, is kept only when

- it is supported by the evidence the model was given: cosine similarity (all-MiniLM-L6-v2) to
  some evidence unit, or to a sentence of the embedded writer's measured summary, at least the
  threshold;
- it says what the evidence says, as the aspect-sentiment classifier reads both (when the check has
  one, as the LLM reviewer always gives it for bundles that ship the heads): the sentence makes at
  least one (dimension, sentiment) claim, each claim is one some evidence unit makes (same
  dimension and sentiment; a neutral claim needs a mention of the dimension), a section's sentence
  speaks to the section's dimension, and a pro reads positive and a con negative about it. "Pay is
  far below market" is similar to "pay is well above market" but claims the opposite;
- every number in it appears in the measured facts or in the evidence (models invent counts);
- it does not echo the system prompt (a leak) and does not read as an instruction (an echoed
  injection such as "ignore previous instructions").

Review text that reads as an instruction to a model is also kept away from the model's input
(:func:`looks_like_instruction`): it says nothing about the employer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from company_reviewer.units import unit_spans

_INSTRUCTION = re.compile(
    r"\b(ignore|disregard|forget|override)\b[^.!?\n]{0,40}\b(instructions?|prompts?|rules?|guidelines?|above|previous)\b"
    r"|\bsystem\s+(prompt|message|instructions?)\b"
    r"|\b(print|reveal|show|repeat|output)\b[^.!?\n]{0,30}\b(prompt|instructions?)\b"
    r"|\b(rate|rating|score|give)\b[^.!?\n]{0,30}\b(everything|all|every\s+\w+)\b[^.!?\n]{0,20}\b(5|five|10|ten)\b"
    r"|\byou\s+are\s+(now\s+)?(an?\s+)?(ai|assistant|language\s+model|chatbot|llm)\b"
    r"|\b(as\s+an\s+ai|language\s+model)\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_WORD = re.compile(r"[a-z0-9]+")
LEAK_NGRAM = 5
# A sentence needs this many words to say something ("Benefits (benefits)." does not).
MIN_WORDS = 4


def looks_like_instruction(text: str) -> bool:
    """True for text addressed to a language model rather than about an employer."""
    return bool(_INSTRUCTION.search(text))


def split_sentences(text: str) -> list[str]:
    """Sentences of a paragraph, with the same splitter that cuts reviews into opinion units."""
    return [text[start:end].strip() for start, end in unit_spans(text) if text[start:end].strip()]


def _numbers(text: str) -> set[str]:
    return {n.replace(",", ".").rstrip("0").rstrip(".") or "0" for n in _NUMBER.findall(text)}


def _ngrams(text: str, n: int = LEAK_NGRAM) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.lower())
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


Claim = tuple[str, str]  # (dimension id, "positive" | "negative" | "neutral")
# What a pro and a con must read as, about the section's dimension.
SIDE_SENTIMENT = {"pro": "positive", "con": "negative"}


def unit_claims(labels) -> list[frozenset[Claim]]:
    """Each unit's (dimension, sentiment) claims from the classifier's ``UnitLabels``: every
    detected dimension with its most likely sentiment about it."""
    from company_reviewer.aspects.model import SENTIMENTS

    best = labels.sentiment.argmax(axis=2)
    return [frozenset((labels.ids[d], SENTIMENTS[int(best[row, d])]) for d in np.flatnonzero(labels.mentions[row]))
            for row in range(len(labels.mentions))]


def text_claims(classifier, texts: list[str], language: str,
                embeddings: np.ndarray | None = None) -> list[frozenset[Claim]]:
    """The (dimension, sentiment) claims ``classifier`` reads in each text, read as plain text (no
    pros/cons field); ``embeddings``: the texts' MiniLM vectors when the caller has them."""
    import pandas as pd

    frame = pd.DataFrame({"text": list(texts), "field": "text", "language": language})
    return unit_claims(classifier.classify(frame, minilm_vectors=embeddings))


@dataclass
class GroundingCheck:
    """Checks sentences against one set of evidence; ``encoder`` is the shared sentence encoder.

    With ``classifier`` (an ``AspectClassifier``) a sentence must also make the claims the evidence
    makes (see the module docstring); ``dimension`` names a section's dimension, ``language`` the
    language the sentences and evidence are in (it routes the classifier), and ``support_claims``
    the evidence's claims per support text when the caller has them already (classified here
    otherwise)."""

    encoder: object
    support: list[str]
    threshold: float
    facts: dict = field(default_factory=dict)
    secrets: tuple[str, ...] = ()           # the system prompts: text that must not come back out
    support_embeddings: np.ndarray | None = None
    classifier: object | None = None
    dimension: str | None = None
    language: str = "en"
    support_claims: list[frozenset[Claim]] | None = None

    def __post_init__(self) -> None:
        if self.support_embeddings is None:
            self.support_embeddings = (self.encoder.encode(self.support) if self.support
                                       else np.zeros((0, 384), np.float32))
        # 1 and 5 bound the rating scale; a sentence may name them.
        self._allowed_numbers = {"1", "5"}.union(*(_numbers(str(v)) for v in [*self.facts.values(), *self.support]))
        self._secret_ngrams = set().union(*(_ngrams(s) for s in self.secrets)) if self.secrets else set()
        if self.classifier is not None and self.support_claims is None:
            self.support_claims = self.claims(self.support, self.support_embeddings) if self.support else []
        self._evidence_claims: set[Claim] = set().union(*(self.support_claims or []))
        self._evidence_dimensions = {d for d, _ in self._evidence_claims}

    def claims(self, texts: list[str], embeddings: np.ndarray | None = None) -> list[frozenset[Claim]]:
        """The classifier's (dimension, sentiment) claims of each text."""
        return text_claims(self.classifier, texts, self.language, embeddings)

    def _claim_problem(self, claims: frozenset[Claim], side: str | None) -> str | None:
        if not claims:
            return "the classifier finds no (dimension, sentiment) claim in it"
        about = {d for d, _ in claims}
        if self.dimension is not None and self.dimension not in about:
            return f"not about {self.dimension} (claims: {', '.join(sorted(about))})"
        for dimension, sentiment in sorted(claims):
            supported = (dimension in self._evidence_dimensions if sentiment == "neutral"
                         else (dimension, sentiment) in self._evidence_claims)
            if not supported:
                return f"claims {dimension} {sentiment}, which no evidence unit does"
        wanted = SIDE_SENTIMENT.get(side or "")
        if wanted:
            own = {s for d, s in claims if self.dimension is None or d == self.dimension}
            if wanted not in own:
                return f"a {side} that does not read {wanted} ({', '.join(sorted(own))})"
        return None

    def reason_to_drop(self, sentence: str, similarity: float, min_words: int = MIN_WORDS,
                       claims: frozenset[Claim] | None = None, side: str | None = None) -> str | None:
        """Why ``sentence`` must go, or None; ``claims``: its classifier claims (checked when the
        check has a classifier), ``side``: "pro" or "con" for a bullet."""
        if len(_WORD.findall(sentence.lower())) < min_words:
            return "too short to say anything"
        if self._secret_ngrams & _ngrams(sentence):
            return "repeats the system prompt"
        if looks_like_instruction(sentence):
            return "reads as an instruction"
        invented = _numbers(sentence) - self._allowed_numbers
        if invented:
            return f"number not in the evidence ({', '.join(sorted(invented))})"
        if similarity < self.threshold:
            return f"not supported by the evidence (similarity {similarity:.2f})"
        if self.classifier is not None:
            return self._claim_problem(claims or frozenset(), side)
        return None

    def reasons(self, sentences: list[str], min_words: int = MIN_WORDS,
                side: str | None = None) -> list[tuple[str, str | None]]:
        """(sentence, why it is dropped or None) in input order; empty strings and repeats are ignored."""
        sentences = list(dict.fromkeys(s.strip() for s in sentences if s and s.strip()))
        if not sentences:
            return []
        embeddings = self.encoder.encode(sentences)
        if len(self.support_embeddings):
            similarity = (embeddings @ self.support_embeddings.T).max(axis=1)
        else:
            similarity = np.zeros(len(sentences))
        claims = self.claims(sentences, embeddings) if self.classifier is not None else [None] * len(sentences)
        return [(sentence, self.reason_to_drop(sentence, float(score), min_words, claim, side))
                for sentence, score, claim in zip(sentences, similarity, claims)]

    def check(self, sentences: list[str], min_words: int = MIN_WORDS,
              side: str | None = None) -> tuple[list[str], list[str]]:
        """(kept, dropped) in input order; empty strings and repeats are ignored."""
        judged = self.reasons(sentences, min_words, side)
        return [s for s, why in judged if why is None], [s for s, why in judged if why is not None]
