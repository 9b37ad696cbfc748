"""Reading and mapping the real shared review files (read at run time, never copied)."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import pytest

from company_reviewer.config import shared_data_dir
from company_reviewer.data.clean import clean_frame, fill_language
from company_reviewer.data.presets import detect_preset, to_canonical
from company_reviewer.data.readers import detect_format, iter_chunks

GLASSDOOR = Path("glassdoor") / "reviews.csv.gz"
KUNUNU_FLAT = Path("kununu") / "reviews_flat.csv.gz"
KUNUNU_RAW = Path("kununu") / "reviews_raw.json.gz"


def _shared(relative: Path) -> Path:
    path = shared_data_dir() / relative
    if not path.exists():
        pytest.skip(f"shared data not available: {path}")
    return path


def _canonical(relative: Path) -> tuple[str, pd.DataFrame]:
    path = _shared(relative)
    chunks = list(iter_chunks(path, chunk_rows=5000))
    preset = detect_preset(chunks[0].columns)
    return preset, pd.concat([to_canonical(c, preset=preset) for c in chunks], ignore_index=True)


@pytest.fixture(scope="module")
def glassdoor() -> pd.DataFrame:
    preset, frame = _canonical(GLASSDOOR)
    assert preset == "glassdoor"
    return frame


@pytest.fixture(scope="module")
def kununu() -> dict[str, pd.DataFrame]:
    frames = {}
    for name, relative in (("flat", KUNUNU_FLAT), ("raw", KUNUNU_RAW)):
        preset, frames[name] = _canonical(relative)
        assert preset == "kununu"
    return frames


def test_glassdoor_reads_and_maps_every_row(glassdoor: pd.DataFrame) -> None:
    assert detect_format(_shared(GLASSDOOR)) == "csv"
    assert len(glassdoor) == 38_350
    assert glassdoor["_row"].tolist() == list(range(1, 38_351))
    assert (glassdoor["_error"] == "").all()
    assert (glassdoor["company"] != "").all() and (glassdoor["source"].str.startswith("glassdoor_")).all()
    assert glassdoor["source"].nunique() == 9
    assert (glassdoor["pros"] != "").mean() > 0.99 and (glassdoor["cons"] != "").mean() > 0.99
    dated = glassdoor.loc[glassdoor["date"] != "", "date"]
    assert dated.str.fullmatch(r"\d{4}-\d{2}-\d{2}").all() and len(dated) > 38_000
    rated = pd.to_numeric(glassdoor.loc[glassdoor["rating_overall"] != "", "rating_overall"])
    assert rated.between(1, 5).all() and len(rated) > 38_000
    for name in ("work_life_balance", "culture_values", "diversity_inclusion", "career_opportunities",
                 "comp_benefits", "senior_management"):
        assert (glassdoor[f"rating__{name}"] != "").any(), name
    assert set(glassdoor["attr__recommend"]) <= {"", "positive", "neutral", "negative", "no_opinion"}


def test_glassdoor_cleans_fast_and_is_english(glassdoor: pd.DataFrame) -> None:
    started = time.perf_counter()
    cleaned = clean_frame(glassdoor)
    seconds = time.perf_counter() - started
    assert seconds < 10, f"clean_frame took {seconds:.1f}s on {len(glassdoor)} rows"
    assert not cleaned["headline"].str.contains("&amp;", regex=False).any()
    assert glassdoor["headline"].str.contains("&amp;", regex=False).any()  # the raw data had entities
    assert (glassdoor["pros"] == "#NAME?").any() and not (cleaned["pros"] == "#NAME?").any()
    sample = cleaned.sample(2000, random_state=0)
    languages = fill_language(sample)["language"]
    assert (languages == "en").mean() > 0.95


def test_kununu_flat_and_raw_give_the_same_reviews(kununu: dict[str, pd.DataFrame]) -> None:
    flat, raw = (kununu[name].set_index("review_id").sort_index() for name in ("flat", "raw"))
    assert len(flat) == len(raw) == 500 and flat.index.is_unique
    assert (flat.index == raw.index).all()
    for column in ("pros", "cons", "advice", "text", "headline", "date", "rating_overall", "job_title",
                   "location", "employee_status", "language"):
        assert (flat[column] == raw[column]).all(), column
    assert flat["company"].nunique() == raw["company"].nunique() == 4


def test_kununu_has_text_and_is_german(kununu: dict[str, pd.DataFrame]) -> None:
    for frame in kununu.values():
        assert len(frame) == 500
        for column, at_least in (("pros", 0.6), ("cons", 0.55), ("advice", 0.5), ("text", 0.6)):
            assert (frame[column] != "").mean() > at_least, column
        assert frame["text"].str.contains(r"^[^\n:]+: ", regex=True).sum() > 300  # category labels survive
        assert (frame["date"].str.fullmatch(r"20\d\d-\d\d-01")).all()
        assert (frame["language"] == "de").all() and (frame["source"] == "kununu").all()
        detected = fill_language(clean_frame(frame.assign(language="")))["language"]
        assert (detected == "de").mean() > 0.95
