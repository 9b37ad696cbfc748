"""Company-level rating accuracy: RatingModel vs a TF-IDF + ridge baseline, cross-validated by company.

Usage: ``python bench/rating_accuracy.py [--seeds 0] [--folds 5] [--sample 50]``

Protocol (everything fitted on the training companies of a fold only, calibration included):

- companies are (source, company) groups; those with >= 50 reviews are evaluated, split into
  ``--folds`` seeded folds; smaller groups are only ever used for training;
- for each held-out company, ``--sample`` reviews are drawn (seeded simple random sample) and the
  model sees their text only (headline, pros, cons, advice);
- the truth per target is the mean of the non-empty sub-ratings of the same reviews; a target is
  skipped for a company when fewer than 10 of them rated it;
- MAE and Spearman are computed over all held-out companies pooled (each company is held out
  once), and per fold for the spread. "mean6" averages the six Glassdoor sub-rating targets:
  comp_benefits (scores both the salary and the benefits dimension, counted once),
  work_life_balance, culture_values, diversity_inclusion, career_opportunities, senior_management.
  Overall is reported beside it.
- baseline: TF-IDF (word 1-2 grams, sublinear tf, min_df 2) + ridge per target, trained per review
  on the same training companies; a company's prediction is the mean of its reviews' predictions.
"""

from __future__ import annotations

import argparse
import html
import os
import time
import zlib

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from company_reviewer.config import shared_data_dir
from company_reviewer.reviewer.rating import RatingModel
from company_reviewer.reviewer.rating_features import TARGETS, company_folds, target_frame

SIX = ("comp_benefits", "work_life_balance", "culture_values", "diversity_inclusion",
       "career_opportunities", "senior_management")
MIN_RATED = 10


def load_reviews() -> pd.DataFrame:
    df = pd.read_csv(shared_data_dir() / "glassdoor" / "reviews.csv.gz", low_memory=False)
    df["key"] = df["source"].astype(str) + " | " + df["company"].astype(str)
    return df.reset_index(drop=True)


def draw_sample(rows: np.ndarray, key: str, size: int, seed: int) -> np.ndarray:
    """Seeded simple random sample of a company's rows (same draw for every model)."""
    rng = np.random.default_rng([seed, zlib.crc32(key.encode("utf-8"))])
    return np.sort(rng.choice(rows, size=min(size, len(rows)), replace=False))


def sample_truth(y: pd.DataFrame) -> np.ndarray:
    counts = y.notna().sum(axis=0).to_numpy()
    return np.where(counts >= MIN_RATED, y.mean(axis=0).to_numpy(), np.nan)


def baseline_predict(train: pd.DataFrame, tests: list[pd.DataFrame]) -> np.ndarray:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import Ridge

    def text(frame: pd.DataFrame) -> list[str]:
        cols = frame[["headline", "pros", "cons", "advice"]].fillna("").astype(str)
        return [html.unescape(" \n".join(r)) for r in cols.itertuples(index=False)]

    vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2)
    x = vec.fit_transform(text(train))
    y = target_frame(train)
    xs = [vec.transform(text(t)) for t in tests]
    out = np.full((len(tests), len(TARGETS)), np.nan)
    for j, t in enumerate(TARGETS):
        ok = y[t].notna().to_numpy()
        ridge = Ridge(alpha=1.0, solver="sparse_cg").fit(x[ok], y[t].to_numpy()[ok])
        for i, xt in enumerate(xs):
            out[i, j] = np.clip(ridge.predict(xt), 1, 5).mean()
    return out


