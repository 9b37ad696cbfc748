"""Execution engines for batch review. Each module exposes ``run(tasks, spec, on_result, **kw)``
(``on_result(result, saved=False)``; ``saved`` when a worker committed it itself)
and imports its heavy dependency (Ray) only inside. Engines are registered under
``company_reviewer.batch_engines``; pick one with :func:`get_batch_engine`."""

from __future__ import annotations

from typing import Callable

from company_reviewer import registry


def get_batch_engine(name: str) -> Callable:
    """The ``run`` function of the batch engine ``name`` (``local``, ``ray``, or a plugin's)."""
    return registry.batch_engines.get(name)
