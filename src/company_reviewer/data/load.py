"""Read review files straight into a validated frame, without the store (``review INPUT``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from company_reviewer.config import Settings
from company_reviewer.data.records import Review
from company_reviewer.data.validate import Accepted, Rejected, to_review


def reviews_to_frame(reviews: list[Review]) -> pd.DataFrame:
    """Canonical frame (one row per review) from records, in the store's column layout."""
    frame = pd.DataFrame([r.model_dump() for r in reviews])
    if frame.empty:
        frame = pd.DataFrame(columns=list(Review.model_fields))
    return frame


def canonical_chunks(
    path: str | Path,
    *,
    preset: str | None = None,
    source: str | None = None,
    user_mapping: dict[str, str] | None = None,
    settings: Settings | None = None,
    encoding: str | None = None,
) -> Iterator[pd.DataFrame]:
    """A file as cleaned canonical chunks with languages filled in: what ``ingest`` validates.

    (``ingest`` runs the same stages inline because it times each one for ``bench/ingest.py``.)
    """
    from company_reviewer.data.clean import clean_frame, fill_language
    from company_reviewer.data.presets import detect_preset, get_preset
    from company_reviewer.data.readers import iter_chunks

    settings = settings or Settings.from_env()
    chosen = preset
    for chunk in iter_chunks(Path(path), chunk_rows=settings.ingest_chunk_rows, encoding=encoding):
        chosen = chosen or detect_preset(list(chunk.columns))
        canonical = get_preset(chosen).to_canonical(chunk, source=source, user_mapping=user_mapping)
        yield fill_language(clean_frame(canonical, max_text_chars=settings.max_text_chars))


def read_reviews(
    path: str | Path,
    *,
    preset: str | None = None,
    source: str | None = None,
    user_mapping: dict[str, str] | None = None,
    settings: Settings | None = None,
    encoding: str | None = None,
) -> tuple[pd.DataFrame, list[Rejected]]:
    """All valid reviews of a file (same reading, mapping, cleaning and validation as ``ingest``)
    and the rows that were rejected, with reasons. Exact duplicates are kept once."""
    accepted: dict[str, Review] = {}
    rejected: list[Rejected] = []
    chunks = canonical_chunks(path, preset=preset, source=source, user_mapping=user_mapping, settings=settings,
                              encoding=encoding)
    for canonical in chunks:
        for row in canonical.to_dict("records"):
            outcome = to_review(row)
            if isinstance(outcome, Accepted):
                accepted.setdefault(outcome.content_hash, outcome.review)
            else:
                rejected.append(outcome)
    return reviews_to_frame(list(accepted.values())), rejected
