"""Engines and schema migration.

Every command that touches the store goes through :func:`get_engine`, which applies pending
Alembic migrations once per URL and process, so a fresh database just works. Migrations are
serialised across processes (a lock file next to a SQLite database, an advisory lock on
PostgreSQL), so two commands starting on the same new database do not both create its tables.
"""

from __future__ import annotations

import contextlib
import functools
import os
import time
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import sqlalchemy as sa

from company_reviewer.config import Settings


class StoreError(RuntimeError):
    """The database cannot be reached or migrated; the message says what to do."""


def resolve_url(url: str | None = None) -> str:
    """``--database URL`` wins, then ``COMPANY_REVIEWER_DATABASE_URL``, then the embedded SQLite file."""
    return Settings.from_env(database_url=url).database_url


def _normalise(url: str) -> str:
    # "postgresql://" would pick psycopg2, which is not installed; psycopg 3 is.
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


@functools.lru_cache(maxsize=16)
def get_engine(url: str | None = None) -> sa.Engine:
    """A migrated engine for ``url`` (resolved as in :func:`resolve_url`)."""
    resolved = _normalise(resolve_url(url))
    kwargs: dict = {"future": True}
    if resolved.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": 60}
    engine = sa.create_engine(resolved, **kwargs)
    if resolved.startswith("sqlite"):
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    try:
        migrate(engine)
    except sa.exc.OperationalError as exc:
        raise StoreError(
            f"cannot open the database at {engine.url.render_as_string(hide_password=True)}: "
            f"{exc.orig}. Check that the server runs and the URL is right, or pass --database URL."
        ) from exc
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers (the API) work while an ingest writes; foreign keys are off by default in SQLite.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


# Any 64-bit key that no other application on the same PostgreSQL server is likely to use.
_PG_MIGRATION_LOCK = 0x636F6D7076726576  # "comprev"
MIGRATION_LOCK_TIMEOUT_S = 300


def migrate(engine: sa.Engine, revision: str = "head") -> None:
    """Apply the numbered Alembic migrations up to ``revision`` (recorded in ``alembic_version``),
    holding a cross-process lock so that concurrent first uses of one database migrate it once."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resources.files("company_reviewer.store") / "migrations"))
    with _migration_lock(engine), engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Held until this transaction ends: a second migrator waits, then finds the tables.
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


@contextlib.contextmanager
def _migration_lock(engine: sa.Engine) -> Iterator[None]:
    """An exclusive lock on ``<database file>.migrate.lock`` for a SQLite file (SQLite runs DDL
    outside transactions, so its own locking cannot keep two migrators apart); nothing otherwise
    (PostgreSQL's advisory lock is taken inside the migration's transaction)."""
    database = engine.url.database if engine.url.get_backend_name() == "sqlite" else None
    if not database or database == ":memory:" or database.startswith("file:"):
        yield
        return
    import fcntl

    path = Path(database).expanduser().resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(f"{path}.migrate.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + MIGRATION_LOCK_TIMEOUT_S
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise StoreError(f"another process has been migrating {path} for over "
                                     f"{MIGRATION_LOCK_TIMEOUT_S} s; is a command stuck?") from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # releases the lock


def current_revision(engine: sa.Engine) -> str | None:
    with engine.connect() as connection:
        from alembic.runtime.migration import MigrationContext

        return MigrationContext.configure(connection).get_current_revision()
