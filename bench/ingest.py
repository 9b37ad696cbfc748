"""Ingest throughput: company-reviewer's validating, de-duplicating ingest vs a plain pandas ``to_sql``.

Both read the same gzip CSV and write into SQLite and PostgreSQL in the same run. The 10x scale-up
repeats the shared Glassdoor reviews with each copy made distinct (so de-duplication keeps them).

    .venv/bin/python bench/ingest.py [--scales 1,10] [--pg-url URL] [--repeat N] [--language-agreement]

It prints rows/s of both (wall clock, and CPU seconds of this process), our time per pipeline
stage at 1x, and optionally how the language detection compares with lingua alone.

PostgreSQL: ``--pg-url`` or ``COMPANY_REVIEWER_TEST_PG_URL`` (``scripts/pg-test-server.sh start``
prints one); without either, only SQLite is measured.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from company_reviewer.config import Settings, shared_data_dir
from company_reviewer.store.ingest import StageTimes, ingest_file
from company_reviewer.store.db import get_engine


def scaled_file(directory: Path, scale: int) -> Path:
    source = shared_data_dir() / "glassdoor" / "reviews.csv.gz"
    if scale == 1:
        return source
    frame = pd.read_csv(source, dtype=str, keep_default_na=False)
    copies = []
    for k in range(scale):
        copy = frame.copy()
        if k:
            copy["headline"] = copy["headline"] + f" (copy {k})"
            copy["review_id"] = copy["review_id"].where(copy["review_id"] == "", copy["review_id"] + f"-{k}")
        copies.append(copy)
    path = directory / f"glassdoor_x{scale}.csv.gz"
    pd.concat(copies).to_csv(path, index=False)
    return path


def fresh_pg_database(admin_url: str) -> str:
    admin = sa.create_engine(admin_url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    name = f"bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def run_baseline(path: Path, url: str) -> tuple[float, float, int]:
    start, cpu = time.perf_counter(), time.process_time()
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    frame.to_sql("baseline_reviews", engine, if_exists="append", index=False, chunksize=5000)
    engine.dispose()
    return time.perf_counter() - start, time.process_time() - cpu, len(frame)


def run_ours(path: Path, url: str) -> tuple[float, float, object, StageTimes]:
    engine = get_engine(url)  # creating the schema is not part of the ingest
    timings = StageTimes()
    start, cpu = time.perf_counter(), time.process_time()
    summary = ingest_file(path, engine, settings=Settings.from_env(url), progress=sys.stderr.isatty(),
                          timings=timings)
    return time.perf_counter() - start, time.process_time() - cpu, summary, timings


def language_agreement(path: Path) -> str:
    """How often the stopword fast path + lingua agrees with lingua alone on the file's reviews."""
    from company_reviewer.data.clean import clean_frame, detect_languages, joined_text, stopword_languages
    from company_reviewer.data.presets import detect_preset, get_preset
    from company_reviewer.data.readers import iter_chunks

    chunks = list(iter_chunks(path, chunk_rows=10_000))
    preset = get_preset(detect_preset(list(chunks[0].columns)))
    texts = pd.concat([joined_text(clean_frame(preset.to_canonical(c))) for c in chunks], ignore_index=True)
    timed = {}
    for name, stopwords in (("fast", True), ("lingua", False)):
        start = time.perf_counter()
        timed[name] = (detect_languages(texts, stopwords=stopwords), time.perf_counter() - start)
    fast, lingua = timed["fast"][0], timed["lingua"][0]
    decided = sum(code is not None for code in stopword_languages(texts.str.slice(0, 300).tolist()))
    same = sum(a == b for a, b in zip(fast, lingua))
    english = sum(code == "en" for code in fast) / len(texts)
    return (f"language: stopwords decide {decided / len(texts):.1%} of {len(texts)} texts; agreement with lingua "
            f"alone {same / len(texts):.3%} ({len(texts) - same} differ); English {english:.1%}; "
            f"{timed['fast'][1]:.2f} s vs {timed['lingua'][1]:.2f} s for lingua alone")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default="1,10")
    parser.add_argument("--pg-url", default=os.environ.get("COMPANY_REVIEWER_TEST_PG_URL"))
    parser.add_argument("--repeat", type=int, default=1, help="runs per measurement; the fastest counts")
    parser.add_argument("--language-agreement", action="store_true",
                        help="also compare the language detection with lingua alone on the 1x file")
    args = parser.parse_args()
    results, stages = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        for scale in (int(s) for s in args.scales.split(",")):
            path = scaled_file(directory, scale)
            backends = {"sqlite": lambda name: f"sqlite:///{directory / name}.sqlite"}
            if args.pg_url:
                backends["postgresql"] = lambda name: fresh_pg_database(args.pg_url)
            for backend, make_url in backends.items():
                base = min((run_baseline(path, make_url(f"base_{scale}_{k}")) for k in range(args.repeat)),
                           key=lambda run: run[0])
                ours = min((run_ours(path, make_url(f"ours_{scale}_{k}")) for k in range(args.repeat)),
                           key=lambda run: run[0])
                (base_seconds, base_cpu, n), (ours_seconds, ours_cpu, summary, timings) = base, ours
                results.append({
                    "scale": f"{scale}x", "backend": backend, "rows": n,
                    "to_sql rows/s": round(n / base_seconds), "ours rows/s": round(summary.read / ours_seconds),
                    "ours/to_sql": round(base_seconds / ours_seconds, 2),
                    "to_sql s (cpu)": f"{base_seconds:.2f} ({base_cpu:.2f})",
                    "ours s (cpu)": f"{ours_seconds:.2f} ({ours_cpu:.2f})",
                    "stored": summary.stored, "duplicates": summary.duplicates, "quarantined": summary.quarantined,
                })
                if scale == 1:
                    stages[backend] = timings
                print(results[-1], flush=True)
    print()
    print(pd.DataFrame(results).to_markdown(index=False))
    print("\nours = read + map + clean + detect language + validate + hash + de-duplicate + store;"
          "\nto_sql = pandas.read_csv + DataFrame.to_sql of the same file, no validation."
          "\ns (cpu) = wall-clock seconds (CPU seconds of this process; a database server's work is not in it).")
    if stages:
        table = pd.DataFrame({f"{backend} {kind} s": pd.Series(getattr(t, kind))
                              for backend, t in stages.items() for kind in ("wall", "cpu")})
        writer = "de-duplicate + store"
        table.loc["total (main thread)"] = table.drop(index=[writer], errors="ignore").sum()
        table = table.rename(index={writer: f"{writer} (writer thread, overlaps the rest)"})
        print("\nOur pipeline at 1x, per stage (CPU: of the thread running the stage):\n")
        print(table.round(3).to_markdown())
    print(f"\nload average during the run: {', '.join(f'{x:.1f}' for x in os.getloadavg())} "
          f"on {os.cpu_count()} CPUs")
    if args.language_agreement:
        print("\n" + language_agreement(scaled_file(Path("."), 1)))


if __name__ == "__main__":
    main()
