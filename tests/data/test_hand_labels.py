"""The hand labels: references that resolve into the shared data, the sizes the issue asks for,
and no review text in the repository."""

from __future__ import annotations

from collections import Counter

import pandas as pd
import pytest

from company_reviewer.labeling.gold import gold_path
from company_reviewer.labeling.hand import HAND_COLUMNS, hand_gold, load_hand_references
from company_reviewer.taxonomy import load_taxonomy


@pytest.mark.parametrize("name", ["hand_en", "hand_de", "hand_second"])
def test_files_hold_references_only(name: str) -> None:
    frame = pd.read_csv(gold_path(name), dtype=str, keep_default_na=False)
    assert tuple(frame.columns) == HAND_COLUMNS
    assert frame["unit_hash"].str.fullmatch(r"[0-9a-f]{12}").all()
    # Labels are "dimension:sentiment" pairs; nothing else long enough to be text.
    assert frame["labels"].str.fullmatch(r"(?:[a-z_]+:(?:positive|negative|neutral);?)*").all()


def test_english_labels_resolve_and_cover_every_dimension() -> None:
    gold = hand_gold("en")
    assert len(gold) >= 3000 and gold["company"].nunique() >= 50
    assert set(gold["field"]) >= {"pros", "cons", "headline", "advice"}
    counts = Counter(d for label in gold["label"] for d in label)
    assert {d: counts[d] for d in load_taxonomy().ids if counts[d] < 100} == {}
    assert (gold["label"] == {}).mean() < 0.35


def test_german_labels_resolve() -> None:
    gold = hand_gold("de")
    assert len(gold) >= 600 and set(gold["language"]) == {"de"}
    assert gold["company"].nunique() == 4


def test_second_labelling_covers_300_units_of_the_first() -> None:
    second = load_hand_references("hand_second")
    first = pd.concat([load_hand_references("hand_en"), load_hand_references("hand_de")])
    keys = set(zip(first["review_key"], first["field"], first["start"], first["end"]))
    assert len(second) == 300
    assert all(k in keys for k in zip(second["review_key"], second["field"], second["start"], second["end"]))
    assert len(hand_gold(name="hand_second")) == 300
