"""Ingestion: files -> canonical, cleaned, validated reviews in the store.

Guarantees (also in the README):
- every row ends up stored, reported as a duplicate (same content hash as a stored row), or in the
  quarantine table with its reason and the raw row; nothing is dropped silently;
- each chunk of rows is written in one transaction, so a crash leaves no partial chunk, and a rerun
  skips what is already stored (content hashes) and completes the file without duplicates;
- an unreadable file raises :class:`UnreadableFileError` naming the file and what to do; other files
  of the same run are still ingested.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import sqlalchemy as sa

from company_reviewer.config import Settings
from company_reviewer.data.validate import Accepted, Rejected, to_review
from company_reviewer.store import tables
from company_reviewer.store.repository import insert_ignoring_conflicts


@dataclass
class FileSummary:
    path: str
    format: str = ""
    preset: str = ""
    batch_id: int | None = None
    read: int = 0
    stored: int = 0
    duplicates: int = 0
    quarantined: int = 0
    reasons: Counter = field(default_factory=Counter)
    error: str | None = None


@dataclass
class IngestSummary:
    files: list[FileSummary]

    def total(self, name: str) -> int:
        return sum(getattr(f, name) for f in self.files)

    def to_dict(self) -> dict:
        return {
            "read": self.total("read"),
            "stored": self.total("stored"),
            "duplicates": self.total("duplicates"),
            "quarantined": self.total("quarantined"),
            "failed_files": sum(1 for f in self.files if f.error),
            "files": [
                {**asdict(f), "reasons": dict(f.reasons.most_common())} for f in self.files
            ],
        }


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _review_row(accepted: Accepted, batch_id: int) -> dict:
    return {**accepted.review.model_dump(), "content_hash": accepted.content_hash, "batch_id": batch_id}


def _quarantine_row(rejected: Rejected, batch_id: int, source_file: str) -> dict:
    raw_hash = hashlib.sha256(f"{source_file}\0{rejected.row_number}\0{rejected.raw}".encode()).hexdigest()
    return {
        "raw_hash": raw_hash, "batch_id": batch_id, "source_file": source_file,
        "row_number": rejected.row_number, "reason": rejected.reason, "raw": rejected.raw,
        "created_at": _now(),
    }


def _existing_hashes(connection: sa.Connection, hashes: Sequence[str]) -> set[str]:
    found: set[str] = set()
    column = tables.reviews.c.content_hash
    for start in range(0, len(hashes), 900):  # stay under every backend's bound-parameter limit
        part = hashes[start:start + 900]
        found.update(connection.execute(sa.select(column).where(column.in_(part))).scalars())
    return found


def _store_chunk(engine: sa.Engine, rows: list[dict], summary: FileSummary, seen: set[str]) -> None:
    """Validate one chunk and write it, its quarantine rows and the batch counters in one transaction."""
    accepted: list[Accepted] = []
    rejected: list[Rejected] = []
    for row in rows:
        outcome = to_review(row)
        (accepted if isinstance(outcome, Accepted) else rejected).append(outcome)
    with engine.begin() as connection:
        existing = _existing_hashes(connection, [a.content_hash for a in accepted])
        new_rows = []
        duplicates = 0
        for item in accepted:
            if item.content_hash in existing or item.content_hash in seen:
                duplicates += 1
                continue
            seen.add(item.content_hash)
            new_rows.append(_review_row(item, summary.batch_id))
        insert_ignoring_conflicts(connection, tables.reviews, new_rows, "content_hash")
        insert_ignoring_conflicts(
            connection, tables.quarantine,
            [_quarantine_row(r, summary.batch_id, summary.path) for r in rejected], "raw_hash",
        )
        summary.read += len(rows)
        summary.stored += len(new_rows)
        summary.duplicates += duplicates
        summary.quarantined += len(rejected)
        summary.reasons.update(r.reason.split(" (got")[0] for r in rejected)
        connection.execute(
            tables.ingest_batches.update().where(tables.ingest_batches.c.id == summary.batch_id).values(
                rows_read=summary.read, stored=summary.stored,
                duplicates=summary.duplicates, quarantined=summary.quarantined,
            )
        )


def ingest_file(
    path: str | Path,
    engine: sa.Engine,
    *,
    preset: str | None = None,
    user_mapping: dict[str, str] | None = None,
    source: str | None = None,
    settings: Settings | None = None,
    progress: bool = False,
) -> FileSummary:
    """Ingest one file; raises ``UnreadableFileError`` when the file itself cannot be read."""
    from tqdm import tqdm

    from company_reviewer.data.clean import clean_frame, fill_language
    from company_reviewer.data.presets import detect_preset, get_preset
    from company_reviewer.data.readers import detect_format, iter_chunks

    settings = settings or Settings.from_env()
    path = Path(path)
    summary = FileSummary(path=str(path), format=detect_format(path))
    chunks = iter_chunks(path, chunk_rows=settings.ingest_chunk_rows)
    seen: set[str] = set()
    status = "failed"
    try:
        with tqdm(desc=f"ingest {path.name}", unit=" rows", disable=not progress, leave=False) as bar:
            for chunk in chunks:
                if summary.batch_id is None:
                    summary.preset = preset or detect_preset(list(chunk.columns))
                    summary.batch_id = _open_batch(engine, path, summary.preset)
                canonical = get_preset(summary.preset).to_canonical(
                    chunk, source=source, user_mapping=user_mapping
                )
                canonical = fill_language(clean_frame(canonical, max_text_chars=settings.max_text_chars))
                _store_chunk(engine, canonical.to_dict("records"), summary, seen)
                bar.update(len(chunk))
        status = "complete"
    finally:
        # A file that breaks mid-way keeps its committed chunks; the batch says it failed and a
        # rerun of the repaired file stores the rest without duplicates.
        if summary.batch_id is not None:
            with engine.begin() as connection:
                connection.execute(
                    tables.ingest_batches.update().where(tables.ingest_batches.c.id == summary.batch_id)
                    .values(status=status, finished_at=_now())
                )
    return summary


def _open_batch(engine: sa.Engine, path: Path, preset: str) -> int:
    with engine.begin() as connection:
        result = connection.execute(
            tables.ingest_batches.insert().values(
                source_file=str(path), file_sha256=_file_sha256(path), preset=preset, status="running",
                started_at=_now(), rows_read=0, stored=0, duplicates=0, quarantined=0,
            )
        )
        return int(result.inserted_primary_key[0])


def ingest_paths(paths: Iterable[str | Path], engine: sa.Engine, **options) -> IngestSummary:
    """Ingest several files; an unreadable file is reported in its summary and the rest go on."""
    from company_reviewer.data.readers import UnreadableFileError

    files = []
    for path in paths:
        try:
            files.append(ingest_file(path, engine, **options))
        except (UnreadableFileError, ValueError) as exc:
            files.append(FileSummary(path=str(path), error=str(exc)))
    return IngestSummary(files)


def summary_json(summary: IngestSummary) -> str:
    return json.dumps(summary.to_dict(), ensure_ascii=False)
