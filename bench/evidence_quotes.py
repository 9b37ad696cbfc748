"""Evidence quotes of 20 held-out companies, before and after the aspect-sentiment classifier.

    .venv/bin/python bench/evidence_quotes.py collect --before-src /tmp/before/src [--after-src SRC]
    .venv/bin/python bench/evidence_quotes.py blind            # shuffled quotes to judge, run hidden
    .venv/bin/python bench/evidence_quotes.py record JUDGED.csv # judgments -> bench/evidence_check/
    .venv/bin/python bench/evidence_quotes.py report           # agreement and judged error shares

``collect`` reviews each company with the CLI (``review INPUT --company NAME --format json``, the
default 50-review stratified sample, so both runs read the same reviews) once with each code path
(``PYTHONPATH=SRC``) and keeps every evidence quote with its dimension and shown sentiment in a work
folder outside the repository (``--work``, default ``/tmp/evidence-quotes``): review text never
enters the repository. ``report`` measures, for both runs, the share of quotes whose label from the
*current* classifier (dimension and sentiment) matches what the quote is shown for, and, from the
hand judgments in ``bench/evidence_check/judgments.csv`` (references only: company, dimension,
shown sentiment, SHA-1 of the quote, run, on_topic, sentiment_right), the share a reader finds
misplaced or of the wrong sentiment.

Companies: the bundle's held-out ``test`` split (16: neither the aspect heads nor the rating heads
saw them) and, to reach 20, four ``validation`` companies drawn with seed 0 (the rating heads never
trained on them; some of their hand-labelled units did train the aspect heads, so the report also
gives the 16 alone).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
JUDGMENTS = ROOT / "bench" / "evidence_check" / "judgments.csv"
JUDGMENT_COLUMNS = ["company_key", "dimension", "sentiment", "quote_sha1", "run", "on_topic", "sentiment_right"]
RUNS = ("before", "after")
N_COMPANIES = 20


def quote_sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def held_out_companies(n: int = N_COMPANIES, seed: int = 0) -> list[str]:
    """The test split, then validation companies drawn with ``seed`` until there are ``n``."""
    from company_reviewer.reviewer.embedded.bundle import load_bundle

    splits = load_bundle().manifest["splits"]
    test = sorted(splits["test"])
    extra = list(np.random.default_rng(seed).permutation(sorted(splits["validation"])))
    return test + [str(k) for k in extra[: max(0, n - len(test))]]


def write_input(keys: list[str], path: Path) -> dict[str, str]:
    """The shared Glassdoor rows of ``keys`` as one CSV (same columns), and company name -> key."""
    from company_reviewer.config import shared_data_dir

    raw = pd.read_csv(shared_data_dir() / "glassdoor" / "reviews.csv.gz", dtype=str, keep_default_na=False)
    key = raw["source"] + "::" + raw["company"]
    chosen = raw[key.isin(keys)]
    names = {k.split("::", 1)[1]: k for k in keys}
    if len(names) != len(keys):
        raise SystemExit("two chosen companies share a name; the CLI groups INPUT by name")
    chosen.to_csv(path, index=False)
    return names


def run_reviews(src: Path, input_csv: Path, names: list[str], out: Path) -> float:
    """``company-reviewer review`` of ``names`` with the code at ``src``; returns seconds taken."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    cmd = [sys.executable, "-m", "company_reviewer.cli", "review", str(input_csv), "--format", "json",
           "--out", str(out)]
    for name in names:
        cmd += ["--company", name]
    start = time.perf_counter()
    subprocess.run(cmd, env=env, check=True)
    return time.perf_counter() - start


def quotes_of(reviews: list[dict], names: dict[str, str], run: str) -> list[dict]:
    rows = []
    for review in reviews:
        for dim, body in review["dimensions"].items():
            for ev in body.get("evidence", []):
                rows.append({"run": run, "company_key": names[review["company"]], "dimension": dim,
                             "sentiment": ev["sentiment"], "review_id": ev["review_id"], "quote": ev["quote"],
                             "quote_sha1": quote_sha1(ev["quote"])})
    return rows


