"""The REST API under ``/v1``: reviews, companies, jobs, chat, rendering, file parsing.

Every route needs an API key (``Authorization: Bearer KEY``) unless the server runs in open
access mode; each key is rate-limited. Errors are JSON ``{"detail": "what is wrong and what to do"}``.
"""

from __future__ import annotations

import logging
import math
import re
import tempfile
import time
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, File, HTTPException, Query, Request, Response, UploadFile
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from company_reviewer.reviewer.base import UnknownModelError
from company_reviewer.reviewer.schema import CompanyReview
from company_reviewer.serve.inputs import InvalidReviews, validate_reviews
from company_reviewer.serve.service import UnknownCompany, display_name, listed_models

MAX_REVIEWS_LIMIT = 10_000
log = logging.getLogger(__name__)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReviewRequest(_Strict):
    company: str = Field(min_length=1, max_length=200, description="The company the reviews are about.")
    reviews: list[Any] = Field(description="Canonical review objects (company, review_id, date, pros, cons, "
                                           "text, ...).")
    model: str | None = Field(None, description="embedded (default), baseline:tfidf, baseline:mean, ...")
    max_reviews: int | None = Field(None, ge=1, le=MAX_REVIEWS_LIMIT, description="Reviews used (sampled when more).")
    taxonomy: str | dict[str, Any] | None = Field(None, description="A built-in taxonomy's name (GET /v1/taxonomies) "
                                                  "or an inline taxonomy object, validated like a taxonomy file.")


class JobInput(_Strict):
    company: str = Field(min_length=1, max_length=200)
    reviews: list[Any]


class JobRequest(_Strict):
    companies: list[str] = Field(default_factory=list, description="Companies in the store (NAME or SOURCE::NAME).")
    inputs: list[JobInput] = Field(default_factory=list,
                                   description="Companies with their reviews, as in POST /v1/reviews.")
    model: str | None = None
    max_reviews: int | None = Field(None, ge=1, le=MAX_REVIEWS_LIMIT)


class ChatRequest(_Strict):
    company: str = Field(min_length=1, max_length=200, description="A store company, or the name for `reviews`.")
    question: str = Field(min_length=1, max_length=500)
    reviews: list[Any] | None = Field(None, description="Answer from these reviews instead of the store's.")
    k: int = Field(5, ge=1, le=20, description="Quotes returned.")


def _service(request: Request):
    return request.app.state.serving


async def authenticate(request: Request) -> int | None:
    """The caller's key id (None in open access mode); 401/403/429 otherwise."""
    serving = request.app.state.serving
    if serving.settings.open_access:
        key_id, client = None, ("ip", request.client.host if request.client else "")
    else:
        header = request.headers.get("authorization", "")
        scheme, _, key = header.partition(" ")
        if not header:
            raise HTTPException(401, "missing API key: send `Authorization: Bearer KEY` "
                                     "(create a key with `company-reviewer keys create NAME`)",
                                headers={"WWW-Authenticate": "Bearer"})
        if scheme.lower() != "bearer" or not key.strip():
            raise HTTPException(401, "malformed Authorization header: use `Authorization: Bearer KEY`",
                                headers={"WWW-Authenticate": "Bearer"})
        key_id = serving.keys.key_id(key.strip())
        if key_id is None:
            raise HTTPException(403, "invalid or revoked API key; ask for a new one "
                                     "(`company-reviewer keys create NAME`)")
        client = ("key", key_id)
    request.state.key_id = key_id
    wait = serving.limiter.acquire(client)
    if wait > 0:
        raise HTTPException(429, f"rate limit exceeded ({serving.settings.rate_per_second:g} requests/s, bursts of "
                                 f"{serving.settings.rate_burst}); retry in {wait:.1f} s",
                            headers={"Retry-After": str(max(1, math.ceil(wait)))})
    return key_id


router = APIRouter(prefix="/v1", dependencies=[Depends(authenticate)])


def _request_id(request: Request) -> str:
    return request.scope.get("state", {}).get("request_id", "")


_PLAIN_SPEC = re.compile(r"[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9_-]{1,64})?")


