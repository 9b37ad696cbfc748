"""Reviewing for the API: one loaded reviewer per model, the review cache, the prediction log.

Store companies are served from a cache keyed by the model (name and version) and a fingerprint
of the company's reviews (their content hashes), so a new model version or new reviews mean a
fresh review. In front of the store's ``review_cache`` table sits an in-memory LRU of ready JSON
bytes, re-checked against the store every ``cache_check_seconds``: the hot path touches neither
the database nor the model. While one request re-checks a review, the API's fast path keeps
serving it to the others (never past twice ``cache_check_seconds`` since its last check), so a due
re-check does not send every concurrent request to the store.
"""

from __future__ import annotations

import datetime as dt
import gc
import logging
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from company_reviewer.reviewer.base import (
    REGISTRY_ALIASES, REGISTRY_PREFIX, Reviewer, UnknownModelError, available_models, get_reviewer,
)
from company_reviewer.reviewer.schema import CompanyReview
from company_reviewer.serve.config import ServeSettings
from company_reviewer.serve.inputs import ValidReviews, fingerprint
from company_reviewer.serve.predictions import PredictionLog
from company_reviewer.store import tables

BASELINES = ("baseline:tfidf", "baseline:mean")
log = logging.getLogger(__name__)


class UnknownCompany(LookupError):
    pass


class ModelNotAllowed(UnknownModelError):
    """A request named a model this server does not offer."""


@dataclass
class CachedReview:
    body: bytes              # the CompanyReview JSON, served as is
    model_name: str          # as the review reports it
    model_version: str
    reviewer_version: str    # the loaded reviewer's version when it was made (the cache key part)
    data_fingerprint: str
    checked_at: float = field(default=0.0)
    checking: bool = field(default=False, repr=False)  # a request is re-checking it against the store
    content_length: bytes = field(init=False, repr=False)  # the header value, made once

    def __post_init__(self) -> None:
        self.content_length = str(len(self.body)).encode()


def listed_models(allowed: tuple[str, ...] = ()) -> list[str]:
    """Models a client can ask for: the registered reviewers, with the baselines spelled out, and
    the specs the operator allowed at ``serve`` time."""
    names = [name for name in available_models() if name != "baseline"]
    return sorted(set(names) | set(BASELINES) | set(allowed), key=lambda name: (name != "embedded", name))


_ALIAS = re.compile(r"[A-Za-z0-9_-]{1,64}")


def is_registry_spec(spec: str) -> bool:
    """``champion``, ``challenger`` or ``registry:<alias or version>`` (a name, never a path)."""
    if spec in REGISTRY_ALIASES:
        return True
    return spec.startswith(REGISTRY_PREFIX) and _ALIAS.fullmatch(spec[len(REGISTRY_PREFIX):]) is not None


def model_allowed(spec: str, allowed: tuple[str, ...] = ()) -> bool:
    """Whether a request may name ``spec``: a built-in, a registry alias or an operator-allowed spec.
    Anything else (``llm:llamacpp:/etc/passwd``...) is refused before any file is looked at."""
    return spec in listed_models(allowed) or is_registry_spec(spec)


def weights_folder(reviewer: Reviewer) -> Path | None:
    """The embedded bundle folder a reviewer reads its weights from (the LLM reviewer's through its
    embedded pipeline), or None for a reviewer without one."""
    from company_reviewer.reviewer.embedded.bundle import default_artifact_path
    from company_reviewer.reviewer.embedded.pipeline import EmbeddedReviewer

    reviewer = getattr(reviewer, "embedded", reviewer)
    if not isinstance(reviewer, EmbeddedReviewer):
        return None
    return Path(reviewer.options.artifact) if reviewer.options.artifact else default_artifact_path()


def weights_signature(reviewer: Reviewer) -> tuple:
    """Cheap (file sizes and times, the backend's identity): changes when the weights may have."""
    from company_reviewer.reviewer.embedded.bundle import stat_signature

    folder = weights_folder(reviewer)
    backend = getattr(reviewer, "backend", None)
    return (None if folder is None else stat_signature(folder),
            backend.identity() if hasattr(backend, "identity") else None)


@dataclass
class LoadedModel:
    reviewer: Reviewer
    signature: tuple
    artifact: str | None = None    # for a registry alias: the bundle folder it resolved to
    resolved_at: float = 0.0       # when the alias was last resolved


