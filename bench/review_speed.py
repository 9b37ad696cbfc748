"""Speed of the embedded reviewer: one 50-review company warm, and 100 companies, vs the TF-IDF baseline.

    .venv/bin/python bench/review_speed.py [--companies 100] [--cold-cache]

Companies are the shared Glassdoor companies, resampled (with a fixed seed) to the requested count,
50 reviews each. The encoder cache is kept in a temporary data directory so the figures include
encoding (``--cold-cache``, default) unless you point COMPANY_REVIEWER_DATA_DIR at a warm cache.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--companies", type=int, default=100)
    parser.add_argument("--warm-cache", action="store_true", help="Use the existing embedding cache.")
    args = parser.parse_args()
    if not args.warm_cache:
        os.environ["COMPANY_REVIEWER_DATA_DIR"] = tempfile.mkdtemp(prefix="cr-bench-")
    import pandas as pd

    from company_reviewer.reviewer.base import get_reviewer
    from resample import resampled_companies

    groups = resampled_companies(args.companies)
    rows = []
    for spec in ("embedded", "baseline:tfidf"):
        reviewer = get_reviewer(spec)
        start = time.perf_counter()
        reviewer.review_company(*groups[0])  # loads the model (and warms nothing else)
        load_seconds = time.perf_counter() - start
        single = []
        for _ in range(3):  # the same company again: warm model, warm cache
            start = time.perf_counter()
            reviewer.review_company(*groups[0])
            single.append(time.perf_counter() - start)
        start = time.perf_counter()
        for company, reviews in groups:
            reviewer.review_company(company, reviews)
        batch = time.perf_counter() - start
        rows.append({"model": spec, "first call s (load)": round(load_seconds, 2),
                     "one company warm s": round(statistics.median(single), 3),
                     f"{args.companies} companies s": round(batch, 1),
                     "companies/s": round(args.companies / batch, 2)})
        print(rows[-1], flush=True)
    print()
    print(pd.DataFrame(rows).to_markdown(index=False))
    print(f"\n{args.companies} companies of 50 reviews; cache {'warm' if args.warm_cache else 'cold'} "
          "for the batch (new companies are encoded).")


if __name__ == "__main__":
    main()
