"""Reviews, ingest batches, quarantine and snapshots.

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ingest_batches",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source_file", sa.Text, nullable=False),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        sa.Column("preset", sa.String(50), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("rows_read", sa.Integer, nullable=False),
        sa.Column("stored", sa.Integer, nullable=False),
        sa.Column("duplicates", sa.Integer, nullable=False),
        sa.Column("quarantined", sa.Integer, nullable=False),
    )
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("content_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("company", sa.String(200), nullable=False),
        sa.Column("review_id", sa.String(200), nullable=False),
        sa.Column("date", sa.Date),
        sa.Column("job_title", sa.String(300)),
        sa.Column("employee_status", sa.String(100)),
        sa.Column("location", sa.String(300)),
        sa.Column("rating_overall", sa.Float),
        sa.Column("headline", sa.Text),
        sa.Column("pros", sa.Text),
        sa.Column("cons", sa.Text),
        sa.Column("advice", sa.Text),
        sa.Column("text", sa.Text),
        sa.Column("language", sa.String(16)),
        sa.Column("sub_ratings", sa.JSON, nullable=False),
        sa.Column("attributes", sa.JSON, nullable=False),
        sa.Column("batch_id", sa.Integer, sa.ForeignKey("ingest_batches.id")),
    )
    op.create_index("ix_reviews_company", "reviews", ["company", "source"])
    op.create_table(
        "quarantine",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("raw_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("batch_id", sa.Integer, sa.ForeignKey("ingest_batches.id")),
        sa.Column("source_file", sa.Text, nullable=False),
        sa.Column("row_number", sa.Integer),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("raw", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "snapshots",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("description", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("n_reviews", sa.Integer, nullable=False),
        sa.Column("selection", sa.JSON, nullable=False),
    )
    op.create_table(
        "snapshot_reviews",
        sa.Column("snapshot_id", sa.Integer, sa.ForeignKey("snapshots.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("review_pk", sa.Integer, sa.ForeignKey("reviews.id"), primary_key=True),
    )


def downgrade() -> None:
    for table in ("snapshot_reviews", "snapshots", "quarantine", "reviews", "ingest_batches"):
        op.drop_table(table)
