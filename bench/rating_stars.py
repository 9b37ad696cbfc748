"""Stars when present: text-only vs text+stars vs overall-stars-only vs TF-IDF, on held-out companies.

Usage: ``python bench/rating_stars.py [--draws 3] [--seed 1] [--bundle PATH]``

Protocol:

- the shipped bundle's manifest splits companies into train / validation / test. The text heads
  (and the TF-IDF + ridge baseline, fitted here in the same run) saw the **train** companies; the
  star stage (``<bundle>/stars.json``, :func:`fit_star_stage`) and the TF-IDF+stars stage fitted
  here the same way were fitted on **validation** companies; everything below is measured on the
  **test** companies, which nothing saw;
- each test company gives ``--draws`` seeded 50-review draws (one of all reviews for a company with
  at most 50); draw r of every company forms one evaluation set; figures are averaged over sets;
- truth per target: the mean rating of the draw's own reviews (target skipped under 10 rated);
- models: (a) text: the shipped model, text only; (b) text+stars: (a) then the star stage, fed the
  reviews' **overall stars only** (sub-ratings stripped, else the stage would return the truth);
  for ``overall`` that is the mean of the same stars, i.e. the truth itself, so overall is shown
  but left out of "mean6"; (c) stars only: ``a_j + c_j * mean stars`` fitted the same way;
  (d) TF-IDF + ridge, text only (``TfidfRidgeBaseline``, trained on the train companies);
  (e) TF-IDF + stars: (d) through the same kind of stage, fitted on the validation draws;
- per target and mean6 (the six sub-ratings): MAE, Spearman, slope of truth on prediction (1 =
  spread like the truth; > 1 = predictions compressed), MAE of the top and bottom truth deciles
  over the middle's (pooled over sets), and 90% interval coverage where a model has intervals.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from company_reviewer.reviewer.rating import RatingModel
from company_reviewer.reviewer.rating_features import TARGETS
from company_reviewer.reviewer.star_stage import (
    StarStage,
    apply_star_stage,
    draw_rows,
    load_star_stage,
    review_ratings,
)

SIX = ("comp_benefits", "work_life_balance", "culture_values", "diversity_inclusion",
       "career_opportunities", "senior_management")
MIN_RATED = 10
MODELS = ("text", "text+stars", "stars only", "tfidf", "tfidf+stars")


def truth_of(sample: pd.DataFrame) -> np.ndarray:
    r = review_ratings(sample)[list(TARGETS)]
    counts = r.notna().sum(axis=0).to_numpy()
    return np.where(counts >= MIN_RATED, r.mean(axis=0).to_numpy(), np.nan)


def stripped(sample: pd.DataFrame) -> pd.DataFrame:
    """The draw as a reviewer with overall stars only would see it (no platform sub-ratings)."""
    out = sample.copy()
    out["sub_ratings"] = [{} for _ in range(len(out))]
    return out


def metric_rows(pred: np.ndarray, true: np.ndarray, sets: np.ndarray) -> dict[str, np.ndarray]:
    """Per target: MAE and Spearman averaged over evaluation sets; slope and decile ratio pooled."""
    n_t = len(TARGETS)
    mae, rho, slope, dec = (np.full(n_t, np.nan) for _ in range(4))
    for j in range(n_t):
        maes, rhos = [], []
        for s in np.unique(sets):
            ok = (sets == s) & ~np.isnan(true[:, j]) & ~np.isnan(pred[:, j])
            if ok.sum() >= 3:
                maes.append(np.abs(pred[ok, j] - true[ok, j]).mean())
                rhos.append(spearmanr(pred[ok, j], true[ok, j]).statistic if np.ptp(pred[ok, j]) > 0 else np.nan)
        mae[j], rho[j] = np.mean(maes), np.nanmean(rhos) if rhos else np.nan
        ok = ~np.isnan(true[:, j]) & ~np.isnan(pred[:, j])
        if ok.sum() >= 5 and np.ptp(pred[ok, j]) > 0:
            slope[j] = np.polyfit(pred[ok, j], true[ok, j], 1)[0]
            lo, hi = np.quantile(true[ok, j], [0.1, 0.9])
            err = np.abs(pred[ok, j] - true[ok, j])
            ext = (true[ok, j] <= lo) | (true[ok, j] >= hi)
            dec[j] = err[ext].mean() / max(err[~ext].mean(), 1e-9)
    return {"mae": mae, "rho": rho, "slope": slope, "decile": dec}


def coverage(low: np.ndarray, high: np.ndarray, true: np.ndarray) -> np.ndarray:
    out = np.full(len(TARGETS), np.nan)
    for j in range(len(TARGETS)):
        ok = ~np.isnan(true[:, j]) & ~np.isnan(low[:, j])
        if ok.any():
            out[j] = np.mean((low[ok, j] <= true[ok, j] + 1e-9) & (true[ok, j] <= high[ok, j] + 1e-9))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--draws", type=int, default=3, help="50-review draws per test company")
    parser.add_argument("--seed", type=int, default=1, help="seed of the test draws (the stage was fitted with 0)")
    parser.add_argument("--sample", type=int, default=50)
    parser.add_argument("--bundle", default=None, help="bundle folder (default: the shipped one)")
    parser.add_argument("--json", default=None, help="also write the figures to this JSON file")
    args = parser.parse_args()

    from company_reviewer.labeling.gold import canonical_reviews
    from company_reviewer.reviewer.baselines import TfidfRidgeBaseline
    from company_reviewer.reviewer.embedded.bundle import default_artifact_path
    from company_reviewer.train import rating_targets

    start = time.perf_counter()
    bundle = Path(args.bundle) if args.bundle else default_artifact_path()
    splits = json.loads((bundle / "manifest.json").read_text())["splits"]
    frame = canonical_reviews()
    model = RatingModel.load(bundle / "rating")
    stage = load_star_stage(bundle)
    if stage is None:
        raise SystemExit(f"no {bundle}/stars.json: fit it with fit_star_stage() first")
    fit_info = json.loads((bundle / "stars.json").read_text()).get("fit", {})

    train = frame[frame["company_key"].isin(splits["train"])].reset_index(drop=True)
    t0 = time.perf_counter()
    tfidf = TfidfRidgeBaseline().fit(train, rating_targets(train))
    print(f"TF-IDF + ridge fitted on {train['company_key'].nunique()} train companies ({len(train)} reviews) "
          f"in {time.perf_counter() - t0:.0f}s", flush=True)

    # TF-IDF + stars: the stage's form on TF-IDF estimates, fitted on the stage's own validation draws.
    val_keys = sorted(splits[fit_info.get("split", "validation")])
    vt, vs, vy, vg = [], [], [], []
    for key in val_keys:
        company = frame[frame["company_key"] == key].reset_index(drop=True)
        for pick in draw_rows(len(company), key, stage.sample_size, fit_info.get("draws_per_company", 8),
                              fit_info.get("random_state", 0), fit_info.get("pool_size", 150)):
            sample = company.iloc[pick]
            p = tfidf.predict_company(sample)
            vt.append([np.nan if p[t] is None else p[t] for t in TARGETS])
            truth = truth_of(sample)
            vs.append(truth[0])  # mean overall stars of the draw (all Glassdoor reviews carry them)
            vy.append(truth)
            vg.append(key)
    tfidf_stage = StarStage().fit(np.array(vt), np.array(vs), np.array(vy), vg)

    test_keys = sorted(splits["test"])
    rows: dict[str, list] = {m: [] for m in MODELS}
    lows: dict[str, list] = {m: [] for m in ("text", "text+stars", "stars only")}
    highs: dict[str, list] = {m: [] for m in lows}
    true, sets, bases = [], [], []
    t0 = time.perf_counter()
    from scipy.stats import norm

    z = float(norm.ppf(0.5 + stage.interval / 2))
    for key in test_keys:
        company = frame[frame["company_key"] == key].reset_index(drop=True)
        draws = draw_rows(len(company), key, args.sample, args.draws, args.seed)
        for r in range(args.draws):
            sample = company.iloc[draws[r % len(draws)]].reset_index(drop=True)
            y = truth_of(sample)
            est = model.predict_company(sample, n_boot=200, random_state=args.seed)
            text = np.array([np.nan if est[t].rating is None else est[t].rating for t in TARGETS])
            adj, basis = apply_star_stage(stage, est, stripped(sample))
            stars = y[0]
            so = stage.predict(text[None, :], [stars], stars_only=True)[0]
            so_half = z * stage.stars_only_resid_sd_ * np.sqrt(max(1.0, stage.sample_size / len(sample)))
            tp = tfidf.predict_company(sample)
            tf = np.array([np.nan if tp[t] is None else tp[t] for t in TARGETS])
            rows["text"].append(text)
            rows["text+stars"].append([adj[t].rating for t in TARGETS])
            rows["stars only"].append(so)
            rows["tfidf"].append(tf)
            rows["tfidf+stars"].append(tfidf_stage.predict(tf[None, :], [stars])[0])
            lows["text"].append([est[t].low for t in TARGETS]), highs["text"].append([est[t].high for t in TARGETS])
            lows["text+stars"].append([adj[t].low for t in TARGETS])
            highs["text+stars"].append([adj[t].high for t in TARGETS])
            lows["stars only"].append(np.clip(so - so_half, 1, 5))
            highs["stars only"].append(np.clip(so + so_half, 1, 5))
            true.append(y), sets.append(r), bases.append(basis)
    predict_s = time.perf_counter() - t0
    true_a, sets_a = np.array(true, float), np.array(sets)
    res = {m: metric_rows(np.array(v, float), true_a, sets_a) for m, v in rows.items()}
    cov = {m: coverage(np.array(lows[m], float), np.array(highs[m], float), true_a) for m in lows}
    six = [TARGETS.index(t) for t in SIX]
    n_comp = [int(np.sum(~np.isnan(true_a[sets_a == 0, j]))) for j in range(len(TARGETS))]

    print(f"\n{len(test_keys)} test companies x {args.draws} draws of {args.sample} (seed {args.seed}); star stage "
          f"fitted on {fit_info.get('companies', '?')} {fit_info.get('split', '?')} companies; "
          f"predicting took {predict_s:.0f}s")
    basis_counts = pd.Series([b.get("culture_values") for b in bases]).value_counts().to_dict()
    print(f"basis of culture_values in (b): {basis_counts}")
    for metric, label in (("mae", "MAE"), ("rho", "Spearman"), ("slope", "slope truth~pred"),
                          ("decile", "top/bottom-decile MAE / middle MAE")):
        print(f"\n{label}")
        print(f"{'target':22s} {'n':>3s} " + " ".join(f"{m:>12s}" for m in MODELS))
        for j, t in enumerate(TARGETS):
            note = "  (b = the truth: mean of the same stars)" if t == "overall" else ""
            print(f"{t:22s} {n_comp[j]:3d} " + " ".join(f"{res[m][metric][j]:12.3f}" for m in MODELS) + note)
        print(f"{'mean6 (sub-ratings)':22s} {'':3s} "
              + " ".join(f"{np.nanmean(res[m][metric][six]):12.3f}" for m in MODELS))
    print("\n90% interval coverage (truth = mean of the same reviews)")
    print(f"{'target':22s} " + " ".join(f"{m:>12s}" for m in cov))
    for j, t in enumerate(TARGETS):
        print(f"{t:22s} " + " ".join(f"{cov[m][j]:12.2f}" for m in cov))
    print(f"{'mean6':22s} " + " ".join(f"{np.nanmean(cov[m][six]):12.2f}" for m in cov))
    m6 = {m: float(np.nanmean(res[m]["mae"][six])) for m in MODELS}
    r6 = {m: float(np.nanmean(res[m]["rho"][six])) for m in MODELS}
    print(f"\nGOALS (issue 14): text+stars MAE <= 0.6 x TF-IDF text-only: {m6['text+stars'] / m6['tfidf']:.2f} -> "
          f"{'met' if m6['text+stars'] / m6['tfidf'] <= 0.6 else 'NOT met'}; "
          f"Spearman >= 0.93: {r6['text+stars']:.3f} -> {'met' if r6['text+stars'] >= 0.93 else 'NOT met'}")
    print(f"total {time.perf_counter() - start:.0f}s")
    if args.json:
        out = {m: {k: {t: (None if np.isnan(v[j]) else round(float(v[j]), 4)) for j, t in enumerate(TARGETS)}
                   for k, v in res[m].items()} for m in MODELS}
        out["coverage"] = {m: {t: round(float(v[j]), 3) for j, t in enumerate(TARGETS)} for m, v in cov.items()}
        Path(args.json).write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
