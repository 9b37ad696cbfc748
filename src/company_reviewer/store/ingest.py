"""Ingestion: files -> canonical, cleaned, validated reviews in the store.

Guarantees (also in the README):
- every row ends up stored, reported as a duplicate (same content hash as a stored row), or in the
  quarantine table with its reason and the raw row; nothing is dropped silently;
- each chunk of rows is written in one transaction, so a crash leaves no partial chunk, and a rerun
  skips what is already stored (content hashes) and completes the file without duplicates;
- an unreadable file raises :class:`UnreadableFileError` naming the file and what to do; other files
  of the same run are still ingested;
- the counts are this run's own, as the database saw them: ``stored`` is what this run inserted
  (a row another ingest inserted first, even concurrently, is a duplicate), ``quarantined`` what it
  added to the quarantine (rows already there from an earlier run are ``already_quarantined``);
- a batch left ``running`` by a process that died (``kill -9``) is marked ``interrupted`` by the
  next ingest on the same store.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import hashlib
import json
import os
import socket
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
    # Additive fields (the JSON summary's original keys are unchanged):
    already_quarantined: int = 0  # rejected again, already in the quarantine from an earlier run
    truncated: int = 0  # stored reviews with a text field cut at Settings.max_text_chars
    encoding: str = ""  # the text encoding the file was read with ("" for Parquet/Avro)
    notes: list[str] = field(default_factory=list)  # what was assumed (an encoding), for the person
    interrupted_batches: list[int] = field(default_factory=list)  # stale batches this run marked


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
            "already_quarantined": self.total("already_quarantined"),
            "truncated": self.total("truncated"),
            "interrupted_batches": sorted({b for f in self.files for b in f.interrupted_batches}),
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


def _storable(text: str) -> str:
    """Text PostgreSQL can store: a NUL byte (kept in a quarantined raw row) shown as ``\\x00``."""
    return text.replace("\x00", "\\x00") if "\x00" in text else text


def _quarantine_row(rejected: Rejected, batch_id: int, source_file: str) -> dict:
    raw_hash = hashlib.sha256(f"{source_file}\0{rejected.row_number}\0{rejected.raw}".encode()).hexdigest()
    return {
        "raw_hash": raw_hash, "batch_id": batch_id, "source_file": source_file,
        "row_number": rejected.row_number, "reason": _storable(rejected.reason), "raw": _storable(rejected.raw),
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


_RETRIES = 5


def _retryable(exc: BaseException) -> bool:
    """A transaction another writer got in the way of: SQLite busy past its timeout, a
    PostgreSQL deadlock or serialisation failure (rows of two files in different orders)."""
    text = str(getattr(exc, "orig", exc)).lower()
    return isinstance(exc, sa.exc.OperationalError) and (
        "database is locked" in text or "deadlock detected" in text or "could not serialize" in text)


def _store_chunk(engine: sa.Engine, validated: ValidatedFrame, read: int, summary: FileSummary, seen: set[str],
                 clock: StageTimes) -> None:
    """Write one validated chunk, its quarantine rows and the batch counters in one transaction;
    retried when a concurrent writer made the transaction fail."""
    with clock.measure("de-duplicate + store"):
        for attempt in range(_RETRIES):
            try:
                outcome = _store_chunk_once(engine, validated, read, summary, seen)
                break
            except sa.exc.OperationalError as exc:
                if attempt == _RETRIES - 1 or not _retryable(exc):
                    raise
                time.sleep(0.2 * 2 ** attempt)
    # Counted once committed: the summary never reports rows a failed transaction rolled back.
    stored, new_quarantined, truncated = outcome
    seen.update(row["content_hash"] for row in validated.rows)
    summary.read += read
    summary.stored += stored
    summary.duplicates += len(validated.rows) - stored
    summary.quarantined += new_quarantined
    summary.already_quarantined += len(validated.rejected) - new_quarantined
    summary.truncated += truncated
    summary.reasons.update(r.reason.split(" (got")[0] for r in validated.rejected)


def _store_chunk_once(engine: sa.Engine, validated: ValidatedFrame, read: int, summary: FileSummary,
                      seen: set[str]) -> tuple[int, int, int]:
    """(reviews this transaction inserted, quarantine rows it inserted, inserted reviews truncated)."""
    with engine.begin() as connection:
        existing = _existing_hashes(connection, [row["content_hash"] for row in validated.rows])
        new_rows = []
        chunk_seen: set[str] = set()
        for row in validated.rows:
            content_hash = row["content_hash"]
            if content_hash in existing or content_hash in seen or content_hash in chunk_seen:
                continue
            chunk_seen.add(content_hash)
            new_rows.append({**row, "batch_id": summary.batch_id})
        # The database's own counts: a row a concurrent ingest inserted after the check above is
        # skipped by ON CONFLICT and counted as a duplicate here, not as stored by both.
        stored = insert_ignoring_conflicts(connection, tables.reviews, new_rows, "content_hash")
        new_quarantined = insert_ignoring_conflicts(
            connection, tables.quarantine,
            [_quarantine_row(r, summary.batch_id, summary.path) for r in validated.rejected], "raw_hash",
        )
        truncated = _truncated_among_stored(connection, new_rows, summary.batch_id, stored)
        r = tables.ingest_batches
        connection.execute(
            r.update().where(r.c.id == summary.batch_id).values(
                rows_read=r.c.rows_read + read, stored=r.c.stored + stored,
                duplicates=r.c.duplicates + (len(validated.rows) - stored),
                quarantined=r.c.quarantined + new_quarantined, truncated=r.c.truncated + truncated,
                heartbeat_at=_now(),
            )
        )
    return stored, new_quarantined, truncated


def _truncated_among_stored(connection: sa.Connection, rows: list[dict], batch_id: int | None, stored: int) -> int:
    hashes = [row["content_hash"] for row in rows if (row.get("attributes") or {}).get("truncated")]
    if not hashes or not stored:
        return 0
    if stored == len(rows):
        return len(hashes)
    r = tables.reviews
    return int(connection.execute(sa.select(sa.func.count()).select_from(r).where(
        r.c.batch_id == batch_id, r.c.content_hash.in_(hashes))).scalar_one())


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a killed child its parent has not reaped yet is a zombie: gone for our purposes
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            return handle.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def mark_interrupted_batches(engine: sa.Engine, stale_after_s: float) -> list[int]:
    """Mark as ``interrupted`` the batches left ``running`` by an ingest that is gone: on this host,
    its process no longer exists; from another host (or from before hosts were recorded), it has
    not committed a chunk for ``stale_after_s`` seconds. Returns their ids."""
    b = tables.ingest_batches
    host, me = socket.gethostname(), os.getpid()
    now = _now()
    with engine.begin() as connection:
        running = connection.execute(
            sa.select(b.c.id, b.c.host, b.c.pid, b.c.heartbeat_at, b.c.started_at).where(b.c.status == "running")
        ).all()
        stale = []
        for batch_id, batch_host, pid, heartbeat, started in running:
            last = heartbeat or started
            if last is not None and last.tzinfo is None:  # SQLite hands back naive UTC datetimes
                last = last.replace(tzinfo=dt.timezone.utc)
            if batch_host == host and pid is not None:  # this host: the process itself tells
                gone = pid != me and not _pid_alive(pid)
            else:  # another host (or unrecorded): only silence tells
                gone = last is not None and (now - last).total_seconds() > stale_after_s
            if gone:
                stale.append(batch_id)
        if stale:
            connection.execute(b.update().where(b.c.id.in_(stale), b.c.status == "running")
                               .values(status="interrupted", finished_at=now))
    return stale


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
    encoding: str | None = None,
) -> FileSummary:
    """Ingest one file; raises ``UnreadableFileError`` when the file itself cannot be read.

    ``encoding`` (text formats): None detects it (the summary's ``notes`` say what was assumed),
    a codec name is used strictly.

    ``timings``, when given, accumulates the time spent per stage (read, map, clean, detect
    language, validate + hash, wait for the store; and de-duplicate + store, which runs in a writer
    thread alongside the others), as ``bench/ingest.py`` reports it."""
    from tqdm import tqdm

    from company_reviewer.data.clean import clean_frame, fill_language
    from company_reviewer.data.presets import detect_preset, get_preset
    from company_reviewer.data.readers import ReadInfo, detect_format, iter_chunks

    settings = settings or Settings.from_env()
    path = Path(path)
    summary = FileSummary(path=str(path), format=detect_format(path))
    summary.interrupted_batches = mark_interrupted_batches(engine, settings.ingest_stale_after_s)
    info = ReadInfo()
    chunks = iter_chunks(path, chunk_rows=settings.ingest_chunk_rows, encoding=encoding, info=info)
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
                    first = summary.batch_id is None
                    if first:
                        summary.encoding, summary.notes = info.encoding, list(info.notes)
                        summary.preset = preset or detect_preset(list(chunk.columns))
                    clock.lap("read")
                    canonical = get_preset(summary.preset).to_canonical(
                        chunk, source=source, user_mapping=user_mapping
                    )
                    if first:
                        _check_layout(path, chunk, canonical, summary.preset, user_mapping or {})
                        summary.batch_id = _open_batch(engine, path, summary.preset)
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
    except KeyboardInterrupt:  # Ctrl-C, SIGTERM turned into one: stopped, not broken
        status = "interrupted"
        raise
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


def _check_layout(path: Path, chunk, canonical, preset_name: str, user_mapping: dict[str, str]) -> None:
    """Refuse a file none of whose first rows has a company or any review text because no column
    of it maps to one (a wrong preset, another export's schema): every row would be quarantined.
    The message names the file, the missing fields, the columns looked for and the file's own."""
    from company_reviewer.data.presets import _norm, get_preset
    from company_reviewer.data.readers import UnreadableFileError
    from company_reviewer.data.records import TEXT_FIELDS

    preset = get_preset(preset_name)
    columns = [str(c) for c in chunk.columns if not str(c).startswith("_")]
    present = {_norm(c) for c in columns}

    def candidates(target: str) -> list[str]:
        return [target, *preset.fields.get(target, ())]

    def blank(target: str) -> bool:
        return bool((canonical[target].str.strip() == "").all())

    def unmapped(targets: tuple[str, ...]) -> bool:
        return not any(t in user_mapping or any(_norm(c) in present for c in candidates(t)) for t in targets)

    missing = []
    if blank("company") and unmapped(("company",)):
        missing.append(("company", candidates("company")))
    if all(blank(t) for t in TEXT_FIELDS) and unmapped(TEXT_FIELDS):
        missing.append(("review text", [c for t in TEXT_FIELDS for c in candidates(t)]))
    if not missing:
        return
    looked = "; ".join(f"{what} (a column named {', '.join(dict.fromkeys(names))})" for what, names in missing)
    shown = ", ".join(columns[:30]) + (f", ... ({len(columns)} columns)" if len(columns) > 30 else "")
    raise UnreadableFileError(
        path, f"its columns do not fit the {preset_name} layout: nothing gives {looked}; the file's columns "
              f"are: {shown or 'none'}",
        f"pass --preset for the right layout, or map columns with --map {missing[0][0].split()[-1]}=COLUMN")


def _open_batch(engine: sa.Engine, path: Path, preset: str) -> int:
    with engine.begin() as connection:
        result = connection.execute(
            tables.ingest_batches.insert().values(
                source_file=str(path), file_sha256=_file_sha256(path), preset=preset, status="running",
                started_at=_now(), rows_read=0, stored=0, duplicates=0, quarantined=0, truncated=0,
                host=socket.gethostname(), pid=os.getpid(), heartbeat_at=_now(),
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
        except UnreadableFileError as exc:
            files.append(FileSummary(path=str(path), error=str(exc)))
        except ValueError as exc:  # a preset that does not fit, a --map naming a missing column
            files.append(FileSummary(path=str(path), error=f"{Path(path).name}: {exc}"))
    return IngestSummary(files)


def summary_json(summary: IngestSummary) -> str:
    return json.dumps(summary.to_dict(), ensure_ascii=False)
