"""Shared by the speed benchmarks: the shared Glassdoor companies resampled to any count."""

from __future__ import annotations

import numpy as np
import pandas as pd


def resampled_companies(count: int, reviews_per_company: int = 50, seed: int = 0) -> list[tuple[str, pd.DataFrame]]:
    """``count`` (company key, reviews) pairs: companies with at least ``reviews_per_company``
    reviews drawn with replacement (fixed seed), each with a seeded random sample of its reviews."""
    from company_reviewer.config import shared_data_dir
    from company_reviewer.data.load import read_reviews
    from company_reviewer.sampling import sample_reviews

    frame, _ = read_reviews(shared_data_dir() / "glassdoor" / "reviews.csv.gz", preset="glassdoor")
    frame["key"] = frame["source"] + "::" + frame["company"]
    sizes = frame["key"].value_counts()
    keys = sorted(sizes[sizes >= reviews_per_company].index)
    by_key = dict(tuple(frame.groupby("key")))
    picks = np.random.default_rng(seed).integers(0, len(keys), count)
    return [(keys[p], sample_reviews(by_key[keys[p]], k=reviews_per_company, strategy="random", random_state=i))
            for i, p in enumerate(picks)]
