"""The store on both backends: migrations, companies, snapshots."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import sqlalchemy as sa

from company_reviewer.store.ingest import ingest_file
from company_reviewer.store import tables
from company_reviewer.store.db import current_revision
from company_reviewer.store.repository import list_companies, load_reviews_frame
from company_reviewer.store.snapshots import SnapshotError, create_snapshot, list_snapshots, load_snapshot

ROWS = [
    ("Acme Corp", "a1", "2024-01-05", "4", "Good pay", "Great salary and bonus", "Long hours"),
    ("Acme Corp", "a2", "2024-03-01", "2", "Meh", "Nice colleagues", "Bad management"),
    ("Beta GmbH", "b1", "2025-06-30", "5", "Super", "Flexible hours", "Old laptops"),
]


def write_csv(path: Path, rows=ROWS) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["company", "review_id", "date", "rating_overall", "headline", "pros", "cons"])
        writer.writerows(rows)
    return path


def test_migrations_are_numbered_and_recorded(engine):
    assert current_revision(engine) == max(p.stem.split("_")[0] for p in
                                           (Path(tables.__file__).parent / "migrations" / "versions").glob("0*.py"))
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def test_companies_and_frames(engine, tmp_path):
    ingest_file(write_csv(tmp_path / "r.csv"), engine, source="test")
    companies = list_companies(engine)
    assert companies["company"].tolist() == ["Acme Corp", "Beta GmbH"]
    assert companies["n_reviews"].tolist() == [2, 1]
    assert str(companies.loc[0, "date_min"]) == "2024-01-05"
    frame = load_reviews_frame(engine, ["test::Acme Corp"])
    assert frame["review_id"].tolist() == ["a1", "a2"]
    assert frame["review_key"].tolist() == ["test:a1", "test:a2"]
    assert load_reviews_frame(engine, ["Beta GmbH"])["pros"].tolist() == ["Flexible hours"]


def test_snapshot_freezes_and_verifies(engine, tmp_path):
    ingest_file(write_csv(tmp_path / "r.csv"), engine, source="test")
    info = create_snapshot(engine, "v1", companies=["Acme Corp"])
    assert info.n_reviews == 2 and len(info.content_hash) == 64
    # Later data does not change what the snapshot holds.
    ingest_file(write_csv(tmp_path / "more.csv", [("Acme Corp", "a3", "", "3", "x", "ok pay", "")]), engine,
                source="test")
    assert load_snapshot(engine, "v1")["review_id"].tolist() == ["a1", "a2"]
    assert [s.name for s in list_snapshots(engine)] == ["v1"]
    with pytest.raises(SnapshotError, match="already exists"):
        create_snapshot(engine, "v1")
    with pytest.raises(SnapshotError, match="no snapshot named"):
        load_snapshot(engine, "nope")
    # Tampering with a frozen review is detected.
    with engine.begin() as connection:
        connection.execute(tables.reviews.update().where(tables.reviews.c.review_id == "a1")
                           .values(content_hash="0" * 64))
    with pytest.raises(SnapshotError, match="no longer matches"):
        load_snapshot(engine, "v1")


def test_snapshot_of_nothing_is_refused(engine):
    with pytest.raises(SnapshotError, match="matches no reviews"):
        create_snapshot(engine, "empty")
