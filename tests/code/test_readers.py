"""Reading every supported format into string frames, and every way a file can be unreadable."""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path
from typing import Any, Callable

import pandas as pd
import pytest

from company_reviewer.data.readers import UnreadableFileError, detect_format, iter_chunks

# Synthetic rows; the text values are hostile on purpose (spreadsheet formulas, SQL, quotes,
# commas, newlines, non-ASCII) and must come back byte for byte.
ROWS: list[dict[str, str]] = [
    {"company": "Acme", "headline": "=cmd|' /C calc'!A0", "pros": "'); DROP TABLE reviews;--", "rating": "4"},
    {"company": "Acme", "headline": "+1+1", "pros": "@SUM(1)", "rating": ""},
    {"company": "Beta GmbH", "headline": "Über \"quoted\", with comma", "pros": "line one\nline two",
     "rating": "3,5"},
    {"company": "Gamma", "headline": "-2+3", "pros": "tab\there", "rating": "5"},
]
COLUMNS = list(ROWS[0])


def _csv_text(rows: list[dict[str, str]], delimiter: str = ",") -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), delimiter=delimiter, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _write_bytes(path: Path, data: bytes, gz: bool) -> Path:
    if gz:
        path = path.with_name(path.name + ".gz")
        data = gzip.compress(data)
    path.write_bytes(data)
    return path


def _write_parquet(path: Path, rows: list[dict[str, Any]], gz: bool) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows), buffer, row_group_size=2)
    return _write_bytes(path, buffer.getvalue(), gz)


def _write_avro(path: Path, rows: list[dict[str, Any]], gz: bool) -> Path:
    import fastavro

    schema = {"type": "record", "name": "Review",
              "fields": [{"name": key, "type": ["null", "string"]} for key in rows[0]]}
    buffer = io.BytesIO()
    fastavro.writer(buffer, fastavro.parse_schema(schema), rows)
    return _write_bytes(path, buffer.getvalue(), gz)


WRITERS: dict[str, Callable[[Path, list[dict[str, Any]], bool], Path]] = {
    "csv": lambda p, rows, gz: _write_bytes(p.with_suffix(".csv"), _csv_text(rows).encode(), gz),
    "tsv": lambda p, rows, gz: _write_bytes(p.with_suffix(".tsv"), _csv_text(rows, "\t").encode(), gz),
    "json": lambda p, rows, gz: _write_bytes(p.with_suffix(".json"), json.dumps(rows, indent=1).encode(), gz),
    "json-reviews": lambda p, rows, gz: _write_bytes(
        p.with_suffix(".json"), json.dumps({"meta": {"n": len(rows)}, "reviews": rows}).encode(), gz),
    "json-data": lambda p, rows, gz: _write_bytes(p.with_suffix(".json"), json.dumps({"data": rows}).encode(), gz),
    "json-items": lambda p, rows, gz: _write_bytes(
        p.with_suffix(".json"), json.dumps({"items": rows}).encode(), gz),
    "jsonl": lambda p, rows, gz: _write_bytes(
        p.with_suffix(".jsonl"), "".join(json.dumps(r) + "\n" for r in rows).encode(), gz),
    "parquet": lambda p, rows, gz: _write_parquet(p.with_suffix(".parquet"), rows, gz),
    "avro": lambda p, rows, gz: _write_avro(p.with_suffix(".avro"), rows, gz),
}
EXPECTED_FORMAT = {"json-reviews": "json", "json-data": "json", "json-items": "json"}


def _read_all(path: Path, **options: Any) -> pd.DataFrame:
    return pd.concat(list(iter_chunks(path, **options)), ignore_index=True)


def _assert_string_frame(frame: pd.DataFrame) -> None:
    for column in frame.columns:
        if column == "_row":
            assert frame[column].dtype == "int64"
        else:
            assert pd.api.types.is_string_dtype(frame[column].dtype), column
            assert not frame[column].isna().any(), column


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("kind", list(WRITERS))
def test_every_format_reads_rows_verbatim(tmp_path: Path, kind: str, gz: bool) -> None:
    path = WRITERS[kind](tmp_path / "reviews", ROWS, gz)
    assert detect_format(path) == EXPECTED_FORMAT.get(kind, kind)
    frame = _read_all(path)
    _assert_string_frame(frame)
    assert frame[COLUMNS].to_dict("records") == ROWS
    assert frame["_row"].tolist() == [1, 2, 3, 4]
    assert set(frame["_error"]) == {""} and set(frame["_raw_line"]) == {""}


