"""Mapping synthetic platform rows onto canonical columns."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from company_reviewer.data.presets import (
    detect_preset,
    get_preset,
    list_presets,
    to_canonical,
    validate_user_mapping,
)
from company_reviewer.data.records import CANONICAL_COLUMNS

TAIL = ["_row", "_error", "_raw_line", "_raw"]


def _frame(rows: list[dict[str, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, dtype="str").fillna("")
    frame["_row"] = range(1, len(frame) + 1)
    frame["_error"] = ""
    frame["_raw_line"] = ""
    return frame


def _assert_contract(out: pd.DataFrame) -> None:
    assert list(out.columns[: len(CANONICAL_COLUMNS)]) == list(CANONICAL_COLUMNS)
    assert list(out.columns[-4:]) == TAIL
    middle = list(out.columns[len(CANONICAL_COLUMNS):-4])
    ratings = [c for c in middle if c.startswith("rating__")]
    attributes = [c for c in middle if c.startswith("attr__")]
    assert middle == sorted(ratings) + sorted(attributes)
    assert out["_row"].dtype == "int64"
    for column in out.columns.drop("_row"):
        assert pd.api.types.is_string_dtype(out[column].dtype) and not out[column].isna().any(), column


GLASSDOOR_ROW = {
    "source": "glassdoor_test", "company": "Acme", "review_id": "r1", "date": "May 18, 2025",
    "job_title": "Analyst", "employee_status": "current", "location": "Berlin", "rating_overall": "4,5",
    "rating_work_life_balance": "5.0", "rating_culture_values": "", "rating_senior_management": "2.0",
    "recommend": "positive", "ceo_approval": "approve", "business_outlook": "neutral",
    "headline": "Solid", "pros": "=cmd|' /C calc'!A0", "cons": "'); DROP TABLE reviews;--", "advice": "@SUM(1)",
}


def test_glassdoor_shared_schema() -> None:
    out = get_preset("glassdoor").to_canonical(_frame([GLASSDOOR_ROW, {**GLASSDOOR_ROW, "source": ""}]))
    _assert_contract(out)
    row = out.iloc[0]
    assert (row["company"], row["date"], row["rating_overall"], row["source"]) == (
        "Acme", "2025-05-18", "4.5", "glassdoor_test")
    assert out["source"].tolist() == ["glassdoor_test", "glassdoor"]  # the preset default fills blanks
    assert (row["rating__work_life_balance"], row["rating__culture_values"], row["rating__senior_management"]) == (
        "5.0", "", "2.0")
    assert (row["attr__recommend"], row["attr__ceo_approval"], row["attr__business_outlook"]) == (
        "positive", "approve", "neutral")
    # Injection strings are data: they pass through untouched.
    assert (row["pros"], row["cons"], row["advice"]) == (GLASSDOOR_ROW["pros"], GLASSDOOR_ROW["cons"], "@SUM(1)")
    assert json.loads(row["_raw"]) == GLASSDOOR_ROW
    assert "rating_overall" not in {c.removeprefix("rating__") for c in out.columns if c.startswith("rating__")}


def test_source_argument_overrides_and_company_argument_fills() -> None:
    out = get_preset("glassdoor").to_canonical(_frame([GLASSDOOR_ROW]), source="client_x", company="Acme AG")
    assert (out.loc[0, "source"], out.loc[0, "company"]) == ("client_x", "Acme AG")


def test_glassdoor_kaggle_variant() -> None:
    row = {"firm": "Acme", "date_review": "2019-03-02", "job_title": "Engineer", "current": "Current Employee",
           "location": "", "overall_rating": "3", "work_life_balance": "4", "culture_values": "3",
           "career_opp": "2", "comp_benefits": "5", "senior_mgmt": "1", "recommend": "v", "ceo_approv": "o",
           "outlook": "r", "headline": "ok", "pros": "p", "cons": "c"}
    assert detect_preset(row) == "glassdoor"
    out = to_canonical(_frame([row]))
    got = out.iloc[0]
    assert (got["company"], got["date"], got["employee_status"], got["rating_overall"]) == (
        "Acme", "2019-03-02", "Current Employee", "3")
    assert (got["rating__career_opportunities"], got["rating__senior_management"], got["attr__business_outlook"],
            got["attr__ceo_approval"]) == ("2", "1", "r", "o")


def test_indeed_variants_miss_and_zero_ratings() -> None:
    rows = [{"Rating": "4", "Title": "Fine", "Review": "Long review", "Pros": "MISS", "Cons": "hours",
             "Date": "18.05.2025", "Position": "Driver", "Location": "Leeds", "Work/Life Balance": "0",
             "compensation_benefits": "3", "jobSecurity_advancement": "MISS", "management": "2",
             "culture_value": "5"}]
    assert detect_preset(rows[0]) == "indeed"
    out = to_canonical(_frame(rows))
    _assert_contract(out)
    got = out.iloc[0]
    assert (got["rating_overall"], got["headline"], got["text"], got["pros"], got["cons"]) == (
        "4", "Fine", "Long review", "", "hours")
    assert (got["date"], got["job_title"], got["location"], got["source"]) == (
        "2025-05-18", "Driver", "Leeds", "indeed")
    assert got["rating__work_life_balance"] == ""  # 0 = not rated
    assert got["rating__job_security_advancement"] == ""  # MISS = missing
    assert (got["rating__comp_benefits"], got["rating__management"], got["rating__culture_values"]) == (
        "3", "2", "5")


def test_indeed_reviewer_column_is_split() -> None:
    rows = [{"title": "Good", "text": "Nice", "rating": "5",
             "reviewer": "Warehouse Associate (Former Employee) - Austin, TX - March 2, 2019"}]
    got = get_preset("indeed").to_canonical(_frame(rows)).iloc[0]
    assert (got["job_title"], got["employee_status"], got["location"], got["date"]) == (
        "Warehouse Associate", "Former Employee", "Austin, TX", "2019-03-02")


def test_ambitionbox_columns() -> None:
    row = {"Title": "Learning", "Place": "Pune", "Job_type": "Full Time", "Department": "IT",
           "Date": "18 May 2025", "Overall_rating": "4", "work_life_balance": "3", "skill_development": "4",
           "salary_and_benefits": "2", "job_security": "5", "career_growth": "3", "work_satisfaction": "4",
           "Likes": "team", "Dislikes": "pay", "Additional Comments": "more"}
    assert detect_preset(row) == "ambitionbox"
    got = to_canonical(_frame([row])).iloc[0]
    assert (got["headline"], got["pros"], got["cons"], got["text"], got["location"], got["date"]) == (
        "Learning", "team", "pay", "more", "Pune", "2025-05-18")
    assert (got["rating_overall"], got["rating__comp_benefits"], got["rating__career_opportunities"]) == (
        "4", "2", "3")
    assert (got["rating__skill_development"], got["attr__department"], got["attr__job_type"]) == (
        "4", "IT", "Full Time")


KUNUNU_ANSWERS = {"Gut am Arbeitgeber finde ich": "Kantine", "Schlecht am Arbeitgeber finde ich": "Parkplatz",
                  "Verbesserungsvorschläge": "Mehr Homeoffice", "Image": "gut", "Work-Life-Balance": "flexibel",
                  "Arbeitsatmosphäre": "freundlich"}
KUNUNU_POSITION = ("Hat zum Zeitpunkt der Bewertung im Bereich IT bei Beispiel AG in Walldorf / "
                   "Baden-Württemb. gearbeitet.")
KUNUNU_META = {"review_id": "beispiel_1", "overall_score": "3,8", "title": "Solide", "year": "2025", "month": "6",
               "employee_type": "Angestellte/r oder Arbeiter/in", "position": KUNUNU_POSITION}


def test_kununu_flat_and_raw_agree() -> None:
    flat = {"company": "Beispiel AG", "kununu_url": "https://www.kununu.com/de/beispiel/kommentare", **KUNUNU_META,
            **{f"text_{k}": v for k, v in KUNUNU_ANSWERS.items()}, "text_Kommunikation": ""}
    raw = {**KUNUNU_META, "subcategories": json.dumps([{k: v} for k, v in reversed(KUNUNU_ANSWERS.items())])}
    raw_frame = _frame([raw])
    raw_frame["_group"] = "https://www.kununu.com/de/beispiel/kommentare"
    assert detect_preset(flat) == detect_preset(raw_frame.columns) == "kununu"
    out_flat, out_raw = to_canonical(_frame([flat])), to_canonical(raw_frame)
    _assert_contract(out_flat)
    for out in (out_flat, out_raw):
        got = out.iloc[0]
        assert (got["pros"], got["cons"], got["advice"]) == ("Kantine", "Parkplatz", "Mehr Homeoffice")
        assert got["text"] == "Arbeitsatmosphäre: freundlich\nWork-Life-Balance: flexibel\nImage: gut"  # kununu order
        assert (got["date"], got["rating_overall"], got["headline"], got["language"], got["source"]) == (
            "2025-06-01", "3.8", "Solide", "de", "kununu")
        assert (got["job_title"], got["location"], got["review_id"]) == ("IT", "Walldorf / Baden-Württemb.",
                                                                         "beispiel_1")
        assert got["employee_status"] == "Angestellte/r oder Arbeiter/in"
    assert out_flat.loc[0, "company"] == "Beispiel AG"
    assert out_raw.loc[0, "company"] == "beispiel"  # the raw export only has the URL slug
    assert json.loads(out_raw.loc[0, "_raw"])["_group"].endswith("/beispiel/kommentare")


def test_kununu_trainee_position_and_python_repr_subcategories() -> None:
    raw = {**KUNUNU_META, "position": "Hat zum Zeitpunkt der Bewertung eine Ausbildung zum/zur Koch bei "
                                      "Beispiel in Bonn absolviert.",
           "subcategories": str([{"Gut am Arbeitgeber finde ich": "Team"}])}
    got = get_preset("kununu").to_canonical(_frame([raw])).iloc[0]
    assert (got["job_title"], got["location"], got["pros"]) == ("Koch", "Bonn", "Team")


def test_canonical_preset_passes_extras_through() -> None:
    row = {"company": "Acme", "headline": "h", "pros": "p", "rating__culture": "4", "attr__team": "x",
           "unmapped": "kept in raw"}
    assert detect_preset(row) == "canonical"
    out = to_canonical(_frame([row]))
    _assert_contract(out)
    assert list(out.columns) == [*CANONICAL_COLUMNS, "rating__culture", "attr__team", *TAIL]
    assert out.loc[0, "source"] == "unknown"
    assert json.loads(out.loc[0, "_raw"])["unmapped"] == "kept in raw"


def test_reader_error_rows_keep_their_raw_line() -> None:
    frame = _frame([{"company": "Acme", "pros": "p"}, {"company": "", "pros": ""}])
    frame.loc[1, "_error"] = "expected 2 fields, found 3"
    frame.loc[1, "_raw_line"] = "Acme,p,extra\n"
    out = get_preset("canonical").to_canonical(frame)
    assert out["_raw"].tolist()[1] == "Acme,p,extra\n"
    assert out["_error"].tolist() == ["", "expected 2 fields, found 3"]


def test_user_mapping_overrides_and_errors() -> None:
    frame = _frame([{"Firma": "Acme", "Kommentar": "gut", "Note": "4"}])
    out = get_preset("canonical").to_canonical(
        frame, user_mapping={"company": "Firma", "text": "Kommentar", "rating__overall_feel": "Note"})
    assert (out.loc[0, "company"], out.loc[0, "text"], out.loc[0, "rating__overall_feel"]) == ("Acme", "gut", "4")
    with pytest.raises(ValueError, match=r"unknown canonical field 'firm'.*company, review_id"):
        get_preset("canonical").to_canonical(frame, user_mapping={"firm": "Firma"})
    with pytest.raises(ValueError, match=r"'Company' .* not in the file; its columns are: Firma, Kommentar, Note"):
        validate_user_mapping({"company": "Company"}, frame.columns)


def test_dates_ratings_and_unparseable_values() -> None:
    rows = [{"company": "A", "pros": "p", "date": value, "rating_overall": rating} for value, rating in [
        ("2025-05-18T10:00:00Z", "4,5"), ("18.05.2025", "4"), ("May 2025", ""), ("05/18/2025", "3.0"),
        ("18/05/2025", " 2 "), ("last week", "four")]]
    out = to_canonical(_frame(rows), preset="canonical")
    assert out["date"].tolist() == [
        "2025-05-18", "2025-05-18", "2025-05-01", "2025-05-18", "2025-05-18", "last week"]
    assert out["rating_overall"].tolist() == ["4.5", "4", "", "3.0", "2", "four"]


def test_registry_and_detection() -> None:
    assert [p.name for p in list_presets()] == ["canonical", "glassdoor", "indeed", "ambitionbox", "kununu"]
    assert all(p.description for p in list_presets())
    with pytest.raises(ValueError, match="unknown preset 'yelp'; available: ambitionbox, canonical, glassdoor"):
        get_preset("yelp")
    with pytest.raises(ValueError, match="cannot tell which platform"):
        detect_preset(["foo", "bar", "_row"])
    assert detect_preset(["company", "text", "_row", "_error"]) == "canonical"