def metrics(pred: np.ndarray, true: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mae, rho = np.full(len(TARGETS), np.nan), np.full(len(TARGETS), np.nan)
    for j in range(len(TARGETS)):
        ok = ~np.isnan(true[:, j]) & ~np.isnan(pred[:, j])
        if ok.sum() >= 3:
            mae[j] = np.abs(pred[ok, j] - true[ok, j]).mean()
            rho[j] = spearmanr(pred[ok, j], true[ok, j]).statistic
    return mae, rho


def run(df: pd.DataFrame, seed: int, n_folds: int, size: int, encoder: object,
        company_alpha: float | None = None) -> dict[str, object]:
    sizes = df.groupby("key").size()
    evaluated = np.array(sorted(sizes[sizes >= 50].index))
    fold_of = dict(zip(evaluated, company_folds(evaluated, n_folds, seed)))
    rows_of = df.groupby("key").indices
    res: dict[str, list] = {"ours": [], "base": [], "true": [], "fold": [], "low": [], "high": []}
    fit_s = []
    for f in range(n_folds):
        test_keys = [k for k in evaluated if fold_of[k] == f]
        train = df[~df["key"].isin(test_keys)]
        start = time.perf_counter()
        model = RatingModel(random_state=seed, encoder=encoder, company_alpha=company_alpha).fit(
            train, companies=train["key"].tolist())
        fit_s.append(time.perf_counter() - start)
        samples = [df.iloc[draw_sample(rows_of[k], k, size, seed)] for k in test_keys]
        for sample in samples:
            est = model.predict_company(sample[["headline", "pros", "cons", "advice"]], random_state=seed)
            res["ours"].append([est[t].rating for t in TARGETS])
            res["low"].append([est[t].low for t in TARGETS])
            res["high"].append([est[t].high for t in TARGETS])
            res["true"].append(sample_truth(target_frame(sample)))
            res["fold"].append(f)
        res["base"].extend(baseline_predict(train, samples))
        print(f"  seed {seed} fold {f}: {len(test_keys)} test companies, fit {fit_s[-1]:.1f}s", flush=True)
    out = {k: np.array(v, dtype=float) for k, v in res.items()}
    out["fit_s"] = np.array(fit_s)
    out["model"] = model  # last fold's model, for timing
    out["last_samples"] = samples
    return out


def report(results: list[dict[str, object]]) -> None:
    six = [TARGETS.index(t) for t in SIX]
    print("\nPooled over held-out companies (each company once per seed); mean over seeds")
    print(f"{'target':22s} {'n':>4s} {'MAE ours':>9s} {'MAE base':>9s} {'ratio':>6s} "
          f"{'rho ours':>9s} {'rho base':>9s} {'cover90':>8s}")
    per = {"ours": [], "base": []}
    for r in results:
        for m in per:
            per[m].append(metrics(r[m], r["true"]))
    mae_o = np.mean([p[0] for p in per["ours"]], 0)
    rho_o = np.mean([p[1] for p in per["ours"]], 0)
    mae_b = np.mean([p[0] for p in per["base"]], 0)
    rho_b = np.mean([p[1] for p in per["base"]], 0)
    r0 = results[0]
    for j, t in enumerate(TARGETS):
        ok = ~np.isnan(r0["true"][:, j])
        cover = np.mean((r0["low"][ok, j] <= r0["true"][ok, j]) & (r0["true"][ok, j] <= r0["high"][ok, j]))
        print(f"{t:22s} {ok.sum():4d} {mae_o[j]:9.3f} {mae_b[j]:9.3f} {mae_o[j] / mae_b[j]:6.2f} "
              f"{rho_o[j]:9.3f} {rho_b[j]:9.3f} {cover:8.2f}")
    m6o, m6b = mae_o[six].mean(), mae_b[six].mean()
    print(f"{'mean6 (sub-ratings)':22s} {'':4s} {m6o:9.3f} {m6b:9.3f} {m6o / m6b:6.2f} "
          f"{rho_o[six].mean():9.3f} {rho_b[six].mean():9.3f}")
    print(f"GOAL mean6 MAE <= 0.6 x baseline: {m6o / m6b:.2f} -> {'met' if m6o / m6b <= 0.6 else 'NOT met'}; "
          f"mean6 Spearman >= 0.93: {rho_o[six].mean():.3f} -> {'met' if rho_o[six].mean() >= 0.93 else 'NOT met'}")
    print("\nPer fold (mean6): seed fold  n  MAE ours  MAE base  ratio  rho ours  rho base")
    fold_rows = []
    for s, r in enumerate(results):
        for f in np.unique(r["fold"]).astype(int):
            sel = r["fold"] == f
            mo, ro = metrics(r["ours"][sel], r["true"][sel])
            mb, rb = metrics(r["base"][sel], r["true"][sel])
            fold_rows.append((mo[six].mean(), mb[six].mean(), ro[six].mean(), rb[six].mean()))
            print(f"{'':17s} {s:4d} {f:4d} {sel.sum():3d} {fold_rows[-1][0]:9.3f} {fold_rows[-1][1]:9.3f} "
                  f"{fold_rows[-1][0] / fold_rows[-1][1]:6.2f} {fold_rows[-1][2]:9.3f} {fold_rows[-1][3]:9.3f}")
    a = np.array(fold_rows)
    ratio = a[:, 0] / a[:, 1]
    print(f"fold spread: MAE ratio {ratio.mean():.2f} (min {ratio.min():.2f}, max {ratio.max():.2f}); "
          f"rho ours {a[:, 2].mean():.3f} (min {a[:, 2].min():.3f}, max {a[:, 2].max():.3f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--sample", type=int, default=50)
    parser.add_argument("--company-alpha", type=float, default=None,
                        help="turn on the company-level correction with this ridge penalty (default off)")
    parser.add_argument("--save", default=None,
                        help="after the benchmark, fit on all companies and save the artifact here")
    parser.add_argument("--no-bench", action="store_true", help="only fit and --save")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from company_reviewer.embedding import Encoder

    t0 = time.perf_counter()
    # A large in-memory LRU: every fold re-reads the same ~160k sentence vectors.
    encoder = Encoder(memory_items=400_000)
    df = load_reviews()
    if args.save:
        start = time.perf_counter()
        full = RatingModel(random_state=0, encoder=encoder).fit(df, companies=df["key"].tolist())
        print(f"fitted on all {len(df)} reviews in {time.perf_counter() - start:.0f} s; "
              f"saved to {full.save(args.save)}")
        if args.no_bench:
            return
    results = [run(df, seed, args.folds, args.sample, encoder, args.company_alpha) for seed in args.seeds]
    report(results)
    model, samples = results[-1]["model"], results[-1]["last_samples"]
    one = samples[0][["headline", "pros", "cons", "advice"]]
    model.predict_company(one)
    start = time.perf_counter()
    model.predict_company(one)
    warm = time.perf_counter() - start
    batch = (samples * (100 // len(samples) + 1))[:100]
    start = time.perf_counter()
    for s in batch:
        model.predict_company(s[["headline", "pros", "cons", "advice"]])
    hundred = time.perf_counter() - start
    cold_enc = Encoder(cache_dir=False)
    cold = RatingModel.load(model.save(os.path.join(os.environ.get("TMPDIR", "/tmp"), "rating-bench")),
                            encoder=cold_enc)
    cold.predict_company(samples[1][["headline", "pros", "cons", "advice"]])  # loads the encoder
    start = time.perf_counter()
    cold.predict_company(samples[2][["headline", "pros", "cons", "advice"]])
    uncached = time.perf_counter() - start
    print(f"\npredict one 50-review company, warm: {warm * 1000:.0f} ms (embeddings cached), "
          f"{uncached:.2f} s (text never seen, encoder loaded); 100 companies: {hundred:.1f} s (cached)")
    fits = np.concatenate([r["fit_s"] for r in results])
    print(f"fit per fold: {fits.mean():.1f} s; total run {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
