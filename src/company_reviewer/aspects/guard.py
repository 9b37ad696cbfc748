"""Instruction-like text in reviews: recognised, so it is never evidence and never moves a rating.

Reviews are data. A unit that addresses a model ("ignore previous instructions", a fake system
prompt, chat-template tokens, a JSON fragment with ratings) states no opinion about an employer;
it is removed from the text a review is analysed from, and counted. Matching runs on a
normalised copy (NFKC, zero-width and bidi controls removed, case folded, whitespace squeezed),
so look-alike characters and hidden joiners do not hide it; the review's own text is never
edited, only units are dropped.
"""

from __future__ import annotations

import re
import unicodedata

import pandas as pd

_INVISIBLE = re.compile("[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f"
                        "\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0]")

_PRIOR = r"(?:previous|prior|above|earlier|preceding|foregoing|former|original|system|initial)"
_ORDERS = r"(?:instructions?|prompts?|directions?|directives?|guidelines?|context|messages?|rules)"
_PATTERNS = [
    # English: "ignore (all) (of) (the/your) previous instructions", "disregard the above"
    rf"\b(?:ignore|disregard|forget|override|bypass|skip)\s+(?:all\s+|any\s+|every\s+)?(?:of\s+)?"
    rf"(?:the\s+|your\s+|my\s+|these\s+|those\s+)?{_PRIOR}\s+{_ORDERS}",
    r"\b(?:ignore|disregard|forget)\s+(?:all\s+|any\s+)?(?:the\s+)?"
    r"(?:above|everything above|what (?:came|was said) before)",
    rf"\b(?:ignore|disregard)\s+(?:all|any)\s+(?:your\s+)?{_ORDERS}\b",
    r"\b(?:system|developer)\s*(?:prompt|message|override|instruction)s?\s*[:\]>]",
    r"^\s*(?:system|assistant|developer)\s*:",
    r"\byou are (?:now )?(?:an? |the )?(?:ai|assistant|language model|llm|chatbot|gpt|reviewer model)\b",
    r"\b(?:as an ai language model|new instructions?\s*:|jailbreak|prompt injection|do anything now)",
    r"\b(?:rate|score|give|set|output|assign)\b[^.!?\n]{0,40}\b(?:all|every|each)\b[^.!?\n]{0,30}"
    r"\b(?:dimensions?|categories)\b[^.!?\n]{0,20}\b(?:[1-5](?:[.,]0)?|five|one)\b",
    r"\b(?:output|respond|reply|return|print)\s+(?:only|exactly)\b[^.!?\n]{0,30}\b(?:json|the following)\b",
    # chat-template tokens and markup addressed to models
    r"<\|?(?:im_start|im_end|system|user|assistant|endoftext|eot_id|start_header_id)\|?>",
    r"\[/?(?:inst|sys)\]|<<\s*sys\s*>>|###\s*(?:system|instruction|assistant)\b",
    # JSON-ish fragments carrying ratings or verdicts
    r"[{,]\s*\"(?:rating|overall|verdict|score|dimensions|sentiment)\"\s*:\s*[\"\d{\[]",
    # German
    r"\b(?:ignoriere|ignoriert|ignorieren sie|vergiss|vergessen sie|missachte)\s+"
    r"(?:alle\s+)?(?:die\s+|deine\s+|ihre\s+)?"
    r"(?:vorherigen|bisherigen|obigen|vorigen|vorangegangenen|früheren)\s+(?:anweisungen|befehle|regeln|instruktionen|vorgaben)",
    r"\b(?:du bist|sie sind) (?:jetzt |nun |ab sofort )?(?:ein |eine )?(?:ki|assistent|sprachmodell|chatbot)\b",
    r"\b(?:bewerte|gib)\b[^.!?\n]{0,40}\b(?:alle|jede)\b[^.!?\n]{0,30}\b(?:dimensionen|kategorien)\b",
    # French, Spanish, Portuguese, Italian, Dutch
    r"\b(?:ignore[zr]?|oublie[zr]?)\s+(?:toutes\s+)?(?:les\s+)?(?:instructions|consignes)\s+(?:précédentes|precedentes|ci-dessus)",
    r"\b(?:ignora|ignore|olvida)\s+(?:todas\s+)?(?:las\s+|as\s+|le\s+)?(?:instrucciones|instruções|instrucoes|istruzioni)"
    r"\s+(?:anteriores|precedenti|previas)",
    r"\b(?:negeer|vergeet)\s+(?:alle\s+)?(?:de\s+)?(?:vorige|eerdere)\s+(?:instructies|opdrachten)",
]
_INSTRUCTION = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.IGNORECASE | re.MULTILINE)


def normalise(text: str) -> str:
    """What the matcher reads: NFKC, no invisible/bidi characters, case folded, spaces squeezed."""
    text = unicodedata.normalize("NFKC", str(text or ""))
    text = _INVISIBLE.sub("", text)
    return re.sub(r"\s+", " ", text).casefold()


def is_instruction_like(text: str) -> bool:
    """True when ``text`` addresses a model rather than describing an employer."""
    return bool(_INSTRUCTION.search(normalise(text)))


def instruction_mask(texts) -> list[bool]:
    return [is_instruction_like(t) for t in texts]


def strip_instructions(reviews: pd.DataFrame, fields=None) -> tuple[pd.DataFrame, int]:
    """``reviews`` with instruction-like units blanked out of their text fields, and how many.

    A dropped unit's characters become spaces, so the other units keep their offsets and every
    remaining quote is still verbatim in the stored review.
    """
    from company_reviewer.data.records import TEXT_FIELDS
    from company_reviewer.units import unit_spans

    fields = [f for f in (fields or TEXT_FIELDS) if f in reviews.columns]
    out = reviews.copy()
    removed = 0
    for field in fields:
        values = out[field].tolist()
        changed = False
        for row, value in enumerate(values):
            if not isinstance(value, str) or not value or not _INSTRUCTION.search(normalise(value)):
                continue
            chars = list(value)
            hits = [(s, e) for s, e in unit_spans(value) if is_instruction_like(value[s:e])]
            # An instruction spread over several units matches the field but no single unit:
            # then the whole field goes.
            for start, end in hits or [(0, len(value))]:
                chars[start:end] = " " * (end - start)
            removed += max(len(hits), 1)
            values[row] = "".join(chars)
            changed = True
        if changed:
            out[field] = values
    return out, removed
