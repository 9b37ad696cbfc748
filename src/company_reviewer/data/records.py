"""The canonical review record every input format is mapped to.

A :class:`Review` is what lands in the store; :func:`review_frame_schema` validates the same
shape as a pandas frame (pandera is imported lazily: it is slow to import).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

TEXT_FIELDS: tuple[str, ...] = ("headline", "pros", "cons", "advice", "text")
CANONICAL_COLUMNS: tuple[str, ...] = (
    "company", "review_id", "date", "job_title", "employee_status", "location",
    "rating_overall", "headline", "pros", "cons", "advice", "text", "source", "language",
)
# Limits for metadata; a longer value is a sign of a broken row (a shifted column), so it is
# quarantined. Review text is capped during cleaning instead (see data.clean).
MAX_META_CHARS = {"company": 200, "review_id": 200, "job_title": 300, "employee_status": 100,
                  "location": 300, "source": 100, "language": 16}
MAX_TEXT_CHARS_HARD = 100_000

# The content hash is the SHA-256 of this canonical JSON. Stored reviews and derived review ids
# ("h" + hash) depend on it, so its definition must never change (or a re-ingest duplicates).
_HASH_JSON = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def content_hash_of(payload: dict[str, Any]) -> str:
    """The content hash of a review given as ``Review.model_dump(mode="json")`` without ``language``:
    every canonical field but ``language`` (``None`` when empty, ``date`` as ``yyyy-mm-dd``,
    ``rating_overall`` a float), plus ``sub_ratings`` and ``attributes``. Key order does not matter.
    """
    return hashlib.sha256(_HASH_JSON.encode(payload).encode("utf-8")).hexdigest()


# The same hash for a whole chunk (used by data.fast_validate): the canonical JSON is assembled
# from the JSON of each value, so values repeated across rows (ratings, dates) are encoded once.
HASH_KEYS: tuple[str, ...] = tuple(sorted((*(c for c in CANONICAL_COLUMNS if c != "language"),
                                           "sub_ratings", "attributes")))
_HASH_TEMPLATE = "{" + ",".join(_HASH_JSON.encode(key) + ":%s" for key in HASH_KEYS) + "}"


def hash_json(value: Any) -> str:
    """``value`` as it appears inside the hashed JSON (a str, None, a float or a dict of those)."""
    if value is None:
        return "null"
    return json.encoder.encode_basestring(value) if type(value) is str else _HASH_JSON.encode(value)


def hash_json_strings(values: list[str | None]) -> list[str]:
    """:func:`hash_json` of each value of a list of strings and Nones."""
    encode = json.encoder.encode_basestring
    return [encode(value) if value is not None else "null" for value in values]


def content_hashes(columns: dict[str, list[str]]) -> list[str]:
    """``content_hash_of`` for many reviews at once: ``columns`` maps every name in ``HASH_KEYS``
    to the :func:`hash_json` of that field, one per review. Equal to ``content_hash_of`` of each
    review (tests/code/test_validate_fast.py checks it on real and synthetic reviews)."""
    sha256, template = hashlib.sha256, _HASH_TEMPLATE
    return [sha256((template % row).encode("utf-8")).hexdigest()
            for row in zip(*(columns[key] for key in HASH_KEYS))]


class Review(BaseModel):
    """One employee review in canonical form."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    company: str = Field(min_length=1, max_length=MAX_META_CHARS["company"])
    review_id: str = Field(default="", max_length=MAX_META_CHARS["review_id"])
    date: dt.date | None = None
    job_title: str | None = Field(default=None, max_length=MAX_META_CHARS["job_title"])
    employee_status: str | None = Field(default=None, max_length=MAX_META_CHARS["employee_status"])
    location: str | None = Field(default=None, max_length=MAX_META_CHARS["location"])
    rating_overall: float | None = Field(default=None, ge=1, le=5)
    headline: str | None = Field(default=None, max_length=MAX_TEXT_CHARS_HARD)
    pros: str | None = Field(default=None, max_length=MAX_TEXT_CHARS_HARD)
    cons: str | None = Field(default=None, max_length=MAX_TEXT_CHARS_HARD)
    advice: str | None = Field(default=None, max_length=MAX_TEXT_CHARS_HARD)
    text: str | None = Field(default=None, max_length=MAX_TEXT_CHARS_HARD)
    source: str = Field(default="unknown", min_length=1, max_length=MAX_META_CHARS["source"])
    language: str | None = Field(default=None, max_length=MAX_META_CHARS["language"])
    sub_ratings: dict[str, float] = Field(default_factory=dict)
    attributes: dict[str, str] = Field(default_factory=dict)

    @field_validator("sub_ratings")
    @classmethod
    def _sub_ratings_in_range(cls, value: dict[str, float]) -> dict[str, float]:
        for name, rating in value.items():
            if not 1 <= rating <= 5:
                raise ValueError(f"sub-rating {name!r}={rating} is outside 1-5")
        return value

    @model_validator(mode="after")
    def _has_text(self) -> "Review":
        if not any((getattr(self, name) or "").strip() for name in TEXT_FIELDS):
            raise ValueError("no review text at all (headline, pros, cons, advice and text are empty)")
        return self

    def content_hash(self) -> str:
        """Stable hash of everything the reviewer wrote; equal hashes mean the same review."""
        return content_hash_of(self.model_dump(mode="json", exclude={"language"}))


def review_frame_schema() -> Any:
    """A pandera schema for a frame of canonical reviews (columns as in ``CANONICAL_COLUMNS``)."""
    import pandera.pandas as pa

    nullable_str = {"dtype": "string", "nullable": True, "required": False}
    columns: dict[str, Any] = {
        "company": pa.Column("string", pa.Check.str_length(1, MAX_META_CHARS["company"])),
        "review_id": pa.Column("string"),
        "source": pa.Column("string"),
        "date": pa.Column("datetime64[ns]", nullable=True, required=False, coerce=True),
        "rating_overall": pa.Column(float, pa.Check.in_range(1, 5), nullable=True, required=False, coerce=True),
    }
    for name in ("job_title", "employee_status", "location", "language", *TEXT_FIELDS):
        columns[name] = pa.Column(**nullable_str)
    return pa.DataFrameSchema(columns, strict=False, coerce=True)
