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
* ``_group``, only for a JSON object whose values are lists of rows (kununu raw: ``{url: [rows]}``);
* ``_nested``, only when some value is a JSON object or list (JSON, JSON lines, Parquet, Avro): per
  row, a JSON list of the columns whose value was nested (``""`` for none); presets quarantine a
  row whose canonical field comes from such a column.

Record-level problems become ``_error`` rows (quarantined downstream, the other rows still land):
a CSV record with the wrong field count, a record holding a NUL byte (any format; binary corruption,
which PostgreSQL cannot store either), a JSON lines line that is not a JSON object, two columns (or
keys) with the same name, ignoring case, holding different values. When such columns agree, or
only one holds a value, that value is kept under the first name.

Encoding (text formats): a given ``encoding`` is used strictly. By default (``None``) it is
detected: a byte-order mark (UTF-8, UTF-16, UTF-32), UTF-16 without one, else UTF-8 where bytes
that are not valid UTF-8 are read as Windows-1252 (cp1252, a superset of printable latin-1). What
was assumed is reported in :class:`ReadInfo` (``iter_chunks(..., info=...)``).

File-level problems raise :class:`UnreadableFileError` before the first chunk (a streaming pre-pass
checks gzip integrity and encoding of text files); a file broken mid-way (corrupt Avro or Parquet
data) raises when reached.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import gzip
import io
import itertools
import json
import shutil
import tempfile
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from company_reviewer import registry

if TYPE_CHECKING:
    import pandas as pd

FORMATS: tuple[str, ...] = ("csv", "tsv", "json", "jsonl", "parquet", "avro")
ROW_COLUMN, ERROR_COLUMN, RAW_LINE_COLUMN, GROUP_COLUMN = "_row", "_error", "_raw_line", "_group"
NESTED_COLUMN = "_nested"
RESERVED_COLUMNS: tuple[str, ...] = (ROW_COLUMN, ERROR_COLUMN, RAW_LINE_COLUMN, GROUP_COLUMN, NESTED_COLUMN)
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
# Bytes that are not UTF-8 are read as Windows-1252; its five undefined bytes as latin-1 (C1
# controls, which cleaning removes). Registered once, used by name in TextIOWrapper.
CP1252_FALLBACK = "company_reviewer.cp1252_fallback"
_CP1252_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")
_NUL_REASON = "the record holds a NUL byte (binary corruption?); remove it or re-export the file"
_MAX_LEADING_BAD_LINES = 1000  # a JSON lines file with this many bad lines before a good one is not JSON lines


