"""Engines and schema migration.

Every command that touches the store goes through :func:`get_engine`, which applies pending
Alembic migrations once per URL and process, so a fresh database just works.
"""

from __future__ import annotations

import functools
from importlib import resources

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


def migrate(engine: sa.Engine, revision: str = "head") -> None:
    """Apply the numbered Alembic migrations up to ``revision`` (recorded in ``alembic_version``)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resources.files("company_reviewer.store") / "migrations"))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_revision(engine: sa.Engine) -> str | None:
    with engine.connect() as connection:
        from alembic.runtime.migration import MigrationContext

        return MigrationContext.configure(connection).get_current_revision()
