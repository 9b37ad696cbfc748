"""Sampling reviews and companies: small, pure, seeded functions.

Every function takes ``random_state`` (an int seed, a ``numpy.random.Generator``, or None for
fresh entropy) and touches no global random state. :func:`sample_reviews` is the product's way of
choosing the (up to) k reviews of one company it reads; :func:`split_by_company` and
:func:`company_folds` keep every company's reviews in one split so evaluation never sees a
company the model was trained on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from company_reviewer.data.records import TEXT_FIELDS

T = TypeVar("T")
RandomState = int | np.random.Generator | None
STRATEGIES: tuple[str, ...] = ("all", "random", "stratified", "recent")
SPLIT_NAMES: tuple[str, ...] = ("train", "validation", "test")


def check_random_state(random_state: RandomState) -> np.random.Generator:
    """A Generator for ``random_state``; a Generator passed in is used (and advanced) as is."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    return np.random.default_rng(random_state)


def allocate(sizes: Sequence[float], k: int, min_one: bool = True) -> np.ndarray:
    """Split ``k`` among groups proportionally to ``sizes`` (largest-remainder rounding).

    With ``min_one`` and ``k`` at least the number of non-empty groups, every non-empty group gets
    one; the unit comes from the group whose allocation most exceeds its exact quota, so the
    result stays as close to proportional as the constraint allows. No group gets more than its
    size when sizes are counts and ``k <= sum(sizes)``.
    """
    weights = np.asarray(sizes, dtype=float)
    if k < 0 or np.any(weights < 0) or not np.all(np.isfinite(weights)):
        raise ValueError("allocate needs k >= 0 and finite, non-negative sizes")
    total = weights.sum()
    if total == 0 or k == 0:
        return np.zeros(len(weights), dtype=int)
    quota = k * weights / total
    counts = np.floor(quota).astype(int)
    # Stable ordering makes ties go to the earlier group, so the result is deterministic.
    order = np.argsort(-(quota - counts), kind="stable")
    counts[order[: k - counts.sum()]] += 1
    nonempty = weights > 0
    if min_one and k >= nonempty.sum():
        for group in np.flatnonzero(nonempty & (counts == 0)):
            surplus = np.where(counts > 1, counts - quota, -np.inf)
            counts[int(np.argmax(surplus))] -= 1
            counts[group] = 1
    return counts


def simple_random(n_or_items: int | Sequence[T], k: int, random_state: RandomState) -> np.ndarray | list[T]:
    """``k`` distinct indices of ``range(n)`` (or ``k`` of the items), in random order.

    ``k`` larger than the population takes everything (in random order).
    """
    if k < 0:
        raise ValueError(f"k must be >= 0, got {k}")
    n = n_or_items if isinstance(n_or_items, (int, np.integer)) else len(n_or_items)
    indices = check_random_state(random_state).permutation(int(n))[: min(k, int(n))]
    if isinstance(n_or_items, (int, np.integer)):
        return indices
    return [n_or_items[i] for i in indices]


def year_bins(dates: Iterable[Any]) -> pd.Series:
    """The year of each date (strings, dates or timestamps); missing or unparsable -> <NA>."""
    parsed = pd.to_datetime(pd.Series(list(dates) if not isinstance(dates, pd.Series) else dates),
                            errors="coerce", format="mixed")
    return parsed.dt.year.astype("Int64")


def strata_keys(frame: pd.DataFrame, by: str | Sequence[str],
                bins: Mapping[str, Any] | None = None) -> pd.Series:
    """One hashable stratum label per row.

    ``bins[column]`` may be ``"year"`` (dates binned by year), an int (that many equal-width
    bins) or a sequence of bin edges (``pandas.cut``). Datetime columns without bins are binned
    by year; other columns are used as they are. Missing values form their own stratum.
    """
    columns = [by] if isinstance(by, str) else list(by)
    bins = dict(bins or {})
    parts = []
    for column in columns:
        values = frame[column]
        spec = bins.get(column)
        if spec == "year" or (spec is None and pd.api.types.is_datetime64_any_dtype(values)):
            values = year_bins(values)
        elif spec is not None:
            values = pd.cut(pd.to_numeric(values, errors="coerce"), spec)
        parts.append(values.astype(object).where(values.notna(), None).tolist())
    return pd.Series(list(zip(*parts)), index=frame.index, dtype=object)


