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
# Zero-width and other invisible format characters (soft hyphen, word joiner, invisible operators,
# the BOM), bidirectional controls (LRM/RLM/ALM, embeddings, overrides such as U+202E, isolates:
# they reorder how a name or a quote is displayed, "EvilCo" shown as "oClivE"), and C0/C1 controls
# other than tab and newline.
_INVISIBLE = ("[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff"
              "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SPACES = "[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+"
# What _normalise_text changes: CR, "<" (a tag?), invisible characters, a space character other
# than " ", two spaces, a space next to a newline, three newlines. What _clean_meta changes:
# Python's \s other than " " (spelled out, so that pyarrow's regex engine can search it), two spaces.
_MESSY_TEXT = "[\r<\t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000" + _INVISIBLE[1:-1] + "]|  | \n|\n |\n\n\n"
_MESSY_META = "[\t\n\x0b\x0c\r\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]|  "
_DIRTY_META = "[&" + _INVISIBLE[1:-1] + _MESSY_META[1:]  # an entity, an invisible character, or messy
# A spreadsheet's error value in place of the text (e.g. "- long hours" evaluated as a formula
# gives "#NAME?"); the reviewer's words are lost, so the field is empty. Seen in the shared data.
_SPREADSHEET_ERROR = r"#(?:NAME\?|VALUE!|REF!|DIV/0!|N/A|NULL!|NUM!)"
# Buttons of review sites that scrapers copy into the text ("...and ignore it)Show More"). Removed
# from the end of a text field where they cannot be the reviewer's words: glued to the text
# before them, after an ellipsis, on a line of their own, or as the whole field. Exactly these
# spellings (as the sites render them); "Show more flexibility" in the middle of advice stays.
PLATFORM_ARTEFACTS: tuple[str, ...] = (
    "Show More", "Show more", "Show Less", "Show less", "Read More", "Read more", "Read Less", "Read less",
    "See More", "See more", "See Less", "See less", "Continue Reading", "Continue reading",
    "Mehr anzeigen", "Weniger anzeigen", "Mehr lesen", "Weiterlesen", "Voir plus", "Lire la suite",
    "Ver más", "Leer más",
)
_ARTEFACT = ("(?:^|(?<=\\S)|(?<=\\.\\.\\.)[ \\t]+|(?<=…)[ \\t]+|\\n[ \\t]*)(?:"
             + "|".join(a.replace(" ", "\\ ") for a in PLATFORM_ARTEFACTS) + ")[ \\t]*$")
_ARTEFACT_HINT = "|".join(PLATFORM_ARTEFACTS)
# The attribute that marks a review whose text fields were cut at ``max_text_chars``; its value
# names the fields ("pros,text").
TRUNCATED_ATTRIBUTE = "attr__truncated"

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


def _normalise_text(values: pd.Series) -> pd.Series:
    out = values.str.replace(r"\r\n?", "\n", regex=True)
    out = out.str.replace(_BLOCK_TAGS, "\n", regex=True, case=False)
    out = out.str.replace(_INLINE_TAGS, "", regex=True, case=False)
    out = out.str.replace(_INVISIBLE, "", regex=True)
    out = out.str.replace(_SPACES, " ", regex=True)
    out = out.str.replace(r" ?\n ?", "\n", regex=True)
    return out.str.replace(r"\n{3,}", "\n\n", regex=True)


def _clean_text_uncapped(values: pd.Series) -> pd.Series:
    out = _unescape(values)
    # Only values with something _normalise_text changes go through its regexes (one pass finds them).
    messy = out.str.contains(_MESSY_TEXT, regex=True)
    if messy.any():
        out[messy] = _normalise_text(out[messy])
    out = strip_platform_artefacts(out.str.strip())
    return out.mask(out.str.fullmatch(_SPREADSHEET_ERROR), "")


def strip_platform_artefacts(values: pd.Series) -> pd.Series:
    """``values`` without a trailing review-site button (see :data:`PLATFORM_ARTEFACTS`), stripped."""
    hint = values.str.contains(_ARTEFACT_HINT, regex=True)
    if not hint.any():
        return values
    out = values.copy()
    for _ in range(2):  # "…Show MoreShow Less"
        out[hint] = out[hint].str.replace(_ARTEFACT, "", regex=True).str.rstrip()
    return out


def _clean_meta(values: pd.Series) -> pd.Series:
    # Metadata is one line: every run of whitespace, newlines included, becomes one space.
    if not values.str.contains(_DIRTY_META, regex=True).any():
        return values.str.strip()  # nothing below would change a value (one pass tells)
    out = _unescape(values).str.replace(_INVISIBLE, "", regex=True)
    messy = out.str.contains(_MESSY_META, regex=True)  # only these need the slower replace
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
    value ("#NAME?") emptied, a trailing review-site button ("Show More", :data:`PLATFORM_ARTEFACTS`)
    removed, capped at ``max_text_chars`` (``Settings.max_text_chars``); a review with a capped
    field gets the attribute ``truncated`` naming the capped fields (column ``attr__truncated``).
    Every other string column not starting with ``_``: entities decoded, whitespace collapsed to
    single spaces, stripped.
    """
    import pandas as pd

    out = frame.copy()
    truncated: list[tuple[str, pd.Series]] = []
    for column in out.columns:
        name = str(column)
        if name.startswith("_") or not _is_string(out[column]):
            continue
        values = out[column].astype("str").fillna("")
        if name in TEXT_FIELDS:
            cleaned = _clean_text_uncapped(values)
            long = cleaned.str.len() > max_text_chars
            if long.any():
                truncated.append((name, long))
            out[column] = cap_text(cleaned, max_text_chars)
        else:
            out[column] = _clean_meta(values)
    if truncated:
        names = pd.Series("", index=out.index, dtype="str")
        for name, long in truncated:
            names = names.mask(long, names + "," + name)
        names = names.str.lstrip(",")
        if TRUNCATED_ATTRIBUTE in out:
            earlier = out[TRUNCATED_ATTRIBUTE].astype("str").fillna("")
            names = names.mask(names == "", earlier)
        out[TRUNCATED_ATTRIBUTE] = names
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
    # Second resolution: nanoseconds cannot hold years before 1677, and such dates must reach
    # validation (which reports them) instead of breaking the whole file here.
    parsed = pd.Series(pd.NaT, index=uniques.index, dtype="datetime64[s]")
    iso = uniques.str.extract(r"^(\d{4}-\d{1,2}-\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?"
                              r"\s?(?:Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?)?$", expand=False)
    parsed = parsed.fillna(pd.to_datetime(iso, format="%Y-%m-%d", errors="coerce").astype("datetime64[s]"))
    for fmt in _DATE_FORMATS:
        todo = parsed.isna() & (uniques != "")
        if not todo.any():
            break
        parsed[todo] = pd.to_datetime(uniques[todo], format=fmt, errors="coerce").astype("datetime64[s]")
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


def _language_samples(texts: Sequence[str] | pd.Series) -> list[str]:
    """:func:`_language_sample` of each text, vectorised: a text with at least 12 ASCII letters in
    its first 300 characters qualifies at once; only the others are counted letter by letter."""
    import pyarrow as pa
    import pyarrow.compute as pc

    values = texts.fillna("").astype("str").tolist() if hasattr(texts, "fillna") else [t or "" for t in texts]
    sliced = pc.utf8_slice_codeunits(pa.array(values, pa.large_string()), 0, LANGUAGE_SAMPLE_CHARS)
    samples = sliced.to_pylist()
    enough = pc.match_substring_regex(sliced, f"^(?:[^A-Za-z]*[A-Za-z]){{{MIN_LANGUAGE_CHARS}}}")
    for i in pc.invert(enough).to_numpy(zero_copy_only=False).nonzero()[0]:
        samples[i] = _language_sample(samples[i])
    return samples


# Function words (and a few review words) that are frequent in one of LANGUAGES and rare as a word
# in the other nine. A sample is decided by them when at least STOPWORD_MIN_HITS of its words are
# on the list of one of STOPWORD_LANGUAGES and that is at least STOPWORD_MARGIN times the hits of
# all other lists together; anything less clear-cut (short, mixed, other languages) goes to lingua.
# On the shared data this decides 97.7% of the Glassdoor and 89% of the kununu reviews, and the
# result agrees with lingua alone on 99.95% (19 of 38,350; where they differ, lingua was wrong
# on short English texts) and 100% of them (bench/ingest.py --language-agreement, and
# tests/code/test_validate_fast.py).
_STOPWORDS: dict[str, str] = {
    "en": "the and are of with were it you not very they have has had but that this be been or my your their "
          "there can from by if more get lot good great company people pay place working employees hours "
          "environment its it's don't we our would should could too like which what when who how about into "
          "out up here new many some other every nice than then them because salary growth opportunities "
          "opportunity career staff bad long poor low lack none nothing much well easy hard lots friendly "
          "helpful colleagues coworkers flexibility time off work life balance",
    "de": "und ist nicht sehr mit für ich zu sich auch auf ein eine einen einem einer wird werden sind aber bei "
          "gut gute guter gutes wenig keine kein von im oder noch nur mehr immer viel viele kollegen arbeit "
          "gehalt wir uns hat haben wurde kann dass weil wenn schon ganz gibt arbeitgeber unternehmen "
          "mitarbeiter leider nach über durch",
    "fr": "les et est une pas très pour avec dans sur au aux ce cette sont nous vous être été entreprise travail "
          "bonne bien peu trop ont leur leurs elle ils fait avoir c'est j'ai n'est l'entreprise d'une d'un "
          "salariés équipe beaucoup toujours comme sans chez",
    "es": "el los las muy más hay también mucho mucha muchos trabajo buen bueno buena pero donde sus ellos "
          "nosotros están puede tiene tienen eso compañeros empleados hacer sin cuando siempre",
    "it": "di che è sono molto della delle degli gli nel nella anche lavoro azienda questo questa più ci essere "
          "hanno buona colleghi stipendio ma",
    "nl": "het een van niet zijn zeer goed werk voor ook maar bij wel veel geen dat wordt worden naar heel "
          "hebben heeft collega's collega bedrijf werken",
    "pt": "não muito muita com são trabalho bom boa é os em ao pelo pela você também isso tem",
    "pl": "nie jest się że bardzo praca dobra ale są jak tylko pracy pracownicy dla oraz czy w z",
    "sv": "och är inte att för mycket bra jobb arbete företag av ett jag till också alla",
    "da": "og ikke til meget god godt arbejde virksomhed jeg af også være været mange kollegaer",
}
STOPWORD_LANGUAGES: tuple[str, ...] = ("en", "de", "fr", "es", "pt")
STOPWORD_MIN_HITS = 3
STOPWORD_MARGIN = 4
_PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~…“”„‘’«»0123456789"


@functools.lru_cache(maxsize=1)
def _stopword_table() -> tuple[Any, Any]:
    import numpy as np
    import pyarrow as pa

    words = {word: LANGUAGES.index(code) for code, text in _STOPWORDS.items() for word in text.split()}
    return pa.array(list(words)), np.array(list(words.values()))


def stopword_languages(samples: Sequence[str]) -> list[str | None]:
    """The language of each sample when its function words leave no doubt (see ``_STOPWORDS``),
    else None. Words: the lower-cased text split at whitespace, punctuation and digits trimmed
    from both ends of each word."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if not len(samples):
        return []
    words, owners = _stopword_table()
    tokens = pc.utf8_split_whitespace(pc.utf8_lower(pa.array(samples, pa.large_string())))
    flat = pc.utf8_trim(pc.list_flatten(tokens), characters=_PUNCTUATION)
    index = pc.index_in(flat, value_set=words)
    found = pc.is_valid(index).to_numpy(zero_copy_only=False)
    parents = pc.list_parent_indices(tokens).to_numpy()[found]
    n, k = len(samples), len(LANGUAGES)
    hits = np.bincount(parents * k + owners[index.drop_null().to_numpy()], minlength=n * k).reshape(n, k)
    best, top = hits.argmax(axis=1), hits.max(axis=1)
    sure = (top >= STOPWORD_MIN_HITS) & (top >= STOPWORD_MARGIN * (hits.sum(axis=1) - top))
    sure &= np.isin(best, [LANGUAGES.index(code) for code in STOPWORD_LANGUAGES])
    return [LANGUAGES[b] if ok else None for b, ok in zip(best.tolist(), sure.tolist())]


def detect_languages(texts: Sequence[str] | pd.Series, low_accuracy: bool = True,
                     stopwords: bool = True) -> list[str | None]:
    """ISO 639-1 code per text (one of :data:`LANGUAGES`), None when too short or undecided.

    Only the first 300 characters are looked at; texts with fewer than 12 letters get None.
    A text whose function words are unambiguous English, German, French, Spanish or Portuguese is
    decided by them (:func:`stopword_languages`; ~20x faster on the Glassdoor reviews); lingua
    decides the rest (``stopwords=False``: all). Low-accuracy mode is the default: it is several
    times faster and, on reviews of a few sentences, as accurate (see the data tests); pass
    ``low_accuracy=False`` for very short texts.
    """
    samples = _language_samples(texts)
    codes: dict[str, str | None] = {}
    distinct = list(dict.fromkeys(sample for sample in samples if sample))  # re-posted texts repeat
    if stopwords:
        codes = {s: code for s, code in zip(distinct, stopword_languages(distinct)) if code is not None}
        distinct = [sample for sample in distinct if sample not in codes]
    if distinct:
        found = _detector(low_accuracy).detect_languages_in_parallel_of(distinct)
        codes.update({sample: (lang.iso_code_639_1.name.lower() if lang is not None else None)
                      for sample, lang in zip(distinct, found)})
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
        found = detect_languages(texts, low_accuracy=low_accuracy)
        language[empty] = [code or "" for code in found]
    out["language"] = language.astype("str")
    return out
