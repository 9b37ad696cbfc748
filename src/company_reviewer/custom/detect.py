"""Detecting the dimensions of any taxonomy in opinion units, without training on them.

Three signals per (unit, dimension):

(a) embedding similarity of the unit to the dimension's description and to each of its seeds
    (English units: all-MiniLM-L6-v2 against the English seeds; other languages: multilingual-e5
    against the seeds of every language), with the margin over the unit's next-best dimension;
(b) the dimension's seed patterns in the unit's language (whole words; German compound parts, as
    :func:`company_reviewer.labeling.functions.seed_regex` matches them);
(c) where the dimension ``maps_to`` default dimensions, the trained aspect-sentiment classifier's
    detection of those.

(a) and (b) are combined by a logistic model over dimension-agnostic features (no weight belongs
to a dimension), fitted on the default taxonomy's hand labels as if it were untrained and shipped
as ``combiner.json`` (:mod:`.calibrate` refits it and measures it on held-out dimensions). Its
threshold was chosen for precision. (c) adds the classifier's mentions; when several dimensions
map to the same default one, the mention goes to the one its text is most similar to.

Sentiment: the classifier's sentiment about the mapped default dimensions where (c) detected the
unit, else the unit's polarity: the classifier's dimension-independent sentiment (its shared
sentiment head averaged over the default dimensions), which reads English and German alike.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from company_reviewer.aspects.classify import UnitLabels
from company_reviewer.taxonomy import Taxonomy

FEATURES: tuple[str, ...] = ("description", "seed_max", "seed_top3", "margin", "is_best", "seed_match")
ROUTES: tuple[str, ...] = ("minilm", "e5")
COMBINER_FILE = "combiner.json"


def route_of(language: object) -> str:
    """English (and unknown) units are read with MiniLM, every other language with e5, as the
    aspect classifier routes them."""
    english = not isinstance(language, str) or not language or language.lower().startswith("en")
    return "minilm" if english else "e5"


@dataclass(frozen=True)
class Combiner:
    """``p(unit speaks to dimension)`` from the :data:`FEATURES` of one (unit, dimension) pair."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    threshold: float

    def proba(self, F: np.ndarray) -> np.ndarray:
        """``F`` (..., len(FEATURES)) -> probabilities of the same leading shape."""
        z = ((F - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-z))

    def to_dict(self) -> dict[str, Any]:
        return {"mean": self.mean.tolist(), "scale": self.scale.tolist(), "coef": self.coef.tolist(),
                "intercept": self.intercept, "threshold": self.threshold}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Combiner:
        return cls(np.asarray(data["mean"], float), np.asarray(data["scale"], float),
                   np.asarray(data["coef"], float), float(data["intercept"]), float(data["threshold"]))


@lru_cache(maxsize=1)
def shipped_combiners() -> dict[str, Combiner]:
    """The combiners shipped next to this module (written by :mod:`.calibrate`)."""
    path = resources.files("company_reviewer.custom") / COMBINER_FILE
    data = json.loads(path.read_text(encoding="utf-8"))
    if tuple(data.get("features", ())) != FEATURES:
        raise ValueError(f"{COMBINER_FILE} was fitted on other features; run "
                         "`python -m company_reviewer.custom.calibrate --write`")
    return {route: Combiner.from_dict(data["routes"][route]) for route in ROUTES}


# -- (a) and (b): the features ------------------------------------------------------------------

def _encode(route: str, texts: list[str]) -> np.ndarray:
    if route == "minilm":
        from company_reviewer.embedding import get_encoder

        return np.asarray(get_encoder().encode(texts), dtype=np.float32)
    from company_reviewer.embedding_e5 import get_e5_encoder

    return np.asarray(get_e5_encoder().encode(texts), dtype=np.float32)


@dataclass(frozen=True)
class Prototypes:
    """A taxonomy's descriptions and seeds, encoded for one route."""

    description: np.ndarray  # (d, dim)
    seeds: np.ndarray        # (m, dim)
    owner: np.ndarray        # (m,) dimension index of each seed


_PROTOTYPE_LOCK = threading.Lock()
_PROTOTYPES: dict[tuple[str, str], Prototypes] = {}


