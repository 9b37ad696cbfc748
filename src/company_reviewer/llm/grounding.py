"""The grounding check on LLM text, and the guard against instructions hidden in reviews.

Every sentence of an LLM paragraph, and every pro/con bullet, is kept only when

- it is supported by the evidence the model was given: cosine similarity (all-MiniLM-L6-v2) to
  some evidence unit, or to a sentence of the embedded writer's measured summary, at least the
  threshold;
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


@dataclass
class GroundingCheck:
    """Checks sentences against one set of evidence; ``encoder`` is the shared sentence encoder."""

    encoder: object
    support: list[str]
    threshold: float
    facts: dict = field(default_factory=dict)
    secrets: tuple[str, ...] = ()           # the system prompts: text that must not come back out
    support_embeddings: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.support_embeddings is None:
            self.support_embeddings = (self.encoder.encode(self.support) if self.support
                                       else np.zeros((0, 384), np.float32))
        # 1 and 5 bound the rating scale; a sentence may name them.
        self._allowed_numbers = {"1", "5"}.union(*(_numbers(str(v)) for v in [*self.facts.values(), *self.support]))
        self._secret_ngrams = set().union(*(_ngrams(s) for s in self.secrets)) if self.secrets else set()

    def reason_to_drop(self, sentence: str, similarity: float, min_words: int = MIN_WORDS) -> str | None:
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
        return None

    def check(self, sentences: list[str], min_words: int = MIN_WORDS) -> tuple[list[str], list[str]]:
        """(kept, dropped) in input order; empty strings and repeats are ignored."""
        sentences = list(dict.fromkeys(s.strip() for s in sentences if s and s.strip()))
        if not sentences:
            return [], []
        if len(self.support_embeddings):
            similarity = (self.encoder.encode(sentences) @ self.support_embeddings.T).max(axis=1)
        else:
            similarity = np.zeros(len(sentences))
        kept, dropped = [], []
        for sentence, score in zip(sentences, similarity):
            (dropped if self.reason_to_drop(sentence, float(score), min_words) else kept).append(sentence)
        return kept, dropped
