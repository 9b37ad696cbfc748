"""Turn cleaned canonical rows into :class:`Review` records or quarantine reasons.

Missing optional values (date, ratings, job title) are fine; values that are present but wrong
(a rating of 7, a date like "yesterday", a shifted column) are not, and the row is quarantined
with a reason a person can act on.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Mapping

from pydantic import ValidationError

from company_reviewer.data.records import CANONICAL_COLUMNS, Review

SUB_RATING_PREFIX = "rating__"
ATTRIBUTE_PREFIX = "attr__"
_DERIVED_ID_PREFIX = "h"
# Online employer reviews do not predate the web; earlier dates are parsing or column errors.
EARLIEST_DATE = dt.date(1990, 1, 1)
# A number as written in a rating column, after NFKC (full-width "５" is "5") and other scripts'
# decimal digits ("٥") made ASCII: digits with an optional decimal point or comma, an exponent.
_NUMBER = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?")
# "NaN" is how pandas, numpy and Python write a missing number (JSON NaN reads as missing too).
_MISSING_NUMBERS = frozenset({"nan", "+nan", "-nan"})
# yyyy-mm-dd (or ISO's basic yyyymmdd), optionally with a time of day and a zone (what
# datetime.fromisoformat reads); anything trailing ("2025-05-18garbage") is not a date.
_ISO_DATE = re.compile(r"\d{8}|\d{4}-\d{2}-\d{2}(?:[T ]\d{2}(?::?\d{2}(?::?\d{2}(?:[.,]\d+)?)?)?"
                       r"\s?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?")


@dataclass(frozen=True)
class Rejected:
    """A row that cannot become a review; kept verbatim in the quarantine table."""

    row_number: int | None
    reason: str
    raw: str


@dataclass(frozen=True)
class Accepted:
    review: Review
    content_hash: str


def _blank_to_none(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        return value if value.strip() else None
    if value != value:  # NaN from a numeric column
        return None
    return value


def _ascii_number(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).replace("\u066b", ".")  # Arabic decimal separator
    return "".join(str(unicodedata.decimal(ch)) if not ch.isascii() and unicodedata.decimal(ch, None) is not None
                   else ch for ch in text)


def _parse_float(name: str, value: Any) -> float | None:
    """A rating: None when blank or NaN; full-width and other Unicode digits read as ASCII ones;
    anything that is not a plain decimal number ("4 stars", "1_0", "inf", "0x5") is a ValueError."""
    value = _blank_to_none(value)
    if value is None:
        return None
    if isinstance(value, float):
        return None if value != value else value
    text = str(value).strip()
    if not text.isascii():
        text = _ascii_number(text).strip()
    if text.lower() in _MISSING_NUMBERS:
        return None
    if not _NUMBER.fullmatch(text):
        raise ValueError(f"{name}: not a number ({str(value)[:40]!r})")
    return float(text.replace(",", "."))


def _parse_date(value: Any) -> dt.date | None:
    value = _blank_to_none(value)
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    try:
        if not _ISO_DATE.fullmatch(text):
            raise ValueError(text)
        parsed = dt.date.fromisoformat(text[:10])
        if len(text) > 10:
            dt.datetime.fromisoformat(text)  # the time part must be real too
    except ValueError:
        raise ValueError(f"date: cannot parse {text[:40]!r} (use yyyy-mm-dd)") from None
    if not EARLIEST_DATE <= parsed <= dt.date.today() + dt.timedelta(days=1):
        raise ValueError(f"date: {parsed.isoformat()} is outside {EARLIEST_DATE.year}..today (a wrong column?)")
    return parsed


def _describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"]) or "row"
        got = item.get("input")
        shown = "" if isinstance(got, dict) else f" (got {str(got)[:40]!r})"
        message = item["msg"].removeprefix("Value error, ")
        parts.append(f"{where}: {message}{shown}")
    return "; ".join(parts)


def to_review(row: Mapping[str, Any]) -> Accepted | Rejected:
    """Validate one cleaned canonical row (as produced by a preset and ``clean_frame``)."""
    row_number = row.get("_row")
    raw = str(row.get("_raw") or row.get("_raw_line") or "")
    if _blank_to_none(row.get("_error")):
        return Rejected(row_number, f"unparsable row: {row['_error']}", raw)
    if _blank_to_none(row.get("_invalid")):
        return Rejected(row_number, str(row["_invalid"]), raw)
    try:
        fields: dict[str, Any] = {
            name: _blank_to_none(row.get(name))
            for name in CANONICAL_COLUMNS
            if name not in ("date", "rating_overall")
        }
        fields["date"] = _parse_date(row.get("date"))
        fields["rating_overall"] = _parse_float("rating_overall", row.get("rating_overall"))
        fields["review_id"] = fields["review_id"] or ""
        fields["source"] = fields["source"] or "unknown"
        sub_ratings = {}
        attributes = {}
        for key, value in row.items():
            if key.startswith(SUB_RATING_PREFIX):
                parsed = _parse_float(key[len(SUB_RATING_PREFIX):], value)
                if parsed is not None:
                    sub_ratings[key[len(SUB_RATING_PREFIX):]] = parsed
            elif key.startswith(ATTRIBUTE_PREFIX) and _blank_to_none(value) is not None:
                attributes[key[len(ATTRIBUTE_PREFIX):]] = str(value)
        review = Review(**fields, sub_ratings=sub_ratings, attributes=attributes)
    except ValidationError as exc:
        return Rejected(row_number, _describe(exc), raw)
    except ValueError as exc:
        return Rejected(row_number, str(exc), raw)
    content_hash = review.content_hash()
    if not review.review_id:
        # Platforms without ids get a stable one derived from the content, so a re-ingest maps
        # to the same id and quotes stay traceable.
        review = review.model_copy(update={"review_id": _DERIVED_ID_PREFIX + content_hash[:15]})
    return Accepted(review, content_hash)
