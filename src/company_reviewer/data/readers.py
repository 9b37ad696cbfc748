"""Read any supported review file into chunks of string-valued pandas frames.

Formats: CSV, TSV (and ``;``-separated CSV), JSON, JSON lines, Parquet, Avro, each optionally gzipped.
:func:`iter_chunks` yields frames of at most ``chunk_rows`` rows with

* every source column as ``str``, missing = ``""`` (never NaN); nested values (lists, objects) as
  compact JSON, dates as ISO strings. Names are stripped; empty ones become ``column_<n>``,
  repeated or reserved ones get ``.1``, ``.2``. A key first seen late in JSON/JSONL/Avro adds a column;
* ``_row`` (int64): 1-based record number in the source (header, blank lines not counted);
* ``_error``: ``""``, or for a CSV/TSV record that could not be parsed (wrong field count, a field
  over the csv size limit) the reason; such a row has ``""`` in every source column and its raw
  text (all its physical lines) in ``_raw_line``, which is ``""`` otherwise;
* ``_group``, only for a JSON object whose values are lists of rows (kununu raw: ``{url: [rows]}``).

File-level problems raise :class:`UnreadableFileError` before the first chunk (a streaming pre-pass
checks gzip integrity and encoding of text files); a broken JSON lines record raises when reached.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import functools
import gzip
import io
import itertools
import json
import shutil
import tempfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

FORMATS: tuple[str, ...] = ("csv", "tsv", "json", "jsonl", "parquet", "avro")
ROW_COLUMN, ERROR_COLUMN, RAW_LINE_COLUMN, GROUP_COLUMN = "_row", "_error", "_raw_line", "_group"
RESERVED_COLUMNS: tuple[str, ...] = (ROW_COLUMN, ERROR_COLUMN, RAW_LINE_COLUMN, GROUP_COLUMN)
CONTAINER_KEYS: tuple[str, ...] = ("reviews", "data", "items")

_SNIFF_BYTES = 64 * 1024
_BLOCK_BYTES = 1 << 20
_EXTENSIONS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".json": "json", ".jsonl": "jsonl",
               ".ndjson": "jsonl", ".parquet": "parquet", ".pq": "parquet", ".avro": "avro"}
# Files people often pass by mistake; naming them makes the error actionable.
_FOREIGN_MAGIC = {b"PK\x03\x04": "a ZIP archive (an Excel .xlsx workbook?)", b"%PDF": "a PDF document",
                  b"\xd0\xcf\x11\xe0": "an old Excel .xls document", b"BZh": "bzip2-compressed data",
                  b"\xfd7zXZ\x00": "xz-compressed data", b"\x28\xb5\x2f\xfd": "zstd-compressed data"}
_REEXPORT = "re-download or re-export the file"
_GZIP_ERRORS = (EOFError, gzip.BadGzipFile, zlib.error)
_END = object()


class UnreadableFileError(Exception):
    """A file that cannot be read at all; ``str()`` names the file, the problem and what to do."""

    def __init__(self, path: str | Path, problem: str, advice: str) -> None:
        self.path, self.problem, self.advice = Path(path), problem, advice
        super().__init__(f"{self.path.name}: {problem} — {advice}")


def _gzip_error(path: Path, exc: BaseException) -> UnreadableFileError:
    truncated = isinstance(exc, EOFError)
    problem = "truncated (file cut off during download or copy?)" if truncated else f"corrupt ({exc})"
    return UnreadableFileError(path, f"the gzip stream is {problem}", _REEXPORT)


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def _open_binary(path: Path) -> IO[bytes]:
    """The file's bytes, gunzipped when it is a gzip file (whatever its extension)."""
    return gzip.open(path, "rb") if _is_gzip(path) else path.open("rb")


def _read_head(path: Path) -> bytes:
    try:
        with _open_binary(path) as fh:
            return fh.read(_SNIFF_BYTES)
    except _GZIP_ERRORS as exc:
        raise _gzip_error(path, exc) from exc


