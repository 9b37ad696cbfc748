"""Opinion units on real reviews (read at run time from the shared data directory)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
import pytest

from company_reviewer.config import shared_data_dir
from company_reviewer.sampling import simple_random
from company_reviewer.units import KUNUNU_SECTION_LABELS, split_frame, split_units, unit_category

FIELDS = ("headline", "pros", "cons", "advice")


def _require(path: Path) -> Path:
    if not path.is_file():
        pytest.skip(f"shared data not available: {path}")
    return path


@pytest.fixture(scope="module")
def glassdoor_sample() -> pd.DataFrame:
    path = _require(shared_data_dir() / "glassdoor" / "reviews.csv.gz")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    rows = simple_random(len(frame), 2000, random_state=0)
    sample = frame.iloc[sorted(rows)].reset_index(drop=True)
    # review_id is empty for some sources, so key rows by position.
    return sample.assign(review_key=[f"row{i}" for i in range(len(sample))])


def test_every_unit_maps_back_verbatim(glassdoor_sample: pd.DataFrame) -> None:
    units = split_frame(glassdoor_sample, fields=FIELDS)
    source = glassdoor_sample.set_index("review_key")
    mismatches = [row for row in units.itertuples()
                  if source.at[row.review_key, row.field][row.start:row.end] != row.text]
    assert not mismatches
    assert (units["text"].str.strip() == units["text"]).all()
    assert (units["end"] - units["start"] >= 3).all()


def test_unit_counts_are_sensible(glassdoor_sample: pd.DataFrame) -> None:
    units = split_frame(glassdoor_sample, fields=FIELDS)
    per_review = units.groupby("review_key").size().reindex(glassdoor_sample["review_key"], fill_value=0)
    # Each review has pros and cons, mostly a short phrase or a few sentences each.
    assert 3 <= per_review.mean() <= 10
    assert (per_review >= 2).mean() > 0.9
    lengths = units["text"].str.len()
    assert 20 <= lengths.median() <= 80
    # A unit is a sentence or clause: long run-ons are rare.
    assert (lengths > 300).mean() < 0.01
    # pros and cons yield units for nearly every review that wrote more than a word there.
    for field in ("pros", "cons"):
        written = glassdoor_sample.loc[glassdoor_sample[field].str.len() >= 10, "review_key"]
        covered = set(units.loc[units["field"] == field, "review_key"])
        assert written.isin(covered).mean() > 0.99


def test_kununu_sections_are_recovered() -> None:
    path = _require(shared_data_dir() / "kununu" / "reviews_raw.json.gz")
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        raw = json.load(handle)
    checked = 0
    for reviews in raw.values():
        for review in reviews[:40]:
            lines = [(label, answer) for section in review["subcategories"] for label, answer in section.items()]
            text = "\n".join(f"{label}: {answer}" for label, answer in lines)
            record = {"text": text}
            found = split_units(record, str(review["review_id"]), fields=("text",))
            for unit in found:
                assert text[unit.start:unit.end] == unit.text
                category = unit_category(unit, record)
                assert category in KUNUNU_SECTION_LABELS
                assert not unit.text.startswith(f"{category}:")
            assert {unit_category(u, record) for u in found} <= {label for label, _ in lines}
            checked += len(found)
    assert checked > 500
