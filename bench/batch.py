"""Batch review throughput: the local engine against Ray on this machine, in the same run.

    .venv/bin/python bench/batch.py [--companies 1000] [--workers 2] [--cold-cache]

Companies are the shared Glassdoor companies (>= 50 reviews) resampled with a fixed seed to the
requested count, 50 reviews each. Each engine writes to its own fresh SQLite store. The embedding
cache is the data directory's (warm after `make demo`/training) unless --cold-cache. Peak memory is
the largest resident size of the whole process tree (the driver plus Ray's workers), sampled.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time


class PeakMemory:
    """Samples the RSS of this process and all its descendants every 0.2 s."""

    def __init__(self) -> None:
        import psutil

        self._root = psutil.Process()
        self.peak_bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        import psutil

        while not self._stop.is_set():
            total = 0
            for process in [self._root, *self._root.children(recursive=True)]:
                try:
                    total += process.memory_info().rss
                except psutil.Error:
                    pass
            self.peak_bytes = max(self.peak_bytes, total)
            self._stop.wait(0.2)

    def __enter__(self) -> "PeakMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--companies", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--engines", default="local,ray")
    parser.add_argument("--cold-cache", action="store_true", help="Start with an empty embedding cache.")
    args = parser.parse_args()
    if args.cold_cache:
        os.environ["COMPANY_REVIEWER_DATA_DIR"] = tempfile.mkdtemp(prefix="cr-bench-")
    from tabulate import tabulate

    from company_reviewer.batch.runner import run_batch
    from company_reviewer.batch.tasks import BatchSpec
    from resample import resampled_companies

    groups = []
    for i, (_, reviews) in enumerate(resampled_companies(args.companies)):
        name = f"{reviews['company'].iloc[0]} #{i:04d}"  # unique names: each is a company of its own
        groups.append((name, reviews.assign(company=name)))
    print(f"{len(groups)} companies resampled from the shared Glassdoor companies, 50 reviews each")

    rows, outputs = [], {}
    for engine in args.engines.split(","):
        workdir = tempfile.mkdtemp(prefix=f"cr-batch-{engine}-")
        out = os.path.join(workdir, "out.jsonl")
        with PeakMemory() as memory:
            started = time.perf_counter()
            summary = run_batch(groups, BatchSpec(), engine=engine, database_url=f"sqlite:///{workdir}/store.db",
                                out=out, workers=args.workers)
            wall = time.perf_counter() - started
        outputs[engine] = open(out, "rb").read()
        rows.append({"engine": engine, "companies": summary.total, "wall s": round(wall, 1),
                     "companies/min": round(60 * summary.total / wall, 1),
                     "peak memory MiB": round(memory.peak_bytes / 2**20)})
    print(tabulate(rows, headers="keys", tablefmt="github"))
    if len(outputs) > 1:
        from company_reviewer.batch.compare import compare_outputs

        first, *others = outputs
        for other in others:
            print(f"{first} vs {other}: {compare_outputs(outputs[first], outputs[other])}")


if __name__ == "__main__":
    main()
