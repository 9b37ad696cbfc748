"""Write the bad-input corpus next to this script: small synthetic files (no real review text),
each with what ingest must do with it, in ``expected.json``.

Run ``python tests/data/bad_inputs/make_corpus.py`` after changing a case; the files are
committed so that the test (``tests/data/test_bad_inputs.py``) reads exactly these bytes.

Conventions: a row that must land has ``review_id`` ``g<n>``, a row that must be quarantined
``b<n>`` (where the row can carry an id at all). Per file, ``expected.json`` gives the exit code,
the ids that must be stored (no more, no fewer), how many rows must be quarantined and words
each reason must contain, and optionally stored values, summary notes and the error message.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
HEADER = ["company", "review_id", "date", "rating_overall", "pros", "cons"]


def row(rid: str, **values: str) -> dict[str, str]:
    out = {"company": "Testco Ltd", "review_id": rid, "date": "2024-05-01", "rating_overall": "4",
           "pros": f"Friendly team and fair pay ({rid})", "cons": "Long meetings"}
    out.update(values)
    return out


def csv_text(rows: list[dict[str, str]], header: list[str] = HEADER, delimiter: str = ",") -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    for r in rows:
        writer.writerow([r.get(h, "") for h in header])
    return buffer.getvalue()


CASES: dict[str, dict[str, Any]] = {}


def case(name: str, content: bytes | str, *, exit: int, stored: list[str] = (), quarantined: int = 0,
         reasons: list[str] = (), values: dict | None = None, notes: list[str] = (), error: list[str] = (),
         error_not: list[str] = (), summary: dict | None = None) -> None:
    data = content.encode("utf-8") if isinstance(content, str) else content
    (HERE / name).write_bytes(data)
    CASES[name] = {"exit": exit, "stored": sorted(stored), "quarantined": quarantined, "reasons": list(reasons),
                   "values": values or {}, "notes": list(notes), "error": list(error), "error_not": list(error_not),
                   "summary": summary or {}}


def jsonl(records: list[Any]) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in records)


def build() -> None:
    for old in HERE.iterdir():
        if old.name not in ("make_corpus.py", "__init__.py") and old.is_file():
            old.unlink()
    good4 = [row(f"g{i}") for i in range(1, 4)]

    # --- NUL bytes: the row holding one is quarantined wherever it is; every other row lands
    case("nul_near_top.csv", csv_text([good4[0], row("b1", pros="Good\x00pay"), *good4[1:]]),
         exit=3, stored=["g1", "g2", "g3"], quarantined=1, reasons=["NUL"])
    deep = [row(f"g{i}") for i in range(1, 301)]
    deep.insert(250, row("b1", cons="Late\x00shifts"))
    case("nul_deep.csv", csv_text(deep), exit=3, stored=[f"g{i}" for i in range(1, 301)], quarantined=1,
         reasons=["NUL"])
    case("nul_escape.json", json.dumps([row("g1"), row("b1", pros="bad\u0000byte"), row("g2")]),
         exit=3, stored=["g1", "g2"], quarantined=1, reasons=["NUL"])

    # --- JSON lines with broken lines: the bad line is quarantined with its line number
    six = [row(f"g{i}") for i in range(1, 7)]
    case("broken_line.jsonl", jsonl([*six[:3], '{"company": "Testco Ltd", "pros": ', *six[3:]]),
         exit=3, stored=[r["review_id"] for r in six], quarantined=1, reasons=["line 4", "malformed JSON"])
    case("broken_first_line.jsonl", jsonl(['{"company": "Testco Ltd", "pros": "cut', *six[:3]]),
         exit=3, stored=["g1", "g2", "g3"], quarantined=1, reasons=["line 1", "malformed JSON"])
    case("not_an_object_line.jsonl", jsonl([six[0], "[1, 2, 3]", '"just a string"', six[1]]),
         exit=3, stored=["g1", "g2"], quarantined=2, reasons=["not an object"])
    case("truncated_last_line.jsonl.gz", gzip.compress(jsonl(six[:2]).encode() + b'{"company": "Testco', mtime=0),
         exit=3, stored=["g1", "g2"], quarantined=1, reasons=["line 3", "malformed JSON"])
    case("all_lines_broken.jsonl", '{"company": \n{"pros": \n', exit=4,
         error=["all_lines_broken.jsonl", "no line is a JSON object"])

    # --- JSON shapes
    case("unequal_lists.json", json.dumps({"company": ["Testco Ltd", "Othco"], "review_id": ["g1", "g2"],
                                           "pros": ["Only one"]}),
         exit=4, error=["unequal_lists.json", "different lengths"])
    case("columnar.json", json.dumps({"company": ["Testco Ltd", "Othco"], "review_id": ["g1", "g2"],
                                      "pros": ["Nice people", "Good pay"], "rating_overall": [4, 5]}),
         exit=0, stored=["g1", "g2"], values={"g2": {"company": "Othco", "rating_overall": 5.0}})
    case("nested_values.json", json.dumps([
        row("b1", company={"name": "Testco Ltd"}), row("b2", pros={"text": "Nice", "lang": "en"}),
        row("b3", rating_overall={"value": 4}), row("g1"),
        row("g2", pros=["Flexible hours", "Good canteen"]),         # a list of strings in a text field: joined
        row("g3", extra={"kept": "as an attribute-free extra column"})]),
        exit=3, stored=["g1", "g2", "g3"], quarantined=3, reasons=["nested JSON"],
        values={"g2": {"pros": "Flexible hours\nGood canteen"}})
    case("duplicate_keys.jsonl", jsonl(['{"company": "Testco Ltd", "review_id": "b1", "pros": "one", "pros": "two"}',
                                        '{"company": "Testco Ltd", "review_id": "g1", "pros": "same", "pros": "same"}',
                                        row("g2")]),
         exit=3, stored=["g1", "g2"], quarantined=1, reasons=["appears more than once"])
    case("scalar.json", "42", exit=4, error=["scalar.json", "single int"])

    # --- NaN and odd numbers: NaN is missing everywhere; full-width and other Unicode digits are digits
    def without_rating(rid: str) -> str:
        return json.dumps({k: v for k, v in row(rid).items() if k != "rating_overall"})[:-1]

    case("nan_rating.json", "[" + ",".join([without_rating("g1") + ', "rating_overall": NaN}',
                                            without_rating("b1") + ', "rating_overall": Infinity}']) + "]",
         exit=3, stored=["g1"], quarantined=1, reasons=["not a number"], values={"g1": {"rating_overall": None}})
    case("odd_numbers.csv", csv_text([
        row("g1", rating_overall="５"), row("g2", rating_overall="4,5"), row("g3", rating_overall="٤"),
        row("g4", rating_overall="NaN"), row("g5", rating_overall=""), row("g6", rating_overall=" 3 "),
        row("g7", rating_overall="４．５"),
        row("b1", rating_overall="4 stars"), row("b2", rating_overall="1_0"), row("b3", rating_overall="inf"),
        row("b4", rating_overall="0"), row("b5", rating_overall="-1"), row("b6", rating_overall="5.5"),
        row("b7", rating_overall="0x5"), row("b8", rating_overall="★★★★")]),
        exit=3, stored=[f"g{i}" for i in range(1, 8)], quarantined=8, reasons=["rating_overall"],
        values={"g1": {"rating_overall": 5.0}, "g2": {"rating_overall": 4.5}, "g3": {"rating_overall": 4.0},
                "g4": {"rating_overall": None}, "g7": {"rating_overall": 4.5}})

    # --- dates
    case("odd_dates.csv", csv_text([
        row("g1", date="May 18, 2025"), row("g2", date=""), row("g3", date="2025-05-18T10:00:00Z"),
        row("g4", date="18.05.2025"),
        row("b1", date="2025-05-18garbage"), row("b2", date="2025-13-01"), row("b3", date="1985-01-01"),
        row("b4", date="2999-01-01"), row("b5", date="yesterday"), row("b6", date="2025-05-18 nonsense")]),
        exit=3, stored=["g1", "g2", "g3", "g4"], quarantined=6, reasons=["date"],
        values={"g1": {"date": "2025-05-18"}, "g2": {"date": None}, "g3": {"date": "2025-05-18"}})

    # --- duplicate columns: agreeing or one-sided values are kept, disagreeing ones quarantined
    case("duplicate_columns.csv", csv_text(
        [{"company": "Testco Ltd", "review_id": "g1", "pros": "Same", "pros2": "Same", "cons": "x"},
         {"company": "Testco Ltd", "review_id": "g2", "pros": "", "pros2": "Only the second", "cons": "x"},
         {"company": "Testco Ltd", "review_id": "b1", "pros": "First", "pros2": "Second", "cons": "x"}],
        header=["company", "review_id", "pros", "pros2", "cons"]).replace("pros2", "pros", 1),
        exit=3, stored=["g1", "g2"], quarantined=1, reasons=["same name"],
        values={"g2": {"pros": "Only the second"}})
    case("case_duplicate_columns.csv", "company,review_id,Pros,pros\nTestco Ltd,g1,,Kind managers\n"
                                       "Testco Ltd,b1,Kind managers,Rude managers\n",
         exit=3, stored=["g1"], quarantined=1, reasons=["same name"], values={"g1": {"pros": "Kind managers"}})

    # --- encodings: detected, read, and the summary says what was assumed
    latin = csv_text([row("g1", pros="Schöne Büros, nette Kollegen"), row("g2", cons="Zu viele Überstunden")])
    case("latin1.csv", latin.encode("latin-1"), exit=0, stored=["g1", "g2"], notes=["Windows-1252"],
         values={"g1": {"pros": "Schöne Büros, nette Kollegen"}})
    case("cp1252_quotes.csv", csv_text([row("g1", pros="“Great” perks – a €50 bonus")]).encode("cp1252"),
         exit=0, stored=["g1"], notes=["Windows-1252"], values={"g1": {"pros": "“Great” perks – a €50 bonus"}})
    case("mixed_utf8_latin1.csv", csv_text([row("g1", pros="Café in the office")]).encode("utf-8")
         + "Testco Ltd,g2,2024-05-01,4,Grüße aus dem Büro,Long meetings\n".encode("latin-1"),
         exit=0, stored=["g1", "g2"], notes=["mostly UTF-8"],
         values={"g1": {"pros": "Café in the office"}, "g2": {"pros": "Grüße aus dem Büro"}})
    case("utf16_bom.csv", csv_text(good4[:2]).encode("utf-16"), exit=0, stored=["g1", "g2"], notes=["UTF-16"])
    case("utf16le_no_bom.tsv", csv_text(good4[:2], delimiter="\t").encode("utf-16-le"), exit=0,
         stored=["g1", "g2"], notes=["UTF-16"])
    case("utf8_bom_semicolon.csv", "\ufeff" + csv_text([row("g1", rating_overall="4,5")], delimiter=";"),
         exit=0, stored=["g1"], values={"g1": {"rating_overall": 4.5}})

    # --- invisible and bidi characters, markup, scraper leftovers
    case("bidi_and_zero_width.csv", csv_text([
        row("g1", company="Evil\u202eCo"), row("g2", company="Zero\u200bWidth\u2066 Inc\u2069"),
        row("g3", pros="Nice\u200f team\u00ad")]),
        exit=0, stored=["g1", "g2", "g3"],
        values={"g1": {"company": "EvilCo"}, "g2": {"company": "ZeroWidth Inc"}, "g3": {"pros": "Nice team"}})
    case("markup_and_html.csv", csv_text([
        row("g1", company="[blink]EvilCo[/blink]"),
        row("g2", pros="<script>alert(1)</script> [x](javascript:alert(1))"),
        row("g3", pros="Good &amp; fair<br>pay")]),
        exit=0, stored=["g1", "g2", "g3"],
        values={"g1": {"company": "[blink]EvilCo[/blink]"}, "g3": {"pros": "Good & fair\npay"}})
    case("scraper_artefacts.csv", csv_text([
        row("g1", pros="They listen (and then ignore it)Show More"), row("g2", cons="Hours are long… Read more"),
        row("g3", pros="Great benefits.Show Less"), row("g4", cons="Show more flexibility would help"),
        row("g5", pros="Nice people\nRead More")]),
        exit=0, stored=["g1", "g2", "g3", "g4", "g5"],
        values={"g1": {"pros": "They listen (and then ignore it)"}, "g2": {"cons": "Hours are long…"},
                "g3": {"pros": "Great benefits."}, "g4": {"cons": "Show more flexibility would help"},
                "g5": {"pros": "Nice people"}})
    case("artefact_only.csv", csv_text([row("b1", pros="Show More", cons=""), row("g1")]),
         exit=3, stored=["g1"], quarantined=1, reasons=["no review text"])

    # --- length cap: marked and counted, not silent
    case("long_text.csv", csv_text([row("g1", pros="word " * 1500), row("g2")]), exit=0, stored=["g1", "g2"],
         values={"g1": {"attributes": {"truncated": "pros"}}}, summary={"truncated": 1})

    # --- classic row problems
    case("row_problems.csv", csv_text([row("g1"), row("b1", pros="", cons=""), row("b2", rating_overall="7"),
                                       row("b3", company="")])
         + 'Testco Ltd,b4,2024-05-01,4,"stray, comma",x,extra\n' + "Testco Ltd,b5\n"
         + csv_text([row("b6", company="x" * 300)]).split("\n", 1)[1],
         exit=3, stored=["g1"], quarantined=6, reasons=[])
    case("crlf_blank_lines.csv", ("\r\n\r\n" + csv_text(good4[:2]).replace("\n", "\r\n") + "\r\n\r\n"),
         exit=0, stored=["g1", "g2"])

    # --- binary formats
    import fastavro
    import pyarrow as pa
    import pyarrow.parquet as pq

    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pylist([{"foo": "1", "bar": "x"}, {"foo": "2", "bar": "y"}]), buffer)
    case("wrong_schema.parquet", buffer.getvalue(), exit=4, error=["wrong_schema.parquet", "foo", "bar"],
         error_not=["_row", "_error", "_raw_line"])
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pylist([
        {"company": "Testco Ltd", "review_id": "b1", "pros": {"text": "Nice", "lang": "en"}, "cons": "x"},
        {"company": "Testco Ltd", "review_id": "g1", "pros": None, "cons": "Long hours"}]), buffer)
    case("struct_pros.parquet", buffer.getvalue(), exit=3, stored=["g1"], quarantined=1, reasons=["nested JSON"])
    schema = {"type": "record", "name": "Review",
              "fields": [{"name": key, "type": ["null", "string"]} for key in HEADER]}
    buffer = io.BytesIO()
    fastavro.writer(buffer, fastavro.parse_schema(schema), [row(f"g{i}") for i in range(1, 40)])
    good_avro = buffer.getvalue()
    case("good.avro", good_avro, exit=0, stored=[f"g{i}" for i in range(1, 40)])
    damaged = bytearray(good_avro)
    for k in range(len(damaged) // 2, len(damaged) // 2 + 8):
        damaged[k] ^= 0x9C
    case("corrupt.avro", bytes(damaged), exit=4, error=["corrupt.avro", "corrupt"], error_not=["codec can't decode"])
    case("binary_garbage.csv", bytes(range(256)) * 8, exit=4, error=["binary_garbage.csv", "binary"])
    case("empty.csv", b"", exit=4, error=["empty.csv", "empty"])
    case("header_only.csv", "company,pros\n", exit=4, error=["header_only.csv", "no rows"])
    case("wrong_columns.csv", "alpha,beta\n1,2\n", exit=4, error=["wrong_columns.csv", "alpha", "beta"],
         error_not=["_row", "_raw_line"])

    (HERE / "expected.json").write_text(json.dumps(CASES, indent=1, ensure_ascii=False, sort_keys=True) + "\n")


if __name__ == "__main__":
    build()
    print(f"{len(CASES)} files in {HERE}")
