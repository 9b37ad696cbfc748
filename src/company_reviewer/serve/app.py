"""The ASGI app: API under ``/v1``, web UI at ``/``, ``/healthz``, ``/metrics``, OpenAPI at ``/docs``.

One pure ASGI middleware does what every request needs (request id, body size limit, metrics,
security headers) without the per-request overhead of Starlette's ``BaseHTTPMiddleware``; it also
answers cached reviews itself (:mod:`company_reviewer.serve.fastpath`), below FastAPI's routing.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from dataclasses import dataclass

from starlette.requests import Request as _Request  # module level: FastAPI resolves route annotations here

from company_reviewer.serve.config import ServeSettings


class BodyTooLarge(Exception):
    pass


@dataclass
class Metrics:
    registry: object
    requests: object
    latency: object
    reviews: object
    jobs: object

    @classmethod
    def create(cls) -> "Metrics":
        from prometheus_client import CollectorRegistry, Counter, Histogram

        registry = CollectorRegistry()  # one per app, so several apps (tests) never collide
        return cls(
            registry=registry,
            requests=Counter("company_reviewer_http_requests", "HTTP requests", ["method", "route", "status"],
                             registry=registry),
            latency=Histogram("company_reviewer_http_request_seconds", "HTTP request latency", ["route"],
                              buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
                              registry=registry),
            reviews=Counter("company_reviewer_reviews_served", "Company reviews served", ["outcome"],
                            registry=registry),
            jobs=Counter("company_reviewer_jobs", "Batch job events", ["event"], registry=registry),
        )

    def __post_init__(self) -> None:
        self._children: dict[tuple, tuple] = {}
        self.cached_served = self.reviews.labels(outcome="cached")

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        # The labelled children are looked up once per label set: ``labels()`` takes a lock and
        # builds a key on every call, a few µs per request on the hot path.
        children = self._children.get((method, route, status))
        if children is None:
            children = self._children[(method, route, status)] = (
                self.requests.labels(method, route, str(status)), self.latency.labels(route))
        children[0].inc()
        children[1].observe(seconds)


@dataclass
class Serving:
    """Everything the routes share (``app.state.serving``)."""

    settings: ServeSettings
    service: object
    keys: object
    limiter: object
    jobs: object
    metrics: Metrics


SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]
# The UI loads only its own script and style; review text can never run as code even if it
# reached the page unescaped.
UI_CSP = (b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
          b"connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")


class ServingMiddleware:
    def __init__(self, app, max_body: int, metrics: Metrics, fast_path=None) -> None:
        self.app = app
        self.max_body = max_body
        self.metrics = metrics
        self.fast_path = fast_path

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        status = {"code": 500, "started": False}
        if self.fast_path is not None and (hit := self.fast_path.entry(scope)) is not None:
            await self._send_cached(send, *hit, request_id, started)
            return
        is_ui = not scope["path"].startswith(("/v1", "/openapi", "/metrics", "/healthz"))

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                status["code"], status["started"] = message["status"], True
                headers = list(message.get("headers", []))
                headers += SECURITY_HEADERS
                headers.append((b"x-request-id", request_id.encode()))
                if is_ui:
                    headers.append((b"content-security-policy", UI_CSP))
                message = {**message, "headers": headers}
            await send(message)

        length = next((v for k, v in scope.get("headers", []) if k == b"content-length"), None)
        try:
            if length is not None and length.isdigit() and int(length) > self.max_body:
                await self._too_large(send_with_headers)
            else:
                await self._call_limited(scope, receive, send_with_headers, status)
        finally:  # counted even when the app raised (the outer error middleware answers 500)
            path = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.observe_request(scope["method"], path, status["code"], time.perf_counter() - started)

    async def _send_cached(self, send, company: str, entry, request_id: str, started: float) -> None:
        """What the route sends for a cache hit, header for header, logged and counted as it does."""
        self.fast_path.serving.service.log_cache_hit(company, entry, request_id, started)
        self.metrics.cached_served.inc()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"x-cache", b"hit"), (b"content-length", entry.content_length),
                                (b"content-type", b"application/json"), *SECURITY_HEADERS,
                                (b"x-request-id", request_id.encode())]})
        await send({"type": "http.response.body", "body": entry.body})
        self.metrics.observe_request("GET", self.fast_path.ROUTE_PATH, 200, time.perf_counter() - started)

    async def _call_limited(self, scope, receive, send, status) -> None:
        received = 0
        too_large = False

        async def limited_receive():
            nonlocal received, too_large
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_body:
                too_large = True
                raise BodyTooLarge()
            return message

        async def guarded_send(message):
            # A body without Content-Length (chunked) is found too large while the app reads it,
            # and the app turns the exception into an answer of its own (FastAPI: 400 "error
            # parsing the body"): that answer is replaced by the 413.
            if too_large:
                if message["type"] == "http.response.start" and not status["started"]:
                    await self._too_large(send)
                return
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except BodyTooLarge:
            if status["started"]:
                raise
            await self._too_large(send)

    async def _too_large(self, send):
        body = (b'{"detail":"request body too large: at most %d bytes; send fewer reviews per request '
                b'or use POST /v1/jobs"}' % self.max_body)
        # The rest of the body is never read: the connection closes after this answer.
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


def _metrics_allowed(serving: Serving, request) -> None:
    """``/metrics`` by ``settings.metrics_access``: a valid key (default), loopback clients, or anyone;
    raises the API's 401/403 otherwise. Open access (a loopback-only server) needs no key."""
    from fastapi import HTTPException

    from company_reviewer.serve.config import LOOPBACK_HOSTS

    access = serving.settings.metrics_access
    if access == "open" or serving.settings.open_access:
        return
    if access == "loopback":
        host = request.client.host if request.client else ""
        if host in LOOPBACK_HOSTS or host.startswith("127."):
            return
        raise HTTPException(403, "/metrics is served to loopback clients only "
                                 "(COMPANY_REVIEWER_METRICS_ACCESS=loopback)")
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise HTTPException(401, "/metrics needs an API key: send `Authorization: Bearer KEY` (Prometheus: "
                                 "`authorization: {credentials: KEY}`), or set COMPANY_REVIEWER_METRICS_ACCESS",
                            headers={"WWW-Authenticate": "Bearer"})
    if serving.keys.key_id(key.strip()) is None:
        raise HTTPException(403, "invalid or revoked API key")


