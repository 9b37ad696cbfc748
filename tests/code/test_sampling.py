"""Sampling: statistical properties (seeded, so deterministic) and the product's review sampler."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy import stats

from company_reviewer.sampling import (
    allocate, company_folds, recency_weights, sample_reviews, simple_random, split_by_company, stratified,
    strata_keys, weighted, weighted_indices, year_bins,
)

# Chi-squared tests reject a correct sampler with probability 1e-4 for a given seed; the seeds
# are fixed, so the tests are deterministic and fail only if the sampler is biased.
ALPHA = 1e-4


def synthetic_reviews(n: int, seed: int = 0, company: str = "Acme") -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    start = dt.date(2015, 1, 1)
    return pd.DataFrame({
        "company": company, "source": "synthetic", "review_id": [f"r{i:04d}" for i in range(n)],
        "date": [(start + dt.timedelta(days=int(d))).isoformat() for d in rng.integers(0, 3650, n)],
        "rating_overall": rng.choice([1.0, 2.0, 3.0, 4.0, 5.0], size=n, p=[0.1, 0.1, 0.2, 0.3, 0.3]),
        "headline": [f"headline {i}" for i in range(n)],
        "pros": [f"good thing number {i}" for i in range(n)], "cons": ["long hours"] * n,
    })


def test_allocate_largest_remainder_and_minimum_one() -> None:
    assert allocate([500, 300, 150, 50], 100).tolist() == [50, 30, 15, 5]
    sizes = np.array([7, 13, 29, 51])
    counts = allocate(sizes, 37)
    quota = 37 * sizes / sizes.sum()
    assert counts.sum() == 37 and np.all(np.abs(counts - quota) < 1)
    assert allocate([990, 5, 5], 10).tolist() == [8, 1, 1]
    assert allocate([990, 5, 5], 10, min_one=False).tolist() == [10, 0, 0]
    assert allocate([990, 5, 5], 2).sum() == 2  # fewer than the strata: no minimum possible
    assert allocate([3, 0, 1], 4).tolist() == [3, 0, 1]
    for k in range(0, 101):
        counts = allocate([60, 25, 10, 4, 1], k)
        assert counts.sum() == k and np.all(counts <= [60, 25, 10, 4, 1])
        if k >= 5:
            assert np.all(counts >= 1)
    with pytest.raises(ValueError):
        allocate([1, -1], 1)


def test_simple_random() -> None:
    picked = simple_random(100, 10, random_state=3)
    assert len(set(picked.tolist())) == 10 and picked.min() >= 0 and picked.max() < 100
    assert np.array_equal(picked, simple_random(100, 10, random_state=3))
    assert not np.array_equal(picked, simple_random(100, 10, random_state=4))
    assert sorted(simple_random(["a", "b", "c"], 5, random_state=0)) == ["a", "b", "c"]
    with pytest.raises(ValueError):
        simple_random(5, -1, random_state=0)


def test_simple_random_is_uniform() -> None:
    rng = np.random.default_rng(11)
    counts = np.zeros(10)
    for _ in range(3000):
        counts[simple_random(10, 3, rng)] += 1
    assert stats.chisquare(counts).pvalue > ALPHA


def test_stratified_keeps_proportions() -> None:
    frame = pd.DataFrame({"rating": np.repeat([5.0, 4.0, 3.0, 1.0], [500, 300, 150, 50]), "row": range(1000)})
    sample = stratified(frame, "rating", 100, random_state=0)
    assert sample["rating"].value_counts().to_dict() == {5.0: 50, 4.0: 30, 3.0: 15, 1.0: 5}
    assert sample["row"].is_unique and sample["row"].is_monotonic_increasing
    odd = pd.DataFrame({"g": np.repeat(list("abcd"), [7, 13, 29, 51])})
    counts = stratified(odd, "g", 37, random_state=1)["g"].value_counts().reindex(list("abcd")).to_numpy()
    assert counts.sum() == 37 and np.all(np.abs(counts - 37 * np.array([7, 13, 29, 51]) / 100) < 1)
    tiny = pd.DataFrame({"g": ["big"] * 990 + ["x"] * 5 + [None] * 5})
    assert stratified(tiny, "g", 10, random_state=0)["g"].fillna("missing").value_counts().to_dict() == {
        "big": 8, "x": 1, "missing": 1}
    assert len(stratified(tiny, "g", 5000, random_state=0)) == 1000


def test_stratified_is_uniform_within_strata() -> None:
    frame = pd.DataFrame({"g": [0] * 8 + [1] * 8})
    counts = np.zeros(16)
    rng = np.random.default_rng(5)
    for _ in range(2000):
        counts[stratified(frame, "g", 4, rng).index.to_numpy()] += 1
    assert stats.chisquare(counts).pvalue > ALPHA


def test_strata_from_dates_and_several_columns() -> None:
    frame = pd.DataFrame({"date": ["2019-03-01", "2019-12-31", "2020-01-01", "", "2021-06-30"],
                          "rating": [5, 5, 4, 4, 4]})
    assert year_bins(frame["date"]).tolist() == [2019, 2019, 2020, pd.NA, 2021]
    keys = strata_keys(frame, ["date", "rating"], bins={"date": "year"}).tolist()
    assert keys == [(2019, 5), (2019, 5), (2020, 4), (None, 4), (2021, 4)]
    typed = frame.assign(date=pd.to_datetime(frame["date"], errors="coerce"))
    assert strata_keys(typed, "date").tolist() == [(2019,), (2019,), (2020,), (None,), (2021,)]
    assert len(set(strata_keys(frame, "rating", bins={"rating": [0, 4.5, 5]}))) == 2
    sample = stratified(frame, ["date", "rating"], 4, random_state=0, bins={"date": "year"})
    assert len(sample) == 4 and sample.index.is_unique


def test_weighted_prefers_heavy_items_in_proportion() -> None:
    weights = np.array([1.0, 2.0, 3.0, 4.0, 0.0])
    rng = np.random.default_rng(7)
    counts = np.bincount([weighted_indices(weights, 1, rng)[0] for _ in range(10_000)], minlength=5)
    assert counts[4] == 0
    assert stats.chisquare(counts[:4], 10_000 * weights[:4] / weights.sum()).pvalue > ALPHA
    assert sorted(weighted_indices(weights, 10, random_state=0).tolist()) == [0, 1, 2, 3]
    frame = pd.DataFrame({"w": weights, "name": list("abcde")})
    sample = weighted(frame, "w", 2, random_state=0)
    assert len(sample) == 2 and sample.index.is_monotonic_increasing and "e" not in set(sample["name"])
    with pytest.raises(ValueError):
        weighted_indices([1.0, -1.0], 1, random_state=0)


def test_recency_weights() -> None:
    dates = ["2024-01-01", "2023-01-01", "2022-01-01", None, "2025-01-01"]
    w = recency_weights(dates, half_life_days=365)
    assert w[4] == 1.0 and w[0] == pytest.approx(0.5, rel=0.01) and w[2] == pytest.approx(0.125, rel=0.01)
    assert w[3] == w.min()
    assert recency_weights(dates, half_life_days=365, now="2026-01-01")[4] == pytest.approx(0.5, rel=0.01)
    assert recency_weights(["2030-01-01"], now="2020-01-01").tolist() == [1.0]
    assert recency_weights([None, ""]).tolist() == [1.0, 1.0]


def test_split_by_company_never_leaks_and_holds_fractions() -> None:
    companies = [f"source{i % 3}::Company {i}" for i in range(200)]
    splits = split_by_company(companies, random_state=0)
    assert set(splits) == set(companies)
    sizes = pd.Series(splits).value_counts().to_dict()
    assert sizes == {"train": 140, "validation": 30, "test": 30}
    reviews = pd.DataFrame({"company_key": np.repeat(companies, 5)})
    reviews["split"] = reviews["company_key"].map(splits)
    assert reviews.groupby("company_key")["split"].nunique().max() == 1
    shuffled = list(np.random.default_rng(1).permutation(companies)) + companies[:10]  # order, duplicates
    assert split_by_company(shuffled, random_state=0) == splits
    assert split_by_company(companies, random_state=1) != splits
    grown = split_by_company(companies + ["source9::Newcomer"], random_state=0)
    assert np.mean([grown[c] == splits[c] for c in companies]) > 0.95
    assert set(split_by_company(["a::x", "b::y", "c::z"], random_state=0).values()) == {"train", "validation", "test"}
    with pytest.raises(ValueError):
        split_by_company(companies, fractions=(0.5, 0.2, 0.2))


def test_company_folds_are_balanced_and_disjoint() -> None:
    companies = [f"s::c{i}" for i in range(103)]
    folds = company_folds(companies, n_folds=5, random_state=0)
    sizes = pd.Series(folds).value_counts()
    assert sorted(sizes.index) == [0, 1, 2, 3, 4] and sizes.max() - sizes.min() <= 1
    assert company_folds(companies[::-1], n_folds=5, random_state=0) == folds
    with pytest.raises(ValueError):
        company_folds(companies, n_folds=1)


def test_sample_reviews_is_deterministic_and_order_independent() -> None:
    frame = synthetic_reviews(400)
    for strategy in ("random", "stratified", "recent"):
        chosen = sample_reviews(frame, k=50, strategy=strategy, random_state=0)
        assert len(chosen) == 50 and chosen["review_id"].is_unique
        shuffled = frame.sample(frac=1.0, random_state=1)
        assert sample_reviews(shuffled, k=50, strategy=strategy, random_state=0)["review_id"].tolist() == \
            chosen["review_id"].tolist()
        other = sample_reviews(frame, k=50, strategy=strategy, random_state=1)
        assert set(other["review_id"]) != set(chosen["review_id"])
    # Without ids, ties are broken by content, so shuffling still gives the same sample.
    anonymous = frame.assign(review_id="")
    first = sample_reviews(anonymous, k=30, random_state=0)
    again = sample_reviews(anonymous.sample(frac=1.0, random_state=2), k=30, random_state=0)
    assert first["pros"].tolist() == again["pros"].tolist()


def test_sample_reviews_strategies() -> None:
    frame = synthetic_reviews(400)
    assert len(sample_reviews(frame, k=50, strategy="all")) == 400
    assert len(sample_reviews(frame.head(30), k=50, strategy="random")) == 30
    stratified_sample = sample_reviews(frame, k=50, strategy="stratified")
    expected = allocate(frame["rating_overall"].value_counts().sort_index().to_numpy(), 50)
    assert stratified_sample["rating_overall"].value_counts().sort_index().to_numpy().tolist() == expected.tolist()
    undated = frame.drop(columns=["rating_overall"])
    by_year = sample_reviews(undated, k=50, strategy="stratified")
    year_counts = year_bins(undated["date"]).value_counts().sort_index().to_numpy()
    assert (year_bins(by_year["date"]).value_counts().sort_index().to_numpy().tolist()
            == allocate(year_counts, 50).tolist())
    assert len(sample_reviews(undated.drop(columns=["date"]), k=50, strategy="stratified")) == 50
    recent = sample_reviews(frame, k=50, strategy="recent")
    assert pd.to_datetime(recent["date"]).mean() > pd.to_datetime(frame["date"]).mean() + pd.Timedelta(days=365)
    with pytest.raises(ValueError, match="unknown sampling strategy"):
        sample_reviews(frame, strategy="newest")


def _store(tmp_path: Path, name: str, frame: pd.DataFrame) -> str:
    from sqlalchemy import insert

    from company_reviewer.store import tables
    from company_reviewer.store.db import get_engine

    url = f"sqlite:///{tmp_path / name}"
    rows = [{**{c: row[c] for c in ("company", "source", "review_id", "rating_overall", "headline", "pros", "cons")},
             "date": dt.date.fromisoformat(row["date"]), "content_hash": f"{row['company']}-{row['review_id']}",
             "sub_ratings": {}, "attributes": {}} for row in frame.to_dict("records")]
    with get_engine(url).begin() as connection:
        connection.execute(insert(tables.reviews), rows)
    return url


def test_sample_command_prints_ids_per_company(tmp_path: Path) -> None:
    from company_reviewer.cli.training_data import sample

    frame = pd.concat([synthetic_reviews(120, seed=1, company="Acme"), synthetic_reviews(20, seed=2, company="Tiny")])
    urls = [_store(tmp_path, "a.sqlite", frame), _store(tmp_path, "b.sqlite", frame.sample(frac=1.0, random_state=3))]
    outputs = []
    for url in urls:
        result = CliRunner().invoke(sample, ["--database", url, "-k", "10", "--json"])
        assert result.exit_code == 0, result.output
        outputs.append(json.loads(result.output))
    assert outputs[0] == outputs[1]  # the store's row order does not matter
    by_company = {entry["company"]: entry for entry in outputs[0]}
    assert by_company["Acme"]["n_reviews"] == 120 and len(by_company["Acme"]["review_ids"]) == 10
    assert len(by_company["Tiny"]["review_ids"]) == 10
    result = CliRunner().invoke(sample, ["--database", urls[0], "--company", "Tiny", "-k", "50",
                                         "--strategy", "all"])
    assert result.exit_code == 0 and "Tiny" in result.output and "Acme" not in result.output
    result = CliRunner().invoke(sample, ["--database", urls[0], "--company", "Nobody"])
    assert result.exit_code != 0 and "no reviews found" in result.output