def _resolve_encoding(head: bytes, encoding: str) -> str:
    """The codec to decode with; byte-order marks are honoured (Excel writes UTF-8/16 with one)."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError as exc:
        raise ValueError(f"unknown text encoding {encoding!r} (try utf-8, cp1252 or latin-1)") from exc
    if name != "utf-8":
        return encoding
    return "utf-16" if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else "utf-8-sig"


def _looks_binary(text: str) -> bool:
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r\f")
    return "\x00" in text or controls > len(text) * 0.02 or text.count("\ufffd") > len(text) * 0.3


def _looks_like_json_lines(text: str) -> bool:
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < 2 or not lines[1].lstrip().startswith("{"):
        return False
    try:
        return isinstance(json.loads(lines[0]), dict)
    except json.JSONDecodeError:
        return False


def _delimiter_of(header: str) -> str | None:
    """Tab, semicolon or comma, whichever separates the header most; None when it has none."""
    counts = {sep: header.count(sep) for sep in ("\t", ";", ",")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else None


def _format_from_content(path: Path, head: bytes) -> str | None:
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"Obj\x01"):
        return "avro"
    for magic, what in _FOREIGN_MAGIC.items():
        if head.startswith(magic):
            raise UnreadableFileError(path, f"this is {what}, not a review export",
                                      "export or decompress it to CSV, JSON, Parquet or Avro first")
    text = head.decode(_resolve_encoding(head, "utf-8"), errors="replace").lstrip("\ufeff")
    if _looks_binary(text):
        raise UnreadableFileError(path, "the content is binary data of an unknown kind",
                                  "pass a CSV, TSV, JSON, JSON lines, Parquet or Avro file (optionally .gz)")
    stripped = text.lstrip()
    if not stripped:
        raise UnreadableFileError(path, "the file holds only whitespace, it has no rows", _REEXPORT)
    if stripped[0] == "[":
        return "json"
    if stripped[0] == "{":
        return "jsonl" if _looks_like_json_lines(stripped) else "json"
    return {None: None, "\t": "tsv"}.get(_delimiter_of(stripped.splitlines()[0]), "csv")


def _format_from_extension(path: Path) -> str | None:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes.pop()
    return _EXTENSIONS.get(suffixes[-1]) if suffixes else None


def detect_format(path: str | Path) -> str:
    """One of :data:`FORMATS`, from the content (gzip unwrapped) and then the extension.

    Content wins when it is clear (magic bytes, a JSON start, a delimited header); the extension
    decides JSON vs JSON lines for a one-line file and the format when the content is unclear
    (a one-column text file, a JSON scalar).
    """
    path = Path(path)
    if not path.is_file():
        what = "is a directory, not a file" if path.is_dir() else "does not exist"
        raise UnreadableFileError(path, f"the file {what}", "check the path and the file name")
    if path.stat().st_size == 0:
        raise UnreadableFileError(path, "the file is empty (0 bytes), it has no rows", _REEXPORT)
    head = _read_head(path)
    if not head:
        raise UnreadableFileError(path, "the compressed file is empty, it has no rows", _REEXPORT)
    by_content = _format_from_content(path, head)
    by_extension = _format_from_extension(path)
    if by_content == "json" and by_extension == "jsonl" and head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{":
        return "jsonl"
    if by_content is not None:
        return by_content
    if by_extension is not None:  # its reader explains what is wrong with the content
        return by_extension
    raise UnreadableFileError(path, "cannot tell the format (no separator in the first line, no known "
                                    "extension)", "name the file .csv, .tsv, .json, .jsonl, .parquet or .avro")


def _unique_names(names: Iterable[Any]) -> list[str]:
    seen: set[str] = set(RESERVED_COLUMNS)
    out: list[str] = []
    for index, raw in enumerate(names, start=1):
        name = str(raw).strip() or f"column_{index}"
        candidate, suffix = name, 0
        while candidate in seen:
            suffix += 1
            candidate = f"{name}.{suffix}"
        seen.add(candidate)
        out.append(candidate)
    return out


def _cell(value: Any) -> str:
    """One JSON/Parquet/Avro value as the string the rest of the pipeline expects."""
    if value is None or isinstance(value, str):
        return value or ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "" if value != value else str(value)  # NaN is missing
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def _frame(values: list[list[str]], columns: list[str], first_row: int, errors: list[str] | None = None,
           raw_lines: list[str] | None = None, group: str | None = None) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    count = len(values)
    frame = pd.DataFrame(values, columns=columns, dtype="str")
    frame[ROW_COLUMN] = np.arange(first_row, first_row + count, dtype="int64")
    frame[ERROR_COLUMN] = pd.Series(errors or [""] * count, dtype="str")
    frame[RAW_LINE_COLUMN] = pd.Series(raw_lines or [""] * count, dtype="str")
    if group is not None:
        frame[GROUP_COLUMN] = pd.Series([group] * count, dtype="str")
    return frame


def _chunk_records(records: Iterable[tuple[str | None, Any]], chunk_rows: int, path: Path,
                   keys: Iterable[str] = ()) -> Iterator[pd.DataFrame]:
    """Frames from ``(group, record)`` pairs; the columns are every key seen so far."""
    seen: dict[str, None] = dict.fromkeys(keys)
    batch: list[dict[str, Any]] = []
    group: str | None = None
    first_row = 1
    for number, (record_group, record) in enumerate(itertools.chain(records, [(None, _END)]), start=1):
        if batch and (record is _END or len(batch) == chunk_rows or record_group != group):
            values = [[_cell(item.get(key)) for key in seen] for item in batch]
            yield _frame(values, _unique_names(seen), first_row, group=group)
            first_row, batch = first_row + len(batch), []
        if record is _END:
            return
        if not isinstance(record, dict):
            raise UnreadableFileError(path, f"record {number} is a {type(record).__name__}, not an object",
                                      "export one JSON object per review")
        group = record_group
        seen.update(dict.fromkeys(record))
        batch.append(record)


def _open_text(path: Path, encoding: str) -> IO[str]:
    codec = _resolve_encoding(_read_head(path), encoding)
    return io.TextIOWrapper(_open_binary(path), encoding=codec, newline="")


def _check_text_stream(path: Path, encoding: str) -> None:
    """Decode the whole (gunzipped) file once so broken gzip or encoding fails before any chunk."""
    decoder = codecs.getincrementaldecoder(_resolve_encoding(_read_head(path), encoding))("strict")
    offset = newlines = 0
    try:
        with _open_binary(path) as fh:
            while True:
                block, pending = fh.read(_BLOCK_BYTES), decoder.getstate()[0]
                try:
                    decoder.decode(block, final=not block)
                except UnicodeDecodeError as exc:
                    data = pending + block
                    line = newlines + data[: exc.start].count(b"\n") + 1
                    raise UnreadableFileError(
                        path, f"byte {offset - len(pending) + exc.start} (line {line}, value "
                              f"0x{data[exc.start]:02x}) is not valid {encoding} text",
                        "re-save the file as UTF-8, or pass the encoding it was saved in "
                        "(e.g. encoding='cp1252')") from exc
                if not block:
                    return
                offset, newlines = offset + len(block), newlines + block.count(b"\n")
    except _GZIP_ERRORS as exc:
        raise _gzip_error(path, exc) from exc


def _tapped(lines: Iterable[str], taken: list[str]) -> Iterator[str]:
    """Lines for csv.reader, remembered in ``taken`` so a bad record's raw text can be kept."""
    for line in lines:
        taken.append(line)
        yield line