def model_not_available(serving, spec: str) -> str:
    """The answer to a model this server does not offer. It names the spec only when the spec is a
    plain name (never a path), so it is the same whatever file a spec points at, and whether or
    not that file exists: no filesystem oracle."""
    named = f" {spec!r}" if _PLAIN_SPEC.fullmatch(spec) else ""
    return (f"model: unknown model{named}: not available on this server; available: "
            f"{', '.join(listed_models(serving.settings.allowed_models))}, or a registry alias "
            "(champion, challenger, registry:NAME); the operator allows others with "
            "`company-reviewer serve --allow-model SPEC`")


def _check_model(serving, model: str | None) -> str:
    from company_reviewer.serve.service import is_registry_spec

    spec = model or "embedded"
    if not serving.service.allowed(spec):
        raise HTTPException(422, model_not_available(serving, spec))
    try:
        serving.service.reviewer(spec)
    except UnknownModelError as exc:
        if is_registry_spec(spec):  # the registry's own message names its database: not for clients
            log.warning("model %s: %s", spec, exc)
            raise HTTPException(422, f"model: {spec!r}: the model registry has no version under that name; "
                                     "see `company-reviewer models list` on the server") from exc
        raise HTTPException(422, f"model: {exc}") from exc
    except Exception as exc:  # an allowed model that cannot load here (missing files, packages, an LLM server)
        log.exception("model %s cannot be loaded", spec)
        raise HTTPException(422, f"model: {spec!r} cannot be loaded on this server ({type(exc).__name__}); "
                                 "the server log says why") from exc
    return spec


def _valid(company: str, reviews: list[Any], max_text_chars: int):
    try:
        return validate_reviews(company, reviews, max_text_chars)
    except InvalidReviews as exc:
        raise HTTPException(422, f"invalid reviews: {exc}") from exc


@router.get("/models", summary="Models a review can use")
def models(request: Request) -> dict:
    return {"models": listed_models(_service(request).settings.allowed_models), "default": "embedded"}


@router.post("/reviews", response_model=CompanyReview, summary="Review a company from the reviews sent")
def review(body: ReviewRequest, request: Request) -> Response:
    serving = _service(request)
    spec = _check_model(serving, body.model)
    reviews = _valid(body.company, body.reviews, serving.settings.max_text_chars)
    from company_reviewer.serve.taxonomy_api import request_taxonomy

    taxonomy = request_taxonomy(body.taxonomy)
    try:
        result = serving.service.review_posted(body.company, reviews, spec, body.max_reviews, _request_id(request),
                                               taxonomy=taxonomy)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
    serving.metrics.reviews.labels(outcome="computed").inc()
    return Response(result.model_dump_json(), media_type="application/json")


@router.get("/companies", summary="Companies in the store")
def companies(request: Request) -> dict:
    return {"companies": _service(request).service.companies()}


@router.get("/companies/{company:path}/review", response_model=CompanyReview,
            summary="The review of a store company (cached per model version and data)")
async def company_review(company: str, request: Request, model: str | None = None,
                         max_reviews: int | None = Query(None, ge=1, le=MAX_REVIEWS_LIMIT),
                         taxonomy: str | None = Query(None, max_length=64)) -> Response:
    # Most cache hits never get here: serve.fastpath answers them in the middleware with the same
    # bytes, headers, log row and metrics; a change to this route's answer must be made there too.
    started = time.perf_counter()
    serving = _service(request)
    spec = model or "embedded"
    size = max_reviews or serving.settings.max_reviews
    from company_reviewer.serve.taxonomy_api import request_taxonomy

    chosen_taxonomy = request_taxonomy(taxonomy)
    if chosen_taxonomy is not None:  # along a custom taxonomy: computed each time, never cached
        await run_in_threadpool(_check_model, serving, spec)
        try:
            result = await run_in_threadpool(serving.service.store_review, company, spec, size, chosen_taxonomy)
        except UnknownCompany:
            raise HTTPException(404, f"no reviews for {company!r} in the store; GET /v1/companies lists them") from None
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from exc
        serving.metrics.reviews.labels(outcome="computed").inc()
        return Response(result.model_dump_json(), media_type="application/json", headers={"X-Cache": "miss"})
    entry, computed = serving.service.cached_fast(company, spec, size), False
    if entry is None:
        await run_in_threadpool(_check_model, serving, spec)
        try:
            entry, computed = await run_in_threadpool(serving.service.company_review, company, spec, size,
                                                      _request_id(request))
        except UnknownCompany:
            raise HTTPException(404, f"no reviews for {company!r} in the store; GET /v1/companies lists them") from None
    if not computed:
        serving.service.log_cache_hit(company, entry, _request_id(request), started)
    serving.metrics.reviews.labels(outcome="computed" if computed else "cached").inc()
    return Response(entry.body, media_type="application/json", headers={"X-Cache": "miss" if computed else "hit"})