def company_filter(company: str):
    """The store condition for a plain company name or a ``SOURCE::NAME`` key
    (as ``store.repository.load_reviews_frame`` reads it)."""
    r = tables.reviews
    if "::" in company:
        source, name = company.split("::", 1)
        return sa.and_(r.c.source == source, r.c.company == name)
    return r.c.company == company


def display_name(company: str) -> str:
    return company.split("::", 1)[-1]


class ReviewService:
    def __init__(self, engine: sa.Engine, settings: ServeSettings) -> None:
        self.engine = engine
        self.settings = settings
        self.log = PredictionLog(engine)
        self._reviewers: dict[str, LoadedModel] = {}
        self._reviewers_lock = threading.Lock()
        self._settled: set[tuple[str, str]] = set()  # (stage, model) frozen out of the collector's reach
        self._memory: OrderedDict[tuple, CachedReview] = OrderedDict()
        self._memory_lock = threading.Lock()
        self._key_locks: dict[tuple, threading.Lock] = {}

    # -- models -----------------------------------------------------------------------------
    def allowed(self, spec: str) -> bool:
        return model_allowed(spec, self.settings.allowed_models)

    def reviewer(self, spec: str | None) -> Reviewer:
        """The loaded reviewer for ``spec``: loaded once per process, and again when its weights
        change (a bundle installed over the old one, a registry alias moved to another version), so
        a new model is served without a restart. Raises UnknownModelError (ModelNotAllowed for a
        spec this server does not offer)."""
        spec = spec or "embedded"
        if not self.allowed(spec):
            raise ModelNotAllowed("model not available on this server")
        with self._reviewers_lock:
            loaded = self._reviewers.get(spec)
            fresh = loaded is None or self._changed(spec, loaded)
            if fresh:
                loaded = self._reviewers[spec] = self._load(spec)
        if fresh:
            self._settle(("loaded", spec))
        return loaded.reviewer

    def _load(self, spec: str) -> LoadedModel:
        reviewer = get_reviewer(spec)
        artifact = getattr(reviewer.options, "artifact", None) if is_registry_spec(spec) else None
        return LoadedModel(reviewer, weights_signature(reviewer), artifact, time.monotonic())

    def _changed(self, spec: str, loaded: LoadedModel) -> bool:
        """Whether ``spec`` now means other weights than ``loaded``'s (checked under the lock)."""
        from company_reviewer.reviewer.embedded.bundle import load_bundle

        if is_registry_spec(spec) and time.monotonic() - loaded.resolved_at >= self.settings.model_check_seconds:
            loaded.resolved_at = time.monotonic()
            try:
                from company_reviewer.tracking import RegistryError, model_path_for_alias

                name = spec[len(REGISTRY_PREFIX):] if spec.startswith(REGISTRY_PREFIX) else spec
                if str(model_path_for_alias(name)) != str(loaded.artifact):
                    log.info("model %s now resolves to another registered version: loading it", spec)
                    return True
            except RegistryError:
                log.warning("model %s: the registry no longer resolves it; serving the loaded version", spec)
        if weights_signature(loaded.reviewer) != loaded.signature:
            log.info("model %s: its weight files changed: loading them again", spec)
            load_bundle.cache_clear()  # bundles are cached by path: the same path, new files
            return True
        return False

    def review_frame(self, company: str, frame: pd.DataFrame, spec: str | None, max_reviews: int,
                     taxonomy=None) -> CompanyReview:
        from company_reviewer.reviewer.predict import taxonomy_review_function
        from company_reviewer.sampling import sample_reviews

        chosen = sample_reviews(frame, k=max_reviews, strategy="stratified", random_state=0)
        review = taxonomy_review_function(self.reviewer(spec), taxonomy)(company, chosen)
        if ("reviewed", spec or "embedded") not in self._settled:
            self._settle(("reviewed", spec or "embedded"))
        return review

    def _settle(self, stage: tuple[str, str]) -> None:
        """Take a model's objects out of the garbage collector's full collections.

        A model is up to millions of long-lived objects, loaded partly with the reviewer and partly
        at its first review; every full collection walks them all: a ~300 ms pause of the whole
        server for the embedded model, repeatedly under load. Frozen once at each stage
        (``gc.freeze``, after a last collection), they are left alone.
        """
        with self._reviewers_lock:
            if stage in self._settled:
                return
            self._settled.add(stage)
        gc.collect()
        gc.freeze()

    # -- posted reviews (never cached: every request runs the model) ------------------------------
    def review_posted(self, company: str, reviews: ValidReviews, spec: str | None, max_reviews: int | None,
                      request_id: str, taxonomy=None) -> CompanyReview:
        started = time.perf_counter()
        try:
            review = self.review_frame(company, reviews.frame, spec, max_reviews or self.settings.max_reviews,
                                       taxonomy=taxonomy)
        except Exception:
            self._log_error(request_id, company, reviews.fingerprint, spec, started)
            raise
        self.log.record(request_id=request_id, company=company, input_hash=reviews.fingerprint,
                        model_name=review.model.name, model_version=review.model.version,
                        latency_ms=(time.perf_counter() - started) * 1000, output=review.model_dump(mode="json"),
                        status="ok")
        return review

    def store_review(self, company: str, spec: str, max_reviews: int, taxonomy) -> CompanyReview:
        """A store company's review along a custom taxonomy (not cached: a taxonomy is the
        client's, and its reviews are rare next to the default ones)."""
        from company_reviewer.store.repository import load_reviews_frame

        frame = load_reviews_frame(self.engine, [company])
        if frame.empty:
            raise UnknownCompany(company)
        return self.review_frame(display_name(company), frame, spec, max_reviews, taxonomy=taxonomy)

    # -- store companies (cached) -----------------------------------------------------------------
    def cached_fast(self, company: str, spec: str, max_reviews: int) -> CachedReview | None:
        """The in-memory review when it was checked against the store recently, else None."""
        with self._memory_lock:
            entry = self._memory.get((company, spec, max_reviews))
            if entry is not None and time.monotonic() - entry.checked_at < self.settings.cache_check_seconds:
                self._memory.move_to_end((company, spec, max_reviews))
                return entry
        return None

    def cached_or_checking(self, company: str, spec: str, max_reviews: int) -> CachedReview | None:
        """For the fast path: the in-memory review when recently checked or being re-checked now,
        else None, and the caller's request is the one to re-check it (through :meth:`company_review`)."""
        key = (company, spec, max_reviews)
        ttl = self.settings.cache_check_seconds
        with self._memory_lock:
            entry = self._memory.get(key)
            if entry is None:
                return None
            age = time.monotonic() - entry.checked_at
            if age < ttl or (entry.checking and age < 2 * ttl):
                self._memory.move_to_end(key)
                return entry
            entry.checking = True  # cleared by company_review; past 2 * ttl nobody is served unchecked
        return None

    def company_review(self, company: str, spec: str, max_reviews: int, request_id: str) -> tuple[CachedReview, bool]:
        """``(review, computed)`` for a store company: from memory, the store cache, or the model."""
        key = (company, spec, max_reviews)
        started = time.perf_counter()
        # One check (and computation) per company and model at a time; requests that waited for
        # it are answered from its result instead of each querying the store again.
        with self._key_locks.setdefault(key, threading.Lock()):
            try:
                entry = self.cached_fast(company, spec, max_reviews)
                if entry is not None:
                    return entry, False
                data_fingerprint = self.store_fingerprint(company)
                version = str(self.reviewer(spec).version)
                entry = self._valid_entry(key, version, data_fingerprint)
                if entry is None:
                    return self._compute(key, version, data_fingerprint, request_id, started), True
                return entry, False
            finally:
                with self._memory_lock:
                    if (checked := self._memory.get(key)) is not None:
                        checked.checking = False

    def log_cache_hit(self, company: str, entry: CachedReview, request_id: str, started: float) -> None:
        self.log.record(request_id=request_id, company=company, input_hash=entry.data_fingerprint,
                        model_name=entry.model_name, model_version=entry.model_version,
                        latency_ms=(time.perf_counter() - started) * 1000, output=None, status="cached")

    def store_fingerprint(self, company: str) -> str:
        with self.engine.connect() as connection:
            hashes = connection.execute(
                sa.select(tables.reviews.c.content_hash).where(company_filter(company))).scalars().all()
        if not hashes:
            raise UnknownCompany(company)
        return fingerprint(hashes)

    def _valid_entry(self, key: tuple, version: str, data_fingerprint: str) -> CachedReview | None:
        with self._memory_lock:
            entry = self._memory.get(key)
        if entry is None or entry.reviewer_version != version or entry.data_fingerprint != data_fingerprint:
            entry = self._from_store(key, version, data_fingerprint)
            if entry is None:
                return None
        entry.checked_at = time.monotonic()
        self._remember(key, entry)
        return entry

    def _from_store(self, key: tuple, version: str, data_fingerprint: str) -> CachedReview | None:
        c = tables.review_cache
        company, spec, max_reviews = key
        with self.engine.connect() as connection:
            row = connection.execute(sa.select(c.c.output).where(
                c.c.company == company, c.c.model_name == spec, c.c.max_reviews == max_reviews,
                c.c.model_version == version, c.c.data_fingerprint == data_fingerprint)).first()
        if row is None:
            return None
        review = CompanyReview.model_validate_json(row[0])
        return CachedReview(row[0].encode("utf-8"), review.model.name, review.model.version, version, data_fingerprint)

    def _compute(self, key: tuple, version: str, data_fingerprint: str, request_id: str,
                 started: float) -> CachedReview:
        from company_reviewer.store.repository import load_reviews_frame

        company, spec, max_reviews = key
        frame = load_reviews_frame(self.engine, [company])
        try:
            review = self.review_frame(display_name(company), frame, spec, max_reviews)
        except Exception:
            self._log_error(request_id, company, data_fingerprint, spec, started)
            raise
        body = review.model_dump_json()
        c = tables.review_cache
        with self.engine.begin() as connection:
            # One row per company, model and sample size: a new version or new data replaces it.
            connection.execute(c.delete().where(c.c.company == company, c.c.model_name == spec,
                                                c.c.max_reviews == max_reviews))
            connection.execute(c.insert().values(
                company=company, model_name=spec, model_version=version, data_fingerprint=data_fingerprint,
                max_reviews=max_reviews, created_at=dt.datetime.now(dt.timezone.utc), output=body))
        entry = CachedReview(body.encode("utf-8"), review.model.name, review.model.version, version, data_fingerprint,
                             checked_at=time.monotonic())
        self._remember(key, entry)
        self.log.record(request_id=request_id, company=company, input_hash=data_fingerprint,
                        model_name=review.model.name, model_version=review.model.version,
                        latency_ms=(time.perf_counter() - started) * 1000, output=review.model_dump(mode="json"),
                        status="ok")
        return entry

    def _remember(self, key: tuple, entry: CachedReview) -> None:
        with self._memory_lock:
            self._memory[key] = entry
            self._memory.move_to_end(key)
            while len(self._memory) > self.settings.memory_cache_items:
                self._memory.popitem(last=False)

    def _log_error(self, request_id: str, company: str, input_hash: str, spec: str | None, started: float) -> None:
        self.log.record(request_id=request_id, company=company, input_hash=input_hash, model_name=spec or "embedded",
                        model_version="", latency_ms=(time.perf_counter() - started) * 1000, output=None,
                        status="error")

    # -- listings -----------------------------------------------------------------------------------
    def companies(self) -> list[dict]:
        from company_reviewer.store.repository import company_key, list_companies

        listing = list_companies(self.engine)
        return [{"key": company_key(row.source, row.company), "company": row.company, "source": row.source,
                 "n_reviews": int(row.n_reviews),
                 "date_min": None if pd.isna(row.date_min) else str(row.date_min),
                 "date_max": None if pd.isna(row.date_max) else str(row.date_max),
                 "mean_rating": None if pd.isna(row.mean_rating) else round(float(row.mean_rating), 2)}
                for row in listing.itertuples()]

    def source_review(self, company: str, review_id: str) -> dict | None:
        r = tables.reviews
        columns = ("company", "review_id", "date", "job_title", "rating_overall", "headline", "pros", "cons",
                   "advice", "text", "source")
        with self.engine.connect() as connection:
            row = connection.execute(sa.select(*(r.c[name] for name in columns))
                                     .where(company_filter(company), r.c.review_id == review_id)).mappings().first()
        if row is None:
            return None
        return {**row, "date": None if row["date"] is None else row["date"].isoformat()}