def _cp1252_fallback(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    bad = exc.object[exc.start:exc.end]
    return "".join(chr(b) if b in _CP1252_UNDEFINED else bytes([b]).decode("cp1252") for b in bad), exc.end


codecs.register_error(CP1252_FALLBACK, _cp1252_fallback)


@dataclass
class ReadInfo:
    """What :func:`iter_chunks` found out about a file: its format, the text encoding it read it
    with (``""`` for Parquet/Avro), and notes for the person (an assumed encoding)."""

    format: str = ""
    encoding: str = ""
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Encoding:
    codec: str
    errors: str = "strict"
    note: str = ""


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
    # A few stray NULs or controls in a text file are record-level damage (those rows are
    # quarantined); binary data is full of them.
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r\f")
    return controls > max(len(text) * 0.02, 2) or text.count("\ufffd") > len(text) * 0.3


def _bom_codec(head: bytes) -> str | None:
    """The codec a byte-order mark (or the NUL pattern of BOM-less UTF-16 text) says, else None."""
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    sample = head[:4096]
    if len(sample) >= 8:
        even, odd = sample[0::2], sample[1::2]
        if odd.count(0) > len(odd) * 0.4 and even.count(0) < len(even) * 0.05:
            return "utf-16-le"
        if even.count(0) > len(even) * 0.4 and odd.count(0) < len(odd) * 0.05:
            return "utf-16-be"
    return None


def _looks_like_json_lines(text: str) -> bool:
    """Two or more lines that each start with ``{``, most of which parse as JSON objects on their
    own (so one broken line, even the first, does not make the file a broken JSON document)."""
    lines = [line for line in text.splitlines() if line.strip()][:21]
    if len(lines) < 2 or not all(line.lstrip().startswith("{") for line in lines[:2]):
        return False
    complete = lines[:-1] if len(lines) > 2 else lines  # the last sniffed line may be cut off
    parsed = 0
    for line in complete:
        try:
            parsed += isinstance(json.loads(line, strict=False), dict)
        except json.JSONDecodeError:
            pass
    return parsed >= max(1, (len(complete) + 1) // 2)


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
    text = head.decode(_bom_codec(head) or "utf-8", errors="replace").lstrip("\ufeff")
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
    if not suffixes:
        return None
    # A reader a plugin registers is picked by its name as the extension (".xlsx" -> "xlsx").
    return _EXTENSIONS.get(suffixes[-1]) or (suffixes[-1][1:] if suffixes[-1][1:] in registry.readers else None)


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
           raw_lines: list[str] | None = None, group: str | None = None,
           nested: list[str] | None = None) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    count = len(values)
    frame = pd.DataFrame(values, columns=columns, dtype="str")
    frame[ROW_COLUMN] = np.arange(first_row, first_row + count, dtype="int64")
    frame[ERROR_COLUMN] = pd.Series(errors or [""] * count, dtype="str")
    frame[RAW_LINE_COLUMN] = pd.Series(raw_lines or [""] * count, dtype="str")
    if group is not None:
        frame[GROUP_COLUMN] = pd.Series([group] * count, dtype="str")
    if nested is not None and any(nested):
        frame[NESTED_COLUMN] = pd.Series(nested, dtype="str")
    return frame


def _duplicate_groups(names: Iterable[Any]) -> list[list[int]]:
    """Positions of columns whose names are equal ignoring case and surrounding spaces (a column
    exported twice, "Pros" next to "pros"); only groups of two or more."""
    groups: dict[str, list[int]] = {}
    for index, name in enumerate(names):
        key = str(name).strip().casefold()
        if key:
            groups.setdefault(key, []).append(index)
    return [positions for positions in groups.values() if len(positions) > 1]


def _merge_duplicates(fields: list[str], groups: list[list[int]], names: list[str]) -> str:
    """Fold each group of same-named columns into its first: the reason when two hold different
    values (the row cannot say which is meant), else ``""`` with the one value under the first."""
    for positions in groups:
        values = [fields[i] for i in positions if i < len(fields) and fields[i].strip()]
        if len({value.strip() for value in values}) > 1:
            shown = " and ".join(f"{names[i]!r} (column {i + 1})" for i in positions)
            return (f"columns {shown} have the same name but different values; rename one or "
                    "re-export the file")
        if values and not fields[positions[0]].strip():
            fields[positions[0]] = values[0]
    return ""


class _BadRecord:
    """A JSON lines line that is no JSON object: quarantined with its reason and text."""

    __slots__ = ("reason", "raw")

    def __init__(self, reason: str, raw: str) -> None:
        self.reason, self.raw = reason, raw


class _ConflictedRecord(dict):
    """A JSON object with a key repeated with different values (``json`` keeps the last)."""

    conflicts: list[str]
    raw: str


def _object_pairs(pairs: list[tuple[str, Any]]) -> dict:
    record = dict(pairs)
    if len(record) == len(pairs):
        return record
    values: dict[str, list[Any]] = {}
    for key, value in pairs:
        values.setdefault(key, []).append(value)
    conflicts = sorted(key for key, seen in values.items()
                       if len({json.dumps(v, sort_keys=True, default=str) for v in seen}) > 1)
    if not conflicts:
        return record
    out = _ConflictedRecord(record)
    out.conflicts = conflicts
    out.raw = "{" + ",".join(f"{json.dumps(k, ensure_ascii=False)}:"
                             f"{json.dumps(v, ensure_ascii=False, default=str)}" for k, v in pairs) + "}"
    return out


def _loads(text: str) -> Any:
    # strict=False: control characters inside strings (a NUL, a raw tab) are data, judged per
    # record, not a reason to reject the whole document.
    return json.loads(text, strict=False, object_pairs_hook=_object_pairs)


def _record_json(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=str)


def _chunk_records(records: Iterable[tuple[str | None, Any]], chunk_rows: int, path: Path,
                   keys: Iterable[str] = ()) -> Iterator[pd.DataFrame]:
    """Frames from ``(group, record)`` pairs; the columns are every key seen so far."""
    seen: dict[str, None] = dict.fromkeys(keys)
    batch: list[Any] = []
    group: str | None = None
    first_row = 1
    for number, (record_group, record) in enumerate(itertools.chain(records, [(None, _END)]), start=1):
        if batch and (record is _END or len(batch) == chunk_rows or record_group != group):
            yield _records_frame(batch, list(seen), first_row, group)
            first_row, batch = first_row + len(batch), []
        if record is _END:
            return
        if isinstance(record, _BadRecord):
            batch.append(record)
            continue
        if not isinstance(record, dict):
            raise UnreadableFileError(path, f"record {number} is a {type(record).__name__}, not an object",
                                      "export one JSON object per review")
        group = record_group
        seen.update(dict.fromkeys(record))
        batch.append(record)


def _records_frame(batch: list[Any], keys: list[str], first_row: int, group: str | None) -> pd.DataFrame:
    names = _unique_names(keys)
    groups = _duplicate_groups(keys)
    values: list[list[str]] = []
    errors: list[str] = []
    raw: list[str] = []
    nested: list[str] = []
    containers = (dict, list, tuple)
    for item in batch:
        if isinstance(item, _BadRecord):
            values.append([""] * len(keys))
            errors.append(item.reason)
            raw.append(item.raw)
            nested.append("")
            continue
        cells = [item.get(key) for key in keys]
        fields = [_cell(value) for value in cells]
        reason = ""
        if isinstance(item, _ConflictedRecord):
            reason = (f"the key {item.conflicts[0]!r} appears more than once with different values; "
                      "keep one and re-export the file")
        elif any("\x00" in value for value in fields) or any("\x00" in str(key) for key in item):
            reason = _NUL_REASON
        elif groups:
            reason = _merge_duplicates(fields, groups, keys)
            if reason:
                reason = f"record {first_row + len(values)}: {reason}"
        if reason:
            errors.append(reason)
            raw.append(getattr(item, "raw", None) or _record_json(item))
            values.append([""] * len(keys))
            nested.append("")
            continue
        errors.append("")
        raw.append("")
        values.append(fields)
        inner = [name for name, value in zip(names, cells) if isinstance(value, containers)]
        nested.append(json.dumps(inner, ensure_ascii=False) if inner else "")
    return _frame(values, names, first_row, errors, raw, group=group, nested=nested)


def _choose_encoding(path: Path, encoding: str | None) -> _Encoding:
    """How to decode a text file: ``encoding`` when given (strict; a UTF-8/16 byte-order mark is
    honoured), else detected (see the module docstring). Decodes the whole (gunzipped) file once,
    so broken gzip, or bytes the given encoding cannot read, fail before any chunk."""
    head = _read_head(path)
    if encoding is not None:
        codec = _resolve_encoding(head, encoding)
        _survey(path, codec, strict_name=encoding)
        return _Encoding(codec)
    bom = _bom_codec(head)
    if bom is not None:
        _survey(path, bom, strict_name=bom)
        note = "" if bom == "utf-8-sig" else f"read as {bom.upper()} (byte-order mark or its byte pattern)"
        return _Encoding(bom, note=note)
    invalid, valid_multibyte, first_line = _survey(path, "utf-8", strict_name=None)
    if not invalid:
        return _Encoding("utf-8-sig")
    if valid_multibyte:
        note = (f"mostly UTF-8, but {invalid} byte(s) (the first on line {first_line}) are not: read them as "
                "Windows-1252 (cp1252); pass --encoding if the file has another encoding")
    else:
        note = ("not UTF-8: read as Windows-1252 (cp1252, which includes latin-1's letters); pass --encoding "
                "if the file has another encoding (e.g. --encoding cp1251 or shift_jis)")
    return _Encoding("utf-8", CP1252_FALLBACK, note)


def _survey(path: Path, codec: str, strict_name: str | None) -> tuple[int, bool, int]:
    """Decode the whole file with ``codec``. With ``strict_name`` the first undecodable byte raises
    (naming it, its line and the fix); without, returns (bytes that are not valid ``codec``,
    whether valid non-ASCII text was seen, the line of the first invalid byte)."""
    decoder = codecs.getincrementaldecoder(codec)("strict" if strict_name else "surrogateescape")
    offset = newlines = invalid = 0
    first_line = 0
    valid_multibyte = False
    try:
        with _open_binary(path) as fh:
            while True:
                block, pending = fh.read(_BLOCK_BYTES), decoder.getstate()[0]
                try:
                    text = decoder.decode(block, final=not block)
                except UnicodeDecodeError as exc:
                    data = pending + block
                    line = newlines + data[: exc.start].count(b"\n") + 1
                    raise UnreadableFileError(
                        path, f"byte {offset - len(pending) + exc.start} (line {line}, value "
                              f"0x{data[exc.start]:02x}) is not valid {strict_name} text",
                        "re-save the file as UTF-8, or pass the encoding it was saved in "
                        "(--encoding cp1252, latin-1, ...), or leave --encoding out to have it detected") from exc
                if not strict_name and not text.isascii():
                    escaped = _ESCAPED.findall(text)
                    if escaped and not first_line:
                        first_line = newlines + text[: text.index(escaped[0])].count("\n") + 1
                    invalid += len(escaped)
                    valid_multibyte = valid_multibyte or bool(_NON_ASCII_VALID.search(text))
                if not block:
                    return invalid, valid_multibyte, first_line
                offset, newlines = offset + len(block), newlines + block.count(b"\n")
    except _GZIP_ERRORS as exc:
        raise _gzip_error(path, exc) from exc


_ESCAPED = re.compile("[\udc80-\udcff]")
_NON_ASCII_VALID = re.compile("[^\x00-\x7f\udc80-\udcff]")


def _open_text(path: Path, encoding: _Encoding) -> IO[str]:
    return io.TextIOWrapper(_open_binary(path), encoding=encoding.codec, errors=encoding.errors, newline="")


def _tapped(lines: Iterable[str], taken: list[str]) -> Iterator[str]:
    """Lines for csv.reader, remembered in ``taken`` so a bad record's raw text can be kept."""
    for line in lines:
        taken.append(line)
        yield line


def _iter_delimited(path: Path, chunk_rows: int, encoding: _Encoding, default: str = ",") -> Iterator[pd.DataFrame]:
    # The csv module rather than pandas: it hands back every record's raw lines, so a record
    # with the wrong number of fields is quarantined verbatim instead of silently NaN-padded.
    with _open_text(path, encoding) as fh:
        first_line, taken = fh.readline(), []
        while first_line and not first_line.strip():  # blank lines above the header
            first_line = fh.readline()
        reader = csv.reader(_tapped(itertools.chain([first_line], fh), taken),
                            delimiter=_delimiter_of(first_line) or default)
        header = next(reader, [])
        columns = _unique_names(header)
        groups = _duplicate_groups(header)
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
            if not reason and any("\x00" in line for line in taken):
                reason = _NUL_REASON
            duplicated = bool(not reason and groups and (reason := _merge_duplicates(fields, groups, header)))
            if reason:
                reason = f"line {reader.line_num - len(taken) + 1}: {reason}"
            # A row with same-named columns that disagree keeps its (aligned) values; others are blank.
            values.append(fields if not reason or duplicated else [""] * len(columns))
            errors.append(reason)
            raw.append("".join(taken) if reason else "")
            if len(values) == chunk_rows:
                yield _frame(values, columns, first_row, errors, raw)
                values, errors, raw, first_row = [], [], [], first_row + len(values)
        if values:
            yield _frame(values, columns, first_row, errors, raw)


def _columnar(path: Path, data: dict) -> list[dict] | None:
    """Rows of a JSON object of equal-length lists of plain values (``{"company": [...], "pros":
    [...]}``, pandas' ``to_dict("list")``); None for any other object. Unequal lengths: refused,
    since which values belong together cannot be known."""
    if len(data) < 2 or not all(isinstance(v, list) and all(not isinstance(x, (dict, list)) for x in v)
                                for v in data.values()):
        return None
    lengths = {key: len(values) for key, values in data.items()}
    if len(set(lengths.values())) > 1:
        shown = ", ".join(f"{key!r}: {n}" for key, n in list(lengths.items())[:8])
        raise UnreadableFileError(path, f"the JSON object holds one list per column but the lists have "
                                        f"different lengths ({shown}), so the rows cannot be put together",
                                  "export an array of objects (one per review) or lists of equal length")
    keys = list(data)
    return [dict(zip(keys, row)) for row in zip(*(data[key] for key in keys))]


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
    rows = _columnar(path, data)
    if rows is not None:
        return [(None, rows)]
    return [(None, [data])]


def _iter_json(path: Path, chunk_rows: int, encoding: _Encoding) -> Iterator[pd.DataFrame]:
    with _open_text(path, encoding) as fh:
        try:
            data = _loads(fh.read())
        except json.JSONDecodeError as exc:
            if exc.msg == "Extra data" and exc.colno == 1:  # JSON lines with a long first line
                yield from _chunk_records(_jsonl_records(path, encoding), chunk_rows, path)
                return
            raise UnreadableFileError(path, f"malformed JSON at line {exc.lineno}, column {exc.colno}: "
                                            f"{exc.msg}", "fix or re-export the file") from exc
    groups = _json_row_groups(path, data)
    keys = [key for _, rows in groups for row in rows if isinstance(row, dict) for key in row]
    yield from _chunk_records(((g, row) for g, rows in groups for row in rows), chunk_rows, path, keys)


def _jsonl_records(path: Path, encoding: _Encoding) -> Iterator[tuple[None, Any]]:
    """One record per non-blank line; a line that is not a JSON object is a :class:`_BadRecord`
    (quarantined with its line number). A file with no good line at all is unreadable."""
    leading: list[_BadRecord] = []
    good = False
    with _open_text(path, encoding) as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                record = _loads(line)
            except json.JSONDecodeError as exc:
                record = _BadRecord(f"line {number}, column {exc.colno}: malformed JSON ({exc.msg})", line)
            else:
                if not isinstance(record, dict):
                    record = _BadRecord(f"line {number} is a JSON {type(record).__name__}, not an object "
                                        "(JSON lines files need one object per line)", line)
            if good:
                yield None, record
                continue
            if isinstance(record, _BadRecord):
                leading.append(record)
                if len(leading) < _MAX_LEADING_BAD_LINES:
                    continue
                break
            good = True
            for bad in leading:
                yield None, bad
            yield None, record
    if not good and leading:
        raise UnreadableFileError(path, f"no line is a JSON object; {leading[0].reason}",
                                  "fix the file or re-export it as JSON lines (one object per line)")


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


def _iter_parquet(path: Path, chunk_rows: int, encoding: Any) -> Iterator[pd.DataFrame]:
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
            raise UnreadableFileError(path, f"not a readable Parquet file ({_first_line(exc)})", _REEXPORT) from exc


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


def _avro_records(path: Path) -> Iterator[tuple[None, Any]]:
    import fastavro

    count = 0
    where = "in its header (the schema)"
    try:
        with _open_binary(path) as fh:
            reader = fastavro.reader(fh)
            where = "in the first record"
            for record in reader:
                count += 1
                where = f"after record {count}"
                yield None, record
    except _GZIP_ERRORS as exc:
        if _is_gzip(path):
            raise _gzip_error(path, exc) from exc
        raise UnreadableFileError(path, f"the Avro file is truncated ({where})", _REEXPORT) from exc
    except UnicodeDecodeError as exc:
        raise UnreadableFileError(path, f"the Avro data is corrupt {where}: a text value is not valid UTF-8 "
                                        "(damaged bytes)", _REEXPORT) from exc
    except (ValueError, TypeError, KeyError, IndexError, StopIteration, OverflowError, MemoryError) as exc:
        what = "the header is not valid JSON" if isinstance(exc, json.JSONDecodeError) else _first_line(exc)
        raise UnreadableFileError(path, f"the Avro data is corrupt {where} ({what})", _REEXPORT) from exc


# The readers registered under ``company_reviewer.readers`` (pyproject.toml), one per format:
# ``(path, chunk_rows, encoding) -> frames``.
iter_csv, iter_json, iter_parquet = _iter_delimited, _iter_json, _iter_parquet


def iter_tsv(path: Path, chunk_rows: int, encoding: Any) -> Iterator[pd.DataFrame]:
    return _iter_delimited(path, chunk_rows, encoding, default="\t")


def iter_jsonl(path: Path, chunk_rows: int, encoding: Any) -> Iterator[pd.DataFrame]:
    return _chunk_records(_jsonl_records(path, encoding), chunk_rows, path)


def iter_avro(path: Path, chunk_rows: int, encoding: Any) -> Iterator[pd.DataFrame]:
    return _chunk_records(_avro_records(path), chunk_rows, path)


def iter_chunks(path: str | Path, chunk_rows: int = 5000, encoding: str | None = None,
                info: ReadInfo | None = None) -> Iterator[pd.DataFrame]:
    """Stream ``path`` as frames of at most ``chunk_rows`` rows (columns: see the module docstring).

    CSV, TSV, JSON lines, Parquet and Avro are streamed in constant memory; a JSON document is
    parsed whole. ``encoding`` applies to the text formats: None (default) detects it, a name is
    used strictly (a UTF-8/UTF-16 byte-order mark is honoured). ``info``, when given, is filled in
    with the format, the encoding used and notes on what was assumed. Raises
    :class:`UnreadableFileError` for a file that cannot be read or has no rows.
    """
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows must be at least 1, got {chunk_rows}")
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError as exc:
            raise ValueError(f"unknown text encoding {encoding!r} (try utf-8, cp1252 or latin-1)") from exc
    path = Path(path)
    fmt = detect_format(path)
    info = info if info is not None else ReadInfo()
    info.format = fmt
    chosen: Any = None
    if fmt in ("csv", "tsv", "json", "jsonl"):
        chosen = _choose_encoding(path, encoding)
        info.encoding = chosen.codec if chosen.errors == "strict" else f"{chosen.codec}+cp1252"
        if chosen.note:
            info.notes.append(chosen.note)
    rows = 0
    for frame in registry.readers.get(fmt)(path, chunk_rows, chosen):
        rows += len(frame)
        yield frame
    if rows == 0:
        raise UnreadableFileError(path, "the file has no rows (only a header, or an empty list)",
                                  "check that the export contains reviews")