def _iter_delimited(path: Path, chunk_rows: int, encoding: str, default: str = ",") -> Iterator[pd.DataFrame]:
    # The csv module rather than pandas: it hands back every record's raw lines, so a record
    # with the wrong number of fields is quarantined verbatim instead of silently NaN-padded.
    with _open_text(path, encoding) as fh:
        first_line, taken = fh.readline(), []
        while first_line and not first_line.strip():  # blank lines above the header
            first_line = fh.readline()
        reader = csv.reader(_tapped(itertools.chain([first_line], fh), taken),
                            delimiter=_delimiter_of(first_line) or default)
        columns = _unique_names(next(reader, []))
        values: list[list[str]] = []
        errors: list[str] = []
        raw: list[str] = []
        first_row = 1
        while True:
            taken.clear()
            try:
                fields, reason = next(reader), ""
            except StopIteration:
                break
            except csv.Error as exc:
                fields, reason = None, f"unparseable CSV record ({exc})"
            if fields == []:  # a blank line is no record
                continue
            if fields is not None and len(fields) != len(columns):
                reason = f"expected {len(columns)} fields, found {len(fields)} (a stray separator or quote?)"
            if reason:
                reason = f"line {reader.line_num - len(taken) + 1}: {reason}"
            values.append(fields if not reason else [""] * len(columns))
            errors.append(reason)
            raw.append("".join(taken) if reason else "")
            if len(values) == chunk_rows:
                yield _frame(values, columns, first_row, errors, raw)
                values, errors, raw, first_row = [], [], [], first_row + len(values)
        if values:
            yield _frame(values, columns, first_row, errors, raw)


def _json_row_groups(path: Path, data: Any) -> list[tuple[str | None, list[Any]]]:
    if isinstance(data, list):
        return [(None, data)]
    if not isinstance(data, dict):
        raise UnreadableFileError(path, f"the JSON holds a single {type(data).__name__}, not rows",
                                  "export an array of objects or one object per line")
    for key in CONTAINER_KEYS:
        if isinstance(data.get(key), list):
            return [(None, data[key])]
    values = list(data.values())
    if any(values) and all(isinstance(v, list) and all(isinstance(r, dict) for r in v) for v in values):
        return [(str(key), rows) for key, rows in data.items()]
    return [(None, [data])]


