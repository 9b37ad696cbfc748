"""The fast ingest path agrees with the reference one, row by row.

* ``validate_frame`` (whole chunk) vs ``to_review`` (one row, pydantic): the same accepted reviews,
  content hashes, rejections and reason texts, on synthetic rows hitting every rejection reason
  and on the real Glassdoor rows;
* ``content_hashes`` (whole chunk) vs ``Review.content_hash``, and the hash format pinned;
* the stopword language path vs lingua alone;
* the bulk insert vs SQLAlchemy's insert, on both backends.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import re

import pandas as pd
import pytest
import sqlalchemy as sa

from company_reviewer.config import shared_data_dir
from company_reviewer.data.clean import (
    _MESSY_META,
    _MESSY_TEXT,
    _STOPWORDS,
    LANGUAGES,
    _normalise_text,
    clean_frame,
    detect_languages,
    fill_language,
    joined_text,
    stopword_languages,
)
from company_reviewer.data.fast_validate import accepted_row, validate_frame
from company_reviewer.data.records import HASH_KEYS, Review, content_hash_of, content_hashes, hash_json
from company_reviewer.data.validate import Accepted, to_review
from company_reviewer.store import tables
from company_reviewer.store.repository import _insert_with_sqlalchemy, insert_ignoring_conflicts

GOOD = {
    "company": "Acme Corp", "review_id": "r1", "date": "2024-05-01", "job_title": "Engineer",
    "employee_status": "Current Employee", "location": "Berlin", "rating_overall": "4",
    "headline": "Good place", "pros": "Fair pay and a friendly team", "cons": "Long meetings", "advice": "",
    "text": "", "source": "test", "language": "en",
    "rating__culture_values": "4", "rating__work_life_balance": "", "attr__recommend": "positive", "attr__ceo": "",
}

# (overrides, what the reason must say; None = accepted)
CASES: list[tuple[dict[str, str], str | None]] = [
    ({}, None),
    ({"review_id": ""}, None),                                       # derived id "h..."
    ({"review_id": "  "}, None),
    ({"source": ""}, None),                                          # "unknown"
    ({"date": "", "rating_overall": "", "job_title": "", "location": ""}, None),
    ({"company": "  Acme  ", "pros": "\u2003padded\u2003"}, None),    # kept as given, only blanks are None
    ({"date": "2024-05-01T10:30:00+02:00"}, None),                  # the first 10 characters are a date
    ({"date": "20240501"}, None),
    ({"date": " 0999-12-31 "}, "outside 1990..today"),
    ({"rating_overall": "4,5"}, None),
    ({"rating_overall": " 3 "}, None),
    ({"rating_overall": "1e0"}, None),
    ({"rating_overall": "5.0", "rating__culture_values": "2,5", "rating__work_life_balance": "1"}, None),
    ({"attr__recommend": "", "attr__ceo": "approve"}, None),
    ({"pros": 'He said "hi"\n\t\\ \u2028 é 😀 \x7f', "cons": "</script>&amp;"}, None),
    ({"headline": "", "pros": "", "cons": "", "advice": "only advice"}, None),
    ({"headline": " ", "pros": "\u3000", "cons": "", "text": "only text"}, None),
    ({"language": ""}, None),
    ({"job_title": "x" * 300, "company": "c" * 200, "language": "l" * 16}, None),
    ({"pros": "p" * 100_000}, None),
    ({"_error": "line 3: expected 9 fields, found 8"}, "unparsable row"),
    ({"headline": "", "pros": "", "cons": "", "advice": "", "text": ""}, "no review text"),
    ({"headline": " ", "pros": "\u3000", "cons": "\x1c", "advice": "\n"}, "no review text"),
    ({"rating_overall": "7"}, "less than or equal to 5"),
    ({"rating_overall": "0"}, "greater than or equal to 1"),
    ({"rating_overall": "nan"}, None),                                # NaN is a missing number, as JSON NaN is
    ({"rating_overall": "inf"}, "rating_overall: not a number"),
    ({"rating_overall": "\uff15"}, None),                             # full-width 5 (NFKC)
    ({"rating_overall": "4 stars"}, "rating_overall: not a number"),
    ({"date": "2025-05-18garbage"}, "date: cannot parse"),
    ({"rating_overall": "great"}, "rating_overall: not a number"),
    ({"date": "yesterday"}, "date: cannot parse"),
    ({"date": "2024-02-30"}, "date: cannot parse"),
    ({"company": ""}, "company"),
    ({"company": "c" * 201}, "company: String should have at most 200 characters"),
    ({"review_id": "r" * 201}, "review_id: String should have at most 200 characters"),
    ({"job_title": "x" * 301}, "job_title: String should have at most 300 characters"),
    ({"employee_status": "s" * 101}, "employee_status: String should have at most 100 characters"),
    ({"location": "l" * 301}, "location: String should have at most 300 characters"),
    ({"source": "s" * 101}, "source: String should have at most 100 characters"),
    ({"language": "l" * 17}, "language: String should have at most 16 characters"),
    ({"cons": "c" * 100_001}, "cons: String should have at most 100000 characters"),
    ({"rating__culture_values": "9"}, "sub-rating 'culture_values'=9.0 is outside 1-5"),
    ({"rating__culture_values": "lots"}, "culture_values: not a number"),
    ({"rating__work_life_balance": "nan"}, None),
    ({"rating_overall": "7", "job_title": "x" * 301}, "job_title"),  # several problems: all named
]


def synthetic_frame(repeat: int = 1) -> pd.DataFrame:
    rows = []
    for k in range(repeat):
        for i, (overrides, _) in enumerate(CASES):
            rows.append({**GOOD, "review_id": f"r{i}-{k}", **overrides, "_row": len(rows) + 1,
                         "_error": overrides.get("_error", ""), "_raw_line": "", "_raw": f"raw {i}"})
    rows.append(dict(rows[0], _row=len(rows) + 1))  # an exact duplicate: accepted twice, same hash
    return pd.DataFrame(rows).astype({c: "str" for c in rows[0] if c != "_row"})


def reference(frame: pd.DataFrame) -> tuple[list[dict], list]:
    outcomes = [to_review(row) for row in frame.to_dict("records")]
    return ([accepted_row(o) for o in outcomes if isinstance(o, Accepted)],
            [o for o in outcomes if not isinstance(o, Accepted)])


def assert_agrees(frame: pd.DataFrame):
    rows, rejected = reference(frame)
    got = validate_frame(frame)
    assert got.rejected == rejected
    assert len(got.rows) == len(rows)
    for fast, slow in zip(got.rows, rows):
        assert fast == slow and list(fast) == list(slow)
        assert type(fast["rating_overall"]) is type(slow["rating_overall"])
    return got


def test_every_case_agrees_with_to_review() -> None:
    frame = synthetic_frame()
    got = assert_agrees(frame)
    expected = [reason for _, reason in CASES if reason]
    assert len(got.rejected) == len(expected)
    for rejected, reason in zip(got.rejected, expected):
        assert reason in rejected.reason, (reason, rejected.reason)
        assert rejected.raw.startswith("raw ") or rejected.reason.startswith("unparsable")
    multiple = got.rejected[-1].reason
    assert "rating_overall" in multiple and "job_title" in multiple
    derived = [row["review_id"] for row in got.rows if row["review_id"].startswith("h")]
    assert len(derived) == 2 and all(len(d) == 16 for d in derived)
    assert got.rows[-1]["content_hash"] == got.rows[0]["content_hash"]


def test_agrees_on_object_columns_odd_values_and_missing_columns() -> None:
    frame = synthetic_frame().astype(object)
    assert_agrees(frame)
    odd = frame.head(6).copy()
    odd.loc[0, "rating_overall"] = 4            # a number, not a string
    odd.loc[1, "pros"] = float("nan")
    odd.loc[2, "date"] = None
    odd.loc[3, "date"] = dt.date(2024, 1, 2)
    odd.loc[4, "company"] = float("nan")
    assert_agrees(odd)
    assert_agrees(synthetic_frame()[["company", "pros", "_row", "_raw"]])
    assert_agrees(synthetic_frame().drop(columns=["_error", "_raw_line", "_raw", "_row"]))
    empty = validate_frame(synthetic_frame().head(0))
    assert empty.rows == [] and empty.rejected == []


def test_agrees_on_random_rows() -> None:
    rng = random.Random(0)
    pieces = ["", " ", "a", "Acme", "4", "4,5", "7", "x" * 120, "2024-05-01", "2024-13-01", "\u3000", "é😀",
              "1", "5", "0.5", "nan", "#", "\n"]
    rows = [{name: rng.choice(pieces) for name in GOOD} for _ in range(3000)]
    frame = pd.DataFrame(rows, dtype="str")
    got = assert_agrees(frame)
    assert got.rows and got.rejected


def test_content_hash_format_is_unchanged() -> None:
    review = Review(company='Acme "Corp"', review_id="", date=dt.date(2024, 5, 1), rating_overall=4.5,
                    headline="Über gut\n", pros="Fair pay – 😀", source="test", language="de",
                    sub_ratings={"b": 3.0, "a": 5.0}, attributes={"recommend": "yes"})
    payload = review.model_dump(mode="json", exclude={"language"})
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert review.content_hash() == hashlib.sha256(blob.encode()).hexdigest()
    # Stored reviews and derived ids depend on this value: it must never change.
    assert review.content_hash() == "e057b271f340613da5347595b44e175ddf687f93053571c0621084a75ccba48b"
    assert review.model_copy(update={"language": "en"}).content_hash() == review.content_hash()


def test_chunk_hashes_equal_review_hashes() -> None:
    reviews = [accepted for accepted in (to_review(row) for row in synthetic_frame(3).to_dict("records"))
               if isinstance(accepted, Accepted)]
    payloads = [r.review.model_dump(mode="json", exclude={"language"}) for r in reviews]
    for payload, accepted in zip(payloads, reviews):
        if accepted.review.review_id.startswith("h") and len(accepted.review.review_id) == 16:
            payload["review_id"] = ""  # hashed before the id was derived
    columns = {key: [hash_json(p[key]) for p in payloads] for key in HASH_KEYS}
    assert content_hashes(columns) == [content_hash_of(p) for p in payloads] == [r.content_hash for r in reviews]


def _glassdoor() -> pd.DataFrame:
    from company_reviewer.data.presets import get_preset
    from company_reviewer.data.readers import iter_chunks

    path = shared_data_dir() / "glassdoor" / "reviews.csv.gz"
    if not path.exists():
        pytest.skip(f"shared data not available: {path}")
    chunks = [clean_frame(get_preset("glassdoor").to_canonical(c)) for c in iter_chunks(path, chunk_rows=10_000)]
    return pd.concat(chunks, ignore_index=True)


@pytest.fixture(scope="module")
def glassdoor() -> pd.DataFrame:
    return _glassdoor()


def test_agrees_on_real_glassdoor_rows(glassdoor: pd.DataFrame) -> None:
    frame = fill_language(glassdoor)
    everything = validate_frame(frame)
    assert (len(everything.rows), len(everything.rejected)) == (38_344, 6)
    rejected_rows = {r.row_number for r in everything.rejected}
    sample = frame[frame.index.isin(frame.sample(4000, random_state=0).index) | frame["_row"].isin(rejected_rows)]
    got = assert_agrees(sample.reset_index(drop=True))
    assert len(got.rejected) == 6
    by_hash = {row["content_hash"]: row for row in everything.rows}
    assert all(by_hash[row["content_hash"]] == row for row in got.rows)


def test_stopword_lists_are_disjoint_and_known() -> None:
    seen: dict[str, str] = {}
    for code, words in _STOPWORDS.items():
        assert code in LANGUAGES
        for word in words.split():
            assert word == word.lower() and word not in seen, (word, code, seen.get(word))
            seen[word] = code


def test_stopword_languages_on_clear_and_unclear_texts() -> None:
    texts = {
        "The pay is fair and the people are very friendly, but the hours are long.": "en",
        "Die Kollegen sind sehr nett und das Gehalt ist gut, aber die Arbeitszeiten sind lang.": "de",
        "Les collègues sont très sympathiques et la direction est à l'écoute, mais le salaire est bas.": "fr",
        "El ambiente de trabajo es muy bueno y los compañeros son amables, pero hay mucho estrés.": "es",
        "A empresa é muito boa, os colegas são simpáticos e o trabalho não é cansativo.": "pt",
        "Great place": None,                                        # too few words to be sure
        "Het werk is leuk en de collega's zijn heel aardig, maar het salaris is laag.": None,  # lingua's job
        "Good company and nice people. Die Kollegen sind sehr nett und hilfsbereit.": None,      # mixed
    }
    assert stopword_languages(list(texts)) == list(texts.values())
    assert detect_languages(list(texts))[:5] == ["en", "de", "fr", "es", "pt"]
    assert stopword_languages([]) == []


def test_stopword_path_agrees_with_lingua(glassdoor: pd.DataFrame) -> None:
    sample = joined_text(glassdoor.sample(3000, random_state=1))
    fast, lingua = detect_languages(sample), detect_languages(sample, stopwords=False)
    agreement = sum(a == b for a, b in zip(fast, lingua)) / len(sample)
    assert agreement > 0.995, agreement
    assert sum(code == "en" for code in fast) / len(sample) > 0.95


def test_messy_patterns_find_everything_the_slow_cleaning_changes() -> None:
    python_space = {chr(i) for i in range(0x3100) if chr(i).isspace()} - {" "}
    matched = {chr(i) for i in range(0x3100) if re.search(_MESSY_META, chr(i))}
    assert matched == python_space
    rng = random.Random(1)
    alphabet = list("ab <>\n\r\t&;#\u00a0\u2003\u200b\u2028\x1c\x85\x0b\ufeffé") + ["<br>", "<b>", "  ", "\n\n\n"]
    values = pd.Series(["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 25))) for _ in range(5000)],
                       dtype="str")
    quiet = values[~values.str.contains(_MESSY_TEXT, regex=True)]
    assert len(quiet) > 100 and (_normalise_text(quiet) == quiet).all()


@pytest.mark.parametrize("table_name", ["reviews", "quarantine"])
def test_bulk_insert_stores_what_sqlalchemy_stores(engine, table_name: str) -> None:
    table = getattr(tables, table_name)
    with engine.begin() as connection:
        batch = connection.execute(tables.ingest_batches.insert().values(
            source_file="f", file_sha256="0" * 64, preset="p", status="running",
            started_at=dt.datetime.now(dt.timezone.utc))).inserted_primary_key[0]
    if table_name == "reviews":
        rows = [dict(row, batch_id=batch) for row in validate_frame(synthetic_frame(2)).rows]
        rows = list({row["content_hash"]: row for row in rows}.values())
        key = "content_hash"
    else:
        rows = [{"raw_hash": f"{i:064x}", "batch_id": batch, "source_file": "f.csv", "row_number": i,
                 "reason": f"reason {i} 'quoted' \\ é", "raw": '{"a": "b\\n"}',
                 "created_at": dt.datetime(2024, 5, 1, 12, i, tzinfo=dt.timezone.utc)} for i in range(40)]
        key = "raw_hash"
    stored = {}
    for name, insert in (("fast", insert_ignoring_conflicts), ("sqlalchemy", _insert_with_sqlalchemy)):
        with engine.begin() as connection:
            connection.execute(table.delete())
            insert(connection, table, rows[:10], key)
            insert(connection, table, rows, key)            # conflicts with the first ten: skipped
        with engine.begin() as connection:
            insert(connection, table, rows[::-1], key)      # nothing new
        with engine.connect() as connection:
            stored[name] = [dict(r) for r in connection.execute(sa.select(table).order_by(table.c.id)).mappings()]
    assert len(stored["fast"]) == len(rows)
    assert [r[key] for r in stored["fast"]] == [r[key] for r in rows], "input order is kept"
    strip = [{k: v for k, v in r.items() if k != "id"} for r in stored["fast"]]
    assert strip == [{k: v for k, v in r.items() if k != "id"} for r in stored["sqlalchemy"]]


def test_ingest_into_an_in_memory_sqlite_database(tmp_path) -> None:
    # One database per thread: the chunks are written from the ingesting thread, not a writer thread.
    from company_reviewer.store.ingest import ingest_file
    from company_reviewer.store.db import get_engine
    from company_reviewer.store.repository import load_reviews_frame

    frame = synthetic_frame()
    frame = frame[~frame["date"].str.contains("0999") & (frame["_error"] == "")]  # CSV rows only
    frame.drop(columns=["_row", "_error", "_raw_line", "_raw"]).to_csv(tmp_path / "mixed.csv", index=False)
    engine = get_engine("sqlite://")
    try:
        summary = ingest_file(tmp_path / "mixed.csv", engine, preset="canonical")
        assert summary.read == len(frame) and summary.duplicates >= 1 and summary.quarantined > 15
        stored = len(load_reviews_frame(engine))
        assert summary.stored == stored == len(frame) - summary.duplicates - summary.quarantined
    finally:
        get_engine.cache_clear()
