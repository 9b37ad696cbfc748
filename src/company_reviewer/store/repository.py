"""Queries over the store: reviews as frames, companies, quarantine."""

from __future__ import annotations

from typing import Any, Sequence

import pandas as pd
import sqlalchemy as sa

from company_reviewer.data.records import CANONICAL_COLUMNS
from company_reviewer.store import tables


def insert_ignoring_conflicts(connection: sa.Connection, table: sa.Table, rows: list[dict], key: str) -> int:
    """Bulk insert that skips rows whose unique ``key`` already exists (another writer won the race).

    Returns how many rows this call inserted (the database's own count, so two concurrent
    writers of the same rows together report each row once). Runs inside the caller's
    transaction; rows are stored in input order. Values are bound exactly
    as SQLAlchemy binds them (the column types' bind processors), but sent in bulk: SQLite gets one
    ``executemany`` of a prepared ``INSERT ... ON CONFLICT (key) DO NOTHING``, PostgreSQL a ``COPY``
    (see :func:`_copy_ignoring_conflicts`). Rows whose keys differ, or other backends, go through
    the plain SQLAlchemy statement.
    """
    if not rows:
        return 0
    dialect = connection.dialect
    names = list(rows[0])
    if dialect.name not in ("postgresql", "sqlite") or any(row.keys() != rows[0].keys() for row in rows):
        return _insert_with_sqlalchemy(connection, table, rows, key)
    columns = [_bound([row[name] for row in rows], table.c[name].type.dialect_impl(dialect).bind_processor(dialect))
               for name in names]
    if dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert

        compiled = insert(table).on_conflict_do_nothing(index_elements=[key]).compile(
            dialect=dialect, column_keys=names)
        order = [names.index(name) for name in compiled.positiontup]
        params = list(zip(*(columns[i] for i in order)))
        return connection.exec_driver_sql(compiled.string, params).rowcount
    return _copy_ignoring_conflicts(connection, table, names, columns, key)


def _bound(values: list, processor: Any) -> list:
    """``processor`` (a column type's bind processor) applied to each value, once per distinct
    object: rows often share one dict (sub-ratings, attributes) or one date."""
    if processor is None:
        return values
    done: dict[int, Any] = {}
    out = []
    for value in values:
        key = id(value)
        if key not in done:
            done[key] = processor(value)
        out.append(done[key])
    return out


def _copy_ignoring_conflicts(connection: sa.Connection, table: sa.Table, names: list[str],
                             columns: list[list], key: str) -> int:
    """PostgreSQL: ``COPY`` straight into the table inside a savepoint, which is all it takes when
    no row conflicts (ingest has already dropped the stored hashes); if one does (a concurrent
    writer, a re-run), back to the savepoint and ``COPY`` into a temporary table, then
    ``INSERT ... SELECT ... ON CONFLICT DO NOTHING`` in input order."""
    import psycopg

    quote = connection.dialect.identifier_preparer.quote
    target = connection.dialect.identifier_preparer.format_table(table)
    staging = quote(f"_bulk_{table.name}")
    listed = ", ".join(quote(name) for name in names)
    with connection.connection.driver_connection.cursor() as cursor:
        cursor.execute("SAVEPOINT bulk_insert")
        try:
            with cursor.copy(f"COPY {target} ({listed}) FROM STDIN") as copy:
                for row in zip(*columns):
                    copy.write_row(row)
        except psycopg.errors.UniqueViolation:
            cursor.execute("ROLLBACK TO SAVEPOINT bulk_insert")
        else:
            cursor.execute("RELEASE SAVEPOINT bulk_insert")
            return len(columns[0])
        cursor.execute(f"CREATE TEMPORARY TABLE {staging} ON COMMIT DROP AS "
                       f"SELECT 0::bigint AS _ord, {listed} FROM {target} WITH NO DATA")
        with cursor.copy(f"COPY {staging} (_ord, {listed}) FROM STDIN") as copy:
            for row in zip(range(len(columns[0])), *columns):
                copy.write_row(row)
        cursor.execute(f"INSERT INTO {target} ({listed}) SELECT {listed} FROM {staging} ORDER BY _ord "
                       f"ON CONFLICT ({quote(key)}) DO NOTHING")
        inserted = cursor.rowcount
        cursor.execute(f"DROP TABLE {staging}")
        return inserted


