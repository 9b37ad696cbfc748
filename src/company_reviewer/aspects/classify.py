"""Classifying opinion units: the shipped aspect-sentiment heads, routed by language.

English units are read by a fine-tuned all-MiniLM-L6-v2 (:mod:`.finetune`); units in other
languages by linear heads over multilingual-e5-small, trained on English and German hand labels
together (:mod:`.model`). Instruction-like
units (:mod:`company_reviewer.aspects.guard`) get no dimension at all.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from company_reviewer.aspects.guard import instruction_mask
from company_reviewer.aspects.model import SENTIMENTS, AspectSentimentClassifier

@dataclass(frozen=True)
class UnitLabels:
    """What the classifier says about a batch of units (arrays in taxonomy order)."""

    ids: tuple[str, ...]
    proba: np.ndarray        # (n, d) p(unit speaks to dimension)
    sentiment: np.ndarray    # (n, d, 3) p(positive, negative, neutral | dimension)
    mentions: np.ndarray     # (n, d) bool: detected
    instruction: np.ndarray  # (n,) bool: instruction-like, never labelled
    # (n, d, 3) sentiment from the words alone (every field read as "text"), when asked for.
    wording: np.ndarray | None = None

    @property
    def score(self) -> np.ndarray:
        """(n, d) lean in [-1, 1]: p(positive) - p(negative) per dimension."""
        return self.sentiment[:, :, 0] - self.sentiment[:, :, 1]

    def as_dicts(self) -> list[dict[str, dict[str, Any]]]:
        out = []
        for row in range(len(self.proba)):
            labels = {}
            for d in np.flatnonzero(self.mentions[row]):
                k = int(np.argmax(self.sentiment[row, d]))
                labels[self.ids[d]] = {"sentiment": SENTIMENTS[k],
                                       "confidence": round(float(self.proba[row, d] * self.sentiment[row, d, k]), 4)}
            out.append(labels)
        return out


class AspectClassifier:
    """The language-routed heads stored under ``<bundle>/aspects/``: ``tuned/`` (fine-tuned
    MiniLM) or ``minilm/`` (linear heads over MiniLM) for English, ``e5/`` for other languages."""

    def __init__(self, folder: str | Path) -> None:
        from company_reviewer.aspects.finetune import TunedAspectModel

        self.folder = Path(folder)
        self._heads: dict[str, Any] = {}
        if TunedAspectModel.exists(self.folder / "tuned"):
            self._heads["en"] = TunedAspectModel.load(self.folder / "tuned")
        elif AspectSentimentClassifier.exists(self.folder / "minilm"):
            self._heads["en"] = AspectSentimentClassifier.load(self.folder / "minilm")
        if AspectSentimentClassifier.exists(self.folder / "e5"):
            self._heads["other"] = AspectSentimentClassifier.load(self.folder / "e5")
        if "en" not in self._heads:
            raise FileNotFoundError(f"no aspect heads under {self.folder}; run `company-reviewer train`")
        self.ids = tuple(self._heads["en"].ids_)

    @classmethod
    def exists(cls, folder: str | Path) -> bool:
        from company_reviewer.aspects.finetune import TunedAspectModel

        folder = Path(folder)
        return TunedAspectModel.exists(folder / "tuned") or AspectSentimentClassifier.exists(folder / "minilm")

    def route(self, languages) -> np.ndarray:
        english = np.array([not isinstance(x, str) or not x or x.lower().startswith("en") for x in languages],
                           dtype=bool)
        if "other" not in self._heads:
            return np.full(len(english), "en", dtype=object)
        return np.where(english, "en", "other").astype(object)

    def classify(self, units: pd.DataFrame, minilm_vectors: np.ndarray | None = None,
                 wording: bool = False) -> UnitLabels:
        """Label a frame of units (``text``; optional ``field`` and ``language``).

        ``minilm_vectors`` are the units' MiniLM embeddings when the caller has them already
        (used by the linear MiniLM heads only). ``wording``: also the sentiment each unit's words
        carry without its field (``UnitLabels.wording``), from the same encoding.
        """
        n = len(units)
        d = len(self.ids)
        proba = np.zeros((n, d), dtype=np.float32)
        sentiment = np.zeros((n, d, len(SENTIMENTS)), dtype=np.float32)
        sentiment[:, :, 2] = 1.0
        from_words = sentiment.copy() if wording else None
        thresholds = np.ones((n, d), dtype=np.float32)
        texts = units["text"].fillna("").astype(str).tolist()
        fields = (units["field"].fillna("text").astype(str).tolist() if "field" in units.columns else ["text"] * n)
        languages = units["language"].tolist() if "language" in units.columns else ["en"] * n
        instruction = np.asarray(instruction_mask(texts), dtype=bool)
        routes = self.route(languages)
        for route, head in self._heads.items():
            rows = np.flatnonzero((routes == route) & ~instruction)
            if not len(rows):
                continue
            chosen_texts = [texts[i] for i in rows]
            chosen_fields = [fields[i] for i in rows]
            if isinstance(head, AspectSentimentClassifier):
                if head.encoder == "minilm" and minilm_vectors is not None:
                    X = np.asarray(minilm_vectors)[rows]
                else:
                    X = _encoder(head.encoder).encode(chosen_texts)
                proba[rows] = head.predict_proba(X, chosen_fields)
                sentiment[rows] = head.sentiment_proba(X, chosen_fields)
                if from_words is not None:
                    from_words[rows] = head.sentiment_proba(X, ["text"] * len(rows))
            else:
                proba[rows], sentiment[rows] = head.predict_arrays(chosen_texts, chosen_fields)
                if from_words is not None:
                    from_words[rows] = head.predict_arrays(chosen_texts, ["text"] * len(rows))[1]
            thresholds[rows] = head.thresholds_
        mentions = (proba >= thresholds) & ~instruction[:, None]
        return UnitLabels(self.ids, proba, sentiment, mentions, instruction, wording=from_words)


def _encoder(route: str):
    if route == "minilm":
        from company_reviewer.embedding import get_encoder

        return get_encoder()
    from company_reviewer.embedding_e5 import get_e5_encoder

    return get_e5_encoder()


# -- loading and the `classify` job ----------------------------------------------------------------

_LOCK = threading.Lock()
_LOADED: dict[str, AspectClassifier] = {}


def load_aspect_classifier(model: str | None = None) -> AspectClassifier:
    """The heads of ``model``: ``embedded`` (default: the shipped bundle) or a bundle folder."""
    from company_reviewer.bundled import default_artifact_path

    if model in (None, "", "embedded"):
        folder = default_artifact_path() / "aspects"
    else:
        path = Path(model)
        folder = path / "aspects" if (path / "aspects").is_dir() else path
        if not folder.is_dir():
            raise ValueError(f"unknown classifier {model!r}: use `embedded` or the folder of a trained bundle")
    key = str(folder.resolve())
    with _LOCK:
        if key not in _LOADED:
            if not AspectClassifier.exists(folder):
                raise FileNotFoundError(f"no aspect-sentiment heads in {folder}; run `company-reviewer train`")
            _LOADED[key] = AspectClassifier(folder)
        return _LOADED[key]


UNIT_FIELDS: tuple[str, ...] = ("pros", "cons", "advice", "headline", "text")


def _header(path: Path) -> list[str]:
    import csv
    import gzip
    import json

    opener = gzip.open if path.suffix == ".gz" else open
    name = path.name.lower().removesuffix(".gz")
    with opener(path, "rt", encoding="utf-8", errors="replace") as handle:
        if name.endswith((".jsonl", ".ndjson")):
            for line in handle:
                if line.strip():
                    try:
                        first = json.loads(line)
                    except ValueError:
                        return []
                    return list(first) if isinstance(first, dict) else []
            return []
        if name.endswith(".csv"):
            return next(csv.reader(handle), [])
    return []


def is_unit_file(path: str | Path) -> bool:
    """A file of units (``id`` and ``text``, no review fields) rather than a file of reviews."""
    columns = set(_header(Path(path)))
    return {"id", "text"} <= columns and not columns & {"pros", "cons", "advice", "headline", "review_id"}


def read_units(path: str | Path, preset: str | None = None) -> pd.DataFrame:
    """Units to classify from ``path``: ``id, text, field, language``.

    A unit file is taken as it is (each row one unit, never split); any review file `ingest`
    reads is split into opinion units, with ids ``<review_id>:<field>:<start>-<end>``.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"input file not found: {path}")
    if is_unit_file(path):
        name = path.name.lower().removesuffix(".gz")
        if name.endswith(".csv"):
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        else:
            frame = pd.read_json(path, lines=True, dtype=False)
        frame = frame.fillna("")
        bad = frame["text"].map(lambda t: not isinstance(t, str))
        if bad.any():
            raise ValueError(f"{path}: `text` must be a string (rows {list(frame.index[bad][:5] + 1)})")
        frame["id"] = frame["id"].astype(str)
        frame["field"] = (frame["field"].astype(str).str.strip().str.lower() if "field" in frame.columns
                          else "text")
        frame["field"] = frame["field"].replace("", "text")
        unknown = sorted(set(frame["field"]) - set(UNIT_FIELDS))
        if unknown:
            raise ValueError(f"{path}: field must be one of {', '.join(UNIT_FIELDS)} (found {unknown[:5]})")
        if "language" not in frame.columns:
            frame["language"] = _guess(frame["text"])
        frame["language"] = frame["language"].astype(str).replace("", "en")
        return frame[["id", "text", "field", "language"]].reset_index(drop=True)
    from company_reviewer.data.load import read_reviews
    from company_reviewer.units import split_frame

    reviews, _ = read_reviews(path, preset=preset)
    reviews = reviews.reset_index(drop=True)
    keyed = reviews.assign(review_key=[str(v) for v in reviews["review_id"]])
    units = split_frame(keyed)
    languages = dict(zip(keyed["review_key"], keyed.get("language", pd.Series(["en"] * len(keyed)))))
    units["id"] = [f"{k}:{f}:{s}-{e}" for k, f, s, e in zip(units["review_key"], units["field"],
                                                             units["start"], units["end"])]
    units["language"] = [languages.get(k) or "en" for k in units["review_key"]]
    return units[["id", "text", "field", "language"]].reset_index(drop=True)


def _guess(texts: pd.Series) -> list[str]:
    from company_reviewer.labeling.functions import guess_languages

    return list(guess_languages(texts.astype(str).tolist()))


def classify_frame(units: pd.DataFrame, model: str | None = None) -> list[dict[str, Any]]:
    """One ``{"id", "text", "dimensions": {dim: {"sentiment", "confidence"}}}`` per unit."""
    classifier = load_aspect_classifier(model)
    labels = classifier.classify(units).as_dicts() if len(units) else []
    return [{"id": str(i), "text": t, "dimensions": d} for i, t, d in zip(units["id"], units["text"], labels)]
