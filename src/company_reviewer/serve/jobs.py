"""Batch jobs: many companies reviewed by a background worker thread, state kept in the store.

A job is queued in the ``jobs`` table and picked up by the worker; progress (``n_done``) and the
results are written back, so ``GET /v1/jobs/{id}`` works from any process. Jobs still queued when the
server stopped run when it starts again; a worker claims a job atomically (queued -> running), so
two servers on one store never run the same job. A job cut off by a crash stays ``running``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import queue
import threading
import uuid

import sqlalchemy as sa

from company_reviewer.serve.inputs import InvalidReviews, validate_reviews
from company_reviewer.serve.service import ReviewService, UnknownCompany
from company_reviewer.store import tables

log = logging.getLogger(__name__)
FIELDS = ("id", "status", "created_at", "started_at", "finished_at", "n_total", "n_done", "result", "error")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class JobRunner:
    def __init__(self, service: ReviewService) -> None:
        self.service = service
        self.engine = service.engine
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        j = tables.jobs
        with self.engine.connect() as connection:
            unfinished = connection.execute(sa.select(j.c.id).where(j.c.status == "queued")
                                            .order_by(j.c.created_at)).scalars().all()
        for job_id in unfinished:
            self._queue.put(job_id)
        self._thread = threading.Thread(target=self._run, name="review-jobs", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=60)
            self._thread = None

    def submit(self, request: dict, api_key_id: int | None) -> str:
        job_id = uuid.uuid4().hex
        n_total = len(request.get("companies", [])) + len(request.get("inputs", []))
        with self.engine.begin() as connection:
            connection.execute(tables.jobs.insert().values(
                id=job_id, api_key_id=api_key_id, status="queued", created_at=_now(), request=request,
                n_total=n_total, n_done=0))
        self._queue.put(job_id)
        return job_id

    def get(self, job_id: str, api_key_id: int | None) -> dict | None:
        """The job as the API shows it; None when it does not exist or belongs to another key."""
        j = tables.jobs
        query = sa.select(*(j.c[name] for name in FIELDS), j.c.api_key_id).where(j.c.id == job_id)
        with self.engine.connect() as connection:
            row = connection.execute(query).mappings().first()
        if row is None or row["api_key_id"] != api_key_id:
            return None
        job = {name: row[name] for name in FIELDS}
        for name in ("created_at", "started_at", "finished_at"):
            job[name] = job[name].isoformat() if job[name] else None
        job["results"] = job.pop("result") or []
        return job

    def _run(self) -> None:
        while (job_id := self._queue.get()) is not None:
            try:
                self._execute(job_id)
            except Exception as exc:  # a bug must not kill the worker: the job says what happened
                log.exception("job %s failed", job_id)
                self._update(job_id, status="failed", finished_at=_now(), error=f"{type(exc).__name__}: {exc}")

    def _execute(self, job_id: str) -> None:
        j = tables.jobs
        with self.engine.connect() as connection:
            request = connection.execute(sa.select(j.c.request).where(j.c.id == job_id)).scalar_one()
        with self.engine.begin() as connection:
            claimed = connection.execute(j.update().where(j.c.id == job_id, j.c.status == "queued")
                                         .values(status="running", started_at=_now())).rowcount
        if not claimed:  # another server took it
            return
        model, max_reviews = request.get("model") or "embedded", request.get("max_reviews")
        results: list[dict] = []
        request_id = f"job:{job_id}"
        for company in request.get("companies", []):
            try:
                entry, _ = self.service.company_review(company, model, max_reviews or self.service.settings.max_reviews,
                                                       request_id)
                results.append({"company": company, "review": json.loads(entry.body)})
            except UnknownCompany:
                results.append({"company": company, "error": f"no reviews for {company!r} in the store"})
            self._update(job_id, n_done=len(results))
        for item in request.get("inputs", []):
            try:
                reviews = validate_reviews(item["company"], item["reviews"], self.service.settings.max_text_chars)
                review = self.service.review_posted(item["company"], reviews, model, max_reviews, request_id)
                results.append({"company": item["company"], "review": review.model_dump(mode="json")})
            except InvalidReviews as exc:
                results.append({"company": item["company"], "error": str(exc)})
            self._update(job_id, n_done=len(results))
        self._update(job_id, status="done", finished_at=_now(), result=results)

    def _update(self, job_id: str, **values) -> None:
        with self.engine.begin() as connection:
            connection.execute(tables.jobs.update().where(tables.jobs.c.id == job_id).values(**values))
