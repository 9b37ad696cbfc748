"""The prediction log: one row per served review, written in batches by a background thread.

Requests only append to a queue, so logging adds microseconds to a response, and the store sees
one transaction per batch instead of one per request. ``flush`` waits until everything queued so
far is written (tests, shutdown).
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import threading

import sqlalchemy as sa

from company_reviewer.store import tables

log = logging.getLogger(__name__)
BATCH_ROWS = 500


class PredictionLog:
    def __init__(self, engine: sa.Engine, interval: float = 0.5) -> None:
        self.engine = engine
        self.interval = interval
        self._queue: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def record(self, *, request_id: str, company: str, input_hash: str, model_name: str, model_version: str,
               latency_ms: float, output: dict | None, status: str) -> None:
        self._queue.put(dict(request_id=request_id, created_at=dt.datetime.now(dt.timezone.utc), company=company,
                             input_hash=input_hash, model_name=model_name, model_version=model_version,
                             latency_ms=round(latency_ms, 3), output=output, status=status))

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="prediction-log", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join(timeout=30)
            self._thread = None
        self._write_pending()

    def flush(self) -> None:
        """Write everything recorded so far (from the caller's thread when no writer runs)."""
        if self._thread is None:
            self._write_pending()
            return
        done = threading.Event()
        self._queue.put(done)
        done.wait(timeout=30)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._stop.wait(self.interval)
            self._write_pending()

    def _write_pending(self) -> None:
        rows, waiters = [], []
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            (waiters if isinstance(item, threading.Event) else rows).append(item)
            if len(rows) >= BATCH_ROWS:
                self._insert(rows)
                rows = []
        self._insert(rows)
        for waiter in waiters:
            waiter.set()

    def _insert(self, rows: list[dict]) -> None:
        if not rows:
            return
        try:
            with self.engine.begin() as connection:
                connection.execute(tables.prediction_log.insert(), rows)
        except sa.exc.SQLAlchemyError:  # the service keeps serving; the gap shows in the log's ids
            log.exception("could not write %d prediction log rows", len(rows))
