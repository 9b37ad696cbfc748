"""Per-review features the drift checks compare: length, language, stars, dimension mentions,
embeddings. Each is cheap except the embedding, which goes through the encoder's cache."""

from __future__ import annotations

import numpy as np
import pandas as pd

TEXT_COLUMNS = ("headline", "pros", "cons", "advice", "text")
# The encoder truncates anyway; capping here keeps one long review from dominating the batch time.
_EMBED_CHARS = 1000


def review_texts(frame: pd.DataFrame) -> list[str]:
    columns = [c for c in TEXT_COLUMNS if c in frame.columns]
    parts = frame[columns].fillna("").astype(str)
    return [" ".join(p for p in row if p).strip() for row in parts.itertuples(index=False, name=None)]


def text_lengths(frame: pd.DataFrame) -> np.ndarray:
    return np.array([len(t) for t in review_texts(frame)], dtype=float)


def languages(frame: pd.DataFrame) -> list[str]:
    if "language" not in frame.columns:
        return ["unknown"] * len(frame)
    return frame["language"].fillna("unknown").astype(str).tolist()


def star_ratings(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Overall and sub-ratings, rounded to whole stars (sources differ in half-star support)."""
    out: dict[str, np.ndarray] = {}
    if "rating_overall" in frame.columns:
        overall = pd.to_numeric(frame["rating_overall"], errors="coerce").to_numpy(dtype=float)
        out["overall"] = np.round(overall[np.isfinite(overall)])
    if "sub_ratings" in frame.columns:
        table = pd.DataFrame([r if isinstance(r, dict) else {} for r in frame["sub_ratings"]])
        for name in table.columns:
            values = pd.to_numeric(table[name], errors="coerce").to_numpy(dtype=float)
            out[name] = np.round(values[np.isfinite(values)])
    return out


def dimension_mentions(frame: pd.DataFrame) -> pd.DataFrame:
    """Reviews x dimensions: does any opinion unit of the review match the dimension's keyword or
    regex labeling functions (both languages; no model, so it is fast and itself cannot drift)."""
    from company_reviewer.labeling.applier import apply_lfs
    from company_reviewer.labeling.functions import keyword_lfs, regex_lfs
    from company_reviewer.taxonomy import load_taxonomy
    from company_reviewer.units import split_frame

    taxonomy = load_taxonomy()
    ids = [d.id for d in taxonomy]
    keyed = frame.assign(review_key=np.arange(len(frame)).astype(str))
    units = split_frame(keyed)
    if "language" in frame.columns and len(units):
        language_of = dict(zip(keyed["review_key"], frame["language"]))
        units["language"] = units["review_key"].map(language_of)
    result = np.zeros((len(frame), len(ids)), dtype=bool)
    if len(units):
        L, _ = apply_lfs(units, [*keyword_lfs(taxonomy), *regex_lfs(taxonomy)])
        rows = units["review_key"].astype(int).to_numpy()
        for column in range(L.shape[1]):
            hit = L[:, column] >= 0
            labels = L[hit, column]
            valid = labels < len(ids)
            result[rows[hit][valid], labels[valid]] = True
    return pd.DataFrame(result, columns=ids)


def embeddings(frame: pd.DataFrame) -> np.ndarray:
    from company_reviewer.embedding import get_encoder

    texts = [t[:_EMBED_CHARS] or " " for t in review_texts(frame)]
    return np.asarray(get_encoder().encode(texts), dtype=np.float32)