@pytest.mark.parametrize("kind", list(WRITERS))
def test_chunks_are_bounded_and_row_numbers_continue(tmp_path: Path, kind: str) -> None:
    rows = [{"company": f"C{i}", "pros": f"p{i}"} for i in range(7)]
    path = WRITERS[kind](tmp_path / "many", rows, False)
    chunks = list(iter_chunks(path, chunk_rows=3))
    assert [len(c) for c in chunks] == [3, 3, 1]
    assert pd.concat(chunks)["_row"].tolist() == list(range(1, 8))
    assert pd.concat(chunks)["company"].tolist() == [f"C{i}" for i in range(7)]


def test_json_single_object_is_one_row_and_nested_values_are_json(tmp_path: Path) -> None:
    path = tmp_path / "one.json"
    path.write_text(json.dumps({"company": "Acme", "rating": 4.5, "ok": True, "missing": None,
                                "subcategories": [{"Image": "gut"}], "n": 3}, ensure_ascii=False))
    frame = _read_all(path)
    assert len(frame) == 1
    row = frame.iloc[0]
    assert (row["company"], row["rating"], row["ok"], row["missing"], row["n"]) == ("Acme", "4.5", "true", "", "3")
    assert json.loads(row["subcategories"]) == [{"Image": "gut"}]


def test_json_object_of_row_lists_gets_group_column(tmp_path: Path) -> None:
    data = {"https://example.org/a": [{"id": "a1"}, {"id": "a2"}], "https://example.org/b": [{"id": "b1"}]}
    path = tmp_path / "raw.json"
    path.write_text(json.dumps(data))
    frame = _read_all(path, chunk_rows=5)
    assert frame["id"].tolist() == ["a1", "a2", "b1"]
    assert frame["_group"].tolist() == ["https://example.org/a"] * 2 + ["https://example.org/b"]
    assert frame["_row"].tolist() == [1, 2, 3]


def test_keys_missing_from_some_records_are_empty_strings(tmp_path: Path) -> None:
    path = tmp_path / "ragged.jsonl"
    path.write_text('{"a": "1"}\n\n{"a": "2", "b": "x"}\n')
    frame = _read_all(path)
    assert frame[["a", "b"]].to_dict("records") == [{"a": "1", "b": ""}, {"a": "2", "b": "x"}]


def test_parquet_types_become_strings(tmp_path: Path) -> None:
    import datetime as dt

    rows = [{"n": 1, "x": 2.5, "flag": False, "when": dt.datetime(2025, 5, 18, 10, 0), "tags": ["a", "b"],
             "text": None}, {"n": None, "x": None, "flag": True, "when": None, "tags": None, "text": "ok"}]
    frame = _read_all(_write_parquet(tmp_path / "typed.parquet", rows, gz=False))
    _assert_string_frame(frame)
    assert frame["_nested"].tolist() == ['["tags"]', ""]  # which values were nested (presets check them)
    assert frame.drop(columns=["_row", "_error", "_raw_line", "_nested"]).to_dict("records") == [
        {"n": "1", "x": "2.5", "flag": "false", "when": "2025-05-18T10:00:00", "tags": '["a","b"]', "text": ""},
        {"n": "", "x": "", "flag": "true", "when": "", "tags": "", "text": "ok"}]