def prototypes(taxonomy: Taxonomy, route: str) -> Prototypes:
    """Encoded once per taxonomy content and route (the encoders cache texts on disk as well)."""
    key = (taxonomy.content_hash(), route)
    with _PROTOTYPE_LOCK:
        if key in _PROTOTYPES:
            return _PROTOTYPES[key]
    descriptions = [f"{d.label}: {d.description}" for d in taxonomy]
    seeds, owner = [], []
    for index, dimension in enumerate(taxonomy):
        # The label is always a seed, so a dimension without seeds still has one.
        terms = dimension.seed_terms("en") if route == "minilm" else dimension.seed_terms()
        for term in dict.fromkeys([dimension.label.lower(), *terms]):
            seeds.append(term)
            owner.append(index)
    built = Prototypes(_encode(route, descriptions), _encode(route, seeds), np.asarray(owner))
    with _PROTOTYPE_LOCK:
        _PROTOTYPES[key] = built
    return built


def similarity_features(vectors: np.ndarray, protos: Prototypes) -> np.ndarray:
    """(n, d, 5): description cosine, best and top-3 seed cosine, margin over the next-best
    dimension and whether this dimension is the unit's best."""
    n, d = len(vectors), len(protos.description)
    sim_description = vectors @ protos.description.T
    sim_seeds = vectors @ protos.seeds.T
    seed_max = np.full((n, d), -1.0, dtype=np.float32)
    seed_top3 = np.full((n, d), -1.0, dtype=np.float32)
    for index in range(d):
        block = sim_seeds[:, protos.owner == index]
        if block.shape[1]:
            seed_max[:, index] = block.max(axis=1)
            top = np.sort(block, axis=1)[:, -3:]
            seed_top3[:, index] = top.mean(axis=1)
    combined = sim_description + seed_max
    if d > 1:
        ordered = np.sort(combined, axis=1)
        best, second = ordered[:, -1:], ordered[:, -2:-1]
        other = np.where(combined >= best, second, best)  # the best of the other dimensions
    else:
        other = np.zeros_like(combined)
    margin = combined - other
    return np.stack([sim_description, seed_max, seed_top3, margin, (margin > 0).astype(np.float32)], axis=2)


@lru_cache(maxsize=64)
def _seed_pattern(terms: tuple[str, ...], language: str) -> re.Pattern[str] | None:
    from company_reviewer.labeling.functions import pattern_language, seed_regex

    if not terms:
        return None
    return re.compile(seed_regex(terms, pattern_language(language)), re.IGNORECASE)


def seed_matches(texts: list[str], languages: list[str], taxonomy: Taxonomy) -> np.ndarray:
    """(n, d) 1.0 where a seed of the unit's language occurs in it (all seeds when the dimension
    has none in that language: reviewers mix in English words)."""
    out = np.zeros((len(texts), len(taxonomy)), dtype=np.float32)
    base = [str(x or "en").lower().split("-")[0].split("_")[0] for x in languages]
    for index, dimension in enumerate(taxonomy):
        for language in set(base):
            terms = dimension.seed_terms(language) or dimension.seed_terms()
            pattern = _seed_pattern(tuple(terms), language)
            if pattern is None:
                continue
            for row in np.flatnonzero(np.asarray(base) == language):
                if pattern.search(texts[row]):
                    out[row, index] = 1.0
    return out


