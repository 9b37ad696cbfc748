"""Choosing quotes: representative and diverse opinion units, never edited.

A quote is always the text of one opinion unit, which is by construction an exact substring of its
review's field (see :mod:`company_reviewer.units`), so evidence cannot be fabricated here.
"""

from __future__ import annotations

import numpy as np

# Units shorter than this say little ("Pay"), longer ones read as walls of text in a report.
MIN_QUOTE_CHARS = 12
MAX_QUOTE_CHARS = 260


def quote_quality(lengths: np.ndarray) -> np.ndarray:
    """Prefer quotes of readable length: 1.0 between ~25 and ~160 characters, lower outside."""
    lengths = np.asarray(lengths, dtype=float)
    short = np.clip((lengths - MIN_QUOTE_CHARS) / 13.0, 0.0, 1.0)
    long = np.clip(1.0 - (lengths - 160.0) / (MAX_QUOTE_CHARS - 160.0), 0.0, 1.0)
    return np.minimum(short, long)


def mmr_select(
    embeddings: np.ndarray,
    relevance: np.ndarray,
    k: int,
    *,
    diversity: float = 0.6,
    groups: np.ndarray | None = None,
) -> list[int]:
    """Maximal marginal relevance: high relevance, low similarity to what is already chosen.

    ``groups`` (e.g. the review each unit came from) allows one pick per group, so the quotes of a
    dimension come from different reviewers.
    """
    candidates = [i for i in np.argsort(-relevance) if relevance[i] > 0]
    chosen: list[int] = []
    used_groups: set = set()
    while candidates and len(chosen) < k:
        best, best_score = None, -np.inf
        for i in candidates:
            if groups is not None and groups[i] in used_groups:
                continue
            redundancy = max((float(embeddings[i] @ embeddings[j]) for j in chosen), default=0.0)
            score = (1 - diversity) * relevance[i] - diversity * redundancy
            if score > best_score:
                best, best_score = i, score
        if best is None:
            break
        chosen.append(best)
        candidates.remove(best)
        if groups is not None:
            used_groups.add(groups[best])
    return chosen


def cluster_points(embeddings: np.ndarray, indices: list[int], threshold: float = 0.55) -> list[list[int]]:
    """Group units that make the same point (cosine similarity above ``threshold``), largest first.

    Greedy leader clustering: cheap for the few hundred units of one company, deterministic.
    """
    clusters: list[list[int]] = []
    leaders: list[int] = []
    for i in indices:
        sims = [float(embeddings[i] @ embeddings[leader]) for leader in leaders]
        if sims and max(sims) >= threshold:
            clusters[int(np.argmax(sims))].append(i)
        else:
            leaders.append(i)
            clusters.append([i])
    return sorted(clusters, key=len, reverse=True)


def medoid(embeddings: np.ndarray, members: list[int], lengths: np.ndarray) -> int:
    """The member closest to the others, among those of readable length when there are any."""
    readable = [m for m in members if MIN_QUOTE_CHARS <= lengths[m] <= MAX_QUOTE_CHARS] or members
    if len(readable) == 1:
        return readable[0]
    block = embeddings[readable]
    centrality = (block @ block.T).mean(axis=1) * quote_quality(lengths[readable])
    return readable[int(np.argmax(centrality))]