def test_csv_rows_with_wrong_field_counts_are_kept_for_quarantine(tmp_path: Path) -> None:
    text = ('company,headline,pros\n'
            'Acme,ok,fine\n'
            'Acme,too,many,fields\n'
            '\n'
            'Acme,too few\n'
            'Beta,"multi\nline",x,extra\n'
            'Gamma,last,row\n')
    path = tmp_path / "broken.csv"
    path.write_text(text)
    frame = _read_all(path, chunk_rows=2)
    assert frame["_row"].tolist() == [1, 2, 3, 4, 5]
    assert frame["company"].tolist() == ["Acme", "", "", "", "Gamma"]
    bad = frame[frame["_error"] != ""]
    assert bad["_row"].tolist() == [2, 3, 4]
    assert bad["_error"].iloc[0].startswith("line 3: expected 3 fields, found 4")
    assert bad["_error"].iloc[1].startswith("line 5: expected 3 fields, found 2")
    assert bad["_error"].iloc[2].startswith("line 6: expected 3 fields, found 4")
    assert bad["_raw_line"].tolist() == [
        "Acme,too,many,fields\n", "Acme,too few\n", 'Beta,"multi\nline",x,extra\n']
    assert (bad[["company", "headline", "pros"]] == "").all().all()
    assert set(frame.loc[frame["_error"] == "", "_raw_line"]) == {""}


def test_headers_are_stripped_deduplicated_and_kept_clear_of_reserved_names(tmp_path: Path) -> None:
    path = tmp_path / "headers.csv"
    path.write_text(" a ,a,,_row\n1,2,3,4\n")
    frame = _read_all(path)
    assert list(frame.columns) == ["a", "a.1", "column_3", "_row.1", "_row", "_error", "_raw_line"]
    assert frame["_row.1"].tolist() == ["4"] and frame["_row"].tolist() == [1]


def test_blank_lines_above_the_header_and_json_lines_with_a_long_first_line(tmp_path: Path) -> None:
    padded = tmp_path / "padded.csv"
    padded.write_text("\n\ncompany,pros\nAcme,good\n")
    assert _read_all(padded)[["company", "pros"]].to_dict("records") == [{"company": "Acme", "pros": "good"}]
    long_first = tmp_path / "long.json"  # the sniffed head ends inside line 1, so it looks like JSON
    long_first.write_text(json.dumps({"pros": "x" * 100_000}) + "\n" + json.dumps({"pros": "y"}) + "\n")
    assert detect_format(long_first) == "json"
    assert [len(v) for v in _read_all(long_first)["pros"]] == [100_000, 1]


