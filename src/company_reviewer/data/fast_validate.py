"""Whole-chunk validation: the fast path of :func:`.validate.to_review`, column by column.

:func:`validate_frame` checks every column of a cleaned canonical chunk at once (lengths, blank
values, dates and ratings parsed once per distinct value, range checks, "some text present") and
builds the store rows and content hashes of the rows that pass, without a pydantic model per row.
Dates and ratings are parsed by ``to_review``'s own helpers (once per distinct value), so they
are read exactly alike. Any row that fails a check, or that this path does not handle (a value
that is not a string, a row the reader could not parse, a frame with odd column names), goes to
``to_review`` itself. So the accept/reject decision and the reason text of every row are
``to_review``'s by construction, and a row is accepted here only when ``to_review`` would build
the very same review; ``tests/code/test_validate_fast.py`` checks that row by row, on synthetic
and real data.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from company_reviewer.data.records import (
    CANONICAL_COLUMNS,
    MAX_META_CHARS,
    MAX_TEXT_CHARS_HARD,
    TEXT_FIELDS,
    content_hashes,
    hash_json,
    hash_json_strings,
)
from company_reviewer.data.validate import (
    _DERIVED_ID_PREFIX,
    ATTRIBUTE_PREFIX,
    SUB_RATING_PREFIX,
    Accepted,
    Rejected,
    _parse_date,
    _parse_float,
    to_review,
)

if TYPE_CHECKING:
    import pandas as pd

_FAIL = object()  # a value this path cannot accept: the row goes to to_review
_LIMITS: dict[str, int] = {**MAX_META_CHARS, **{name: MAX_TEXT_CHARS_HARD for name in TEXT_FIELDS}}
_ROW_FIELDS = (*CANONICAL_COLUMNS, "sub_ratings", "attributes")  # the order of Review's fields


@dataclass(frozen=True)
class ValidatedFrame:
    """``rows``: one dict per accepted row, in input order, with the fields of
    ``Review.model_dump()`` (derived ``review_id`` included) plus ``content_hash``; rows with
    equal sub-ratings (attributes) share one ``sub_ratings`` (``attributes``) dict, so treat them
    as read-only. ``rejected``: the rows ``to_review`` rejected, in input order."""

    rows: list[dict[str, Any]]
    rejected: list[Rejected]


def accepted_row(accepted: Accepted) -> dict[str, Any]:
    """The store row of a review accepted by ``to_review`` (the same shape as ``ValidatedFrame.rows``)."""
    return {**accepted.review.model_dump(), "content_hash": accepted.content_hash}


def _strings(frame: pd.DataFrame, name: str, slow: list[bool]) -> list[str]:
    """The column as a list of ``str``; a missing column is all ``""``. A value that is not a
    ``str`` (NaN, a number) marks its row slow and reads as ``""`` here."""
    import pandas as pd

    if name not in frame:
        return [""] * len(frame)
    column = frame[name]
    values = column.tolist()
    if pd.api.types.is_string_dtype(column.dtype) and not isinstance(column.dtype, pd.CategoricalDtype):
        if column.hasnans:
            for i in column.isna().to_numpy().nonzero()[0]:
                slow[i], values[i] = True, ""
        if column.dtype != object:
            return values
    for i, value in enumerate(values):
        if type(value) is not str:
            slow[i], values[i] = True, ""
    return values


def _present(values: list[str], limit: int | None = None, slow: list[bool] | None = None) -> list[str | None]:
    """``_blank_to_none`` for strings: None where the value is empty or only whitespace. With
    ``limit``, a row whose value is longer (pydantic's ``max_length``) is marked slow."""
    if limit is not None and slow is not None and max(map(len, values), default=0) > limit:
        for i, value in enumerate(values):
            if len(value) > limit:
                slow[i] = True
    return [value if value.strip() else None for value in values]


def _parsed(values: list[str], parse: Any, slow: list[bool], in_range: bool = False) -> dict[str, Any]:
    """``parse`` applied once per distinct value: value -> ``(parsed, hash_json(parsed))``, or
    ``_FAIL`` (the row is marked slow) for a ValueError or, for ratings, a value outside 1-5."""
    cache: dict[str, Any] = {}
    for value in set(values):
        try:
            result = parse(value)
        except ValueError:
            cache[value] = _FAIL
            continue
        if in_range and result is not None and not 1 <= result <= 5:  # NaN is out of range too
            cache[value] = _FAIL
            continue
        cache[value] = (result, hash_json(result.isoformat() if isinstance(result, dt.date) else result))
    if any(result is _FAIL for result in cache.values()):
        for i, value in enumerate(values):
            if cache[value] is _FAIL:
                slow[i] = True
    return cache


def validate_frame(frame: pd.DataFrame) -> ValidatedFrame:
    """Validate a cleaned canonical chunk (as produced by a preset, ``clean_frame`` and
    ``fill_language``); the result is what ``to_review`` gives row by row."""
    names = list(frame.columns)
    if not frame.columns.is_unique or not all(isinstance(name, str) for name in names):
        # Not what a preset produces: to_review decides (or fails) exactly as it always did.
        return _merge([True] * len(frame), [], _slow_outcomes(frame, range(len(frame))))
    slow = [False] * len(frame)
    for column in ("_error", "_invalid"):
        for i, error in enumerate(_present(_strings(frame, column, slow))):
            if error is not None:
                slow[i] = True
    present = {name: _present(_strings(frame, name, slow), _LIMITS[name], slow)
               for name in CANONICAL_COLUMNS if name not in ("date", "rating_overall")}
    for i, company in enumerate(present["company"]):
        if company is None:
            slow[i] = True
    for i, texts in enumerate(zip(*(present[name] for name in TEXT_FIELDS))):
        if not any(texts):
            slow[i] = True
    parsed = {"date": (_strings(frame, "date", slow), _parse_date, False),
              "rating_overall": (_strings(frame, "rating_overall", slow),
                                 functools.partial(_parse_float, "rating_overall"), True)}
    parsed.update({name: (_strings(frame, name, slow), functools.partial(_parse_float, name), True)
                   for name in names if name.startswith(SUB_RATING_PREFIX)})
    caches = {name: (raw, _parsed(raw, parse, slow, in_range)) for name, (raw, parse, in_range) in parsed.items()}
    attributes = {name: _present(_strings(frame, name, slow)) for name in names if name.startswith(ATTRIBUTE_PREFIX)}
    fast = [i for i, is_slow in enumerate(slow) if not is_slow]
    rows = _fast_rows(fast, len(frame), present, caches, attributes)
    return _merge(slow, rows, _slow_outcomes(frame, [i for i, is_slow in enumerate(slow) if is_slow]))


def _fast_rows(fast: list[int], n: int, present: dict[str, list], caches: dict[str, tuple[list, dict]],
               attributes: dict[str, list]) -> list[dict[str, Any]]:
    """The store rows (with content hashes) of the rows that passed every check."""
    def pick(values: list) -> list:
        return values if len(fast) == n else [values[i] for i in fast]

    fields = {name: pick(values) for name, values in present.items()}
    fields["review_id"] = [value or "" for value in fields["review_id"]]
    fields["source"] = [value or "unknown" for value in fields["source"]]
    hashed = {name: hash_json_strings(values) for name, values in fields.items() if name != "language"}
    for name in ("date", "rating_overall"):
        raw, cache = caches[name]
        entries = [cache[value] for value in pick(raw)]
        fields[name] = [entry[0] for entry in entries]
        hashed[name] = [entry[1] for entry in entries]
    subs = [(name[len(SUB_RATING_PREFIX):], *caches[name]) for name in caches if name.startswith(SUB_RATING_PREFIX)]
    fields["sub_ratings"], hashed["sub_ratings"] = _grouped(
        [pick(raw) for _, raw, _ in subs], len(fast),
        lambda key: {name: cache[value][0] for (name, _, cache), value in zip(subs, key)
                     if cache[value][0] is not None})
    attrs = [(name[len(ATTRIBUTE_PREFIX):], values) for name, values in attributes.items()]
    fields["attributes"], hashed["attributes"] = _grouped(
        [pick(values) for _, values in attrs], len(fast),
        lambda key: {name: value for (name, _), value in zip(attrs, key) if value is not None})
    hashes = content_hashes(hashed)
    return [{"company": company, "review_id": review_id or _DERIVED_ID_PREFIX + content_hash[:15], "date": date,
             "job_title": job_title, "employee_status": status, "location": location, "rating_overall": rating,
             "headline": headline, "pros": pros, "cons": cons, "advice": advice, "text": text, "source": source,
             "language": language, "sub_ratings": sub_ratings, "attributes": attributes,
             "content_hash": content_hash}
            for (company, review_id, date, job_title, status, location, rating, headline, pros, cons, advice, text,
                 source, language, sub_ratings, attributes, content_hash)
            in zip(*(fields[name] for name in _ROW_FIELDS), hashes)]


def _grouped(columns: list[list], count: int, build: Any) -> tuple[list[dict], list[str]]:
    """A dict per row from its values across ``columns`` and its hash JSON, built once per
    distinct combination (sub-ratings and attributes repeat a lot); equal rows share one dict."""
    keys = list(zip(*columns)) if columns else [()] * count
    built = {key: build(key) for key in set(keys)}
    encoded = {key: hash_json(value) for key, value in built.items()}
    return [built[key] for key in keys], [encoded[key] for key in keys]


def _slow_outcomes(frame: pd.DataFrame, rows: Any) -> list[Accepted | Rejected]:
    rows = list(rows)
    if not rows:
        return []
    return [to_review(row) for row in frame.iloc[rows].to_dict("records")]


def _merge(slow: list[bool], fast_rows: list[dict[str, Any]], outcomes: list[Accepted | Rejected]) -> ValidatedFrame:
    """Fast and slow results back in input order."""
    fast_iter, slow_iter = iter(fast_rows), iter(outcomes)
    rows: list[dict[str, Any]] = []
    rejected: list[Rejected] = []
    if not outcomes:
        return ValidatedFrame(list(fast_rows), rejected)
    for is_slow in slow:
        if not is_slow:
            rows.append(next(fast_iter))
            continue
        outcome = next(slow_iter)
        if isinstance(outcome, Accepted):
            rows.append(accepted_row(outcome))
        else:
            rejected.append(outcome)
    return ValidatedFrame(rows, rejected)
