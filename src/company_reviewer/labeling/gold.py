"""Gold sets for the labeling functions: references into the shared data, never review text.

Two gold sets are used:

* ``dev_references`` - opinion units of Glassdoor reviews hand-labeled with the dimension(s) they
  talk about and their polarity. The packaged CSV (``labeling/gold/dev_references.csv``) holds
  references only: ``source, company, review_key, field, start, end, dimensions, polarity`` and
  ``unit_hash`` (12 hex digits of the SHA-1 of the unit text: a fingerprint, not the text). The
  derived ids of reviews without a platform id hash the cleaned review, so a change to cleaning
  moves them; :func:`reanchor_gold` finds each unit again by its fingerprint.
  :func:`glassdoor_gold` reads the reviews from the shared data exactly as the ingest pipeline
  stores them (preset, cleaning, derived ids), slices the text back out and checks it is an
  opinion unit at those offsets; a reference that no longer resolves raises
  :class:`GoldResolutionError` instead of silently shrinking the gold set.
* ``kununu`` - German kununu answers, already sorted by kununu into categories: every unit of a
  category's answer gets that category's ``maps_to`` dimensions (categories mapping to nothing
  are left out). No polarity. The category is the label here, so no labeling function may read it.

Annotation guide used for ``dev_references`` (one annotator, reading each unit in isolation, as
the labeling functions do): a dimension is assigned when the unit states or clearly implies an
opinion or fact about it ("long hours" -> work_life_balance, "great team" -> colleagues); several
when it covers several ("good pay and benefits"); none for generic verdicts ("great company"),
the work itself ("interesting projects"), products, strategy, job titles or empty answers ("none").
Polarity is the sentiment of the unit itself: positive or negative; a bare topic listed under
pros or cons ("benefits") takes the field's polarity and "no cons" is positive; neutral for
facts, job titles, mixed statements and advice that states no judgement ("pay people more").
"""

from __future__ import annotations

import functools
import hashlib
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from company_reviewer.config import shared_data_dir
from company_reviewer.taxonomy import Taxonomy, load_taxonomy

GOLD_COLUMNS: tuple[str, ...] = ("source", "company", "review_key", "field", "start", "end",
                                 "dimensions", "polarity", "unit_hash")
POLARITIES: tuple[str, ...] = ("positive", "negative", "neutral")
KUNUNU_TEXT_PREFIX = "text_"


class GoldResolutionError(ValueError):
    """Gold references that do not point at the same text in the shared data any more."""


