"""API keys (stored as SHA-256 hashes, shown by prefix only) and per-key rate limiting.

A key is ``crk_`` plus 32 random bytes (URL-safe base64); only its SHA-256 is stored, so a leaked
database does not leak usable keys. Verified keys are remembered for a few seconds so the hot path
does not query the store on every request; a revocation therefore takes effect within
``key_cache_seconds``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import secrets
import threading
import time
from dataclasses import dataclass

import sqlalchemy as sa

from company_reviewer.store import tables

KEY_PREFIX = "crk_"
SHOWN_CHARS = 12  # "crk_" and 8 random characters: enough to tell keys apart, useless to an attacker


class ApiKeyError(ValueError):
    """A key cannot be created or revoked as asked; the message says why."""


@dataclass(frozen=True)
class ApiKey:
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def create_key(engine: sa.Engine, name: str) -> str:
    """A new key for ``name`` (returned once, never stored); one active key per name."""
    name = name.strip()
    if not name or len(name) > 100:
        raise ApiKeyError("a key name must be 1-100 characters")
    k = tables.api_keys
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    with engine.begin() as connection:
        active = connection.execute(
            sa.select(k.c.id).where(k.c.name == name, k.c.revoked_at.is_(None))).first()
        if active:
            raise ApiKeyError(f"an active key named {name!r} exists; revoke it first "
                            f"(`company-reviewer keys revoke {name}`) or choose another name")
        connection.execute(k.insert().values(name=name, prefix=key[:SHOWN_CHARS], key_hash=hash_key(key),
                                             created_at=_now()))
    return key


def list_keys(engine: sa.Engine) -> list[ApiKey]:
    k = tables.api_keys
    with engine.connect() as connection:
        rows = connection.execute(sa.select(k.c.id, k.c.name, k.c.prefix, k.c.created_at, k.c.revoked_at)
                                  .order_by(k.c.id)).all()
    return [ApiKey(*row) for row in rows]


def revoke_key(engine: sa.Engine, name: str) -> int:
    """Revoke the active key(s) named ``name``; how many were revoked."""
    k = tables.api_keys
    with engine.begin() as connection:
        result = connection.execute(k.update().where(k.c.name == name, k.c.revoked_at.is_(None))
                                    .values(revoked_at=_now()))
    if result.rowcount == 0:
        raise ApiKeyError(f"no active key named {name!r}; see `company-reviewer keys list`")
    return result.rowcount


class KeyVerifier:
    """Looks keys up by hash, remembering answers (valid id or invalid) for ``ttl`` seconds."""

    def __init__(self, engine: sa.Engine, ttl: float) -> None:
        self.engine = engine
        self.ttl = ttl
        self._seen: dict[str, tuple[float, int | None]] = {}

    def key_id(self, key: str) -> int | None:
        """The key's id when it exists and is not revoked, else None."""
        digest = hash_key(key)
        now = time.monotonic()
        hit = self._seen.get(digest)
        if hit is not None and now - hit[0] < self.ttl:
            return hit[1]
        k = tables.api_keys
        with self.engine.connect() as connection:
            row = connection.execute(sa.select(k.c.id).where(k.c.key_hash == digest, k.c.revoked_at.is_(None))).first()
        found = row[0] if row else None
        if len(self._seen) > 10_000:  # many bad keys: forget rather than grow without bound
            self._seen.clear()
        self._seen[digest] = (now, found)
        return found


class RateLimiter:
    """A token bucket per client: ``rate`` requests/s refill, at most ``burst`` at once."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self._buckets: dict[object, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def acquire(self, client: object) -> float:
        """0.0 when the request may go ahead, else the seconds to wait before retrying."""
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(client, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[client] = (tokens - 1.0, now)
                return 0.0
            self._buckets[client] = (tokens, now)
            return (1.0 - tokens) / self.rate if self.rate > 0 else math.inf
