"""Opinion units: the sentences and clauses of a review, located by character offsets.

An :class:`OpinionUnit` is the smallest span a reviewer states one opinion in ("great pay",
"management never listens"). Units are found by cutting a field's text at separators and then
moving the span boundaries past whitespace and punctuation; the text itself is never edited,
so ``review[unit.field][unit.start:unit.end] == unit.text`` always holds and every quote the
product shows maps back verbatim to the review.

Separators, in the order the scanner tries them at a position:

* a kununu section header ("Arbeitsatmosphäre: ...") at the start of a line (excluded from
  units; :func:`unit_category` recovers it),
* line breaks, bullet characters ("•", "▪", ...), semicolons, an inline " - " between phrases,
* numbered-list markers ("1." / "2)") at a line start, or anywhere once a field numbers its
  items 1 and 2 (otherwise "am 1. Januar" would be cut),
* contrastive conjunctions: English ", but", " but", " however", " although", " whereas";
  German only after a comma (", aber", ", jedoch", ", allerdings", ", sondern") because without
  a comma these words are mostly modal particles ("das ist aber gut"),
* ellipses, and sentence ends (. ! ?) followed by whitespace, except after abbreviations
  (e.g., i.e., Dr., z.B., bzw., initials such as U.S.) and one- or two-digit ordinals,
* sentence ends glued to the next word in scraped text ("good pay.bad hours"), only between
  letters and never inside something that looks like a domain, URL or file name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from company_reviewer.data.records import TEXT_FIELDS

# kununu section labels as its pages print them: the 13 standard categories (the labels of
# taxonomies/kununu.yaml; a test keeps the two in sync), the three free-text sections and the
# extra sections of trainee reviews. Hard-coded so importing this module reads no files.
KUNUNU_SECTION_LABELS: tuple[str, ...] = (
    "Arbeitsatmosphäre", "Image", "Work-Life-Balance", "Karriere/Weiterbildung",
    "Gehalt/Sozialleistungen", "Umwelt-/Sozialbewusstsein", "Kollegenzusammenhalt",
    "Umgang mit älteren Kollegen", "Vorgesetztenverhalten", "Arbeitsbedingungen", "Kommunikation",
    "Gleichberechtigung", "Interessante Aufgaben",
    "Gut am Arbeitgeber finde ich", "Schlecht am Arbeitgeber finde ich", "Verbesserungsvorschläge",
    "Karrierechancen", "Arbeitszeiten", "Ausbildungsvergütung", "Die Ausbilder",
    "Aufgaben/Tätigkeiten", "Respekt", "Spaßfaktor", "Variation",
)
_SECTION_POLARITY = {"Gut am Arbeitgeber finde ich": "positive",
                     "Schlecht am Arbeitgeber finde ich": "negative"}
_FIELD_POLARITY = {"pros": "positive", "cons": "negative"}

# Abbreviations whose period never ends a sentence, and ones that may (cut only before a capital).
_ABBREVIATIONS = frozenset("""
e.g. i.e. eg. ie. cf. vs. approx. appr. ca. dr. mr. mrs. ms. prof. st. jr. sr. dept. esp. incl.
excl. est. min. max. avg. resp. fig. no.1 z.b. zb. bzw. d.h. u.a. o.ä. v.a. z.t. u.u. ggf. evtl.
inkl. ggü. mind. sog. bspw. insb. nr. tel. str. abt. mio. mrd. hr. fr. bzgl. zzgl. ua. dh.
""".split())
_MAYBE_FINAL_ABBREVIATIONS = frozenset("etc. usw. inc. ltd. co. corp. llc. etc.. u.s.w.".split())
_INITIALS = re.compile(r"^(?:[^\W\d_]\.){2,}$")
_ORDINAL = re.compile(r"^\d{1,2}\.$")
_URLISH = re.compile(r"(?i)https?:|www\.|@|\.(?:com|org|net|edu|gov|io|ai|de|at|ch|uk|co|fr|eu|in"
                     r"|js|html?|php|pdf|xlsx?|docx?|pptx?|py|txt|csv|json)\b")
_TOKEN_STOP = " \t\r\n([{\"'“‘«"

_BULLETS = "•·▪►◦‣∙●■□✓✔➢➤→"
_LEAD_JUNK = re.compile(
    r"(?:[\s,;:.!?)\]}…\-–—*+=>|~_" + _BULLETS + r"]+|(?i:but|however|aber|jedoch)(?=[\s,:]|$))+")
_TRAIL_JUNK = frozenset(" \t\r\n\f\v\u00a0,;:-–—*+=<(|~_/" + _BULLETS)
# Longest label first so "Arbeitszeiten" is not read as a shorter label's prefix.
# Repeats are one header: scraped kununu answers sometimes start with their own label again.
_HEADER_PATTERN = (r"^[ \t]*(?:(?P<label>"
                   + "|".join(re.escape(x) for x in sorted(KUNUNU_SECTION_LABELS, key=len, reverse=True))
                   + r")[ \t]*:[ \t]*)+")
_HEADER = re.compile(_HEADER_PATTERN, re.MULTILINE)
_SEPARATORS = re.compile(
    r"(?P<header>" + _HEADER_PATTERN + r")"
    r"|(?P<newline>[\r\n\f\v\u2028\u2029]+)"
    r"|(?P<bullet>[" + _BULLETS + r"]+)"
    r"|(?P<semicolon>;+)"
    r"|(?P<dash>(?<=\S)[ \t]+[-–—*]+[ \t]+(?=\S))"
    r"|(?P<number>(?<!\S)(?P<ordinal>\d{1,2})[.)](?=[ \t]))"
    r"|(?P<contrast>(?:,[ \t]*|[ \t]+)(?i:but|however|although|whereas)(?=[\s,]|$))"
    r"|(?P<kontrast>,[ \t]*(?:aber|jedoch|allerdings|sondern)(?=[\s,]|$))"
    r"|(?P<ellipsis>\.{2,}|…+)"
    r"|(?P<end>[.!?]+[\"”’')\]]*(?=\s|$))"
    r"|(?P<glued>(?<=[^\W\d_][a-zß-ÿ])[.!?]+(?=[A-ZÄÖÜ]?[a-zß-ÿ]{2}))",
    re.MULTILINE)


@dataclass(frozen=True)
class OpinionUnit:
    """A span of one text field of one review; ``text`` is exactly ``field_text[start:end]``."""

    review_key: str
    field: str
    start: int
    end: int
    text: str

    def __post_init__(self) -> None:
        if not 0 <= self.start <= self.end or len(self.text) != self.end - self.start:
            raise ValueError(f"inconsistent unit offsets {self.start}:{self.end} for {self.text!r}")

    def matches(self, review: Mapping[str, Any]) -> bool:
        """Whether the unit is still a verbatim slice of ``review`` (it may have been edited)."""
        source = review.get(self.field)
        return isinstance(source, str) and source[self.start:self.end] == self.text


def unit_spans(text: str, min_chars: int = 3) -> list[tuple[int, int]]:
    """``(start, end)`` offsets of the opinion units of one text, in order."""
    if not text:
        return []
    matches = list(_SEPARATORS.finditer(text))
    numbered = _numbered_list(text, matches)
    spans: list[tuple[int, int]] = []
    position = 0
    for match in matches:
        cut = _cut(text, match, numbered)
        if cut is None:
            continue
        _append_trimmed(text, position, cut[0], min_chars, spans)
        position = cut[1]
    _append_trimmed(text, position, len(text), min_chars, spans)
    return spans


def split_units(review: Mapping[str, Any], review_key: str, fields: Iterable[str] = TEXT_FIELDS,
                min_chars: int = 3) -> list[OpinionUnit]:
    """The opinion units of the given text fields of one review (missing/non-text fields skipped)."""
    units: list[OpinionUnit] = []
    for field in fields:
        text = review.get(field)
        if not isinstance(text, str):
            continue
        units.extend(OpinionUnit(review_key, field, start, end, text[start:end])
                     for start, end in unit_spans(text, min_chars))
    return units


def split_frame(frame: pd.DataFrame, fields: Iterable[str] = TEXT_FIELDS,
                min_chars: int = 3) -> pd.DataFrame:
    """Units of every review of a canonical frame: columns review_key, field, start, end, text.

    The key is the ``review_key`` column when present, else ``review_id``. Missing fields and
    non-string cells (NaN, None) are skipped.
    """
    key_column = "review_key" if "review_key" in frame.columns else "review_id"
    keys = frame[key_column].astype(str).tolist()
    out: dict[str, list[Any]] = {"review_key": [], "field": [], "start": [], "end": [], "text": []}
    for field in fields:
        if field not in frame.columns:
            continue
        for key, text in zip(keys, frame[field].tolist()):
            if not isinstance(text, str) or not text:
                continue
            for start, end in unit_spans(text, min_chars):
                out["review_key"].append(key)
                out["field"].append(field)
                out["start"].append(start)
                out["end"].append(end)
                out["text"].append(text[start:end])
    result = pd.DataFrame(out, columns=list(out))
    return result.astype({"start": "int64", "end": "int64"})


def unit_category(unit: OpinionUnit, review: Mapping[str, Any]) -> str | None:
    """The kununu section label ("Arbeitsatmosphäre", ...) the unit was written under, if any.

    That is the last "Label:" header at a line start before the unit in the same field, so an
    answer running over several lines keeps its section.
    """
    text = review.get(unit.field)
    if not isinstance(text, str):
        return None
    label = None
    for match in _HEADER.finditer(text, 0, unit.start):
        label = match.group("label")
    return label


def natural_polarity(field: str, category: str | None = None) -> str | None:
    """The polarity a field (or kununu section) implies: pros positive, cons negative.

    Advice holds suggestions and headline/text mix both, so they imply nothing.
    """
    if category is not None and category in _SECTION_POLARITY:
        return _SECTION_POLARITY[category]
    return _FIELD_POLARITY.get(field)


def _numbered_list(text: str, matches: list[re.Match[str]]) -> bool:
    # Inline numbers are list markers only when a line starts the count at 1 ("1. a 2. b");
    # "am 1. Januar und im 2. Jahr" has both numbers but is prose.
    numbers = {m.group("ordinal"): m.start() for m in reversed(matches) if m.lastgroup == "number"}
    return "2" in numbers and "1" in numbers and _at_line_start(text, numbers["1"])


def _at_line_start(text: str, position: int) -> bool:
    before = text[:position].rstrip(" \t")
    return not before or before[-1] in "\r\n"


def _cut(text: str, match: re.Match[str], numbered: bool) -> tuple[int, int] | None:
    """The span a separator match removes, or None when the match is not a separator here."""
    kind = match.lastgroup
    start, end = match.span()
    if kind in ("end", "ellipsis"):
        if kind == "end" and match.group() == "." and not _sentence_final_period(text, start):
            return None
        return end, end  # the punctuation stays with the sentence it ends
    if kind == "glued":
        if match.group() == "." and (_is_abbreviation(_token_before(text, start))
                                     or _URLISH.search(_token_around(text, start))):
            return None
        return end, end
    if kind == "number":
        return (start, end) if numbered or _at_line_start(text, start) else None
    if kind == "dash":
        before, after = text[start - 1], text[end]
        return None if before.isdigit() and after.isdigit() else (start, end)
    if kind == "contrast":
        return _contrast_cut(text, match)
    if kind == "kontrast" and text.startswith(" auch", end):
        return None  # "nicht nur X, sondern auch Y" is one statement
    return start, end


def _contrast_cut(text: str, match: re.Match[str]) -> tuple[int, int] | None:
    start, end = match.span()
    word = match.group().lstrip(", \t").lower()
    if word == "but":
        if text[end:end + 5].lower() == " also":
            return None  # "not only X but also Y"
        if _token_before(text, start).lower() in ("nothing", "anything", "all"):
            return None  # "anything but easy" is one opinion
    if word == "however" and match.group().startswith(",") and text.startswith(",", end):
        return None  # parenthetical "The pay, however, is good"
    return start, end


def _sentence_final_period(text: str, position: int) -> bool:
    token = _token_before(text, position + 1).lower()
    if _ORDINAL.match(token):
        return False  # "am 1. Januar", "im 2. Jahr"
    if token in _MAYBE_FINAL_ABBREVIATIONS:
        rest = text[position + 1:].lstrip()
        return bool(rest) and rest[0].isupper()
    return not _is_abbreviation(token)


def _is_abbreviation(token: str) -> bool:
    token = token.lower()
    if not token.endswith("."):
        token += "."
    return token in _ABBREVIATIONS or token in _MAYBE_FINAL_ABBREVIATIONS or bool(_INITIALS.match(token))


def _token_before(text: str, end: int) -> str:
    """The word ending at ``end`` (exclusive), back to whitespace or an opening bracket."""
    start = end
    while start > 0 and text[start - 1] not in _TOKEN_STOP:
        start -= 1
    return text[start:end]


def _token_around(text: str, position: int) -> str:
    end = position
    while end < len(text) and not text[end].isspace():
        end += 1
    return _token_before(text, position) + text[position:end]


def _append_trimmed(text: str, start: int, end: int, min_chars: int,
                    spans: list[tuple[int, int]]) -> None:
    lead = _LEAD_JUNK.match(text, start, end)
    if lead:
        start = lead.end()
    while end > start and (text[end - 1] in _TRAIL_JUNK or text[end - 1].isspace()):
        end -= 1
    if end - start >= max(min_chars, 1) and any(c.isalnum() for c in text[start:end]):
        spans.append((start, end))
