"""The applier core: run labeling functions over a frame of opinion units.

``apply_lfs(units, lfs)`` returns the label matrix ``L`` (one row per unit, one column per LF,
``-1`` = abstain) and a ``Counter`` of failures per LF name. An LF that raises on a unit is
counted and treated as an abstain there; it never stops the run. The core prepares what every
backend needs (texts, fields, languages, embeddings when an LF asks for them) and hands the work
to a backend from :mod:`.backends` (``"local"``: in-process numpy, the default).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from company_reviewer.labeling.functions import ABSTAIN, Batch, LabelingFunction, Unit, guess_languages

DEFAULT_CHUNK_SIZE = 20_000
# Texts per call into the encoder: small enough for a progress bar that moves, large enough that
# the encoder's own length sorting still forms full batches.
ENCODE_CHUNK = 4096


def check_lfs(lfs: Sequence[LabelingFunction]) -> None:
    """LF names identify columns of ``L`` and failure counts, so they must be unique."""
    names = [lf.name for lf in lfs]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"labeling function names must be unique; repeated: {duplicates}")


def unit_languages(units: pd.DataFrame) -> np.ndarray:
    """The ``language`` column where given (blank entries guessed), else a guess per unit."""
    texts = units["text"].astype(str).tolist()
    guessed = guess_languages(texts)
    if "language" not in units.columns:
        return guessed
    given = units["language"].fillna("").astype(str).to_numpy(dtype=object)
    return np.where(given == "", guessed, given).astype(object)


def encode_units(texts: Sequence[str], encoder: Any, progress: bool = False) -> np.ndarray:
    """Embeddings of ``texts`` (one row each), encoding every distinct text once.

    Distinct texts are sorted by length before they are chunked, so each chunk holds texts of
    similar length and the encoder pads little; cached texts cost a lookup only.
    """
    from tqdm.auto import tqdm

    distinct, inverse = np.unique(np.asarray(texts, dtype=object), return_inverse=True)
    order = np.argsort([len(t) for t in distinct], kind="stable")
    vectors: np.ndarray | None = None
    with tqdm(total=len(distinct), desc="embed units", unit=" texts", disable=not progress, leave=False) as bar:
        for start in range(0, len(order), ENCODE_CHUNK):
            index = order[start:start + ENCODE_CHUNK]
            block = encoder.encode([str(t) for t in distinct[index]])
            if vectors is None:
                vectors = np.zeros((len(distinct), block.shape[1]), dtype=np.float32)
            vectors[index] = block
            bar.update(len(index))
    if vectors is None:
        return np.zeros((0, 0), dtype=np.float32)
    return vectors[inverse]


def make_batch(units: pd.DataFrame, vectors: np.ndarray | None = None) -> Batch:
    """The :class:`Batch` of a units frame (``text`` required; ``field``/``language`` optional)."""
    if "text" not in units.columns:
        raise ValueError("the units frame needs a 'text' column")
    texts = units["text"].fillna("").astype(str).tolist()
    fields = (units["field"].fillna("").astype(str).to_numpy(dtype=object) if "field" in units.columns
              else np.full(len(units), "text", dtype=object))
    from company_reviewer.labeling.functions import pattern_language

    languages = np.array([pattern_language(x) for x in unit_languages(units)], dtype=object)
    return Batch(texts=texts, fields=fields, languages=languages, vectors=vectors)


def slice_batch(batch: Batch, start: int, stop: int) -> Batch:
    return Batch(texts=batch.texts[start:stop], fields=batch.fields[start:stop],
                 languages=batch.languages[start:stop],
                 vectors=None if batch.vectors is None else batch.vectors[start:stop])


def run_lf_safely(lf: LabelingFunction, batch: Batch, failures: Counter) -> np.ndarray:
    """Votes of ``lf`` on ``batch``: its batch path, or unit by unit when that raises.

    Falling back per unit finds the units the LF fails on, so only those are counted and
    abstained; a wrong-shaped or out-of-range result is treated like a failure of the batch path.
    """
    try:
        votes = np.asarray(lf.batch(batch), dtype=np.int64)
        if votes.shape == (len(batch),) and _valid(votes, lf):
            return votes
    except Exception:  # noqa: BLE001 - any LF bug must be contained, that is the contract
        pass
    out = np.full(len(batch), ABSTAIN, dtype=np.int64)
    for i in range(len(batch)):
        unit = Unit(batch.texts[i], str(batch.fields[i]), str(batch.languages[i]),
                    None if batch.vectors is None else batch.vectors[i])
        try:
            vote = int(lf(unit))
            if vote != ABSTAIN and vote not in lf.targets:
                raise ValueError(f"{lf.name} returned {vote}, not one of {sorted(lf.targets)}")
            out[i] = vote
        except Exception:  # noqa: BLE001
            failures[lf.name] += 1
    return out


def _valid(votes: np.ndarray, lf: LabelingFunction) -> bool:
    allowed = np.array(sorted(lf.targets | {ABSTAIN}))
    return bool(np.isin(votes, allowed).all())


def apply_lfs(units: pd.DataFrame, lfs: Sequence[LabelingFunction], *, backend: str = "local",
              encoder: Any | None = None, vectors: np.ndarray | None = None, progress: bool = False,
              chunk_size: int = DEFAULT_CHUNK_SIZE) -> tuple[np.ndarray, Counter]:
    """Apply ``lfs`` to every unit of ``units``: ``(L, failures)``.

    ``L`` is ``int64`` of shape ``(n_units, n_lfs)``. Embeddings are computed (through the
    encoder's cache) only when an LF needs them; pass ``vectors`` to reuse ones you have.
    """
    from company_reviewer.labeling.backends import get_labeling_backend

    check_lfs(lfs)
    if vectors is None and any(lf.needs_vectors for lf in lfs) and len(units):
        if encoder is None:
            from company_reviewer.embedding import get_encoder

            encoder = get_encoder()
        vectors = encode_units(units["text"].fillna("").astype(str).tolist(), encoder, progress=progress)
    batch = make_batch(units, vectors)
    run: Callable[..., tuple[np.ndarray, Counter]] = get_labeling_backend(backend)
    return run(batch, lfs, chunk_size=chunk_size, progress=progress)
