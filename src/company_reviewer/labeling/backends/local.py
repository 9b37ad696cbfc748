"""The in-process backend: chunks of units, each LF's vectorised batch path, numpy only.

Chunking bounds memory (each chunk's texts are joined into one string per language and pattern)
and drives the progress bar; it does not change any vote, since LFs see one unit at a time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

from company_reviewer.labeling.applier import run_lf_safely, slice_batch
from company_reviewer.labeling.functions import ABSTAIN, Batch, LabelingFunction


def run(batch: Batch, lfs: Sequence[LabelingFunction], *, chunk_size: int = 20_000,
        progress: bool = False) -> tuple[np.ndarray, Counter]:
    """Label matrix and per-LF failure counts for every unit of ``batch``."""
    from tqdm.auto import tqdm

    n = len(batch)
    L = np.full((n, len(lfs)), ABSTAIN, dtype=np.int64)
    failures: Counter = Counter()
    chunk_size = max(1, int(chunk_size))
    with tqdm(total=n, desc="apply LFs", unit=" units", disable=not progress, leave=False) as bar:
        for start in range(0, n, chunk_size):
            stop = min(n, start + chunk_size)
            chunk = slice_batch(batch, start, stop)
            for column, lf in enumerate(lfs):
                L[start:stop, column] = run_lf_safely(lf, chunk, failures)
            bar.update(stop - start)
    return L, failures