def _iter_json(path: Path, chunk_rows: int, encoding: str) -> Iterator[pd.DataFrame]:
    with _open_text(path, encoding) as fh:
        try:
            data = json.load(fh)
        except json.JSONDecodeError as exc:
            if exc.msg == "Extra data" and exc.colno == 1:  # JSON lines with a long first line
                yield from _chunk_records(_jsonl_records(path, encoding), chunk_rows, path)
                return
            raise UnreadableFileError(path, f"malformed JSON at line {exc.lineno}, column {exc.colno}: "
                                            f"{exc.msg}", "fix or re-export the file") from exc
    groups = _json_row_groups(path, data)
    keys = [key for _, rows in groups for row in rows if isinstance(row, dict) for key in row]
    yield from _chunk_records(((g, row) for g, rows in groups for row in rows), chunk_rows, path, keys)


def _jsonl_records(path: Path, encoding: str) -> Iterator[tuple[None, Any]]:
    with _open_text(path, encoding) as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise UnreadableFileError(path, f"line {number}, column {exc.colno}: malformed JSON "
                                                f"({exc.msg})", "fix that line or re-export the file") from exc
            if not isinstance(record, dict):
                raise UnreadableFileError(path, f"line {number} is a JSON {type(record).__name__}, "
                                                "not an object", "JSON lines files need one object per line")
            yield None, record


@contextlib.contextmanager
def _seekable_binary(path: Path) -> Iterator[IO[bytes]]:
    """Parquet needs random access: a gzipped file is inflated into a temporary file first."""
    if not _is_gzip(path):
        with path.open("rb") as fh:
            yield fh
        return
    with tempfile.TemporaryFile() as tmp:
        try:
            with gzip.open(path, "rb") as source:
                shutil.copyfileobj(source, tmp, _BLOCK_BYTES)
        except _GZIP_ERRORS as exc:
            raise _gzip_error(path, exc) from exc
        tmp.seek(0)
        yield tmp


def _iter_parquet(path: Path, chunk_rows: int, encoding: str) -> Iterator[pd.DataFrame]:
    import pyarrow.parquet as pq

    with _seekable_binary(path) as fh:
        try:
            parquet = pq.ParquetFile(fh)
            batches = parquet.iter_batches(batch_size=chunk_rows)
            records = ((None, record) for batch in batches for record in batch.to_pylist())
            yield from _chunk_records(records, chunk_rows, path, parquet.schema_arrow.names)
        except UnreadableFileError:
            raise
        except Exception as exc:  # pyarrow raises several types (ArrowInvalid, OSError) for a broken file
            raise UnreadableFileError(path, f"not a readable Parquet file ({exc})", _REEXPORT) from exc


def _avro_records(path: Path) -> Iterator[tuple[None, Any]]:
    import fastavro

    try:
        with _open_binary(path) as fh:
            yield from ((None, record) for record in fastavro.reader(fh))
    except _GZIP_ERRORS as exc:
        raise (_gzip_error(path, exc) if _is_gzip(path) else
               UnreadableFileError(path, "the Avro file is truncated", _REEXPORT)) from exc
    except (ValueError, TypeError, KeyError, StopIteration) as exc:
        raise UnreadableFileError(path, f"not a readable Avro file ({exc})", _REEXPORT) from exc


_READERS: dict[str, Callable[[Path, int, str], Iterator[pd.DataFrame]]] = {
    "csv": _iter_delimited, "tsv": functools.partial(_iter_delimited, default="\t"), "json": _iter_json,
    "jsonl": lambda path, rows, encoding: _chunk_records(_jsonl_records(path, encoding), rows, path),
    "parquet": _iter_parquet, "avro": lambda path, rows, _: _chunk_records(_avro_records(path), rows, path)}


def iter_chunks(path: str | Path, chunk_rows: int = 5000, encoding: str = "utf-8") -> Iterator[pd.DataFrame]:
    """Stream ``path`` as frames of at most ``chunk_rows`` rows (columns: see the module docstring).

    CSV, TSV, JSON lines, Parquet and Avro are streamed in constant memory; a JSON document is
    parsed whole. ``encoding`` applies to the text formats; a UTF-8/UTF-16 byte-order mark is
    honoured. Raises :class:`UnreadableFileError` for a file that cannot be read or has no rows.
    """
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows must be at least 1, got {chunk_rows}")
    path = Path(path)
    fmt = detect_format(path)
    if fmt in ("csv", "tsv", "json", "jsonl"):
        _check_text_stream(path, encoding)
    rows = 0
    for frame in _READERS[fmt](path, chunk_rows, encoding):
        rows += len(frame)
        yield frame
    if rows == 0:
        raise UnreadableFileError(path, "the file has no rows (only a header, or an empty list)",
                                  "check that the export contains reviews")
