"""Which companies to evaluate, their reviews, and the platform ratings to score against.

Ground truth for a category is the mean platform sub-rating of (a) the same sampled reviews the
model read — what the text can reflect — and (b) all of the company's reviews — what a reader of
the platform sees. A truth needs at least ``min_rated`` reviews that gave that sub-rating.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from company_reviewer.evaluate.schemes import OVERALL, RatingScheme

MIN_RATED = 10
HELD_OUT_SPLITS = ("validation", "test")  # "dev": every company the shipped bundle was not trained on


def load_frame(input_path: str | Path | None = None, *, database_url: str | None = None,
               preset: str | None = None) -> pd.DataFrame:
    """Reviews with a ``company_key`` ("source::company"): from a file any ``ingest`` reads, from the
    store (``database_url``), or by default the shared Glassdoor file through the glassdoor preset."""
    if database_url is not None and input_path is None:
        from company_reviewer.store.db import get_engine
        from company_reviewer.store.repository import load_reviews_frame

        return load_reviews_frame(get_engine(database_url))
    from company_reviewer.data.load import read_reviews

    if input_path is None:
        from company_reviewer.config import shared_data_dir

        input_path, preset = shared_data_dir() / "glassdoor" / "reviews.csv.gz", preset or "glassdoor"
    frame, _ = read_reviews(input_path, preset=preset)
    frame["company_key"] = frame["source"].astype(str) + "::" + frame["company"].astype(str)
    return frame


def bundle_splits(artifact: str | Path | None = None) -> dict[str, list[str]]:
    """The train/validation/test company keys recorded in an embedded bundle's manifest."""
    from company_reviewer.reviewer.embedded.bundle import MANIFEST, default_artifact_path

    path = Path(artifact) if artifact else default_artifact_path()
    manifest = path / MANIFEST
    if not manifest.exists():
        return {}
    meta = json.loads(manifest.read_text())
    if meta.get("rating_refit_all"):
        raise ValueError(f"the bundle at {path} was refit on every company (`train --refit-all`), so no company "
                         "is held out of it; pass --companies all, a comma list or a file, and read the "
                         "figures as in-sample")
    return meta.get("splits", {})


def resolve_companies(spec: str, frame: pd.DataFrame, *, artifact: str | Path | None = None,
                      random_state: int = 0) -> list[str]:
    """Company keys for ``--companies``: ``dev`` (held out of training: the bundle's validation and
    test companies), ``test``, ``validation``, ``train``, ``all``, a comma list of names or
    ``source::company`` keys, or a file with one per line. Only companies present in ``frame``."""
    keys = frame["company_key"].drop_duplicates().tolist()
    present = set(keys)
    spec = spec.strip()
    if spec == "all":
        return keys
    if spec in ("dev", "test", "validation", "train"):
        splits = bundle_splits(artifact) or _recomputed_splits(frame, random_state)
        wanted = HELD_OUT_SPLITS if spec == "dev" else (spec,)
        chosen = [k for split in wanted for k in splits.get(split, []) if k in present]
        if not chosen:
            raise ValueError(f"none of the {spec} companies of the model's train/dev split are in this data; "
                             "pass --companies all, a comma list, or a file of names")
        return sorted(chosen)
    names = Path(spec).read_text(encoding="utf-8").splitlines() if _is_file(spec) else spec.split(",")
    by_name: dict[str, list[str]] = {}
    for key in keys:
        by_name.setdefault(key.split("::", 1)[-1], []).append(key)
    chosen, missing = [], []
    for name in (n.strip() for n in names):
        if not name:
            continue
        matches = [name] if name in present else by_name.get(name, [])
        chosen.extend(m for m in matches if m not in chosen)
        if not matches:
            missing.append(name)
    if missing:
        raise ValueError(f"no reviews for {', '.join(missing)}; see `company-reviewer companies` "
                         "or use source::company keys")
    return chosen


def _is_file(spec: str) -> bool:
    try:
        return Path(spec).is_file()
    except OSError:  # a long comma list is no valid path
        return False


def _recomputed_splits(frame: pd.DataFrame, random_state: int) -> dict[str, list[str]]:
    """The split ``train`` makes (companies with enough reviews, split by company), for bundles
    without a recorded one."""
    from company_reviewer.train import TrainConfig, split_companies

    splits = split_companies(frame, TrainConfig(random_state=random_state))
    out: dict[str, list[str]] = {}
    for key, split in splits.items():
        out.setdefault(split, []).append(key)
    return out


def sub_rating_matrix(reviews: pd.DataFrame, scheme: RatingScheme) -> pd.DataFrame:
    """One column per scored category (plus ``overall``), one row per review; NaN where not rated."""
    columns = {}
    for category in scheme.scored:
        columns[category.key] = [float(s[category.key]) if isinstance(s, dict) and s.get(category.key) is not None
                                 else np.nan for s in reviews["sub_ratings"]]
    if scheme.overall:
        columns[OVERALL] = pd.to_numeric(reviews["rating_overall"], errors="coerce").to_numpy(dtype=float)
    return pd.DataFrame(columns, index=reviews.index, dtype=float)


def company_truth(reviews: pd.DataFrame, scheme: RatingScheme, min_rated: int = MIN_RATED) -> dict[str, float]:
    """Mean platform rating per category over ``reviews``; NaN where fewer than ``min_rated`` rated it."""
    matrix = sub_rating_matrix(reviews, scheme)
    counts, means = matrix.notna().sum(), matrix.mean()
    return {key: (float(means[key]) if counts[key] >= min_rated else float("nan")) for key in matrix.columns}


def data_fingerprint(frames: Sequence[pd.DataFrame]) -> str:
    """A content hash of the evaluated reviews (order-independent), logged with every run."""
    import hashlib

    parts = []
    for frame in frames:
        if "content_hash" in frame.columns:
            parts.extend(frame["content_hash"].astype(str))
        else:
            fields = [c for c in ("source", "company", "review_id", "headline", "pros", "cons", "advice", "text")
                      if c in frame.columns]
            parts.extend(pd.util.hash_pandas_object(frame[fields].astype(str), index=False).astype(str))
    return hashlib.sha256("\n".join(sorted(parts)).encode()).hexdigest()