@router.get("/companies/{company:path}/reviews/{review_id}", summary="One source review of a store company")
def source_review(company: str, review_id: str, request: Request) -> dict:
    found = _service(request).service.source_review(company, review_id)
    if found is None:
        raise HTTPException(404, f"no review {review_id!r} of {company!r} in the store")
    return found


@router.post("/jobs", status_code=202, summary="Review many companies in the background")
def create_job(body: JobRequest, request: Request) -> dict:
    serving = _service(request)
    if not body.companies and not body.inputs:
        raise HTTPException(422, "a job needs `companies` (store companies) or `inputs` (companies with reviews)")
    _check_model(serving, body.model)
    for index, item in enumerate(body.inputs):
        try:
            validate_reviews(item.company, item.reviews, serving.settings.max_text_chars)
        except InvalidReviews as exc:
            raise HTTPException(422, f"inputs[{index}]: invalid reviews: {exc}") from exc
    job_id = serving.jobs.submit(body.model_dump(mode="json"), request.state.key_id)
    serving.metrics.jobs.labels(event="submitted").inc()
    return {"id": job_id, "status": "queued", "url": f"/v1/jobs/{job_id}"}


@router.get("/jobs/{job_id}", summary="A job's status, progress and results")
def get_job(job_id: str, request: Request) -> dict:
    job = _service(request).jobs.get(job_id, request.state.key_id)
    if job is None:
        raise HTTPException(404, f"no job {job_id!r} (jobs are visible only to the key that created them)")
    return job


@router.post("/chat", summary="Answer a question about a company from its reviews, with quotes")
def chat(body: ChatRequest, request: Request) -> dict:
    from company_reviewer.serve.chat import answer
    from company_reviewer.store.repository import load_reviews_frame

    serving = _service(request)
    if body.reviews is not None:
        frame = _valid(body.company, body.reviews, serving.settings.max_text_chars).frame
    else:
        frame = load_reviews_frame(serving.service.engine, [body.company])
        if frame.empty:
            raise HTTPException(404, f"no reviews for {body.company!r} in the store; "
                                     "send `reviews` or pick a listed company")
    return answer(display_name(body.company), body.question, frame, serving.settings.chat_model, k=body.k)


@router.post("/render/markdown", summary="A review (as returned by the API) as Markdown")
def render_markdown(body: CompanyReview) -> Response:
    from company_reviewer.reviewer.render import to_markdown

    return Response(to_markdown(body), media_type="text/markdown; charset=utf-8")


@router.post("/parse", summary="Read an uploaded review file (any format `ingest` reads) into canonical reviews")
def parse_file(request: Request, file: UploadFile = File(...), preset: str | None = None) -> dict:
    from company_reviewer.data.load import read_reviews
    from company_reviewer.data.readers import UnreadableFileError

    suffix = "".join(Path(file.filename or "upload.csv").suffixes[-2:]) or ".csv"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(file.file.read())
        try:
            frame, rejected = read_reviews(path, preset=preset)
        except (UnreadableFileError, KeyError, ValueError) as exc:
            raise HTTPException(422, f"cannot read {file.filename!r}: {exc}") from exc
    reviews = [{k: v for k, v in row.items() if v is not None and v == v and v != {}}
               for row in frame.astype(object).to_dict("records")]
    for row in reviews:
        if "date" in row:
            row["date"] = str(row["date"])[:10]
    return {"companies": list(dict.fromkeys(r["company"] for r in reviews)), "reviews": reviews,
            "rejected": [{"row": r.row_number, "reason": r.reason} for r in rejected[:100]],
            "n_rejected": len(rejected)}
