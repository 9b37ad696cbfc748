"""UnitAttentionHeads and ReviewUnits on synthetic embeddings (no encoder, seconds)."""

from __future__ import annotations

import numpy as np
import pytest

from company_reviewer.reviewer.unit_attention import FIELD_INDEX, ReviewUnits, UnitAttentionHeads

DIM = 16


def _unit(rng: np.random.Generator, direction: np.ndarray | None = None, sign: float = 1.0) -> np.ndarray:
    v = rng.normal(size=DIM) * 0.3
    if direction is not None:
        v += sign * direction
    return v / np.linalg.norm(v)


def _synthetic(n: int, seed: int) -> tuple[ReviewUnits, np.ndarray, np.ndarray]:
    """Target 0 is driven by a 'pay' unit (direction e0) when present, else sits at 3; other units are noise."""
    rng = np.random.default_rng(seed)
    pay = np.eye(DIM)[0] * 2.0
    review, field, vectors, y = [], [], [], np.full((n, 2), np.nan)
    for i in range(n):
        k = int(rng.integers(1, 5))
        sign = float(rng.choice([-1.0, 1.0]))
        has_pay = rng.random() < 0.7
        for j in range(k):
            review.append(i)
            field.append("pros" if j % 2 == 0 else "cons")
            vectors.append(_unit(rng, pay if (has_pay and j == 0) else None, sign))
        y[i, 0] = 3.0 + (1.5 * sign if has_pay else 0.0)
        if i % 3:
            y[i, 1] = 3.0  # a second, constant target present on some reviews only
    units = ReviewUnits.from_units(np.array(review), np.array(field), np.array(vectors, np.float32), n)
    return units, y, pay / 2.0


def test_from_units_groups_by_review_keeping_field_order() -> None:
    vectors = np.eye(4, DIM, dtype=np.float32)
    units = ReviewUnits.from_units(np.array([1, 0, 1, 0]), np.array(["cons", "pros", "pros", "headline"]), vectors, 3)
    assert units.counts().tolist() == [2, 2, 0]
    assert units.field.tolist() == [FIELD_INDEX["headline"], FIELD_INDEX["pros"], FIELD_INDEX["pros"],
                                    FIELD_INDEX["cons"]]
    assert np.array_equal(units.embeddings[0], vectors[3])


def test_structured_first_drops_free_text_only_next_to_pros_or_cons() -> None:
    vectors = np.eye(5, DIM, dtype=np.float32)
    units = ReviewUnits.from_units(np.array([0, 0, 1, 1, 2]), np.array(["pros", "text", "text", "headline", "cons"]),
                                   vectors, 3)
    kept = units.structured_first()
    assert kept.counts().tolist() == [1, 2, 1]
    assert FIELD_INDEX["text"] in kept.field[kept.offsets[1]:kept.offsets[2]]


def test_heads_learn_the_driving_unit_and_predict_held_out_reviews() -> None:
    units, y, _ = _synthetic(1200, seed=0)
    heads = UnitAttentionHeads(hidden=32, epochs=10, batch_size=32, random_state=0).fit(units, y, rows=np.arange(1000))
    pred = heads.predict(units, np.arange(1000, 1200))
    assert pred.shape == (200, 2)
    assert np.corrcoef(pred[:, 0], y[1000:, 0])[0, 1] > 0.9
    assert np.abs(pred[:, 1] - 3.0).max() < 0.3


def test_no_units_gives_nan_and_arrays_round_trip() -> None:
    units, y, _ = _synthetic(300, seed=2)
    heads = UnitAttentionHeads(hidden=8, epochs=1, random_state=3).fit(units, y)
    empty = ReviewUnits.from_units(np.array([1]), np.array(["pros"]), units.embeddings[:1], 2)
    pred = heads.predict(empty)
    assert np.isnan(pred[0]).all() and not np.isnan(pred[1]).any()
    again = UnitAttentionHeads.from_arrays(heads.get_params(), heads.to_arrays())
    assert np.array_equal(again.predict(units), heads.predict(units))


def test_fit_refuses_when_nothing_is_labelled() -> None:
    units, y, _ = _synthetic(20, seed=4)
    with pytest.raises(ValueError, match="no review with both text and a target"):
        UnitAttentionHeads(epochs=1).fit(units, np.full_like(y, np.nan))
