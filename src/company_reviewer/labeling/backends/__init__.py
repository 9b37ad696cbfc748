"""Execution backends of the applier: one module per backend, its heavy imports inside it.

A backend is a function ``run(batch, lfs, *, chunk_size, progress) -> (L, failures)``, registered
under ``company_reviewer.labeling_backends``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from company_reviewer import registry


def get_labeling_backend(name: str) -> Callable[..., Any]:
    """The ``run`` function of the named backend (imported on first use)."""
    return registry.labeling_backends.get(name)
