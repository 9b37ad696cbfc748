"""Custom taxonomies on the shared data: kununu's own categories, and Glassdoor through a client YAML.

Usage: ``COMPANY_REVIEWER_DATA_DIR=$(mktemp -d) HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
.venv/bin/python bench/taxonomy.py [--units-per-category 120] [--companies 6] [--sample 50]``

(a) kununu (``kununu/reviews_flat.csv.gz``): every answer in a ``text_<category>`` column of the 13
    standard categories is split into opinion units and classified with the ``kununu`` taxonomy
    **without** the section shortcut (``review`` assigns a "Label: answer" section to its category
    for sure; here the detector has to find it from the text alone). A unit of column X is a
    positive for category X and a negative for every other category. Figures per category:

    - precision / recall / F1 of "detected X" against "written in X's column" (multi-label: a
      unit may be detected as several categories). Strict precision counts a Gehalt unit detected
      as Arbeitsatmosphäre as a false positive even when it truly speaks about the atmosphere too,
      so it is a lower bound;
    - precision@own-column: each detected unit is given only its *strongest* detected category;
      of the units whose strongest category is X, the share written in X's column. Secondary
      mentions then cost nothing; a unit whose own column loses to another category still does;
    - baselines in the same run: the taxonomy's seed keywords alone (the feature the detector
      also uses), and the trained default classifier mapped through ``maps_to`` alone (categories
      that map to nothing get nothing from it).

    Ratings: each company reviewed with the ``kununu`` taxonomy, overall rating from the text
    alone (stars stripped) and with the reviews' overall stars, next to kununu's mean
    ``overall_score`` of the same reviews. Four companies: values, no correlation claim.

(b) Glassdoor, the bundle manifest's **test** companies (nothing was trained on them), ``--sample``
    reviews each, platform sub-ratings stripped (overall stars kept, as ``review`` would get them):
    the ``default`` taxonomy vs the client-six YAML of ``tests/model/test_custom_taxonomy.py``
    (written to a temp file). Detection coverage per dimension (share of units detected, and the
    seed-keyword-only coverage as a baseline); rating MAE against the Glassdoor sub-rating mean of
    the same reviews, per dimension whose ``maps_to`` reaches a rated target
    (:mod:`company_reviewer.evaluate.taxonomy_truth`), next to the default dimension's own MAE and the
    baseline "every dimension = the overall rating of the same review".
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

MIN_RATED = 10


def prf(pred: np.ndarray, true: np.ndarray) -> tuple[float, float, float]:
    tp = float(np.sum(pred & true))
    p = tp / pred.sum() if pred.sum() else float("nan")
    r = tp / true.sum() if true.sum() else float("nan")
    f = 2 * p * r / (p + r) if p + r > 0 else float("nan")
    return p, r, f


def fmt(value: float | None, digits: int = 2) -> str:
    return "–" if value is None or (isinstance(value, float) and np.isnan(value)) else f"{value:.{digits}f}"


# -- (a) kununu ---------------------------------------------------------------------------------

def kununu_detection(per_category: int, seed: int) -> pd.DataFrame:
    from company_reviewer.aspects.classify import load_aspect_classifier
    from company_reviewer.custom.detect import _add_mapped, detect, seed_matches
    from company_reviewer.labeling.gold import kununu_units
    from company_reviewer.taxonomy import load_taxonomy

    taxonomy = load_taxonomy("kununu")
    by_label = {d.label: i for i, d in enumerate(taxonomy)}
    units = kununu_units()
    units = units[units["section"].isin(by_label)]
    total = units.groupby("section").size()
    picks = [g.sample(min(len(g), per_category), random_state=seed).index for _, g in units.groupby("section")]
    units = units.loc[np.concatenate(picks)].reset_index(drop=True)
    print(f"kununu: {len(units)} units of the 13 category columns (at most {per_category} per category, "
          f"seed {seed}; {int(total.sum())} in all)", flush=True)
    t0 = time.perf_counter()
    aspect_labels = load_aspect_classifier().classify(units[["text", "field", "language"]].assign(field="text"))
    shipped = detect(units, taxonomy, aspect_labels)
    print(f"classified in {time.perf_counter() - t0:.0f}s", flush=True)
    n, d = len(units), len(taxonomy)
    true = np.zeros((n, d), dtype=bool)
    true[np.arange(n), units["section"].map(by_label).to_numpy()] = True
    seeds = seed_matches(units["text"].tolist(), units["language"].tolist(), taxonomy) > 0
    mapped = np.zeros((n, d), dtype=bool)
    _add_mapped(taxonomy, aspect_labels, np.zeros((n, d), np.float32), mapped,
                np.zeros((n, d, 3), np.float32))
    # Strongest detected category per unit (precision@own-column).
    strongest = np.where(shipped.mentions, shipped.proba, -1.0).argmax(axis=1)
    top = np.zeros((n, d), dtype=bool)
    any_detected = shipped.mentions.any(axis=1)
    top[np.flatnonzero(any_detected), strongest[any_detected]] = True
    rows = []
    for j, dimension in enumerate(taxonomy):
        p, r, f = prf(shipped.mentions[:, j], true[:, j])
        p_own = prf(top[:, j], true[:, j])[0]
        ps, rs, fs = prf(seeds[:, j], true[:, j])
        pm, rm, fm = prf(mapped[:, j], true[:, j]) if dimension.maps_to else (np.nan,) * 3
        rows.append({"category": dimension.label, "units": int(true[:, j].sum()), "P": p, "R": r, "F1": f,
                     "P@own": p_own, "seed P": ps, "seed R": rs, "seed F1": fs,
                     "maps_to P": pm, "maps_to R": rm, "maps_to F1": fm})
    frame = pd.DataFrame(rows)
    frame.attrs["undetected"] = float(1 - any_detected.mean())
    frame.attrs["micro"] = {name: prf(pred.ravel(), true.ravel()) for name, pred in
                            (("shipped", shipped.mentions), ("seed keywords", seeds), ("maps_to only", mapped))}
    return frame


def kununu_ratings(seed: int) -> list[dict]:
    from company_reviewer.config import shared_data_dir
    from company_reviewer.custom.review import review_with_taxonomy
    from company_reviewer.labeling.gold import canonical_reviews
    from company_reviewer.reviewer.base import get_reviewer
    from company_reviewer.sampling import sample_reviews
    from company_reviewer.taxonomy import load_taxonomy

    taxonomy = load_taxonomy("kununu")
    reviews = canonical_reviews(shared_data_dir() / "kununu" / "reviews_flat.csv.gz")
    reviewer = get_reviewer("embedded", {"n_boot": 50})
    out = []
    for company, group in reviews.groupby("company", sort=True):
        chosen = sample_reviews(group, k=50, strategy="stratified", random_state=seed).reset_index(drop=True)
        truth = pd.to_numeric(chosen["rating_overall"], errors="coerce").mean()
        textonly = review_with_taxonomy(reviewer, company, chosen.assign(rating_overall=np.nan), taxonomy)
        stars = review_with_taxonomy(reviewer, company, chosen, taxonomy)
        detected = sum(1 for dim in textonly.dimensions.values() if dim.mentions)
        out.append({"company": company, "reviews": len(chosen), "kununu": truth,
                    "text": textonly.overall.rating, "text+stars": stars.overall.rating,
                    "rated dims": sum(1 for dim in textonly.dimensions.values() if dim.rating is not None),
                    "detected dims": detected})
        print(f"  reviewed {company} ({len(chosen)} reviews)", flush=True)
    return out


# -- (b) Glassdoor through a custom YAML ---------------------------------------------------------

def client_taxonomy():
    from company_reviewer.taxonomy import load_taxonomy

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.model.test_custom_taxonomy import CLIENT_YAML

    path = Path(tempfile.mkdtemp()) / "client-six.yaml"
    path.write_text(CLIENT_YAML, encoding="utf-8")
    return load_taxonomy(path)


def glassdoor(companies: int, sample: int, seed: int) -> dict:
    from company_reviewer.custom.detect import seed_matches
    from company_reviewer.custom.review import review_with_taxonomy, taxonomy_units
    from company_reviewer.evaluate.taxonomy_truth import mapped_truth, platform_truth_of_default, truth_columns
    from company_reviewer.labeling.gold import canonical_reviews
    from company_reviewer.reviewer.base import get_reviewer
    from company_reviewer.reviewer.embedded.bundle import default_artifact_path
    from company_reviewer.reviewer.rating_features import TARGETS
    from company_reviewer.reviewer.star_stage import draw_rows, review_ratings
    from company_reviewer.taxonomy import load_taxonomy

    default, client = load_taxonomy("default"), client_taxonomy()
    splits = json.loads((default_artifact_path() / "manifest.json").read_text())["splits"]
    frame = canonical_reviews()
    keys = sorted(splits["test"])[:companies]
    print(f"glassdoor: {len(keys)} of {len(splits['test'])} test companies, {sample} reviews each (seed {seed})",
          flush=True)
    reviewer = get_reviewer("embedded", {"n_boot": 50})
    # review_with_taxonomy analyses the company again; the same frame gives the same analysis, so
    # both taxonomies read one analysis (half the time on busy cores).
    analyse, memo = reviewer.analyse, {}

    def analyse_once(name, reviews):
        key = (name, id(reviews))
        if key not in memo:
            memo[key] = analyse(name, reviews)
        return memo[key]

    reviewer.analyse = analyse_once
    coverage = {name: [] for name in ("default", "client", "default seeds", "client seeds")}
    errors: dict[str, list[float]] = {}
    for key in keys:
        company = frame[frame["company_key"] == key].reset_index(drop=True)
        rows = draw_rows(len(company), key, sample, 1, seed)[0]
        chosen = company.iloc[rows].reset_index(drop=True)
        ratings = review_ratings(chosen)[list(TARGETS)]
        targets = {t: (ratings[t].mean() if ratings[t].notna().sum() >= MIN_RATED else None) for t in TARGETS}
        truth = platform_truth_of_default(targets)
        chosen = chosen.assign(sub_ratings=[{} for _ in range(len(chosen))])
        name = str(chosen["company"].iloc[0])
        analysis = reviewer.analyse(name, chosen)
        cu = analysis.units
        custom = taxonomy_units(cu, chosen, client, reviewer.aspects)
        texts, langs = cu.units["text"].tolist(), cu.units["language"].tolist()
        coverage["default"].append(cu.mentions.mean(axis=0))
        coverage["client"].append(custom.mentions.mean(axis=0))
        coverage["default seeds"].append((seed_matches(texts, langs, default) > 0).mean(axis=0))
        coverage["client seeds"].append((seed_matches(texts, langs, client) > 0).mean(axis=0))
        base = analysis.review
        own = review_with_taxonomy(reviewer, name, chosen, client)
        for dim, columns in truth_columns(client, truth).items():
            t = mapped_truth(truth, columns)
            if t is None:
                continue
            for label, rating in ((f"{dim}|client", own.dimensions[dim].rating),
                                  (f"{dim}|default", np.mean([base.dimensions[c].rating for c in columns
                                                             if base.dimensions[c].rating is not None] or [np.nan])),
                                  (f"{dim}|overall", base.overall.rating)):
                if rating is not None and not np.isnan(rating):
                    errors.setdefault(label, []).append(abs(float(rating) - t))
        print(f"  {name}: {len(cu.units)} units", flush=True)
    return {"default": default, "client": client, "coverage": {k: np.mean(v, axis=0) for k, v in coverage.items()},
            "errors": errors, "companies": len(keys)}


# -- printing -------------------------------------------------------------------------------------

def print_kununu(detection: pd.DataFrame, ratings: list[dict]) -> None:
    print("\n## (a) kununu: detection of kununu's categories with the `kununu` taxonomy (no section shortcut)\n")
    print("| category | units | P | R | F1 | P@own-column | seeds P | seeds R | seeds F1 | maps_to P | maps_to R |"
          " maps_to F1 |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in detection.to_dict("records"):
        print(f"| {row['category']} | {row['units']} | " + " | ".join(
            fmt(row[k]) for k in ("P", "R", "F1", "P@own", "seed P", "seed R", "seed F1", "maps_to P",
                                  "maps_to R", "maps_to F1")) + " |")
    macro = detection[["P", "R", "F1", "P@own", "seed P", "seed R", "seed F1"]].mean()
    print("| **macro** | | " + " | ".join(fmt(macro[k]) for k in ("P", "R", "F1", "P@own", "seed P", "seed R",
                                                                     "seed F1")) + " | | | |")
    print("\nmicro P/R/F1: " + "; ".join(f"{name} {fmt(p)}/{fmt(r)}/{fmt(f)}"
                                          for name, (p, r, f) in detection.attrs["micro"].items()))
    print(f"units with no category detected: {detection.attrs['undetected']:.1%}")
    print("\nP = strict (a unit of column X detected as Y counts against Y even if it truly speaks of Y too); "
          "P@own-column = of the units whose strongest detected category is X, the share written in X's column.")
    print("\n### kununu: overall rating from the review vs kununu's mean overall_score of the same reviews\n")
    print("| company | reviews | kununu mean | text only | text+stars | dims detected | dims rated |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for row in ratings:
        print(f"| {row['company']} | {row['reviews']} | {fmt(row['kununu'])} | {fmt(row['text'])} | "
              f"{fmt(row['text+stars'])} | {row['detected dims']}/13 | {row['rated dims']}/13 |")
    pooled = float(np.mean([r["kununu"] for r in ratings]))
    print(f"\nbaseline: one value for every company (mean of the 4 kununu means) = {pooled:.2f}; "
          f"MAE of that constant {np.mean([abs(r['kununu'] - pooled) for r in ratings]):.2f}, text only "
          f"{np.mean([abs(r['kununu'] - r['text']) for r in ratings if r['text'] is not None]):.2f} "
          "(4 companies: not a correlation claim)")


def print_glassdoor(result: dict) -> None:
    print(f"\n## (b) Glassdoor, {result['companies']} held-out test companies: default vs client-six YAML\n")
    print("### Detection coverage (share of units detected per dimension; seed keywords alone as baseline)\n")
    print("| taxonomy | dimension | maps_to | detected | seed keywords |")
    print("|---|---|---|---:|---:|")
    for name in ("default", "client"):
        taxonomy = result[name]
        for j, dim in enumerate(taxonomy):
            print(f"| {taxonomy.name} | {dim.id} | {', '.join(dim.maps_to) or '–'} | "
                  f"{result['coverage'][name][j]:.1%} | {result['coverage'][name + ' seeds'][j]:.1%} |")
    print("\n### Rating MAE vs the Glassdoor sub-rating mean of the same reviews (sub-ratings stripped from input)\n")
    print("| client dimension | truth via maps_to | companies | client-six | default dims | baseline: overall |")
    print("|---|---|---:|---:|---:|---:|")
    from company_reviewer.evaluate.taxonomy_truth import platform_truth_of_default, truth_columns, unscored_dimensions

    rated = platform_truth_of_default({t: 1.0 for t in ("comp_benefits", "work_life_balance", "culture_values",
                                                          "diversity_inclusion", "career_opportunities",
                                                          "senior_management")})
    errors = result["errors"]
    for dim, columns in truth_columns(result["client"], rated).items():
        e = {k: errors.get(f"{dim}|{k}", []) for k in ("client", "default", "overall")}
        print(f"| {dim} | {', '.join(columns)} | {len(e['client'])} | " +
              " | ".join(fmt(float(np.mean(v)) if v else None) for v in e.values()) + " |")
    print(f"\nunscored (no maps_to target Glassdoor rates): {', '.join(unscored_dimensions(result['client'], rated))}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--units-per-category", type=int, default=120, help="kununu units per category (limit)")
    parser.add_argument("--companies", type=int, default=6, help="Glassdoor test companies (limit)")
    parser.add_argument("--sample", type=int, default=50, help="reviews per Glassdoor company")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip", choices=("kununu", "glassdoor"), default=None)
    args = parser.parse_args()
    start = time.perf_counter()
    print(f"limits: {args.units_per_category} kununu units per category, 50 kununu reviews per company, "
          f"{args.companies} Glassdoor test companies x {args.sample} reviews, n_boot 50", flush=True)
    if args.skip != "kununu":
        detection = kununu_detection(args.units_per_category, args.seed)
        ratings = kununu_ratings(args.seed)
        print_kununu(detection, ratings)
    if args.skip != "glassdoor":
        print_glassdoor(glassdoor(args.companies, args.sample, args.seed))
    print(f"\ntotal {time.perf_counter() - start:.0f}s")


if __name__ == "__main__":
    main()
