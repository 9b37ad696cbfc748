"""Typed, immutable configuration: every environment variable the package reads, in one place.

One function, :func:`data_dir`, decides where everything the product writes lives; one function,
:func:`env`, reads a variable. :class:`Settings` (``Settings.from_env()``) carries the values and
the paths under the data directory, and is passed to what needs them. The serving options are
:class:`company_reviewer.serve.config.ServeSettings`, built on a ``Settings`` by the same reader.
``ENV_VARS`` lists every variable with its meaning (docs/architecture.md prints it).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

ENV_PREFIX = "COMPANY_REVIEWER_"

ENV_VARS: dict[str, str] = {
    "COMPANY_REVIEWER_DATA_DIR": "where the product writes (default $XDG_DATA_HOME/company-reviewer)",
    "COMPANY_REVIEWER_SHARED_DATA": "the real review data for training, tests, benchmarks (read only)",
    "COMPANY_REVIEWER_DATABASE_URL": "the store (default: SQLite in the data directory)",
    "COMPANY_REVIEWER_MAX_TEXT_CHARS": "text fields are cut here, by ingest and the API (5000)",
    "COMPANY_REVIEWER_INGEST_CHUNK_ROWS": "rows per ingest transaction (5000)",
    "COMPANY_REVIEWER_INGEST_STALE_AFTER_S": "an ingest batch silent this long is interrupted (3600)",
    "COMPANY_REVIEWER_MAX_REVIEWS": "reviews sampled per company (50)",
    "COMPANY_REVIEWER_RANDOM_STATE": "seed of sampling (0)",
    "COMPANY_REVIEWER_TAXONOMY": "the taxonomy used when none is named (default)",
    "COMPANY_REVIEWER_TRACKING_URI": "MLflow tracking store (else MLFLOW_TRACKING_URI, else the data directory)",
    "COMPANY_REVIEWER_LLM_BASE_URL": "OpenAI-compatible server of the openai backend (else OPENAI_BASE_URL)",
    "COMPANY_REVIEWER_LLM_API_KEY": "its key (else OPENAI_API_KEY)",
    "COMPANY_REVIEWER_LLM_MODEL": "its model when the spec names none",
    "COMPANY_REVIEWER_FINETUNE_BASE_URL": "hosted fine-tuning API (else OPENAI_BASE_URL)",
    "COMPANY_REVIEWER_FINETUNE_API_KEY": "its key (else OPENAI_API_KEY)",
    "COMPANY_REVIEWER_FINETUNE_MODEL": "finetune submit --model default (read by the CLI option)",
    "COMPANY_REVIEWER_MONITOR_WEBHOOK": "monitor --webhook default (read by the CLI option)",
    "COMPANY_REVIEWER_OPEN_ACCESS": "serve without API keys, loopback only (0)",
    "COMPANY_REVIEWER_RATE_PER_SECOND": "API requests per second per key (10)",
    "COMPANY_REVIEWER_RATE_BURST": "API burst per key (30)",
    "COMPANY_REVIEWER_MAX_REQUEST_BYTES": "larger request bodies get 413 (5000000)",
    "COMPANY_REVIEWER_CACHE_CHECK_SECONDS": "a cached review is re-checked after this long (2)",
    "COMPANY_REVIEWER_KEY_CACHE_SECONDS": "a verified API key is remembered this long (10)",
    "COMPANY_REVIEWER_CHAT_MODEL": "LLM backend spec for chat answers (none: extractive)",
    "COMPANY_REVIEWER_ALLOWED_MODELS": "further model specs requests may name (comma-separated)",
    "COMPANY_REVIEWER_METRICS_ACCESS": "who may read /metrics: key, loopback or open (key)",
    "COMPANY_REVIEWER_HEADER_TIMEOUT_SECONDS": "a request's headers must arrive within (10)",
    "COMPANY_REVIEWER_BODY_TIMEOUT_SECONDS": "a request's body must arrive within (60)",
    "COMPANY_REVIEWER_MODEL_CHECK_SECONDS": "how often a registry alias is resolved again (2)",
    "COMPANY_REVIEWER_SERVE_TAXONOMIES": "taxonomy files the API offers beside the built-ins (os.pathsep-separated)",
}


def env(name: str, default: str | None = None, *fallbacks: str) -> str | None:
    """``COMPANY_REVIEWER_<name>``, else the first of ``fallbacks`` (full names, such as
    ``OPENAI_API_KEY``) that is set and not empty, else ``default``."""
    for key in (ENV_PREFIX + name, *fallbacks):
        value = os.environ.get(key)
        if value:
            return value
    return default


def data_dir(create: bool = True) -> Path:
    """The directory holding the embedded database, caches and run logs.

    ``COMPANY_REVIEWER_DATA_DIR`` overrides; otherwise ``$XDG_DATA_HOME/company-reviewer``
    (``~/.local/share/company-reviewer``). Created on first use.
    """
    explicit = env("DATA_DIR")
    if explicit:
        path = Path(explicit).expanduser()
    else:
        base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
        path = Path(base) / "company-reviewer"
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


def shared_data_dir() -> Path:
    """Where the real review data for training, tests and benchmarks lives (read only).

    ``COMPANY_REVIEWER_SHARED_DATA`` overrides; by default ``../shared/data`` beside the repository.
    """
    explicit = env("SHARED_DATA")
    if explicit:
        return Path(explicit).expanduser()
    repo_root = Path(__file__).resolve().parents[2]
    return repo_root.parent / "shared" / "data"


@dataclass(frozen=True)
class Settings:
    """Run-time settings; build with :meth:`from_env` so every field can be overridden.

    ``max_text_chars`` (``COMPANY_REVIEWER_MAX_TEXT_CHARS``, 5000): ingest and the API cut a longer
    text field (headline, pros, cons, advice, text) at a word boundary, append "…", give the review
    the attribute ``truncated`` naming the cut fields; ingest counts it in the summary's ``truncated``.
    ``ingest_chunk_rows`` (``..._INGEST_CHUNK_ROWS``, 5000): rows per transaction.
    ``ingest_stale_after_s`` (``..._INGEST_STALE_AFTER_S``, 3600): a batch still ``running`` whose
    process is gone, or that committed nothing for this long, is marked ``interrupted``.
    Paths under the data directory are properties (``models_dir``, ``embeddings_dir``, ...).
    """

    database_url: str
    max_text_chars: int = 5000
    ingest_chunk_rows: int = 5000
    max_reviews: int = 50
    random_state: int = 0
    ingest_stale_after_s: float = 3600.0
    taxonomy: str | None = None          # None: the built-in default
    tracking_uri: str | None = None      # None: SQLite in the data directory
    llm_base_url: str | None = None
    llm_api_key: str | None = field(default=None, repr=False)
    llm_model: str | None = None
    finetune_base_url: str | None = None
    finetune_api_key: str | None = field(default=None, repr=False)
    data_root: Path = field(default_factory=lambda: data_dir(create=False))

    @classmethod
    def from_env(cls, database_url: str | None = None) -> "Settings":
        return cls(
            database_url=database_url or env("DATABASE_URL") or default_database_url(),
            max_text_chars=int(env("MAX_TEXT_CHARS", "5000")),
            ingest_chunk_rows=int(env("INGEST_CHUNK_ROWS", "5000")),
            max_reviews=int(env("MAX_REVIEWS", "50")),
            random_state=int(env("RANDOM_STATE", "0")),
            ingest_stale_after_s=float(env("INGEST_STALE_AFTER_S", "3600")),
            taxonomy=env("TAXONOMY"),
            tracking_uri=env("TRACKING_URI", None, "MLFLOW_TRACKING_URI"),
            llm_base_url=env("LLM_BASE_URL", None, "OPENAI_BASE_URL"),
            llm_api_key=env("LLM_API_KEY", None, "OPENAI_API_KEY"),
            llm_model=env("LLM_MODEL"),
            finetune_base_url=env("FINETUNE_BASE_URL", None, "OPENAI_BASE_URL"),
            finetune_api_key=env("FINETUNE_API_KEY", None, "OPENAI_API_KEY"),
        )

    # The data directory and what lives in it (created on first use, like data_dir()).
    @property
    def data_dir(self) -> Path:
        self.data_root.mkdir(parents=True, exist_ok=True)
        return self.data_root

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "company-reviewer.sqlite"

    @property
    def embeddings_dir(self) -> Path:
        return self.data_dir / "embeddings"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"

    @property
    def labels_dir(self) -> Path:
        return self.data_dir / "labels"

    @property
    def registry_dir(self) -> Path:
        return self.data_dir / "registry"

    @property
    def finetune_dir(self) -> Path:
        return self.data_dir / "finetune"

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"

    @property
    def mlflow_db(self) -> Path:
        return self.data_dir / "mlflow.db"

    @property
    def mlruns_dir(self) -> Path:
        return self.data_dir / "mlruns"

    @property
    def prices_file(self) -> Path:
        return self.data_dir / "prices.yaml"


def default_database_url() -> str:
    return f"sqlite:///{data_dir() / 'company-reviewer.sqlite'}"
