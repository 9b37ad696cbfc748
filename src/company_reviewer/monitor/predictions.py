"""Served outputs for prediction-drift checks: the store's prediction log, or JSONL files of
company reviews (``review --format jsonl`` or a batch run's output)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

PREDICTION_LOG = "prediction_log"


def read_prediction_file(path: str | Path) -> pd.DataFrame:
    """One company review per line (JSONL) or a JSON array of them."""
    text = Path(path).read_text(encoding="utf-8").strip()
    if not text:
        return pd.DataFrame({"output": []})
    if text.startswith("["):
        outputs = json.loads(text)
    else:
        outputs = [json.loads(line) for line in text.splitlines() if line.strip()]
    return pd.DataFrame({"output": outputs})


def read_prediction_log(engine: sa.Engine, *, since: dt.datetime | None = None,
                        until: dt.datetime | None = None) -> pd.DataFrame:
    """Rows of the prediction log in ``[since, until)``; empty when the store has no log yet."""
    if not sa.inspect(engine).has_table(PREDICTION_LOG):
        return pd.DataFrame({"output": []})
    table = sa.Table(PREDICTION_LOG, sa.MetaData(), autoload_with=engine)
    query = sa.select(table)
    if since is not None:
        query = query.where(table.c.created_at >= since)
    if until is not None:
        query = query.where(table.c.created_at < until)
    with engine.connect() as connection:
        frame = pd.DataFrame(connection.execute(query).mappings().all())
    if frame.empty:
        return pd.DataFrame({"output": []})
    frame["output"] = [json.loads(v) if isinstance(v, str) else v for v in frame["output"]]
    return frame


def log_windows(engine: sa.Engine, *, window_days: float, now: dt.datetime | None = None
                ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(everything logged before the last ``window_days``, the last ``window_days``)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    split = now - dt.timedelta(days=window_days)
    # SQLite stores naive datetimes; compare like with like.
    if engine.dialect.name == "sqlite":
        split = split.replace(tzinfo=None)
    return read_prediction_log(engine, until=split), read_prediction_log(engine, since=split)
