"""Serving settings, each overridable by a ``COMPANY_REVIEWER_*`` environment variable (read by
:func:`company_reviewer.config.env`; the list is ``config.ENV_VARS``)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from company_reviewer.config import Settings, env

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
METRICS_ACCESS = ("key", "loopback", "open")


def split_models(value: str | None) -> tuple[str, ...]:
    """``COMPANY_REVIEWER_ALLOWED_MODELS``: specs separated by commas or newlines."""
    return tuple(dict.fromkeys(part.strip() for part in (value or "").replace("\n", ",").split(",") if part.strip()))


@dataclass(frozen=True)
class ServeSettings:
    """How the service behaves; build with :meth:`from_env`, change with :meth:`replace`.

    ``open_access`` turns API keys off (every request is allowed, rate-limited per client
    address); the CLI allows it only on a loopback address, for one person on their own machine.
    """

    database_url: str
    open_access: bool = False
    rate_per_second: float = 10.0       # token bucket refill per API key
    rate_burst: int = 30                # bucket size: requests a key may make at once
    max_request_bytes: int = 5_000_000  # larger bodies get 413
    max_reviews: int = 50               # default reviews sampled per company
    max_text_chars: int = 5000          # posted review text fields are cut here, as ingest cuts them
    cache_check_seconds: float = 2.0    # how long a cached review is served before its data is re-checked
    key_cache_seconds: float = 10.0     # how long a verified (or revoked) key is remembered
    chat_model: str | None = None       # LLM backend spec for chat answers; None: extractive answers
    memory_cache_items: int = 1024
    # Models a request may name besides the built-ins and the registry's aliases: exact specs the
    # operator allows (e.g. "llm:llamacpp:/models/qwen.gguf"); anything else is refused (422)
    # before anything is loaded, with the same answer whatever the spec names.
    allowed_models: tuple[str, ...] = ()
    # Who may read /metrics: "key" (a valid API key, as /v1), "loopback" (local clients only, no
    # key) or "open". With open_access (loopback only) it needs no key either.
    metrics_access: str = "key"
    # A request's headers must arrive within header_timeout_seconds (of the connection's start or
    # of the previous response on it) and its body within body_timeout_seconds of its headers;
    # else the connection is closed (slow clients cannot hold connections open). Enforced by the
    # server's protocol (serve.protocol), which reads them with the same reader in every worker.
    header_timeout_seconds: float = 10.0
    body_timeout_seconds: float = 60.0
    model_check_seconds: float = 2.0    # how often a registry alias (champion...) is resolved again

    def __post_init__(self) -> None:
        if self.metrics_access not in METRICS_ACCESS:
            raise ValueError(f"metrics access must be one of {', '.join(METRICS_ACCESS)}, not {self.metrics_access!r}")

    @classmethod
    def from_env(cls, database_url: str | None = None, **overrides) -> "ServeSettings":
        base = Settings.from_env(database_url=database_url)
        values = dict(
            database_url=base.database_url,
            open_access=env("OPEN_ACCESS", "0").lower() in ("1", "true", "yes"),
            rate_per_second=float(env("RATE_PER_SECOND", "10")),
            rate_burst=int(env("RATE_BURST", "30")),
            max_request_bytes=int(env("MAX_REQUEST_BYTES", "5000000")),
            max_reviews=base.max_reviews,
            max_text_chars=base.max_text_chars,
            cache_check_seconds=float(env("CACHE_CHECK_SECONDS", "2")),
            key_cache_seconds=float(env("KEY_CACHE_SECONDS", "10")),
            chat_model=env("CHAT_MODEL"),
            allowed_models=split_models(env("ALLOWED_MODELS", "")),
            metrics_access=env("METRICS_ACCESS", "key").strip().lower(),
            header_timeout_seconds=float(env("HEADER_TIMEOUT_SECONDS", "10")),
            body_timeout_seconds=float(env("BODY_TIMEOUT_SECONDS", "60")),
            model_check_seconds=float(env("MODEL_CHECK_SECONDS", "2")),
        )
        values.update(overrides)
        return cls(**values)

    def replace(self, **changes) -> "ServeSettings":
        return dataclasses.replace(self, **changes)