def collect(args) -> None:
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    keys = held_out_companies()
    names = write_input(keys, work / "input.csv")
    rows = []
    for run, src in (("before", args.before_src), ("after", args.after_src)):
        out = work / f"{run}.json"
        seconds = run_reviews(Path(src).resolve(), work / "input.csv", list(names), out)
        payload = json.loads(out.read_text(encoding="utf-8"))
        rows += quotes_of(payload if isinstance(payload, list) else [payload], names, run)
        print(f"{run}: {len(keys)} companies reviewed in {seconds:.0f} s with {src}", file=sys.stderr)
    frame = pd.DataFrame(rows)
    frame["field"] = quote_fields(frame, work / "input.csv")
    frame.to_csv(work / "quotes.csv", index=False)
    print(frame.groupby("run").size().to_string())


def quote_fields(quotes: pd.DataFrame, input_csv: Path) -> list[str]:
    """The field of its review each quote was cut from (the classifier takes it as a feature)."""
    from company_reviewer.data.load import read_reviews

    reviews, _ = read_reviews(input_csv)
    by_id = reviews.set_index("review_id")
    fields = []
    for rid, quote in zip(quotes["review_id"], quotes["quote"]):
        review = by_id.loc[rid] if rid in by_id.index else None
        found = "text"
        if review is not None:
            for field in ("pros", "cons", "advice", "headline", "text"):
                value = review.get(field)
                if isinstance(value, str) and quote in value:
                    found = field
                    break
        fields.append(found)
    return fields


def blind(args) -> None:
    """One row per distinct (company, dimension, sentiment, quote), shuffled; which runs showed it
    goes to a separate key file, so the judge reads without knowing the run."""
    work = Path(args.work)
    quotes = pd.read_csv(work / "quotes.csv", keep_default_na=False)
    item_cols = ["company_key", "dimension", "sentiment", "quote_sha1"]
    items = quotes.drop_duplicates(item_cols)[item_cols + ["field", "quote"]]
    items = items.sample(frac=1.0, random_state=args.seed).reset_index(drop=True)
    items.insert(0, "item", range(len(items)))
    items[["item", "dimension", "sentiment", "field", "quote"]].assign(on_topic="", sentiment_right="").to_csv(
        work / "blind.csv", index=False)
    items[["item", *item_cols]].to_csv(work / "blind_key.csv", index=False)
    print(f"{len(items)} distinct quotes to judge in {work / 'blind.csv'} (key: {work / 'blind_key.csv'})")


def record(args) -> None:
    """Judgments of the blind file -> one references-only row per (run, quote) shown."""
    work = Path(args.work)
    judged = pd.read_csv(args.judged, keep_default_na=False)[["item", "on_topic", "sentiment_right"]]
    bad = judged[~judged["on_topic"].isin(["yes", "no"]) | ~judged["sentiment_right"].isin(["yes", "no"])]
    if len(bad):
        raise SystemExit(f"{len(bad)} items lack a yes/no judgment, e.g. item {bad['item'].iloc[0]}")
    items = pd.read_csv(work / "blind_key.csv", keep_default_na=False).merge(judged, on="item", how="left")
    quotes = pd.read_csv(work / "quotes.csv", keep_default_na=False)
    shown = quotes.drop_duplicates(["run", "company_key", "dimension", "sentiment", "quote_sha1"])
    out = shown.merge(items, on=["company_key", "dimension", "sentiment", "quote_sha1"], how="left")
    if out["on_topic"].isna().any():
        raise SystemExit("some shown quotes have no judgment; judge every item of blind.csv")
    JUDGMENTS.parent.mkdir(parents=True, exist_ok=True)
    out = out[JUDGMENT_COLUMNS].sort_values(["run", "company_key", "dimension", "sentiment", "quote_sha1"])
    out.to_csv(JUDGMENTS, index=False)
    print(f"wrote {len(out)} judgments to {JUDGMENTS.relative_to(ROOT)}")


def classifier_agreement(quotes: pd.DataFrame) -> pd.Series:
    """Whether the current classifier gives each quote the dimension and sentiment it is shown with."""
    from company_reviewer.aspects.classify import load_aspect_classifier

    units = pd.DataFrame({"text": quotes["quote"], "field": quotes["field"], "language": "en"})
    labels = load_aspect_classifier().classify(units).as_dicts()
    return pd.Series([d in lab and lab[d]["sentiment"] == s
                      for lab, d, s in zip(labels, quotes["dimension"], quotes["sentiment"])], index=quotes.index)


def _share(part: int, whole: int) -> str:
    return f"{part}/{whole} ({part / whole:.1%})" if whole else "0/0"