def stratified(frame: pd.DataFrame, by: str | Sequence[str], k: int, random_state: RandomState,
               bins: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """``k`` rows drawn without replacement, allocated to strata in proportion to their size.

    Rows come back in their original order. See :func:`allocate` for the rounding and the
    at-least-one rule and :func:`strata_keys` for ``by`` and ``bins``.
    """
    if k >= len(frame):
        return frame.copy()
    rng = check_random_state(random_state)
    keys = strata_keys(frame, by, bins)
    groups: dict[Hashable, list[int]] = {}
    for position, key in enumerate(keys.tolist()):
        groups.setdefault(key, []).append(position)
    # Strata in sorted order, so allocation ties are broken the same way whatever the row order.
    members = [groups[key] for key in sorted(groups, key=_stratum_order)]
    counts = allocate([len(m) for m in members], k)
    chosen: list[int] = []
    for positions, count in zip(members, counts):
        chosen.extend(positions[i] for i in rng.permutation(len(positions))[:count])
    return frame.iloc[sorted(chosen)]


def _stratum_order(key: Hashable) -> tuple:
    values = key if isinstance(key, tuple) else (key,)
    return tuple((v is None, 0, float(v), "") if isinstance(v, (int, float, np.number)) and v is not None
                 else (v is None, 1, 0.0, str(v)) for v in values)


def weighted_indices(weights: Sequence[float] | np.ndarray, k: int, random_state: RandomState) -> np.ndarray:
    """Efraimidis–Spirakis: ``k`` indices without replacement, each draw proportional to weight.

    Returned in draw order. Zero-weight items are never drawn, so fewer than ``k`` come back
    when fewer than ``k`` weights are positive.
    """
    w = np.asarray(weights, dtype=float)
    if np.any(~np.isfinite(w)) or np.any(w < 0):
        raise ValueError("weights must be finite and non-negative")
    positive = np.flatnonzero(w > 0)
    rng = check_random_state(random_state)
    # key = u ** (1 / w); its logarithm avoids underflow for small weights.
    keys = np.log(1.0 - rng.random(len(positive))) / w[positive]
    order = np.argsort(-keys, kind="stable")[: max(0, min(k, len(positive)))]
    return positive[order]


def weighted(frame: pd.DataFrame, weights: Sequence[float] | np.ndarray | str, k: int,
             random_state: RandomState) -> pd.DataFrame:
    """``k`` rows without replacement, drawn with probability proportional to ``weights``
    (an array aligned with the rows, or a column name); rows come back in original order."""
    values = frame[weights].to_numpy(dtype=float) if isinstance(weights, str) else np.asarray(weights, float)
    if len(values) != len(frame):
        raise ValueError(f"{len(values)} weights for {len(frame)} rows")
    return frame.iloc[np.sort(weighted_indices(values, k, random_state))]


def recency_weights(dates: Iterable[Any], half_life_days: float = 365.0, now: Any = None) -> np.ndarray:
    """Weights halving every ``half_life_days`` of age: ``0.5 ** (age_days / half_life_days)``.

    ``now`` defaults to the latest of the dates (not the clock) so results are reproducible.
    Dates after ``now`` weigh 1; missing dates get the smallest weight among the dated ones
    (all 1 when no date is known).
    """
    if half_life_days <= 0:
        raise ValueError("half_life_days must be positive")
    parsed = pd.to_datetime(pd.Series(list(dates)), errors="coerce", format="mixed")
    if parsed.isna().all():
        return np.ones(len(parsed))
    reference = parsed.max() if now is None else pd.Timestamp(now)
    age_days = ((reference - parsed).dt.total_seconds() / 86400.0).clip(lower=0)
    result = np.power(0.5, age_days.to_numpy(dtype=float) / half_life_days)
    result[np.isnan(result)] = np.nanmin(result)
    return result


def canonical_order(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows sorted by a content-derived key, so any shuffle of the input sorts the same.

    The key is ``review_key`` (else ``review_id``) and, to break ties such as empty ids, a
    fixed-key hash of the row's review fields.
    """
    key_column = "review_key" if "review_key" in frame.columns else "review_id"
    content = [c for c in ("company", "source", "date", "rating_overall", *TEXT_FIELDS) if c in frame.columns]
    keys = pd.DataFrame({
        "key": frame[key_column].astype(str).to_numpy() if key_column in frame.columns else "",
        "hash": pd.util.hash_pandas_object(frame[content].astype(str), index=False).to_numpy()
        if content else 0,
    })
    order = keys.sort_values(["key", "hash"], kind="mergesort").index.to_numpy()
    return frame.iloc[order]


def sample_reviews(frame: pd.DataFrame, k: int = 50, strategy: str = "stratified",
                   random_state: RandomState = 0) -> pd.DataFrame:
    """Choose up to ``k`` reviews of one company, deterministically and independent of row order.

    Strategies: ``"all"`` (every review), ``"random"``, ``"stratified"`` (by ``rating_overall``
    when any row has one, else by date year, else random) and ``"recent"`` (recency-weighted,
    one-year half-life; random when no dates). A company with at most ``k`` reviews gives all.
    Rows come back in canonical order (:func:`canonical_order`) with their original index.
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown sampling strategy {strategy!r}; choose one of {STRATEGIES}")
    ordered = canonical_order(frame)
    if strategy == "all" or len(ordered) <= k:
        return ordered
    rng = check_random_state(random_state)
    ratings = (pd.to_numeric(ordered["rating_overall"], errors="coerce")
               if "rating_overall" in ordered.columns else pd.Series(dtype=float))
    years = year_bins(ordered["date"]) if "date" in ordered.columns else pd.Series(dtype="Int64")
    if strategy == "stratified" and ratings.notna().any():
        return stratified(ordered.assign(_stratum=ratings.to_numpy()), "_stratum", k, rng).drop(columns="_stratum")
    if strategy == "stratified" and years.notna().any():
        return stratified(ordered.assign(_stratum=years.to_numpy()), "_stratum", k, rng).drop(columns="_stratum")
    if strategy == "recent" and years.notna().any():
        return weighted(ordered, recency_weights(ordered["date"]), k, rng)
    return ordered.iloc[np.sort(simple_random(len(ordered), k, rng))]


def _company_rank(companies: Sequence[str], random_state: RandomState) -> list[str]:
    """Distinct companies in a seeded pseudo-random order that ignores the input order.

    Each company's rank comes from a hash of (seed, key), so adding a company moves no other
    company relative to the rest.
    """
    if isinstance(random_state, np.random.Generator):
        seed = int(random_state.integers(2**63))
    elif random_state is None:
        seed = int(np.random.default_rng().integers(2**63))
    else:
        seed = int(random_state)
    distinct = sorted(set(companies))
    return sorted(distinct, key=lambda c: hashlib.sha256(f"{seed}\x00{c}".encode("utf-8")).digest())


def split_by_company(companies: Sequence[str], fractions: Sequence[float] = (0.7, 0.15, 0.15),
                     random_state: RandomState = 0, names: Sequence[str] = SPLIT_NAMES) -> dict[str, str]:
    """Assign each company key ("source::company", treated as opaque) to one split.

    Split sizes follow ``fractions`` by largest-remainder rounding, with at least one company per
    split of positive fraction when there are enough companies.
    """
    fractions_arr = np.asarray(fractions, dtype=float)
    if len(fractions_arr) != len(names) or np.any(fractions_arr < 0) or not np.isclose(fractions_arr.sum(), 1.0):
        raise ValueError(f"fractions {tuple(fractions)} must be {len(names)} non-negative numbers summing to 1")
    ranked = _company_rank(companies, random_state)
    counts = allocate(fractions_arr, len(ranked))
    bounds = np.concatenate([[0], np.cumsum(counts)])
    return {company: names[int(np.searchsorted(bounds, rank, side="right")) - 1]
            for rank, company in enumerate(ranked)}


def company_folds(companies: Sequence[str], n_folds: int = 5, random_state: RandomState = 0) -> dict[str, int]:
    """Assign each company to one of ``n_folds`` cross-validation folds of near-equal size."""
    if n_folds < 2:
        raise ValueError("n_folds must be at least 2")
    return {company: rank % n_folds for rank, company in enumerate(_company_rank(companies, random_state))}
