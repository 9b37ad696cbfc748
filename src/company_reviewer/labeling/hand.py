"""Hand labels of aspect-sentiment: per unit, the dimensions it speaks to and a sentiment for each.

Made by reading units against ``docs/labeling-guidelines.md``. The packaged files
(``labeling/gold/hand_en.csv``, ``hand_de.csv`` and the second, independent labelling
``hand_second.csv``) hold references only: ``source, company, review_key, field, start, end,
unit_hash, labels`` where ``labels`` is ``dimension:sentiment`` pairs joined by ``;`` (empty for
``{}``). English references point into the shared Glassdoor reviews as ingest stores them
(:func:`~company_reviewer.labeling.gold.canonical_reviews`), German ones into the kununu file's
``text_<category>`` answers (:func:`~company_reviewer.labeling.gold.kununu_units`).

The workflow: :func:`sample_units` picks what is read (rare dimensions oversampled by a keyword
pre-filter, which only decides what is read), :func:`write_batches` writes numbered batches of
unit text *outside* the repository for annotators, :func:`import_labels` turns their answers back
into references.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from company_reviewer.labeling.gold import gold_path, unit_hash
from company_reviewer.taxonomy import load_taxonomy

HAND_COLUMNS: tuple[str, ...] = ("source", "company", "review_key", "field", "start", "end",
                                 "unit_hash", "labels")
SENTIMENTS: tuple[str, ...] = ("positive", "negative", "neutral")


def parse_labels(value: str) -> dict[str, str]:
    """``"salary:positive;benefits:neutral"`` -> ``{"salary": "positive", ...}`` (validated)."""
    out: dict[str, str] = {}
    for pair in filter(None, str(value or "").split(";")):
        dimension, _, sentiment = pair.partition(":")
        if sentiment not in SENTIMENTS:
            raise ValueError(f"label {pair!r}: sentiment must be one of {SENTIMENTS}")
        out[dimension] = sentiment
    return out


def format_labels(labels: dict[str, str], order: tuple[str, ...] | None = None) -> str:
    order = order or tuple(load_taxonomy("default").ids)
    unknown = set(labels) - set(order)
    if unknown:
        raise ValueError(f"unknown dimensions {sorted(unknown)}")
    bad = {d: s for d, s in labels.items() if s not in SENTIMENTS}
    if bad:
        raise ValueError(f"bad sentiments {bad}")
    return ";".join(f"{d}:{labels[d]}" for d in order if d in labels)


def load_hand_references(name: str) -> pd.DataFrame:
    """The reference rows of ``labeling/gold/<name>.csv`` (labels validated)."""
    path = gold_path(name)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = set(HAND_COLUMNS) - set(frame.columns)
    if missing:
        raise ValueError(f"hand label file {path}: missing columns {sorted(missing)}")
    ids = tuple(load_taxonomy("default").ids)
    for row, value in enumerate(frame["labels"]):
        labels = parse_labels(value)
        if set(labels) - set(ids):
            raise ValueError(f"{path} row {row}: unknown dimensions {sorted(set(labels) - set(ids))}")
    return frame[list(HAND_COLUMNS)].astype({"start": "int64", "end": "int64"})


def _resolve(references: pd.DataFrame, texts_by_field: dict[tuple[str, str], str],
             company_by_key: dict[str, str], strict: bool = True) -> pd.DataFrame:
    """Add each reference's ``text``. A reference whose offsets no longer hold its fingerprint
    (cleaning changed the review, so its derived id or offsets moved) is found again among the
    units of the same company and field; one found nowhere raises."""
    from company_reviewer.units import unit_spans

    out = references.copy()
    texts: list[str] = []
    lost: list[int] = []
    for position, row in enumerate(references.itertuples(index=False)):
        value = texts_by_field.get((row.review_key, row.field))
        text = value[row.start:row.end] if isinstance(value, str) else ""
        if not text or unit_hash(text) != row.unit_hash:
            lost.append(position)
        texts.append(text)
    if lost:
        by_company: dict[tuple[str, str], dict[str, tuple[str, int, int, str]]] = {}
        wanted = {(references.iat[p, references.columns.get_loc("company")],
                   references.iat[p, references.columns.get_loc("field")]) for p in lost}
        for (key, field), value in texts_by_field.items():
            group = (company_by_key.get(key, ""), field)
            if group not in wanted or not isinstance(value, str) or not value:
                continue
            index = by_company.setdefault(group, {})
            for start, end in unit_spans(value):
                index.setdefault(unit_hash(value[start:end]), (key, start, end, value[start:end]))
        still = []
        for position in lost:
            row = references.iloc[position]
            found = by_company.get((row["company"], row["field"]), {}).get(row["unit_hash"])
            if found is None:
                still.append(f"{row['review_key']} {row['field']}[{row['start']}:{row['end']}]")
                continue
            out.iat[position, out.columns.get_loc("review_key")] = found[0]
            out.iat[position, out.columns.get_loc("start")] = found[1]
            out.iat[position, out.columns.get_loc("end")] = found[2]
            texts[position] = found[3]
        if still and not strict:
            keep = [p for p in range(len(out)) if texts[p] and unit_hash(texts[p]) == out["unit_hash"].iat[p]]
            return out.assign(text=texts).iloc[keep].reset_index(drop=True)
        if still:
            from company_reviewer.labeling.gold import GoldResolutionError

            raise GoldResolutionError(f"{len(still)} of {len(references)} hand-label references are not found in "
                                      f"the shared data any more (first: {still[:5]}); re-label them.")
    return out.assign(text=texts)


def hand_gold(language: str = "en", name: str | None = None, strict: bool = True) -> pd.DataFrame:
    """Resolved hand labels of ``hand_<language>`` (or the file ``name``): the references plus
    ``text``, ``language`` and ``label`` (a dict). ``strict=False`` drops references whose unit
    is gone instead of raising."""
    from company_reviewer.labeling.gold import canonical_reviews

    references = load_hand_references(name or f"hand_{language}")
    parts = []
    english = references[references["source"] != "kununu"]
    if len(english):
        reviews = canonical_reviews().drop_duplicates("review_key")
        reviews = reviews[reviews["company"].isin(set(english["company"]))]
        fields = sorted(set(english["field"]))
        lookup = {(key, field): value for field in fields
                  for key, value in zip(reviews["review_key"], reviews[field])}
        parts.append(_resolve(english, lookup, dict(zip(reviews["review_key"], reviews["company"])), strict)
                     .assign(language="en"))
    german = references[references["source"] == "kununu"]
    if len(german):
        flat = pd.read_csv(_kununu_path(), dtype=str, keep_default_na=False)
        lookup = {}
        for column in [c for c in flat.columns if c.startswith("text_")]:
            for review_id, text in zip(flat["review_id"], flat[column]):
                lookup[(f"kununu:{review_id}", column)] = text
        companies = {f"kununu:{r}": c for r, c in zip(flat["review_id"], flat["company"])}
        parts.append(_resolve(german, lookup, companies, strict).assign(language="de"))
    out = pd.concat(parts).reset_index(drop=True) if parts else references.assign(text=[], language=[])
    out["label"] = [parse_labels(v) for v in out["labels"]]
    return out


def _kununu_path() -> Path:
    from company_reviewer.config import shared_data_dir

    return shared_data_dir() / "kununu" / "reviews_flat.csv.gz"


def label_matrices(gold: pd.DataFrame, ids: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """``Y`` (n, d) 0/1 presence and ``S`` (n, d) sentiment index (-1 where absent)."""
    index = {d: i for i, d in enumerate(ids)}
    Y = np.zeros((len(gold), len(ids)), dtype=np.int8)
    S = np.full((len(gold), len(ids)), -1, dtype=np.int8)
    for row, labels in enumerate(gold["label"]):
        for dimension, sentiment in labels.items():
            if dimension in index:
                Y[row, index[dimension]] = 1
                S[row, index[dimension]] = SENTIMENTS.index(sentiment)
    return Y, S


# -- sampling and annotation batches (maintainer workflow; text stays outside the repository) ---

def sample_units(units: pd.DataFrame, n: int, *, rare_min: int = 160, random_state: int = 20261202,
                 exclude: set[str] | None = None) -> pd.DataFrame:
    """A seeded sample for annotation: many companies, all fields, rare dimensions oversampled.

    For each dimension a keyword/regex pre-filter marks candidate units; every dimension first
    gets ``rare_min`` of its candidates (companies round-robin, one unit per review), then the
    rest is filled at random. ``exclude`` holds unit fingerprints already labelled.
    """
    from company_reviewer.labeling.applier import make_batch
    from company_reviewer.labeling.functions import keyword_lfs, regex_lfs

    rng = np.random.default_rng(random_state)
    units = units[units["text"].str.len().between(3, 400)].copy()
    units["unit_hash"] = [unit_hash(t) for t in units["text"]]
    units = units.drop_duplicates("unit_hash")
    if exclude:
        units = units[~units["unit_hash"].isin(exclude)]
    units = units.iloc[rng.permutation(len(units))].reset_index(drop=True)
    taxonomy = load_taxonomy("default")
    batch = make_batch(units)
    hits = np.zeros((len(units), len(taxonomy)), dtype=bool)
    for lf in keyword_lfs(taxonomy) + regex_lfs(taxonomy):
        votes = lf.batch(batch)
        for label in lf.targets:
            hits[:, label] |= votes == label
    rank = units.groupby("company").cumcount().to_numpy()
    chosen: list[int] = []
    taken = np.zeros(len(units), dtype=bool)
    order = np.argsort(hits.sum(axis=0))  # rarest first
    for d in order:
        candidates = np.flatnonzero(hits[:, d] & ~taken)
        candidates = candidates[np.argsort(rank[candidates], kind="stable")]
        already = int((hits[taken][:, d]).sum()) if taken.any() else 0
        pick = candidates[: max(0, rare_min - already)]
        taken[pick] = True
        chosen.extend(pick.tolist())
    rest = np.flatnonzero(~taken)
    rest = rest[np.argsort(rank[rest], kind="stable")]
    chosen.extend(rest[: max(0, n - len(chosen))].tolist())
    picked = units.iloc[chosen[:n]]
    return picked.iloc[rng.permutation(len(picked))].reset_index(drop=True)


def write_batches(sample: pd.DataFrame, directory: Path, prefix: str, size: int) -> list[Path]:
    """Write ``<prefix>_NN.jsonl`` batches (``uid, field, text``) and ``<prefix>_index.csv``."""
    directory.mkdir(parents=True, exist_ok=True)
    sample = sample.assign(uid=[f"{prefix}-{i:05d}" for i in range(len(sample))])
    sample[["uid", *HAND_COLUMNS[:-1]]].to_csv(directory / f"{prefix}_index.csv", index=False)
    paths = []
    for number, start in enumerate(range(0, len(sample), size), start=1):
        path = directory / f"{prefix}_{number:02d}.jsonl"
        with path.open("w", encoding="utf-8") as handle:
            for row in sample.iloc[start:start + size].itertuples(index=False):
                handle.write(json.dumps({"uid": row.uid, "field": row.field, "text": row.text},
                                        ensure_ascii=False) + "\n")
        paths.append(path)
    return paths


def import_labels(index_csv: Path, label_files: list[Path]) -> pd.DataFrame:
    """Annotators' ``{"uid", "labels": {dim: sentiment}}`` lines joined back to references."""
    index = pd.read_csv(index_csv, dtype=str, keep_default_na=False).set_index("uid")
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for path in label_files:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            answer = json.loads(line)
            uid = answer["uid"]
            if uid in seen or uid not in index.index:
                raise ValueError(f"{path}:{number}: uid {uid!r} duplicated or unknown")
            seen.add(uid)
            rows.append({**index.loc[uid].to_dict(), "labels": format_labels(answer.get("labels") or {})})
    return pd.DataFrame(rows, columns=list(HAND_COLUMNS))


def reanchor_hand(name: str) -> tuple[int, int]:
    """Rewrite ``labeling/gold/<name>.csv`` with every reference moved to where its unit is now
    (cleaning changes move derived ids and offsets); references whose unit text no longer exists
    are dropped. Returns ``(kept, dropped)``."""
    references = load_hand_references(name)
    resolved = hand_gold(name=name, strict=False)
    kept = resolved[list(HAND_COLUMNS)]
    kept.to_csv(gold_path(name), index=False)
    return len(kept), len(references) - len(kept)


def main(argv: list[str] | None = None) -> int:
    """``python -m company_reviewer.labeling.hand [--reanchor]``: check (or repair) the hand labels."""
    import argparse

    parser = argparse.ArgumentParser(description="Check that the hand-label references resolve.")
    parser.add_argument("--reanchor", action="store_true", help="rewrite moved references in place")
    args = parser.parse_args(argv)
    for name in ("hand_en", "hand_de", "hand_second"):
        if args.reanchor:
            kept, dropped = reanchor_hand(name)
            print(f"{name}: kept {kept}, dropped {dropped}")
        else:
            print(f"{name}: all {len(hand_gold(name=name))} references resolve")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
