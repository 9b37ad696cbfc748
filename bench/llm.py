"""LLM reviewers per backend and mode on held-out Glassdoor companies, next to the embedded model.

Usage: ``python bench/llm.py [--companies 20] [--backends llamacpp openai] [--modes grounded single]
[--openai-companies 5] [--base-url URL]``

Protocol:
- companies: the embedded bundle's held-out ones (its manifest's ``validation`` split, then
  ``test``), the first ``--companies``; per company ``--sample`` reviews drawn at random (seeded),
  the same reviews for every model;
- every run uses ``llm_rates=True`` so one pass measures the text and the LLM's ratings; the text
  metrics do not depend on it (the rating is one more JSON field);
- seconds per company: wall time of ``review_company`` (embedded analysis included);
- grounded share: LLM sentences and bullets kept by the grounding check / all the LLM wrote;
- retry / fallback share: of the LLM's outputs (one per dimension sent, grounded; one per company,
  single), those that needed a retry / that were replaced by the embedded text;
- rating MAE against the mean Glassdoor sub-ratings of the same reviews (a target is scored when at
  least 10 of them rated it): the LLM's own rating (raw), the reviewer's (kept within
  ``rating_slack`` of the embedded interval), and the embedded model's (the baseline) on the same
  (company, dimension) pairs the LLM rated and on all.
- ``openai``: the same SmolLM2 behind ``python -m llama_cpp.server`` started here unless
  ``--base-url`` names a server; on ``--openai-companies`` companies (it is the same model).
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
from tqdm import tqdm

from company_reviewer.config import shared_data_dir
from company_reviewer.reviewer.rating import DIMENSION_TARGETS

MIN_RATED = 10


def held_out_companies(n: int) -> list[str]:
    from company_reviewer.reviewer.embedded.bundle import load_bundle

    splits = load_bundle(None).manifest["splits"]
    return (list(splits.get("validation", [])) + list(splits.get("test", [])))[:n]


def load_companies(keys: list[str], size: int, seed: int) -> list[tuple[str, pd.DataFrame]]:
    from company_reviewer.data.load import read_reviews
    from company_reviewer.sampling import sample_reviews

    raw = pd.read_csv(shared_data_dir() / "glassdoor" / "reviews.csv.gz", low_memory=False)
    raw = raw[(raw["source"].astype(str) + "::" + raw["company"].astype(str)).isin(keys)]
    with tempfile.TemporaryDirectory() as tmp:  # real text stays out of the repository
        raw.to_csv(Path(tmp) / "held_out.csv", index=False)
        frame, _ = read_reviews(Path(tmp) / "held_out.csv", preset="glassdoor")
    frame["key"] = frame["source"].astype(str) + "::" + frame["company"].astype(str)
    return [(key, sample_reviews(frame[frame["key"] == key], k=size, strategy="random", random_state=seed))
            for key in keys if (frame["key"] == key).any()]


def truth(reviews: pd.DataFrame) -> dict[str, float]:
    out = {}
    for dimension, target in DIMENSION_TARGETS.items():
        if target == "overall":
            values = pd.to_numeric(reviews["rating_overall"], errors="coerce")
        else:
            values = pd.Series([s.get(target) if isinstance(s, dict) else None for s in reviews["sub_ratings"]],
                               dtype=float)
        if values.notna().sum() >= MIN_RATED:
            out[dimension] = float(values.mean())
    return out


def start_server() -> tuple[subprocess.Popen, str]:
    from company_reviewer.llm.backends.llamacpp import default_model_path

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(default_model_path()),
                                "--n_ctx", "4096", "--n_threads", "1", "--n_threads_batch", "1",
                                "--host", "127.0.0.1", "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/v1"
    for _ in range(300):
        try:
            if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.3)
    process.kill()
    raise SystemExit("the llama.cpp server did not start")


def run(spec: str, options: dict, companies, embedded) -> dict:
    from company_reviewer.reviewer.base import get_reviewer

    reviewer = get_reviewer(spec, options)
    seconds, wrote, kept, outputs, retried, fell_back, calls, tokens = [], 0, 0, 0, 0, 0, 0, 0
    errors = {"llm_raw": [], "llm": [], "embedded": [], "embedded_same": []}
    for key, reviews in tqdm(companies, desc=f"{spec} {options['mode']}", unit=" company", leave=False):
        start = time.perf_counter()
        review = reviewer.review_company(key, reviews)
        seconds.append(time.perf_counter() - start)
        calls += review.usage.llm_calls
        tokens += review.usage.prompt_tokens + review.usage.completion_tokens
        gens = [(k, d.generation) for k, d in review.dimensions.items() if d.generation.source != "embedded"]
        if review.overall.generation is not None:
            gens.append(("overall", review.overall.generation))
        for _, g in gens:
            wrote += len(g.kept) + len(g.dropped)
            kept += len(g.kept)
        if options["mode"] == "single":
            outputs += 1
            retried += review.usage.retries > 0
            fell_back += all(g.source == "fallback" for _, g in gens)
        else:
            outputs += len(gens)
            retried += sum(g.retries > 0 for _, g in gens)
            fell_back += sum(g.source == "fallback" for _, g in gens)
        true = truth(reviews)
        base = embedded[key]
        for dimension, value in true.items():
            ours = review.overall if dimension == "overall" else review.dimensions[dimension]
            theirs = base.overall if dimension == "overall" else base.dimensions[dimension]
            raw = ours.generation.llm_rating if ours.generation is not None else None
            if theirs.rating is not None:
                errors["embedded"].append(abs(theirs.rating - value))
            if raw is not None and ours.rating is not None:  # the LLM rated it: score all three alike
                errors["llm_raw"].append(abs(raw - value))
                errors["llm"].append(abs(ours.rating - value))
                errors["embedded_same"].append(abs(theirs.rating - value))
    return {"backend": spec, "mode": options["mode"], "companies": len(companies),
            "s_per_company": float(np.mean(seconds)), "grounded_share": kept / wrote if wrote else float("nan"),
            "sentences": wrote, "retry_share": retried / outputs if outputs else float("nan"),
            "fallback_share": fell_back / outputs if outputs else float("nan"), "outputs": outputs,
            "calls_per_company": calls / len(companies), "tokens_per_company": tokens / len(companies),
            "mae_llm_raw": float(np.mean(errors["llm_raw"])) if errors["llm_raw"] else float("nan"),
            "mae_llm_kept": float(np.mean(errors["llm"])) if errors["llm"] else float("nan"),
            "n_llm_rated": len(errors["llm"]), "mae_embedded": float(np.mean(errors["embedded"])),
            "mae_embedded_same": float(np.mean(errors["embedded_same"])) if errors["embedded_same"] else float("nan")}


def table(rows: list[dict]) -> str:
    head = ("| backend | mode | companies | s/company | LLM calls/company | tokens/company | grounded share "
            "(sentences) | retry share | fallback share (outputs) | MAE LLM raw | MAE LLM kept | n rated | "
            "MAE embedded, same | MAE embedded, all |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        lines.append(
            f"| {r['backend']} | {r['mode']} | {r['companies']} | {r['s_per_company']:.1f} | "
            f"{r['calls_per_company']:.1f} | {r['tokens_per_company']:.0f} | {r['grounded_share']:.2f} "
            f"({r['sentences']}) | {r['retry_share']:.2f} | {r['fallback_share']:.2f} ({r['outputs']}) | "
            f"{r['mae_llm_raw']:.3f} | {r['mae_llm_kept']:.3f} | {r['n_llm_rated']} | {r['mae_embedded_same']:.3f} | "
            f"{r['mae_embedded']:.3f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=20)
    parser.add_argument("--openai-companies", type=int, default=5)
    parser.add_argument("--sample", type=int, default=50, help="Reviews per company.")
    parser.add_argument("--backends", nargs="+", default=["llamacpp", "openai"])
    parser.add_argument("--modes", nargs="+", default=["grounded", "single"])
    parser.add_argument("--base-url", default=None, help="An OpenAI-compatible server; default: start llama.cpp's.")
    parser.add_argument("--max-tokens", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None, help="Also write the figures here.")
    args = parser.parse_args()

    from company_reviewer.reviewer.embedded.pipeline import EmbeddedReviewer

    companies = load_companies(held_out_companies(args.companies), args.sample, args.seed)
    print(f"{len(companies)} held-out companies, {args.sample} reviews each", flush=True)
    embedded_reviewer = EmbeddedReviewer({"random_state": args.seed})
    start = time.perf_counter()
    embedded = {key: embedded_reviewer.review_company(key, reviews) for key, reviews in companies}
    embedded_s = (time.perf_counter() - start) / len(companies)
    server = None
    rows = []
    try:
        for backend in args.backends:
            options: dict = {"llm_rates": True, "embedded": {"random_state": args.seed}}
            subset = companies
            if args.max_tokens:
                options["max_tokens"] = args.max_tokens
            if backend == "openai":
                if args.base_url is None:
                    server, args.base_url = start_server()
                options["base_url"] = args.base_url
                subset = companies[: args.openai_companies]
            for mode in args.modes:
                rows.append(run(f"llm:{backend}", {**options, "mode": mode}, subset, embedded))
                print(table(rows[-1:]).splitlines()[-1], flush=True)
    finally:
        if server is not None:
            server.terminate()
    print(f"\nEmbedded reviewer (baseline): {embedded_s:.2f} s/company on the same reviews (bootstrap included).\n")
    print(table(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