def report(args) -> None:
    work = Path(args.work)
    if not (work / "quotes.csv").is_file():
        # The quotes hold review text, so they live outside the repository and must be collected here first.
        raise SystemExit(f"no collected quotes at {work / 'quotes.csv'}: run `bench/evidence_quotes.py collect "
                         "--before-src SRC` first (see this script's docstring)")
    quotes = pd.read_csv(work / "quotes.csv", keep_default_na=False)
    quotes["agrees"] = classifier_agreement(quotes)
    test = set(held_out_companies(16))
    print("## Evidence quotes of 20 held-out companies (50 reviews each, same sample both runs)\n")
    print("| run | quotes | classifier agrees | classifier agrees, 16 test companies |\n|---|---|---|---|")
    for run in RUNS:
        q = quotes[quotes["run"] == run]
        t = q[q["company_key"].isin(test)]
        print(f"| {run} | {len(q)} | {_share(int(q['agrees'].sum()), len(q))} | "
              f"{_share(int(t['agrees'].sum()), len(t))} |")
    if not JUDGMENTS.is_file():
        print(f"\n(no hand judgments at {JUDGMENTS.relative_to(ROOT)} yet)")
        return
    judged = pd.read_csv(JUDGMENTS, keep_default_na=False)
    keys = ["run", "company_key", "dimension", "sentiment", "quote_sha1"]
    missing = set(map(tuple, quotes[keys].drop_duplicates().to_numpy())) - set(map(tuple, judged[keys].to_numpy()))
    if missing:
        print(f"\nwarning: {len(missing)} shown quotes have no judgment (the code changed since they were judged)")
    judged["wrong"] = (judged["on_topic"] == "no") | (judged["sentiment_right"] == "no")
    print("\nBy reading (blind to run; judgments in bench/evidence_check/judgments.csv):\n")
    print("| run | quotes judged | off-topic | wrong sentiment (on-topic) | misplaced or wrong sentiment | "
          "same, 16 test companies |\n|---|---|---|---|---|---|")
    for run in RUNS:
        j = judged[judged["run"] == run]
        t = j[j["company_key"].isin(test)]
        wrong_sent = int(((j["on_topic"] == "yes") & (j["sentiment_right"] == "no")).sum())
        print(f"| {run} | {len(j)} | {_share(int((j['on_topic'] == 'no').sum()), len(j))} | "
              f"{_share(wrong_sent, len(j))} | {_share(int(j['wrong'].sum()), len(j))} | "
              f"{_share(int(t['wrong'].sum()), len(t))} |")
    print("\n| dimension | before: quotes | before: wrong | after: quotes | after: wrong |\n|---|---|---|---|---|")
    for dim, _ in judged.groupby("dimension"):
        cells = []
        for run in RUNS:
            j = judged[(judged["run"] == run) & (judged["dimension"] == dim)]
            cells += [str(len(j)), _share(int(j["wrong"].sum()), len(j))]
        print(f"| {dim} | " + " | ".join(cells) + " |")
    merged = quotes.merge(judged, on=keys, how="inner")
    print("\n| run | classifier agrees and reader finds it right | agrees, reader finds it wrong | "
          "disagrees, reader finds it right | disagrees, reader finds it wrong |\n|---|---|---|---|---|")
    for run in RUNS:
        m = merged[merged["run"] == run]
        cells = [int((m["agrees"] & ~m["wrong"]).sum()), int((m["agrees"] & m["wrong"]).sum()),
                 int((~m["agrees"] & ~m["wrong"]).sum()), int((~m["agrees"] & m["wrong"]).sum())]
        print(f"| {run} | " + " | ".join(map(str, cells)) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work", default="/tmp/evidence-quotes", help="work folder (review text stays here)")
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("collect")
    c.add_argument("--before-src", required=True, help="src/ of a checkout before the classifier (6e63e67)")
    c.add_argument("--after-src", default=str(ROOT / "src"))
    b = sub.add_parser("blind")
    b.add_argument("--seed", type=int, default=13)
    r = sub.add_parser("record")
    r.add_argument("judged", help="blind.csv with on_topic and sentiment_right filled in (yes/no)")
    sub.add_parser("report")
    args = parser.parse_args()
    {"collect": collect, "blind": blind, "record": record, "report": report}[args.command](args)


if __name__ == "__main__":
    main()
