"""Vectorised cleaning of review frames: HTML debris, whitespace, length caps, dates, ratings, language.

Every function returns a new frame or series and leaves its input untouched. String columns are
pandas ``str`` columns with ``""`` for missing values, as produced by :mod:`.readers` and
:mod:`.presets`; columns whose name starts with ``_`` (``_row``, ``_raw``, ...) are never touched,
so the original row survives for quarantine.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from company_reviewer.data.records import TEXT_FIELDS

if TYPE_CHECKING:
    import pandas as pd

ELLIPSIS = "…"
# Languages employee reviews arrive in for this product; a short list keeps lingua fast and avoids
# exotic false positives on short texts.
LANGUAGES: tuple[str, ...] = ("en", "de", "fr", "es", "it", "nl", "pt", "pl", "sv", "da")
LANGUAGE_SAMPLE_CHARS = 300
MIN_LANGUAGE_CHARS = 12

# Block-level tags become line breaks, inline ones vanish. Only real HTML tag names with
# name=value attributes are matched, so text such as "pay <50k" or "a<b and c>d" survives.
_ATTRS = r"""(?:\s+[A-Za-z_:][-A-Za-z0-9_:.]*=(?:"[^"<>]*"|'[^'<>]*'|[^\s"'<>]+))*\s*/?>"""
_BLOCK_TAGS = r"</?(?:br|p|div|li|ul|ol|tr|table|h[1-6]|hr|blockquote)" + _ATTRS
_INLINE_TAGS = r"</?(?:b|i|u|em|strong|span|a|font|small|sup|sub|mark|strike|s|code)" + _ATTRS
_ENTITY = r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});"
# Zero-width characters, the BOM and C0/C1 controls other than tab and newline.
_INVISIBLE = "[\u200b\u200c\u200d\u2060\ufeff\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"
_SPACES = "[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+"
# A spreadsheet's error value in place of the text (e.g. "- long hours" evaluated as a formula
# gives "#NAME?"); the reviewer's words are lost, so the field is empty. Seen in the shared data.
_SPREADSHEET_ERROR = r"#(?:NAME\?|VALUE!|REF!|DIV/0!|N/A|NULL!|NUM!)"

_DATE_FORMATS: tuple[str, ...] = (
    "%B %d, %Y", "%b %d, %Y", "%B %d %Y", "%b %d %Y", "%d.%m.%Y", "%d %B %Y", "%d %b %Y", "%d %B, %Y",
    "%d %b, %Y", "%Y/%m/%d", "%m/%d/%Y", "%d/%m/%Y", "%d-%m-%Y", "%Y%m%d", "%B %Y", "%b %Y", "%Y-%m",
)


def _unescape(values: pd.Series) -> pd.Series:
    """HTML entities decoded; twice where the scrape escaped them twice (``&amp;amp;``)."""
    out = values.copy()
    for _ in range(2):
        mask = out.str.contains("&", regex=False)  # a cheap pre-filter: most values have no "&"
        if mask.any():
            mask[mask] = out[mask].str.contains(_ENTITY, regex=True)
        if not mask.any():
            break
        out[mask] = out[mask].map(html.unescape)
    return out


def _clean_text(values: pd.Series, max_chars: int) -> pd.Series:
    out = _unescape(values)
    out = out.str.replace(r"\r\n?", "\n", regex=True)
    out = out.str.replace(_BLOCK_TAGS, "\n", regex=True, case=False)
    out = out.str.replace(_INLINE_TAGS, "", regex=True, case=False)
    out = out.str.replace(_INVISIBLE, "", regex=True)
    out = out.str.replace(_SPACES, " ", regex=True)
    out = out.str.replace(r" ?\n ?", "\n", regex=True)
    out = out.str.replace(r"\n{3,}", "\n\n", regex=True).str.strip()
    out = out.mask(out.str.fullmatch(_SPREADSHEET_ERROR), "")
    return cap_text(out, max_chars)


def _clean_meta(values: pd.Series) -> pd.Series:
    # Metadata is one line: every run of whitespace, newlines included, becomes one space.
    out = _unescape(values).str.replace(_INVISIBLE, "", regex=True)
    messy = out.str.contains(r"[^\S ]|  ", regex=True)  # only these need the slower replace
    if messy.any():
        out[messy] = out[messy].str.replace(r"[\s\u00a0\u2000-\u200a\u202f\u3000]+", " ", regex=True)
    return out.str.strip()


def cap_text(values: pd.Series, max_chars: int) -> pd.Series:
    """Values longer than ``max_chars`` cut at a word boundary, ``…`` appended (result <= max_chars)."""
    if max_chars < 2:
        raise ValueError(f"max_chars must be at least 2, got {max_chars}")
    long = values.str.len() > max_chars
    if not long.any():
        return values
    head = values[long].str.slice(0, max_chars - 1)
    # Drop the partial last word, unless that would throw away more than a fifth of the text.
    trimmed = head.str.replace(rf"\s+\S{{0,{min(max(max_chars // 5, 1), 1000)}}}$", "", regex=True)
    out = values.copy()
    out[long] = trimmed.str.rstrip() + ELLIPSIS
    return out


