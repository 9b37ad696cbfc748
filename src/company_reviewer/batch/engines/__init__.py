"""Execution engines for batch review. Each module exposes ``run(tasks, spec, on_result, **kw)``
(``on_result(result, saved=False)``; ``saved`` when a worker committed it itself)
and imports its heavy dependency (Ray) only inside; pick one with :func:`get_engine`."""

from __future__ import annotations

from importlib import import_module
from typing import Callable

ENGINES = {"local": "company_reviewer.batch.engines.local", "ray": "company_reviewer.batch.engines.ray_engine"}


def get_engine(name: str) -> Callable:
    if name not in ENGINES:
        raise ValueError(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}")
    return import_module(ENGINES[name]).run
