"""What ``--reference`` / ``--current`` name: a snapshot, the whole store, or a file, with an
optional date window.

Grammar: ``SRC[@FROM..TO]`` where SRC is a snapshot name, ``store`` (every review in the store) or
a path to any file ``ingest`` reads; FROM and TO are years or ISO dates, either may be empty
(``glassdoor.csv.gz@2024..`` = from 2024 on). Example: ``--reference store@2008..2015
--current store@2024..``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

_WINDOW = re.compile(r"^(?P<base>.+)@(?P<start>[^@.]*)\.\.(?P<end>[^@.]*)$")


class SourceError(ValueError):
    """The source cannot be resolved; the message says what to give instead."""


@dataclass(frozen=True)
class Source:
    spec: str
    base: str
    start: dt.date | None = None
    end: dt.date | None = None


def _parse_bound(text: str, *, is_end: bool) -> dt.date | None:
    if not text:
        return None
    if re.fullmatch(r"\d{4}", text):
        return dt.date(int(text), 12, 31) if is_end else dt.date(int(text), 1, 1)
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise SourceError(f"{text!r} is not a year or a yyyy-mm-dd date") from exc


def parse_source(spec: str) -> Source:
    match = _WINDOW.match(spec)
    if not match:
        return Source(spec=spec, base=spec)
    return Source(spec=spec, base=match["base"], start=_parse_bound(match["start"], is_end=False),
                  end=_parse_bound(match["end"], is_end=True))


def load_source(spec: str, *, database_url: str | None = None, preset: str | None = None) -> pd.DataFrame:
    """Reviews (canonical columns) named by ``spec``, restricted to its date window."""
    source = parse_source(spec)
    frame = _load_base(source.base, database_url=database_url, preset=preset)
    if source.start or source.end:
        dates = pd.to_datetime(frame["date"], errors="coerce")
        keep = dates.notna()
        if source.start:
            keep &= dates >= pd.Timestamp(source.start)
        if source.end:
            keep &= dates <= pd.Timestamp(source.end)
        frame = frame[keep].reset_index(drop=True)
    if frame.empty:
        raise SourceError(f"{spec!r} holds no reviews (check the name and the date window)")
    return frame


def _load_base(base: str, *, database_url: str | None, preset: str | None) -> pd.DataFrame:
    path = Path(base)
    if path.exists():
        from company_reviewer.data.load import read_reviews

        frame, _ = read_reviews(path, preset=preset)
        return frame
    from company_reviewer.store.db import get_engine
    from company_reviewer.store.repository import load_reviews_frame
    from company_reviewer.store.snapshots import SnapshotError, load_snapshot

    engine = get_engine(database_url)
    if base == "store":
        return load_reviews_frame(engine)
    try:
        return load_snapshot(engine, base)
    except SnapshotError as exc:
        raise SourceError(f"{base!r} is neither a file nor a snapshot ({exc}); "
                          "see `company-reviewer snapshot list`, or give `store` or a file path") from exc
