"""Table definitions (SQLAlchemy Core). Migrations in ``migrations/versions`` create them.

Core rather than ORM: ingestion inserts thousands of rows per transaction and the rest of the
product reads frames, so mapped objects would only add overhead.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

ingest_batches = sa.Table(
    "ingest_batches", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("source_file", sa.Text, nullable=False),
    sa.Column("file_sha256", sa.String(64), nullable=False),
    sa.Column("preset", sa.String(50), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),  # running | complete | failed | interrupted
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
    sa.Column("rows_read", sa.Integer, nullable=False, default=0),
    sa.Column("stored", sa.Integer, nullable=False, default=0),
    sa.Column("duplicates", sa.Integer, nullable=False, default=0),
    sa.Column("quarantined", sa.Integer, nullable=False, default=0),
    # Migration 0004: who runs the batch and when it last committed a chunk (a batch whose process
    # is gone is marked interrupted by the next ingest), and how many stored reviews were truncated.
    sa.Column("host", sa.String(255)),
    sa.Column("pid", sa.Integer),
    sa.Column("heartbeat_at", sa.DateTime(timezone=True)),
    sa.Column("truncated", sa.Integer, nullable=False, default=0, server_default="0"),
)

reviews = sa.Table(
    "reviews", metadata,
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
    sa.Index("ix_reviews_company", "company", "source"),
)

quarantine = sa.Table(
    "quarantine", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("raw_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("batch_id", sa.Integer, sa.ForeignKey("ingest_batches.id")),
    sa.Column("source_file", sa.Text, nullable=False),
    sa.Column("row_number", sa.Integer),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("raw", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

snapshots = sa.Table(
    "snapshots", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("description", sa.Text),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("n_reviews", sa.Integer, nullable=False),
    sa.Column("selection", sa.JSON, nullable=False),
)

snapshot_reviews = sa.Table(
    "snapshot_reviews", metadata,
    sa.Column("snapshot_id", sa.Integer, sa.ForeignKey("snapshots.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("review_pk", sa.Integer, sa.ForeignKey("reviews.id"), primary_key=True),
)

# -- Serving (migration 0002): API keys, the prediction log, the review cache, batch jobs ---------

api_keys = sa.Table(
    "api_keys", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("prefix", sa.String(16), nullable=False),  # shown in listings; the key itself is never stored
    sa.Column("key_hash", sa.String(64), nullable=False, unique=True),  # sha256 of the whole key
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True)),
)

prediction_log = sa.Table(
    "prediction_log", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("request_id", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("company", sa.String(300), nullable=False),
    sa.Column("input_hash", sa.String(64), nullable=False),
    sa.Column("model_name", sa.String(200), nullable=False),
    sa.Column("model_version", sa.String(100), nullable=False),
    sa.Column("latency_ms", sa.Float, nullable=False),
    # The CompanyReview; SQL NULL (not JSON null) for cache hits and errors.
    sa.Column("output", sa.JSON(none_as_null=True)),
    sa.Column("status", sa.String(20), nullable=False),  # ok | cached | error
    sa.Index("ix_prediction_log_created_at", "created_at"),
    sa.Index("ix_prediction_log_company", "company"),
)

review_cache = sa.Table(
    "review_cache", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("company", sa.String(300), nullable=False),
    sa.Column("model_name", sa.String(200), nullable=False),
    sa.Column("model_version", sa.String(100), nullable=False),
    sa.Column("data_fingerprint", sa.String(64), nullable=False),
    sa.Column("max_reviews", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("output", sa.Text, nullable=False),  # the CompanyReview JSON, served as stored
    sa.UniqueConstraint("company", "model_name", "max_reviews", name="uq_review_cache_entry"),
)

jobs = sa.Table(
    "jobs", metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("api_key_id", sa.Integer),  # the key that created it (only that key may read it)
    sa.Column("status", sa.String(20), nullable=False),  # queued | running | done | failed
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True)),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
    sa.Column("request", sa.JSON, nullable=False),
    sa.Column("n_total", sa.Integer, nullable=False),
    sa.Column("n_done", sa.Integer, nullable=False),
    sa.Column("result", sa.JSON(none_as_null=True)),
    sa.Column("error", sa.Text),
)

# -- Batch runs (migration 0003): per-company checkpoints a killed run resumes from ----------

batch_runs = sa.Table(
    "batch_runs", metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("params", sa.JSON, nullable=False),
    sa.Column("n_companies", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
)

batch_results = sa.Table(
    "batch_results", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_name", sa.String(200), sa.ForeignKey("batch_runs.name"), nullable=False),
    sa.Column("company_key", sa.String(400), nullable=False),
    sa.Column("model_name", sa.String(200), nullable=False),
    sa.Column("model_version", sa.String(100), nullable=False),
    sa.Column("output", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("run_name", "company_key", name="uq_batch_results_company"),
)
