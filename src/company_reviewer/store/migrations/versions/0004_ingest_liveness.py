"""Ingest batches record who runs them (host, pid) and when they last made progress, so the next
ingest can mark a batch whose process died (``kill -9``) as ``interrupted`` instead of leaving it
``running`` forever; and how many of their stored reviews had text cut at the length cap.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ingest_batches") as batch:
        batch.add_column(sa.Column("host", sa.String(255)))
        batch.add_column(sa.Column("pid", sa.Integer))
        batch.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("truncated", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("ingest_batches") as batch:
        for name in ("truncated", "heartbeat_at", "pid", "host"):
            batch.drop_column(name)