def unit_features(texts: list[str], languages: list[str], taxonomy: Taxonomy,
                  minilm_vectors: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(n, d, len(FEATURES)) features and (n,) route of each unit."""
    routes = np.asarray([route_of(x) for x in languages], dtype=object)
    F = np.zeros((len(texts), len(taxonomy), len(FEATURES)), dtype=np.float32)
    for route in ROUTES:
        rows = np.flatnonzero(routes == route)
        if not len(rows):
            continue
        if route == "minilm" and minilm_vectors is not None:
            vectors = np.asarray(minilm_vectors, dtype=np.float32)[rows]
        else:
            vectors = _encode(route, [texts[i] for i in rows])
        F[rows, :, :5] = similarity_features(vectors, prototypes(taxonomy, route))
    F[:, :, 5] = seed_matches(texts, languages, taxonomy)
    return F, routes


# -- (c) and the whole detection ------------------------------------------------------------------

def unit_polarity(aspect_labels: UnitLabels | None, n: int) -> np.ndarray:
    """(n, 3) sentiment of each unit regardless of topic: the classifier's sentiment averaged over
    its dimensions (its sentiment head is shared, plus a per-dimension offset)."""
    if aspect_labels is None or not len(aspect_labels.ids):
        out = np.zeros((n, 3), dtype=np.float32)
        out[:, 2] = 1.0
        return out
    return aspect_labels.sentiment.mean(axis=1)


def detect(units: pd.DataFrame, taxonomy: Taxonomy, aspect_labels: UnitLabels | None = None,
           minilm_vectors: np.ndarray | None = None, sections: np.ndarray | None = None,
           combiners: dict[str, Combiner] | None = None) -> UnitLabels:
    """Label ``units`` (``text``, optional ``language``) with ``taxonomy``'s dimensions.

    ``aspect_labels``: the trained classifier's labels of the same units (for ``maps_to`` and the
    sentiment); ``sections``: (n, d) bool, dimensions the reviews' own structure assigns (kununu's
    "Label: answer" sections), which count as detected for sure.
    """
    n, d = len(units), len(taxonomy)
    texts = units["text"].fillna("").astype(str).tolist()
    languages = (units["language"].tolist() if "language" in units.columns else ["en"] * n)
    combiners = combiners or shipped_combiners()
    F, routes = unit_features(texts, languages, taxonomy, minilm_vectors)
    proba = np.zeros((n, d), dtype=np.float32)
    thresholds = np.ones(n, dtype=np.float32)
    for route in ROUTES:
        rows = np.flatnonzero(routes == route)
        proba[rows] = combiners[route].proba(F[rows])
        thresholds[rows] = combiners[route].threshold
    mentions = proba >= thresholds[:, None]
    polarity = unit_polarity(aspect_labels, n)
    sentiment = np.repeat(polarity[:, None, :], d, axis=1).astype(np.float32)
    if aspect_labels is not None:
        _add_mapped(taxonomy, aspect_labels, proba, mentions, sentiment)
    if sections is not None and sections.shape == (n, d):
        proba = np.where(sections, 1.0, proba).astype(np.float32)
        mentions |= sections
    instruction = (aspect_labels.instruction if aspect_labels is not None else np.zeros(n, dtype=bool))
    mentions &= ~instruction[:, None]
    return UnitLabels(taxonomy.ids, proba, sentiment, mentions, instruction)


def _add_mapped(taxonomy: Taxonomy, labels: UnitLabels, proba: np.ndarray, mentions: np.ndarray,
                sentiment: np.ndarray) -> None:
    """(c): a default dimension the classifier detects counts for the taxonomy dimensions mapping
    to it; with several, for the one the unit is most similar to (ties: all of them)."""
    column = {dim: i for i, dim in enumerate(labels.ids)}
    claimants: dict[str, list[int]] = {}
    for index, dimension in enumerate(taxonomy):
        for target in dimension.maps_to:
            if target in column:
                claimants.setdefault(target, []).append(index)
    if not claimants:
        return
    mapped_proba = np.zeros_like(proba)
    weight = np.zeros(proba.shape, dtype=np.float32)
    weighted = np.zeros_like(sentiment)
    for target, members in claimants.items():
        k = column[target]
        hit = labels.mentions[:, k]
        if not hit.any():
            continue
        members = np.asarray(members)
        similarity = proba[:, members]
        winners = similarity >= similarity.max(axis=1, keepdims=True) - 1e-6
        for j, index in enumerate(members):
            rows = hit & winners[:, j]
            mapped_proba[rows, index] = np.maximum(mapped_proba[rows, index], labels.proba[rows, k])
            w = labels.proba[rows, k][:, None]
            weight[rows, index] += w[:, 0]
            weighted[rows, index] += w * labels.sentiment[rows, k]
    has = weight > 0
    sentiment[has] = weighted[has] / weight[has][:, None]
    mentions |= has
    np.maximum(proba, mapped_proba, out=proba)
