"""Opinion units: offsets map back verbatim, and each split rule in English and German."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from company_reviewer.units import (
    OpinionUnit, natural_polarity, split_frame, split_units, unit_category, unit_spans,
)


def units(text: str, min_chars: int = 3) -> list[str]:
    return [text[start:end] for start, end in unit_spans(text, min_chars)]


# Fragments that exercise every rule, mixed freely by hypothesis.
FRAGMENTS = st.sampled_from([
    "good pay", "bad hours", "Gehalt", " ", "  ", ".", ". ", "!", "?", "...", "…", ";", "\n", "\r\n",
    "- ", " - ", "* ", "•", "1. ", "2) ", " 3. ", ", but ", " but ", " however ", ", however, ",
    " although ", " whereas ", ", aber ", " aber ", ", jedoch ", ", sondern auch ", "e.g. ", "z.B. ",
    "bzw.", "etc. ", "U.S.", "4.5", "$1.5k", "Dr. ", "www.example.com", "pay.Bad", "Arbeitsatmosphäre: ",
    "Image:", "\t", "ä", "ß", "💡", "(", ")", '"', ",", ":", "a", "B",
])
TEXTS = st.one_of(st.text(max_size=300), st.lists(FRAGMENTS, max_size=40).map("".join))


def assert_well_formed(text: str, spans: list[tuple[int, int]], min_chars: int) -> None:
    previous_end = 0
    for start, end in spans:
        assert previous_end <= start < end <= len(text)
        assert end - start >= min_chars
        piece = text[start:end]
        assert piece == piece.strip() and any(c.isalnum() for c in piece)
        previous_end = end


@settings(max_examples=400, deadline=None)
@given(text=TEXTS, min_chars=st.integers(min_value=0, max_value=6))
def test_offsets_map_back_verbatim_for_any_text(text: str, min_chars: int) -> None:
    spans = unit_spans(text, min_chars)
    assert_well_formed(text, spans, max(min_chars, 1))
    review = {"pros": text, "cons": text[::-1]}
    for unit in split_units(review, "r1", fields=("pros", "cons", "advice"), min_chars=min_chars):
        assert review[unit.field][unit.start:unit.end] == unit.text
        assert unit.matches(review) and unit.review_key == "r1"


@settings(max_examples=200, deadline=None)
@given(words=st.lists(st.text(alphabet="abcdefghijklmnoprstuvwxyzäöü", min_size=1, max_size=8),
                      min_size=1, max_size=12))
def test_text_without_separators_is_one_unit(words: list[str]) -> None:
    text = " " + " ".join(words) + "  "
    forbidden = {"but", "however", "although", "whereas"}
    if forbidden & set(words) or len(text.strip()) < 3:
        return
    assert units(text) == [text.strip()]


@pytest.mark.parametrize(("text", "expected"), [
    ("Great pay. Long hours! Free coffee?", ["Great pay.", "Long hours!", "Free coffee?"]),
    ("good pay.bad hours", ["good pay.", "bad hours"]),
    ("Nice team.The office is old", ["Nice team.", "The office is old"]),
    ("great benefits!!really", ["great benefits!!", "really"]),
    ("Good pay (e.g. bonus) and perks, i.e. gym etc. and more",
     ["Good pay (e.g. bonus) and perks, i.e. gym etc. and more"]),
    ("Lots of perks etc. The pay is low", ["Lots of perks etc.", "The pay is low"]),
    ("Dr. Smith leads well. Mr. Jones not", ["Dr. Smith leads well.", "Mr. Jones not"]),
    ("Rated 4.5 stars with a $1.5k bonus. Nice", ["Rated 4.5 stars with a $1.5k bonus.", "Nice"]),
    ("Based in the U.S. and U.K. offices", ["Based in the U.S. and U.K. offices"]),
    ("See www.example.com or careers.example.org for jobs", ["See www.example.com or careers.example.org for jobs"]),
    ("great place...but stressful", ["great place...", "stressful"]),
    ("line one\nline two\r\nline three", ["line one", "line two", "line three"]),
    ("- free food\n- gym\n* nice office\n• parking ▪ canteen",
     ["free food", "gym", "nice office", "parking", "canteen"]),
    ("1. Good pay\n2) Nice people", ["Good pay", "Nice people"]),
    ("1. Good pay 2. Nice people 3. free lunch", ["Good pay", "Nice people", "free lunch"]),
    ("good pay; bad hours;; nice team", ["good pay", "bad hours", "nice team"]),
    ("good pay - bad hours", ["good pay", "bad hours"]),
    ("9 - 5 job with well-paid staff", ["9 - 5 job with well-paid staff"]),
    ("Good pay, but long hours", ["Good pay", "long hours"]),
    ("Good pay but long hours", ["Good pay", "long hours"]),
    ("Good pay. But long hours", ["Good pay.", "long hours"]),
    ("Free lunch however no parking", ["Free lunch", "no parking"]),
    ("The pay, however, is good", ["The pay, however, is good"]),
    ("Good people although the pay is low", ["Good people", "the pay is low"]),
    ("Pay is good whereas hours are bad", ["Pay is good", "hours are bad"]),
    ("Not only pay but also culture", ["Not only pay but also culture"]),
    ("The job is anything but boring", ["The job is anything but boring"]),
    ("It's a butter factory", ["It's a butter factory"]),
])
def test_english_split_rules(text: str, expected: list[str]) -> None:
    assert units(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Das Gehalt ist gut, aber die Arbeitszeiten sind lang.", ["Das Gehalt ist gut", "die Arbeitszeiten sind lang."]),
    ("Gute Kantine, jedoch wenig Parkplätze", ["Gute Kantine", "wenig Parkplätze"]),
    ("Nette Kollegen, allerdings viel Druck", ["Nette Kollegen", "viel Druck"]),
    ("Kein Bonus, sondern ein fixes Gehalt", ["Kein Bonus", "ein fixes Gehalt"]),
    ("Nicht nur Gehalt, sondern auch Kultur", ["Nicht nur Gehalt, sondern auch Kultur"]),
    # Without a comma these words are modal particles inside one statement.
    ("Das ist aber schade", ["Das ist aber schade"]),
    ("Es gibt allerdings Homeoffice", ["Es gibt allerdings Homeoffice"]),
    ("Gute Benefits z.B. Jobrad bzw. Kantine usw. und mehr", ["Gute Benefits z.B. Jobrad bzw. Kantine usw. und mehr"]),
    ("Bonus am 1. Januar und im 2. Jahr mehr", ["Bonus am 1. Januar und im 2. Jahr mehr"]),
    ("Viel Arbeit. Aber nette Leute!", ["Viel Arbeit.", "nette Leute!"]),
    ("Tolle Kollegen.Schlechte Bezahlung", ["Tolle Kollegen.", "Schlechte Bezahlung"]),
    ("- Gleitzeit\n- Homeoffice\n• Jobrad", ["Gleitzeit", "Homeoffice", "Jobrad"]),
])
def test_german_split_rules(text: str, expected: list[str]) -> None:
    assert units(text) == expected


def test_boundaries_move_past_whitespace_and_punctuation_only() -> None:
    text = "  ,, good pay ,  ;  :-) ... - "
    spans = unit_spans(text)
    assert [text[s:e] for s, e in spans] == ["good pay"]
    assert spans == [(5, 13)]


def test_min_chars_drops_short_units() -> None:
    assert units("ok. fine. great pay", min_chars=4) == ["fine.", "great pay"]
    assert units("ok. fine. great pay", min_chars=1) == ["ok.", "fine.", "great pay"]
    assert units("ok. fine. great pay", min_chars=6) == ["great pay"]
    assert units("ok fine", min_chars=3) == ["ok fine"] and units("a. b. c") == []
    assert units("") == [] and units(" \n ... ") == []


def test_kununu_sections_are_excluded_and_recoverable() -> None:
    text = ("Arbeitsatmosphäre: Sehr angenehm. Immer freundlich.\n"
            "Gehalt/Sozialleistungen: Gut, jedoch nicht überragend.\n"
            "zweite Zeile der Antwort\n"
            "Gut am Arbeitgeber finde ich: Die Kantine")
    review = {"text": text}
    found = split_units(review, "k1", fields=("text",))
    assert [u.text for u in found] == ["Sehr angenehm.", "Immer freundlich.", "Gut", "nicht überragend.",
                                       "zweite Zeile der Antwort", "Die Kantine"]
    assert [unit_category(u, review) for u in found] == [
        "Arbeitsatmosphäre", "Arbeitsatmosphäre", "Gehalt/Sozialleistungen", "Gehalt/Sozialleistungen",
        "Gehalt/Sozialleistungen", "Gut am Arbeitgeber finde ich"]
    assert all(":" not in u.text for u in found)
    # Scraped answers sometimes repeat their label; the repeat is part of the header.
    repeated = {"text": "Image: Image: Gutes Image"}
    (unit,) = split_units(repeated, "k3", fields=("text",))
    assert unit.text == "Gutes Image" and unit_category(unit, repeated) == "Image"
    # An ordinary "word: text" line is not a section header.
    plain = {"pros": "Note: good pay"}
    (unit,) = split_units(plain, "k2", fields=("pros",))
    assert unit.text == "Note: good pay" and unit_category(unit, plain) is None


def test_natural_polarity() -> None:
    assert natural_polarity("pros") == "positive"
    assert natural_polarity("cons") == "negative"
    assert [natural_polarity(f) for f in ("advice", "headline", "text")] == [None, None, None]
    assert natural_polarity("text", "Gut am Arbeitgeber finde ich") == "positive"
    assert natural_polarity("text", "Schlecht am Arbeitgeber finde ich") == "negative"
    assert natural_polarity("text", "Arbeitsatmosphäre") is None


def test_opinion_unit_rejects_inconsistent_offsets() -> None:
    with pytest.raises(ValueError):
        OpinionUnit("r", "pros", 0, 5, "abc")
    with pytest.raises(ValueError):
        OpinionUnit("r", "pros", 4, 2, "")
    unit = OpinionUnit("r", "pros", 5, 8, "pay")
    assert unit.matches({"pros": "good pay"}) and not unit.matches({"pros": "good way"})


def test_split_frame_columns_keys_and_verbatim() -> None:
    frame = pd.DataFrame({
        "review_id": ["a", "b", "c"],
        "headline": ["Fine place", None, ""],
        "pros": ["good pay. nice team", "free food", float("nan")],
        "cons": ["long hours, but fun", "", "no parking"],
    })
    result = split_frame(frame)
    assert list(result.columns) == ["review_key", "field", "start", "end", "text"]
    assert result["start"].dtype == "int64" and result["end"].dtype == "int64"
    assert result.to_dict("records")[:3] == [
        {"review_key": "a", "field": "headline", "start": 0, "end": 10, "text": "Fine place"},
        {"review_key": "a", "field": "pros", "start": 0, "end": 9, "text": "good pay."},
        {"review_key": "a", "field": "pros", "start": 10, "end": 19, "text": "nice team"},
    ]
    assert sorted(result["review_key"].unique()) == ["a", "b", "c"]
    by_id = frame.set_index("review_id")
    for row in result.itertuples():
        assert by_id.at[row.review_key, row.field][row.start:row.end] == row.text
    keyed = split_frame(frame.assign(review_key=["s:a", "s:b", "s:c"]))
    assert set(keyed["review_key"]) == {"s:a", "s:b", "s:c"}
    empty = split_frame(frame.iloc[:0])
    assert empty.empty and list(empty.columns) == list(result.columns)
