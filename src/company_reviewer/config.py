"""Typed, immutable configuration with environment-variable overrides.

One function, :func:`data_dir`, decides where everything the product writes lives.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ENV_PREFIX = "COMPANY_REVIEWER_"


def data_dir() -> Path:
    """The directory holding the embedded database, caches and run logs.

    ``COMPANY_REVIEWER_DATA_DIR`` overrides; otherwise ``$XDG_DATA_HOME/company-reviewer``
    (``~/.local/share/company-reviewer``). Created on first use.
    """
    explicit = os.environ.get(f"{ENV_PREFIX}DATA_DIR")
    if explicit:
        path = Path(explicit).expanduser()
    else:
        base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
        path = Path(base) / "company-reviewer"
    path.mkdir(parents=True, exist_ok=True)
    return path


def shared_data_dir() -> Path:
    """Where the real review data for training, tests and benchmarks lives (read only).

    ``COMPANY_REVIEWER_SHARED_DATA`` overrides; by default ``../shared/data`` beside the repository.
    """
    explicit = os.environ.get(f"{ENV_PREFIX}SHARED_DATA")
    if explicit:
        return Path(explicit).expanduser()
    repo_root = Path(__file__).resolve().parents[2]
    return repo_root.parent / "shared" / "data"


def _env(name: str, default: str) -> str:
    return os.environ.get(f"{ENV_PREFIX}{name}", default)


@dataclass(frozen=True)
class Settings:
    """Run-time settings; build with :meth:`from_env` so every field can be overridden.

    ``max_text_chars`` (``COMPANY_REVIEWER_MAX_TEXT_CHARS``, 5000): ingest cuts a longer text field
    (headline, pros, cons, advice, text) at a word boundary, appends "…", gives the review the
    attribute ``truncated`` naming the cut fields and counts it in the summary's ``truncated``.
    ``ingest_chunk_rows`` (``..._INGEST_CHUNK_ROWS``, 5000): rows per transaction.
    ``ingest_stale_after_s`` (``..._INGEST_STALE_AFTER_S``, 3600): a batch still ``running`` whose
    process is gone, or that committed nothing for this long, is marked ``interrupted``.
    """

    database_url: str
    max_text_chars: int = 5000
    ingest_chunk_rows: int = 5000
    max_reviews: int = 50
    random_state: int = 0
    ingest_stale_after_s: float = 3600.0

    @classmethod
    def from_env(cls, database_url: str | None = None) -> "Settings":
        url = database_url or os.environ.get(f"{ENV_PREFIX}DATABASE_URL") or default_database_url()
        return cls(
            database_url=url,
            max_text_chars=int(_env("MAX_TEXT_CHARS", "5000")),
            ingest_chunk_rows=int(_env("INGEST_CHUNK_ROWS", "5000")),
            max_reviews=int(_env("MAX_REVIEWS", "50")),
            random_state=int(_env("RANDOM_STATE", "0")),
            ingest_stale_after_s=float(_env("INGEST_STALE_AFTER_S", "3600")),
        )


def default_database_url() -> str:
    return f"sqlite:///{data_dir() / 'company-reviewer.sqlite'}"
