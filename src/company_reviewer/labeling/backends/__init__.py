"""Execution backends of the applier: one module per backend, its heavy imports inside it.

A backend is a function ``run(batch, lfs, *, chunk_size, progress) -> (L, failures)``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

BACKENDS: dict[str, str] = {"local": "company_reviewer.labeling.backends.local"}


def get_backend(name: str) -> Callable[..., Any]:
    """The ``run`` function of the named backend (imported on first use)."""
    try:
        module = BACKENDS[name]
    except KeyError:
        raise ValueError(f"unknown labeling backend {name!r}; choose one of {sorted(BACKENDS)}") from None
    return importlib.import_module(module).run