def unit_hash(text: str) -> str:
    """The fingerprint a gold reference keeps of its unit's text."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def gold_path(name: str = "dev_references") -> Path:
    """The packaged gold reference file ``labeling/gold/<name>.csv``."""
    return Path(str(resources.files("company_reviewer.labeling") / "gold" / f"{name}.csv"))


@functools.lru_cache(maxsize=2)
def _canonical_reviews_cached(path: str) -> pd.DataFrame:
    from company_reviewer.data.load import canonical_chunks
    from company_reviewer.data.validate import Accepted, to_review
    from company_reviewer.store.repository import company_key, review_key

    records: list[dict[str, Any]] = []
    for canonical in canonical_chunks(path):
        # to_review is what ingest runs, so derived ids ("h" + content hash) match the store.
        for row in canonical.to_dict("records"):
            outcome = to_review(row)
            if isinstance(outcome, Accepted):
                records.append({**outcome.review.model_dump(), "source_row": int(row["_row"])})
    frame = pd.DataFrame.from_records(records)
    frame.insert(0, "review_key", [review_key(s, i) for s, i in zip(frame["source"], frame["review_id"])])
    frame.insert(1, "company_key", [company_key(s, c) for s, c in zip(frame["source"], frame["company"])])
    # Identical re-posted reviews share a derived id; the store keeps one, so do we.
    return frame.drop_duplicates("review_key").reset_index(drop=True)


def canonical_reviews(path: str | Path | None = None) -> pd.DataFrame:
    """Reviews of a file as the ingest pipeline would store them (no database involved).

    Default: the shared Glassdoor reviews. Columns: ``review_key`` (source:review_id),
    ``company_key``, the canonical review fields and ``source_row`` (the reader's 1-based record
    number in the file). Cached per path for the process.
    """
    path = Path(path) if path is not None else shared_data_dir() / "glassdoor" / "reviews.csv.gz"
    if not path.is_file():
        raise FileNotFoundError(f"review file not found: {path} (set COMPANY_REVIEWER_SHARED_DATA)")
    return _canonical_reviews_cached(str(path)).copy()


def review_units(reviews: pd.DataFrame, fields: tuple[str, ...] | None = None) -> pd.DataFrame:
    """The opinion units of ``reviews`` (all text fields by default) with their review's source,
    company and language."""
    from company_reviewer.data.records import TEXT_FIELDS
    from company_reviewer.units import split_frame

    fields = TEXT_FIELDS if fields is None else fields
    units = split_frame(reviews, fields=fields)
    meta_columns = [c for c in ("source", "company", "company_key", "language") if c in reviews]
    meta = reviews.drop_duplicates("review_key").set_index("review_key")[meta_columns]
    return units.join(meta, on="review_key")


def load_gold_references(path: str | Path | None = None) -> pd.DataFrame:
    """The reference rows of a gold CSV (``GOLD_COLUMNS``; dimensions as a ``;``-joined string)."""
    path = Path(path) if path is not None else gold_path()
    # Everything as text: a fingerprint of only digits must not lose its leading zeros.
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = set(GOLD_COLUMNS) - set(frame.columns)
    if missing:
        raise ValueError(f"gold file {path}: missing columns {sorted(missing)}")
    bad = ~frame["polarity"].isin(POLARITIES)
    if bad.any():
        raise ValueError(f"gold file {path}: polarity must be one of {POLARITIES}, "
                         f"rows {frame.index[bad].tolist()[:10]}")
    return frame[list(GOLD_COLUMNS)].astype({"start": "int64", "end": "int64"})


def _reference_problems(references: pd.DataFrame, reviews: pd.DataFrame) -> tuple[list[str], list[str | None]]:
    """The text at each reference and what is wrong with it (None when it resolves)."""
    from company_reviewer.units import unit_spans

    by_key = reviews.drop_duplicates("review_key").set_index("review_key")
    texts: list[str] = []
    problems: list[str | None] = []
    spans_cache: dict[tuple[str, str], set[tuple[int, int]]] = {}
    for row in references.itertuples(index=False):
        start, end = int(row.start), int(row.end)
        value = (by_key.at[row.review_key, row.field]
                 if row.review_key in by_key.index and row.field in by_key.columns else None)
        if not isinstance(value, str) or not value:
            texts.append("")
            problems.append("review or field not found")
            continue
        key = (row.review_key, row.field)
        if key not in spans_cache:
            spans_cache[key] = set(unit_spans(value))
        text = value[start:end]
        texts.append(text)
        if (start, end) not in spans_cache[key]:
            problems.append("offsets are not an opinion unit of the field")
        elif getattr(row, "unit_hash", "") and unit_hash(text) != row.unit_hash:
            problems.append("the text at these offsets is not the annotated one")
        else:
            problems.append(None)
    return texts, problems


def resolve_gold(references: pd.DataFrame, reviews: pd.DataFrame) -> pd.DataFrame:
    """``references`` with the unit ``text`` (and review ``language``) added from ``reviews``.

    Every reference must name a stored review, a text field of it, offsets that are exactly one
    of its opinion units (so what was annotated is what the labeling functions see) and, when
    the reference has a fingerprint, the annotated text.
    """
    texts, problems = _reference_problems(references, reviews)
    bad = [f"{r.review_key} {r.field}[{r.start}:{r.end}]: {p}"
           for r, p in zip(references.itertuples(index=False), problems) if p]
    if bad:
        shown = "\n  ".join(bad[:20])
        raise GoldResolutionError(f"{len(bad)} of {len(references)} gold references do not resolve:\n  "
                                  f"{shown}\nIf review cleaning changed, run "
                                  f"`python -m company_reviewer.labeling.gold --reanchor`.")
    out = references.copy()
    out["text"] = texts
    by_key = reviews.drop_duplicates("review_key").set_index("review_key")
    if "language" in by_key.columns:
        languages = by_key["language"].reindex(out["review_key"]).fillna("").to_numpy()
        out["language"] = np.where(languages == "", "en", languages)
    else:
        out["language"] = "en"
    return out


def reanchor_gold(references: pd.DataFrame, reviews: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """References moved to where their unit's fingerprint is now: ``(kept, lost)``.

    A reference that still resolves is kept as is; otherwise the units of the same source,
    company and field are searched for the fingerprint (the first match in review order wins,
    identical units being interchangeable). References found nowhere are returned as ``lost``.
    """
    from company_reviewer.units import split_frame

    _, problems = _reference_problems(references, reviews)
    kept, lost = [], []
    candidates: dict[tuple[str, str, str], pd.DataFrame] = {}
    for (_, row), problem in zip(references.iterrows(), problems):
        if problem is None:
            kept.append(row)
            continue
        group = (row["source"], row["company"], row["field"])
        if group not in candidates:
            subset = reviews[(reviews["source"] == group[0]) & (reviews["company"] == group[1])]
            units = split_frame(subset, fields=(group[2],))
            candidates[group] = units.assign(unit_hash=[unit_hash(t) for t in units["text"]])
        found = candidates[group][candidates[group]["unit_hash"] == row["unit_hash"]]
        if found.empty:
            lost.append(row)
            continue
        moved = row.copy()
        moved["review_key"] = found.iloc[0]["review_key"]
        moved["start"], moved["end"] = int(found.iloc[0]["start"]), int(found.iloc[0]["end"])
        kept.append(moved)
    columns = list(GOLD_COLUMNS)
    return (pd.DataFrame(kept, columns=columns).reset_index(drop=True),
            pd.DataFrame(lost, columns=columns).reset_index(drop=True))


def glassdoor_gold(path: str | Path | None = None, reviews: pd.DataFrame | None = None) -> pd.DataFrame:
    """The resolved Glassdoor gold set: references plus ``text`` and ``language``."""
    references = load_gold_references(path)
    if reviews is None:
        reviews = canonical_reviews()
    return resolve_gold(references, reviews)


def kununu_units(path: str | Path | None = None) -> pd.DataFrame:
    """Units of every ``text_<section>`` answer of the kununu file, with the section name.

    Columns: ``source, company, review_key, field`` (the text column), ``start, end, text,
    language`` (``de``) and ``section`` (the column name without ``text_``).
    """
    from company_reviewer.units import unit_spans

    path = Path(path) if path is not None else shared_data_dir() / "kununu" / "reviews_flat.csv.gz"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    rows: list[dict[str, Any]] = []
    for column in [c for c in frame.columns if c.startswith(KUNUNU_TEXT_PREFIX)]:
        for company, review_id, text in zip(frame["company"], frame["review_id"], frame[column]):
            for start, end in unit_spans(text):
                rows.append({"source": "kununu", "company": company, "review_key": f"kununu:{review_id}",
                             "field": column, "start": start, "end": end, "text": text[start:end],
                             "language": "de", "section": column[len(KUNUNU_TEXT_PREFIX):]})
    return pd.DataFrame(rows)


def kununu_gold(taxonomy: Taxonomy | None = None, path: str | Path | None = None,
                units: pd.DataFrame | None = None) -> pd.DataFrame:
    """German gold units: each kununu category answer split into units, labeled with ``maps_to``.

    Columns: those of :func:`kununu_units` plus ``category`` (kununu taxonomy id),
    ``dimensions`` (``;``-joined ids) and ``polarity`` (empty: unknown). Categories that map to
    no dimension of ``taxonomy`` and the free-text sections are left out.
    """
    taxonomy = taxonomy or load_taxonomy("default")
    units = kununu_units(path) if units is None else units
    by_label = {c.label: c for c in load_taxonomy("kununu")}
    category = units["section"].map(lambda s: by_label[s].id if s in by_label else "")
    targets = units["section"].map(
        lambda s: ";".join(d for d in by_label[s].maps_to if d in taxonomy) if s in by_label else "")
    gold = units.assign(category=category, dimensions=targets, polarity="")
    return gold[gold["dimensions"] != ""].reset_index(drop=True)


def gold_matrix(gold: pd.DataFrame, taxonomy: Taxonomy | None = None) -> np.ndarray:
    """``(n_units, n_dimensions)`` 0/1 matrix of the gold dimensions, in taxonomy order."""
    taxonomy = taxonomy or load_taxonomy("default")
    index = {d: i for i, d in enumerate(taxonomy.ids)}
    out = np.zeros((len(gold), len(index)), dtype=np.int8)
    for row, value in enumerate(gold["dimensions"].fillna("")):
        for dimension in filter(None, str(value).split(";")):
            if dimension not in index:
                raise ValueError(f"gold dimension {dimension!r} is not in taxonomy {taxonomy.name!r}")
            out[row, index[dimension]] = 1
    return out


def main(argv: list[str] | None = None) -> int:
    """``python -m company_reviewer.labeling.gold [--reanchor]``: check (or repair) the gold file."""
    import argparse

    parser = argparse.ArgumentParser(description="Check that the Glassdoor gold references resolve.")
    parser.add_argument("--reanchor", action="store_true", help="rewrite moved references in place")
    args = parser.parse_args(argv)
    references, reviews = load_gold_references(), canonical_reviews()
    if not args.reanchor:
        resolve_gold(references, reviews)
        print(f"all {len(references)} gold references resolve")
        return 0
    kept, lost = reanchor_gold(references, reviews)
    kept.astype({"start": "int64", "end": "int64"}).to_csv(gold_path(), index=False)
    print(f"kept {len(kept)} references, lost {len(lost)}: {lost['review_key'].tolist()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