def _insert_with_sqlalchemy(connection: sa.Connection, table: sa.Table, rows: list[dict], key: str) -> int:
    """The plain SQLAlchemy statement (rows with differing keys, other backends); one statement
    per row, so that the count of inserted rows is exact on every driver."""
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif connection.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - other backends get a plain insert
        return connection.execute(table.insert(), rows).rowcount
    statement = insert(table).on_conflict_do_nothing(index_elements=[key])
    return sum(connection.execute(statement, row).rowcount for row in rows)


def company_key(source: str, company: str) -> str:
    """A company name is unique only together with its source."""
    return f"{source}::{company}"


def review_key(source: str, review_id: str) -> str:
    return f"{source}:{review_id}"


def load_reviews_frame(
    engine: sa.Engine,
    companies: Sequence[str] | None = None,
    *,
    sources: Sequence[str] | None = None,
    snapshot: str | None = None,
) -> pd.DataFrame:
    """Reviews as a frame of canonical columns plus ``pk``, ``review_key``, ``company_key``,
    ``content_hash``, ``sub_ratings`` and ``attributes``, ordered by primary key.

    ``companies`` matches either a plain company name or a ``source::company`` key; ``snapshot``
    restricts to the reviews frozen in that snapshot (a join, so any size works).
    """
    r = tables.reviews
    query = sa.select(r).order_by(r.c.id)
    if companies:
        plain = [c for c in companies if "::" not in c]
        keyed = [tuple(c.split("::", 1)) for c in companies if "::" in c]
        conditions = []
        if plain:
            conditions.append(r.c.company.in_(plain))
        for source, company in keyed:
            conditions.append(sa.and_(r.c.source == source, r.c.company == company))
        query = query.where(sa.or_(*conditions))
    if sources:
        query = query.where(r.c.source.in_(list(sources)))
    if snapshot is not None:
        sr, s = tables.snapshot_reviews, tables.snapshots
        query = (query.join(sr, sr.c.review_pk == r.c.id).join(s, s.c.id == sr.c.snapshot_id)
                 .where(s.c.name == snapshot))
    with engine.connect() as connection:
        frame = pd.DataFrame(connection.execute(query).mappings().all())
    if frame.empty:
        frame = pd.DataFrame(columns=[c.name for c in r.columns])
    frame = frame.rename(columns={"id": "pk"})
    frame["review_key"] = [review_key(s, i) for s, i in zip(frame["source"], frame["review_id"])]
    frame["company_key"] = [company_key(s, c) for s, c in zip(frame["source"], frame["company"])]
    ordered = ["pk", "review_key", "company_key", *CANONICAL_COLUMNS, "sub_ratings", "attributes", "content_hash"]
    return frame[ordered].reset_index(drop=True)


def list_companies(engine: sa.Engine) -> pd.DataFrame:
    """One row per (source, company): review count, date range, mean overall rating."""
    r = tables.reviews
    query = (
        sa.select(
            r.c.source, r.c.company, sa.func.count().label("n_reviews"),
            sa.func.min(r.c.date).label("date_min"), sa.func.max(r.c.date).label("date_max"),
            sa.func.avg(r.c.rating_overall).label("mean_rating"),
        )
        .group_by(r.c.source, r.c.company)
        .order_by(r.c.company, r.c.source)
    )
    with engine.connect() as connection:
        rows = connection.execute(query).mappings().all()
    return pd.DataFrame(rows, columns=["source", "company", "n_reviews", "date_min", "date_max", "mean_rating"])


def quarantined_rows(engine: sa.Engine, limit: int = 50) -> pd.DataFrame:
    q = tables.quarantine
    query = sa.select(q.c.id, q.c.source_file, q.c.row_number, q.c.reason, q.c.raw).order_by(q.c.id).limit(limit)
    with engine.connect() as connection:
        return pd.DataFrame(connection.execute(query).mappings().all(),
                            columns=["id", "source_file", "row_number", "reason", "raw"])
