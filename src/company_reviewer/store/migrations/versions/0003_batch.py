"""Batch runs and their per-company results (the checkpoint a killed run resumes from).

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "batch_runs",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("params", sa.JSON, nullable=False),
        sa.Column("n_companies", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "batch_results",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_name", sa.String(200), sa.ForeignKey("batch_runs.name"), nullable=False),
        sa.Column("company_key", sa.String(400), nullable=False),
        sa.Column("model_name", sa.String(200), nullable=False),
        sa.Column("model_version", sa.String(100), nullable=False),
        sa.Column("output", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("run_name", "company_key", name="uq_batch_results_company"),
    )


def downgrade() -> None:
    op.drop_table("batch_results")
    op.drop_table("batch_runs")