def clean_frame(frame: pd.DataFrame, max_text_chars: int = 5000) -> pd.DataFrame:
    """A cleaned copy of ``frame``.

    Text fields (headline, pros, cons, advice, text): HTML entities decoded, ``<br>``/``<p>``-like
    tags turned into newlines and inline tags dropped, invisible characters removed, runs of
    spaces/tabs collapsed, at most one blank line in a row, stripped, a bare spreadsheet error
    value ("#NAME?") emptied, capped at ``max_text_chars``.
    Every other string column not starting with ``_``: entities decoded, whitespace collapsed to
    single spaces, stripped.
    """
    out = frame.copy()
    for column in out.columns:
        name = str(column)
        if name.startswith("_") or not _is_string(out[column]):
            continue
        values = out[column].astype("str").fillna("")
        out[column] = _clean_text(values, max_text_chars) if name in TEXT_FIELDS else _clean_meta(values)
    return out


def _is_string(values: pd.Series) -> bool:
    import pandas as pd

    return pd.api.types.is_string_dtype(values.dtype) or values.dtype == object


def normalize_dates(values: pd.Series) -> pd.Series:
    """ISO ``yyyy-mm-dd`` where a value is a date in a common format, otherwise the value unchanged.

    Accepted: ISO dates and timestamps (the local date part is kept), "May 18, 2025", "18 May 2025",
    "18.05.2025", "2025/05/18", US "05/18/2025" (then day-first "18/05/2025" when the US reading is
    impossible), "May 2025" and "2025-05" (first of the month). Parsed once per distinct value.
    """
    import pandas as pd

    text = values.astype("str").fillna("").str.strip()
    uniques = pd.Series(text.unique(), dtype="str")
    parsed = pd.Series(pd.NaT, index=uniques.index, dtype="datetime64[ns]")
    iso = uniques.str.extract(r"^(\d{4}-\d{1,2}-\d{1,2})(?:[T ].*)?$", expand=False)
    parsed = parsed.fillna(pd.to_datetime(iso, format="%Y-%m-%d", errors="coerce"))
    for fmt in _DATE_FORMATS:
        todo = parsed.isna() & (uniques != "")
        if not todo.any():
            break
        parsed[todo] = pd.to_datetime(uniques[todo], format=fmt, errors="coerce")
    iso_text = parsed.dt.strftime("%Y-%m-%d")
    mapping = dict(zip(uniques, iso_text.where(parsed.notna(), uniques)))
    return text.map(mapping).astype("str")


def normalize_ratings(values: pd.Series) -> pd.Series:
    """Ratings stay strings; a decimal comma becomes a point ("4,5" -> "4.5"), blanks stripped."""
    text = values.astype("str").fillna("").str.strip()
    return text.str.replace(r"^(\d+),(\d+)$", r"\1.\2", regex=True)


@functools.lru_cache(maxsize=2)
def _detector(low_accuracy: bool) -> Any:
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    codes = [getattr(IsoCode639_1, code.upper()) for code in LANGUAGES]
    builder = LanguageDetectorBuilder.from_iso_codes_639_1(*codes)
    if low_accuracy:
        builder = builder.with_low_accuracy_mode()
    return builder.with_preloaded_language_models().build()


def _language_sample(text: str) -> str:
    sample = (text or "")[:LANGUAGE_SAMPLE_CHARS]
    letters = sum(ch.isalpha() for ch in sample)
    return sample if letters >= MIN_LANGUAGE_CHARS else ""


def detect_languages(texts: Sequence[str], low_accuracy: bool = True) -> list[str | None]:
    """ISO 639-1 code per text (one of :data:`LANGUAGES`), None when too short or undecided.

    Only the first 300 characters are looked at; texts with fewer than 12 letters get None.
    Low-accuracy mode is the default: it is several times faster and, on reviews of a few sentences,
    as accurate (see the data tests); pass ``low_accuracy=False`` for very short texts.
    """
    samples = [_language_sample(text) for text in texts]
    distinct = list(dict.fromkeys(sample for sample in samples if sample))  # re-posted texts repeat
    if not distinct:
        return [None] * len(samples)
    found = _detector(low_accuracy).detect_languages_in_parallel_of(distinct)
    codes = {sample: (lang.iso_code_639_1.name.lower() if lang is not None else None)
             for sample, lang in zip(distinct, found)}
    return [codes[sample] if sample else None for sample in samples]


def joined_text(frame: pd.DataFrame, fields: Sequence[str] = TEXT_FIELDS) -> pd.Series:
    """The text fields of each row joined by newlines (empty fields skipped), vectorised."""
    import pandas as pd

    out = pd.Series("", index=frame.index, dtype="str")
    for field in fields:
        if field not in frame:
            continue
        part = frame[field].astype("str").fillna("")
        separator = pd.Series("", index=frame.index, dtype="str").mask((out != "") & (part != ""), "\n")
        out = out + separator + part
    return out


def fill_language(frame: pd.DataFrame, low_accuracy: bool = True) -> pd.DataFrame:
    """A copy with an empty (or missing) ``language`` filled from the row's joined text fields.

    A row whose language cannot be told keeps ``""``; a language already given is kept.
    """
    out = frame.copy()
    if "language" not in out:
        out["language"] = ""
    language = out["language"].astype("str").fillna("").str.strip()
    empty = language == ""
    if empty.any():
        texts = joined_text(out.loc[empty]).str.slice(0, LANGUAGE_SAMPLE_CHARS)
        found = detect_languages(texts.tolist(), low_accuracy=low_accuracy)
        language[empty] = [code or "" for code in found]
    out["language"] = language.astype("str")
    return out
