"""Text-generation backends: one small interface, the built-ins registered as plugins too."""

from company_reviewer.llm.backends.base import (
    BackendOptions,
    Completion,
    LLMBackend,
    LLMBackendError,
    available_backends,
    get_backend,
)

__all__ = ["BackendOptions", "Completion", "LLMBackend", "LLMBackendError", "available_backends", "get_backend"]
