"""Dataset snapshots: a named, frozen set of review ids with a content hash.

Training and evaluation record the snapshot they used; :func:`load_snapshot` re-checks the hash, so
a snapshot whose reviews were altered is detected instead of silently reproducing something else.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Sequence

import pandas as pd
import sqlalchemy as sa

from company_reviewer.store import tables
from company_reviewer.store.repository import load_reviews_frame


class SnapshotError(ValueError):
    """Unknown, duplicate or corrupted snapshot; the message says what to do."""


@dataclass(frozen=True)
class SnapshotInfo:
    name: str
    created_at: dt.datetime
    content_hash: str
    n_reviews: int
    description: str | None
    selection: dict


def _hash_of(content_hashes: Sequence[str]) -> str:
    digest = hashlib.sha256()
    for value in sorted(content_hashes):
        digest.update(value.encode())
    return digest.hexdigest()


def create_snapshot(
    engine: sa.Engine,
    name: str,
    *,
    companies: Sequence[str] | None = None,
    sources: Sequence[str] | None = None,
    description: str | None = None,
) -> SnapshotInfo:
    """Freeze the reviews currently matching the selection under ``name``."""
    s = tables.snapshots
    with engine.begin() as connection:
        if connection.execute(sa.select(s.c.id).where(s.c.name == name)).first():
            raise SnapshotError(f"snapshot {name!r} already exists; snapshots are immutable, pick a new name")
        frame = load_reviews_frame(engine, companies, sources=sources)
        if frame.empty:
            raise SnapshotError("the selection matches no reviews; ingest data first or widen the selection")
        selection = {"companies": list(companies or []), "sources": list(sources or [])}
        info = SnapshotInfo(
            name=name, created_at=dt.datetime.now(dt.timezone.utc),
            content_hash=_hash_of(frame["content_hash"].tolist()), n_reviews=len(frame),
            description=description, selection=selection,
        )
        snapshot_id = connection.execute(
            s.insert().values(
                name=name, description=description, created_at=info.created_at,
                content_hash=info.content_hash, n_reviews=info.n_reviews, selection=selection,
            )
        ).inserted_primary_key[0]
        connection.execute(
            tables.snapshot_reviews.insert(),
            [{"snapshot_id": snapshot_id, "review_pk": int(pk)} for pk in frame["pk"]],
        )
    return info


def _info(row: sa.RowMapping) -> SnapshotInfo:
    return SnapshotInfo(
        name=row["name"], created_at=row["created_at"], content_hash=row["content_hash"],
        n_reviews=row["n_reviews"], description=row["description"], selection=row["selection"],
    )


def list_snapshots(engine: sa.Engine) -> list[SnapshotInfo]:
    with engine.connect() as connection:
        rows = connection.execute(sa.select(tables.snapshots).order_by(tables.snapshots.c.id)).mappings()
        return [_info(row) for row in rows]


def get_snapshot(engine: sa.Engine, name: str) -> SnapshotInfo:
    with engine.connect() as connection:
        row = connection.execute(
            sa.select(tables.snapshots).where(tables.snapshots.c.name == name)
        ).mappings().first()
    if row is None:
        known = ", ".join(info.name for info in list_snapshots(engine)) or "none yet"
        raise SnapshotError(f"no snapshot named {name!r} (known: {known}); create it with `snapshot create`")
    return _info(row)


def load_snapshot(engine: sa.Engine, name: str) -> pd.DataFrame:
    """The snapshot's reviews as a frame (as ``load_reviews_frame``), verified against its hash."""
    info = get_snapshot(engine, name)
    frame = load_reviews_frame(engine, snapshot=name)
    if len(frame) != info.n_reviews or _hash_of(frame["content_hash"].tolist()) != info.content_hash:
        raise SnapshotError(
            f"snapshot {name!r} no longer matches its content hash: reviews were changed or deleted. "
            "Create a new snapshot from the current data."
        )
    return frame
