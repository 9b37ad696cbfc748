"""Cleaning text and metadata, normalising dates and ratings, detecting languages."""

from __future__ import annotations

import pandas as pd
import pytest

from company_reviewer.data.clean import (
    cap_text,
    clean_frame,
    detect_languages,
    fill_language,
    joined_text,
    normalize_dates,
    normalize_ratings,
)


def _one(column: str, value: str, **options: int) -> str:
    frame = pd.DataFrame({column: pd.Series([value], dtype="str")})
    return clean_frame(frame, **options)[column].iloc[0]


@pytest.mark.parametrize(("raw", "clean"), [
    ("Great Company, Location &amp; Team", "Great Company, Location & Team"),
    ("it&#39;s &quot;fine&quot; &lt;3", "it's \"fine\" <3"),
    ("double &amp;amp; escaped", "double & escaped"),
    ("line<br>next<BR/>last<br />end", "line\nnext\nlast\nend"),
    ("<p>para one</p><p class=\"x\">para two</p>", "para one\n\npara two"),
    ("some <b>bold</b> and <a href=\"https://x.test\">link</a>", "some bold and link"),
    ("&lt;br&gt;escaped tag", "escaped tag"),
    ("pay <50k and a<b and c>d", "pay <50k and a<b and c>d"),
    ("  spaces \t\t and\u00a0tabs  ", "spaces and tabs"),
    ("a\r\n\r\n\r\n\r\nb\n \n \n \nc", "a\n\nb\n\nc"),
    ("zero\u200bwidth\x07bell", "zerowidthbell"),
    ("=cmd|' /C calc'!A0", "=cmd|' /C calc'!A0"),
    ("'); DROP TABLE reviews;--", "'); DROP TABLE reviews;--"),
    ("+1+1 @SUM(1)", "+1+1 @SUM(1)"),
    ("AT&T and R&D & more", "AT&T and R&D & more"),
    (" #NAME? ", ""),                      # a spreadsheet formula error, not review text
    ("#N/A", ""),
    ("error #NAME? inside", "error #NAME? inside"),
])
def test_text_fields_are_cleaned(raw: str, clean: str) -> None:
    assert _one("pros", raw) == clean


def test_metadata_is_one_stripped_line_and_underscore_columns_are_untouched() -> None:
    frame = pd.DataFrame({"job_title": [" R&amp;D \n  Engineer "], "_raw": [" R&amp;D \n "], "_row": [1]})
    out = clean_frame(frame)
    assert out.loc[0, "job_title"] == "R&D Engineer"
    assert out.loc[0, "_raw"] == " R&amp;D \n " and out.loc[0, "_row"] == 1
    assert frame.loc[0, "job_title"] == " R&amp;D \n  Engineer "  # the input is not modified


def test_long_text_is_capped_at_a_word_boundary() -> None:
    text = " ".join(f"word{i}" for i in range(100))
    capped = _one("text", text, max_text_chars=50)
    assert len(capped) <= 50 and capped.endswith("…")
    assert text.startswith(capped[:-1]) and text[len(capped) - 1] == " "
    assert _one("text", "x" * 80, max_text_chars=50) == "x" * 49 + "…"  # one long word: hard cut
    assert _one("job_title", text, max_text_chars=50) == text  # metadata is not capped
    assert _one("text", "short", max_text_chars=50) == "short"
    with pytest.raises(ValueError):
        cap_text(pd.Series(["abc"], dtype="str"), 1)


def test_clean_frame_handles_many_rows_quickly() -> None:
    import time

    frame = pd.DataFrame({"pros": ["Good &amp; fun<br>team   spirit\n\n\n\nyes"] * 20000,
                          "company": [" Acme  Inc "] * 20000})
    started = time.perf_counter()
    out = clean_frame(frame)
    assert time.perf_counter() - started < 5
    assert set(out["pros"]) == {"Good & fun\nteam spirit\n\nyes"} and set(out["company"]) == {"Acme Inc"}


def test_normalize_dates() -> None:
    values = pd.Series(["2025-05-18", "May 18, 2025", "Sep 1, 2024", "18.05.2025", "2025-05-18T23:30:00-05:00",
                        "18 May 2025", "2025/05/18", "", "soon", "2025-02-30"], dtype="str")
    assert normalize_dates(values).tolist() == [
        "2025-05-18", "2025-05-18", "2024-09-01", "2025-05-18", "2025-05-18", "2025-05-18", "2025-05-18", "",
        "soon", "2025-02-30"]


def test_normalize_ratings() -> None:
    values = pd.Series(["4,5", " 3 ", "4.0", "", "n/a"], dtype="str")
    assert normalize_ratings(values).tolist() == ["4.5", "3", "4.0", "", "n/a"]


def test_detect_languages() -> None:
    texts = ["The management is great and the team supports each other every single day.",
             "Die Kollegen sind sehr hilfsbereit und die Arbeitszeiten sind flexibel.",
             "Les collègues sont très sympathiques et la direction écoute les employés.",
             "El ambiente de trabajo es muy bueno y los compañeros son amables.",
             "ok", "", "1234 5678 !!!"]
    assert detect_languages(texts) == ["en", "de", "fr", "es", None, None, None]
    assert detect_languages(texts[:2], low_accuracy=False) == ["en", "de"]
    assert detect_languages([]) == []


def test_fill_language_only_fills_blanks() -> None:
    frame = pd.DataFrame({
        "headline": ["Great place", "Toller Arbeitgeber", "Bien"],
        "pros": ["Friendly colleagues and a lot of interesting work to do.",
                 "Nette Kollegen und viele spannende Aufgaben im Team.", "Les gens sont gentils."],
        "language": ["", "", "fr"]})
    assert fill_language(frame)["language"].tolist() == ["en", "de", "fr"]
    assert fill_language(frame.drop(columns=["language"]))["language"].tolist() == ["en", "de", "fr"]
    assert frame["language"].tolist() == ["", "", "fr"]


def test_joined_text_skips_empty_fields() -> None:
    frame = pd.DataFrame({"headline": ["h", ""], "pros": ["", "p"], "cons": ["c", ""]}, dtype="str")
    assert joined_text(frame).tolist() == ["h\nc", "p"]