def create_app(settings: ServeSettings | None = None):
    """The app for ``settings`` (default: from the environment); the store is migrated on creation."""
    from fastapi import FastAPI, Request
    from fastapi.encoders import jsonable_encoder
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse, PlainTextResponse

    from company_reviewer import __version__
    from company_reviewer.serve.api import MAX_REVIEWS_LIMIT, router
    from company_reviewer.serve.auth import KeyVerifier, RateLimiter
    from company_reviewer.serve.fastpath import CachedReviewFastPath
    from company_reviewer.serve.jobs import JobRunner
    from company_reviewer.serve.service import ReviewService
    from company_reviewer.serve.ui import mount_docs, mount_ui
    from company_reviewer.store.db import get_engine

    settings = settings or ServeSettings.from_env()
    engine = get_engine(settings.database_url)
    service = ReviewService(engine, settings)
    serving = Serving(settings=settings, service=service, keys=KeyVerifier(engine, settings.key_cache_seconds),
                      limiter=RateLimiter(settings.rate_per_second, settings.rate_burst), jobs=JobRunner(service),
                      metrics=Metrics.create())

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        service.log.start()
        serving.jobs.start()
        yield
        serving.jobs.stop()
        service.log.stop()

    app = FastAPI(title="company-reviewer", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Structured company reviews from employee reviews: 12 dimensions, ratings with "
                              "intervals, pros/cons and verbatim quotes. "
                              "Authenticate with `Authorization: Bearer KEY`.")
    app.state.serving = serving

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError):
        problems = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        return JSONResponse({"detail": "invalid request: " + "; ".join(problems[:20]),
                             "errors": jsonable_encoder(exc.errors())}, status_code=422)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict:
        import sqlalchemy as sa

        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        return {"status": "ok", "version": __version__}

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception):
        # Starlette's default is a plain-text "Internal Server Error"; every error here is JSON.
        request_id = request.scope.get("state", {}).get("request_id", "")
        return JSONResponse({"detail": f"internal server error (request id {request_id}); the server log has "
                                       "the details, please report it"}, status_code=500,
                            headers={"x-request-id": request_id})

    @app.get("/metrics", include_in_schema=False)
    def metrics(request: _Request) -> PlainTextResponse:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        _metrics_allowed(serving, request)
        return PlainTextResponse(generate_latest(serving.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    app.include_router(router)
    from company_reviewer.serve.classify_api import router as classify_router

    app.include_router(classify_router)
    from company_reviewer.serve.taxonomy_api import router as taxonomy_router

    app.include_router(taxonomy_router)
    mount_ui(app, settings)
    mount_docs(app)
    app.add_middleware(ServingMiddleware, max_body=settings.max_request_bytes, metrics=serving.metrics,
                       fast_path=CachedReviewFastPath(serving, MAX_REVIEWS_LIMIT))
    return app