def test_semicolon_csv_and_byte_order_marks(tmp_path: Path) -> None:
    semicolon = tmp_path / "excel.csv"
    semicolon.write_bytes("\ufeffcompany;rating\nAcme;4,5\n".encode("utf-8"))
    assert _read_all(semicolon)[["company", "rating"]].to_dict("records") == [{"company": "Acme", "rating": "4,5"}]
    utf16 = tmp_path / "unicode.txt"
    utf16.write_bytes("company\tpros\nÜber AG\tgut\n".encode("utf-16"))
    assert detect_format(utf16) == "tsv"
    assert _read_all(utf16)["company"].tolist() == ["Über AG"]


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("data.csv", b'[{"a": 1}]', "json"),              # content beats the extension
    ("data.json", b"a,b\n1,2\n", "csv"),
    ("data.csv", b"a\tb\n1\t2\n", "tsv"),
    ("data.bin", b'{"a": 1}\n{"a": 2}\n', "jsonl"),
    ("data.jsonl", b'{"a": 1}\n', "jsonl"),           # one line: the extension decides
    ("data.json", b'{"a": 1}\n', "json"),
    ("data.csv", b"review\ngood\n", "csv"),           # one column: the extension decides
    ("noext", b"PAR1xxxx", "parquet"),
    ("noext", b"Obj\x01xxxx", "avro"),
])
def test_detect_format(tmp_path: Path, name: str, content: bytes, expected: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert detect_format(path) == expected


def _error_for(path: Path, **options: Any) -> str:
    with pytest.raises(UnreadableFileError) as info:
        list(iter_chunks(path, **options))
    message = str(info.value)
    assert message.startswith(path.name + ": ") and " — " in message  # names the file and a next step
    return message


def test_missing_and_empty_files(tmp_path: Path) -> None:
    assert "does not exist" in _error_for(tmp_path / "nowhere.csv")
    (tmp_path / "empty.csv").write_bytes(b"")
    assert "no rows" in _error_for(tmp_path / "empty.csv")
    (tmp_path / "header.csv").write_text("company,pros\n")
    assert "no rows" in _error_for(tmp_path / "header.csv")
    (tmp_path / "empty.json").write_text("[]")
    assert "no rows" in _error_for(tmp_path / "empty.json")
    (tmp_path / "blank.csv.gz").write_bytes(gzip.compress(b""))
    assert "no rows" in _error_for(tmp_path / "blank.csv.gz")


def test_truncated_and_corrupt_gzip(tmp_path: Path) -> None:
    rows = [{"company": f"C{i}", "pros": "words " * 40} for i in range(2000)]
    blob = gzip.compress(_csv_text(rows).encode())
    truncated = tmp_path / "reviews.csv.gz"
    truncated.write_bytes(blob[: len(blob) // 2])
    message = _error_for(truncated)
    assert "gzip stream is truncated" in message and "re-download" in message
    corrupt = tmp_path / "corrupt.csv.gz"
    corrupt.write_bytes(blob[:40] + bytes(b ^ 0xFF for b in blob[40:80]) + blob[80:])
    assert "gzip stream" in _error_for(corrupt)


def test_wrong_encoding_names_the_byte_and_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    content = "company,pros\nAcme,Gr\u00fc\u00dfe\n".encode("cp1252")
    path.write_bytes(content)
    message = _error_for(path, encoding="utf-8")  # a named encoding is used strictly
    assert f"byte {content.index(0xFC)}" in message and "line 2" in message and "UTF-8" in message.upper()
    assert _read_all(path, encoding="cp1252")["pros"].tolist() == ["Grüße"]
    from company_reviewer.data.readers import ReadInfo

    info = ReadInfo()  # by default the encoding is detected and the assumption reported
    assert _read_all(path, info=info)["pros"].tolist() == ["Grüße"]
    assert info.notes and "Windows-1252" in info.notes[0]


def test_binary_and_foreign_files(tmp_path: Path) -> None:
    (tmp_path / "noise.csv").write_bytes(bytes(range(256)) * 4)
    assert "binary" in _error_for(tmp_path / "noise.csv")
    (tmp_path / "book.csv").write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    assert "Excel" in _error_for(tmp_path / "book.csv")
    (tmp_path / "notes").write_text("just some words without separators\n")
    assert "cannot tell the format" in _error_for(tmp_path / "notes")
    (tmp_path / "broken.parquet").write_bytes(b"PAR1" + b"junk" * 10)
    assert "Parquet" in _error_for(tmp_path / "broken.parquet")


def test_malformed_json_and_jsonl(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text('[\n{"a": 1},\n{"a": 2,,}\n]')
    assert "line 3, column" in _error_for(tmp_path / "bad.json")
    (tmp_path / "scalar.json").write_text("42")
    assert "single int" in _error_for(tmp_path / "scalar.json")
    # A bad JSON lines line is one bad record (quarantined downstream), not a lost file.
    (tmp_path / "list.jsonl").write_text('{"a": 1}\n[1, 2]\n')
    listed = _read_all(tmp_path / "list.jsonl")
    assert listed["_error"].tolist()[0] == "" and "line 2 is a JSON list, not an object" in listed["_error"][1]
    (tmp_path / "cut.jsonl").write_text('{"a": 1}\n{"a": 2}\n{"a": \n')
    cut = _read_all(tmp_path / "cut.jsonl")
    assert cut["a"].tolist()[:2] == ["1", "2"] and cut["_error"][2].startswith("line 3, column")
    (tmp_path / "garbage.jsonl").write_text('{"a": \n{"b": \n')
    assert "no line is a JSON object" in _error_for(tmp_path / "garbage.jsonl")
    (tmp_path / "mixed.json").write_text('[{"a": 1}, "text"]')
    assert "record 2 is a str" in _error_for(tmp_path / "mixed.json")


def test_bad_arguments(tmp_path: Path) -> None:
    path = WRITERS["csv"](tmp_path / "ok", ROWS, False)
    with pytest.raises(ValueError, match="chunk_rows"):
        list(iter_chunks(path, chunk_rows=0))
    with pytest.raises(ValueError, match="unknown text encoding"):
        list(iter_chunks(path, encoding="klingon"))
