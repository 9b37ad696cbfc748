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

import contextlib
import datetime as dt
import gc
import hashlib
import json
import time
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import sqlalchemy as sa

from company_reviewer.config import Settings
from company_reviewer.data.fast_validate import ValidatedFrame, validate_frame
from company_reviewer.data.validate import Rejected
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


def _quarantine_row(rejected: Rejected, batch_id: int, source_file: str) -> dict:
    raw_hash = hashlib.sha256(f"{source_file}\0{rejected.row_number}\0{rejected.raw}".encode()).hexdigest()
    return {
        "raw_hash": raw_hash, "batch_id": batch_id, "source_file": source_file,
        "row_number": rejected.row_number, "reason": rejected.reason, "raw": rejected.raw,
        "created_at": _now(),
    }


def _existing_hashes(connection: sa.Connection, hashes: Sequence[str]) -> set[str]:
    """The hashes among ``hashes`` already in the store, in one query (the list travels as one
    parameter: a PostgreSQL array, or JSON that SQLite unpacks with ``json_each``)."""
    column = tables.reviews.c.content_hash
    if not hashes:
        return set()
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import ARRAY

        listed = sa.bindparam("hashes", list(hashes), type_=ARRAY(sa.String))
        return set(connection.execute(sa.select(column).where(column == sa.any_(listed))).scalars())
    if connection.dialect.name == "sqlite":
        values = sa.func.json_each(json.dumps(list(hashes))).table_valued("value")
        return set(connection.execute(sa.select(column).where(column.in_(sa.select(values.c.value)))).scalars())
    found: set[str] = set()
    for start in range(0, len(hashes), 900):  # stay under every backend's bound-parameter limit
        part = hashes[start:start + 900]
        found.update(connection.execute(sa.select(column).where(column.in_(part))).scalars())
    return found


def _store_chunk(engine: sa.Engine, validated: ValidatedFrame, read: int, summary: FileSummary, seen: set[str],
                 clock: StageTimes) -> None:
    """Write one validated chunk, its quarantine rows and the batch counters in one transaction."""
    with clock.measure("de-duplicate + store"), engine.begin() as connection:
        existing = _existing_hashes(connection, [row["content_hash"] for row in validated.rows])
        new_rows = []
        duplicates = 0
        for row in validated.rows:
            content_hash = row["content_hash"]
            if content_hash in existing or content_hash in seen:
                duplicates += 1
                continue
            seen.add(content_hash)
            row["batch_id"] = summary.batch_id
            new_rows.append(row)
        insert_ignoring_conflicts(connection, tables.reviews, new_rows, "content_hash")
        insert_ignoring_conflicts(
            connection, tables.quarantine,
            [_quarantine_row(r, summary.batch_id, summary.path) for r in validated.rejected], "raw_hash",
        )
        counts = (summary.read + read, summary.stored + len(new_rows), summary.duplicates + duplicates,
                  summary.quarantined + len(validated.rejected))
        connection.execute(
            tables.ingest_batches.update().where(tables.ingest_batches.c.id == summary.batch_id).values(
                rows_read=counts[0], stored=counts[1], duplicates=counts[2], quarantined=counts[3],
            )
        )
    # Counted once committed: the summary never reports rows a failed transaction rolled back.
    summary.read, summary.stored, summary.duplicates, summary.quarantined = counts
    summary.reasons.update(r.reason.split(" (got")[0] for r in validated.rejected)


class StageTimes:
    """Wall-clock and CPU seconds per ingest stage. CPU is that of the thread running the stage
    (lingua's own worker threads are not in it); the store stage runs in a writer thread, in
    parallel with the next chunk's stages, so its time overlaps theirs."""

    def __init__(self) -> None:
        self.wall: Counter = Counter()
        self.cpu: Counter = Counter()
        self.restart()

    def restart(self) -> None:
        self._wall, self._cpu = time.perf_counter(), time.thread_time()

    def lap(self, stage: str) -> None:
        """Charge the time since the last lap (or restart) of this thread to ``stage``."""
        wall, cpu = time.perf_counter(), time.thread_time()
        self.wall[stage] += wall - self._wall
        self.cpu[stage] += cpu - self._cpu
        self._wall, self._cpu = wall, cpu

    @contextlib.contextmanager
    def measure(self, stage: str) -> Iterator[None]:
        """Charge the time of the block (in whichever thread) to ``stage``."""
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            yield
        finally:
            self.wall[stage] += time.perf_counter() - wall
            self.cpu[stage] += time.thread_time() - cpu


def _writer(engine: sa.Engine) -> ThreadPoolExecutor | _InlineWriter:
    # An in-memory SQLite database exists once per thread: write it from this thread.
    if isinstance(engine.pool, sa.pool.SingletonThreadPool):
        return _InlineWriter()
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-writer")


class _InlineWriter(contextlib.AbstractContextManager):
    """``submit`` runs the call at once, in this thread (the executor interface, no thread)."""

    def __exit__(self, *exc_info: object) -> None:
        return None

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to whoever calls result()
            future.set_exception(exc)
        return future


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off for one chunk. Building tens of thousands of short-lived
    rows otherwise sets off many collections (about 15% of the ingest time); reference counting
    still frees everything at once, and cycles are collected again between chunks."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def ingest_file(
    path: str | Path,
    engine: sa.Engine,
    *,
    preset: str | None = None,
    user_mapping: dict[str, str] | None = None,
    source: str | None = None,
    settings: Settings | None = None,
    progress: bool = False,
    timings: StageTimes | None = None,
) -> FileSummary:
    """Ingest one file; raises ``UnreadableFileError`` when the file itself cannot be read.

    ``timings``, when given, accumulates the time spent per stage (read, map, clean, detect
    language, validate + hash, wait for the store; and de-duplicate + store, which runs in a writer
    thread alongside the others), as ``bench/ingest.py`` reports it."""
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
        # One writer thread stores chunk n (mostly waiting on the database, without the GIL) while
        # this thread reads and validates chunk n+1; at most one chunk is in flight, and chunks
        # are committed in order, each in one transaction.
        with tqdm(desc=f"ingest {path.name}", unit=" rows", disable=not progress, leave=False) as bar, \
                _writer(engine) as writer:
            clock = timings if timings is not None else StageTimes()
            clock.restart()
            pending: Future | None = None
            while True:
                with _gc_paused():
                    chunk = next(chunks, None)
                    if chunk is None:
                        break
                    if summary.batch_id is None:
                        summary.preset = preset or detect_preset(list(chunk.columns))
                        summary.batch_id = _open_batch(engine, path, summary.preset)
                    clock.lap("read")
                    canonical = get_preset(summary.preset).to_canonical(
                        chunk, source=source, user_mapping=user_mapping
                    )
                    clock.lap("map")
                    canonical = clean_frame(canonical, max_text_chars=settings.max_text_chars)
                    clock.lap("clean")
                    canonical = fill_language(canonical)
                    clock.lap("detect language")
                    validated = validate_frame(canonical)
                    clock.lap("validate + hash")
                    if pending is not None:
                        pending.result()  # the previous chunk is committed (or its error raised here)
                    clock.lap("wait for the store")
                    pending = writer.submit(_store_chunk, engine, validated, len(chunk), summary, seen, clock)
                bar.update(len(chunk))
            if pending is not None:
                pending.result()
            clock.lap("wait for the store")
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
