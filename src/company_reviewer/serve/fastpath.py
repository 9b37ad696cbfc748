"""The hot path: a cached ``GET /v1/companies/{company}/review`` answered below FastAPI.

FastAPI's routing, dependency solving and parameter validation cost ~90 µs per request, most of
the cached path's time. :class:`CachedReviewFastPath` serves a request here only when the answer is
certain to be the route's own: a plain GET with a valid key (or open access), simple query values,
a review in memory checked against the store within ``cache_check_seconds`` (or being re-checked
by another request right now) and a free rate-limit token. Anything else (a missing or bad key,
odd query values, a cache miss or a due re-check, a rate-limited key) goes on to the FastAPI
route, which answers exactly as before, errors included.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.routing import compile_path

from company_reviewer.serve.service import CachedReview

PATH_PREFIX = "/v1/companies/"


class CachedReviewFastPath:
    ROUTE_PATH = "/v1/companies/{company:path}/review"  # as declared in api.py; the metrics label

    def __init__(self, serving, max_reviews_limit: int) -> None:
        self.serving = serving
        self.path_regex = compile_path(self.ROUTE_PATH)[0]  # as Starlette compiles the route's path
        self.max_reviews_limit = max_reviews_limit

    def entry(self, scope) -> tuple[str, CachedReview] | None:
        """``(company, review)`` to send as a cache hit, or None to let the FastAPI route answer."""
        path = scope["path"]
        if scope["method"] != "GET" or not path.startswith(PATH_PREFIX) or scope.get("root_path"):
            return None
        match = self.path_regex.match(path)
        if match is None:
            return None
        settings = self.serving.settings
        # As Starlette reads a query string: latin-1, blanks kept, the last of repeated names wins.
        query = dict(parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True))
        if query.get("taxonomy", "default") != "default":
            return None  # reviews along a custom taxonomy are never cached
        raw_size = query.get("max_reviews")
        if raw_size is None:
            size = settings.max_reviews
        elif raw_size.isascii() and raw_size.isdigit() and 1 <= int(raw_size) <= self.max_reviews_limit:
            size = int(raw_size)
        else:
            return None  # the route validates it (422) or reads it its own way
        client = self._client(scope)
        if client is None:
            return None
        company = match.group("company")
        entry = self.serving.service.cached_or_checking(company, query.get("model") or "embedded", size)
        # The token is taken last, only for a request answered here; a refused one goes on to the
        # route, whose own check answers 429 with Retry-After.
        if entry is None or self.serving.limiter.acquire(client) > 0:
            return None
        return company, entry

    def _client(self, scope) -> tuple | None:
        """The rate-limit client of a request the route would let through, else None."""
        if self.serving.settings.open_access:
            client = scope.get("client")
            return ("ip", client[0] if client else "")
        header = next((v for k, v in scope["headers"] if k == b"authorization"), None)
        if header is None:
            return None
        scheme, _, key = header.decode("latin-1").partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or not key:
            return None
        key_id = self.serving.keys.key_id(key)  # remembered for key_cache_seconds: no query when warm
        return None if key_id is None else ("key", key_id)
