"""The API's ``taxonomy`` field: a built-in's name or an inline taxonomy, checked like a file.

A request never names a file: a string must be a taxonomy this server offers (``GET
/v1/taxonomies`` lists them): the built-ins, plus the files the operator names in
``$COMPANY_REVIEWER_SERVE_TAXONOMIES`` (paths separated by ``:``; each offered under its own
``name``), so no path on the server is ever read or probed by a request. An inline object is
validated exactly like a taxonomy YAML (``company-reviewer taxonomy check``) and bounded in size.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from fastapi import APIRouter, Depends, HTTPException

from company_reviewer.config import ENV_PREFIX, env
from company_reviewer.serve.api import authenticate
from company_reviewer.taxonomy import (
    BUILTIN_TAXONOMIES,
    Taxonomy,
    TaxonomyError,
    is_default,
    load_taxonomy,
    parse_taxonomy,
)

MAX_DIMENSIONS = 50
MAX_SEEDS_PER_DIMENSION = 300
MAX_TEXT_CHARS = 2_000

SERVE_TAXONOMIES_ENV = f"{ENV_PREFIX}SERVE_TAXONOMIES"
log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1", dependencies=[Depends(authenticate)])


def served_taxonomies() -> dict[str, Taxonomy]:
    """``{name: taxonomy}``: the built-ins, then the operator's files (a file whose taxonomy name is
    taken, or that does not validate, is left out with a warning in the server log)."""
    return dict(_served(env("SERVE_TAXONOMIES", "")))


@lru_cache(maxsize=4)
def _served(files: str) -> tuple[tuple[str, Taxonomy], ...]:
    out = {name: load_taxonomy(name) for name in BUILTIN_TAXONOMIES}
    for path in filter(None, files.split(os.pathsep)):
        try:
            taxonomy = load_taxonomy(path)
        except ValueError as exc:
            log.warning("%s: not offered: %s", SERVE_TAXONOMIES_ENV, exc)
            continue
        if taxonomy.name in out:
            log.warning("%s: %s is not offered: the name %r is taken", SERVE_TAXONOMIES_ENV, path, taxonomy.name)
            continue
        out[taxonomy.name] = taxonomy
    return tuple(out.items())

TAXONOMY_FIELD_DESCRIPTION = (
    "Review along these dimensions instead of the default 12: a built-in's name (GET /v1/taxonomies) or an "
    "inline taxonomy {name, version, dimensions: [{id, label, description, seeds, maps_to}]}, validated like a "
    "taxonomy file. The output's `dimensions` keys are its ids; `model.taxonomy` names it.")


def _too_large(document: Mapping[str, Any]) -> str | None:
    dimensions = document.get("dimensions")
    if isinstance(dimensions, list):
        if len(dimensions) > MAX_DIMENSIONS:
            return f"at most {MAX_DIMENSIONS} dimensions"
        for index, dimension in enumerate(dimensions):
            if not isinstance(dimension, Mapping):
                continue
            seeds = dimension.get("seeds")
            if isinstance(seeds, Mapping) and sum(len(v) for v in seeds.values() if isinstance(v, list)) > \
                    MAX_SEEDS_PER_DIMENSION:
                return f"dimension #{index + 1}: at most {MAX_SEEDS_PER_DIMENSION} seeds"
            for key in ("label", "description"):
                if isinstance(dimension.get(key), str) and len(dimension[key]) > MAX_TEXT_CHARS:
                    return f"dimension #{index + 1}: '{key}' longer than {MAX_TEXT_CHARS} characters"
    return None


def request_taxonomy(value: str | Mapping[str, Any] | None) -> Taxonomy | None:
    """The taxonomy a request asks for (None: the default 12), or a 422 saying what is wrong."""
    if value is None:
        return None
    if isinstance(value, str):
        offered = served_taxonomies()
        if value not in offered:
            raise HTTPException(422, f"taxonomy: {value[:60]!r} is not a taxonomy this server offers; use one of "
                                     f"{', '.join(offered)} or send the taxonomy itself as an object")
        taxonomy = offered[value]
    else:
        problem = _too_large(value)
        if problem:
            raise HTTPException(422, f"taxonomy: too large: {problem}")
        try:
            taxonomy = parse_taxonomy(dict(value), "<request>")
        except TaxonomyError as exc:
            raise HTTPException(422, "taxonomy: " + "; ".join(str(p) for p in exc.problems)) from exc
    return None if is_default(taxonomy) else taxonomy


@router.get("/taxonomies", summary="Taxonomies a review can use by name")
def taxonomies() -> dict:
    """``{"taxonomies": [{name, version, dimensions: [{id, label}]}], "default": "default"}``."""
    out = []
    for taxonomy in served_taxonomies().values():
        out.append({"name": taxonomy.name, "version": taxonomy.version,
                    "dimensions": [{"id": d.id, "label": d.label} for d in taxonomy]})
    return {"taxonomies": out, "default": "default"}
