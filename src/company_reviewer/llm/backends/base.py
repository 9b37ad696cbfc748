"""The backend interface every LLM family implements: one abstract method, ``complete``.

Backends register under the entry-point group ``company_reviewer.llm_backends`` (the built-in
``llamacpp``, ``openai`` and ``transformers`` too; read by :mod:`company_reviewer.registry`), so a
third-party package can add one without touching this code. Options are a pydantic model that forbids unknown fields.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from company_reviewer import registry


class BackendOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class Completion:
    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0


class LLMBackendError(RuntimeError):
    """The backend could not produce a completion (unreachable server, missing model file...)."""


class LLMBackend(abc.ABC):
    name: ClassVar[str]
    Options: ClassVar[type[BackendOptions]] = BackendOptions

    def __init__(self, options: BackendOptions | dict[str, Any] | None = None, model: str | None = None):
        self.options = options if isinstance(options, BackendOptions) else self.Options(**(options or {}))
        self.model = model

    def identity(self) -> str:
        """What identifies the weights behind this backend beyond its spec (e.g. a local file's size
        and time), part of the reviewer's version; "" when the spec says it all (a remote model)."""
        return ""

    def parameter_count(self) -> int | None:
        """How many parameters the model has, when the backend can tell (a local model's weights);
        None for a remote model. The LLM reviewer labels models that are too small to write."""
        return None

    @abc.abstractmethod
    def complete(
        self,
        messages: list[dict[str, str]],
        *,
        json_schema: dict[str, Any] | None = None,
        max_tokens: int = 512,
        temperature: float = 0.0,
    ) -> Completion:
        """Chat completion; with ``json_schema`` the backend constrains output to that schema."""


def file_identity(path) -> str:
    """12 hex digits standing for a local model file or folder's size and modification time
    (hashing gigabytes of weights on every check would be too slow)."""
    import hashlib
    from pathlib import Path

    path = Path(path)
    try:
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        parts = [f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in files]
    except OSError:
        return ""
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:12]


def available_backends() -> list[str]:
    return sorted(registry.llm_backends.names())


def backend_class(spec: str) -> type[LLMBackend]:
    """The backend class ``spec`` names (the part before the first ``:``)."""
    name = spec.partition(":")[0]
    if name not in registry.llm_backends:
        raise LLMBackendError(f"unknown LLM backend {name!r}; available: {', '.join(available_backends())}")
    return registry.llm_backends.get(name)


def get_backend(spec: str, options: dict[str, Any] | None = None) -> LLMBackend:
    """``llamacpp``, ``llamacpp:/path/model.gguf``, ``openai:gpt-4o-mini``, ``transformers:/dir``."""
    return backend_class(spec)(options=options, model=spec.partition(":")[2] or None)
