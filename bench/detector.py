"""Dimension detector and polarity classifier: imbalance remedies and augmentation vs two gold sets.

Usage: ``python bench/detector.py [--pool 100000] [--model-seeds 0 1] [--target 1500] [--only NAME ...]
[--epochs N] [--lr X] [--report docs/detector-report.md]``

Protocol
--------
* Training pool: ``--pool`` opinion units drawn (seeded) from the shared Glassdoor reviews, leaving
  out every review that has a gold unit. Their weak labels come from ``label_units`` (snorkel label
  model over the labeling functions), fitted once on the whole pool: it never sees gold labels,
  so fitting it across both folds leaks nothing. Labels are cached on disk, keyed by the pool,
  the taxonomy and the source of the labeling package.
* Two folds by company (companies assigned largest first to the fold with fewer units). A model
  is trained on the pool units of one fold's companies and predicts the Glassdoor gold units of
  the *other* fold's companies, so every gold unit is scored by a model that never saw its
  company. Per-dimension thresholds are tuned on weak labels only (``threshold="tuned"``).
* Glassdoor gold (English, hand-labeled dimensions + polarity): predictions of both folds pooled.
  kununu gold (German, dimension = kununu category's ``maps_to``; no job_security category):
  scored with each fold model, metrics averaged over the two.
* Variants: losses (BCE, class-balanced BCE, focal, class-balanced focal), the MLP head, a fixed
  0.5 threshold, over/undersampling, and each augmentation method applied to the dimensions below
  ``--target`` positives (on top of plain BCE, so the effect of augmentation alone is visible;
  ``--aug-loss`` changes that). "teacher" is the label model itself on the gold units.
* Metrics: per-dimension precision/recall/F1, macro-F1 over dimensions with gold positives,
  rare-F1 = mean F1 of diversity_inclusion, job_security, communication, learning_development.

Nothing written contains review text: the report holds figures only.
"""

from __future__ import annotations

import argparse
import hashlib
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

# Research-only siblings in bench/ (the shipped detector uses neither).
from augment import augment_frame
from resampling import resample_multilabel
from company_reviewer.config import data_dir
from company_reviewer.embedding import get_encoder
from company_reviewer.imbalance import macro_f1, micro_f1, per_dimension_f1
from company_reviewer.reviewer.detector import DimensionDetector, PolarityClassifier, polarity_targets
from company_reviewer.taxonomy import load_taxonomy

RARE = ("diversity_inclusion", "job_security", "communication", "learning_development")
MARK_START, MARK_END = "<!-- bench:start -->", "<!-- bench:end -->"


@dataclass
class Variant:
    name: str
    params: dict[str, Any] = field(default_factory=dict)
    resample: str | None = None
    augment: str | None = None
    target: int | None = None  # augmentation target; None = --target
    hard: bool = False  # train on 0/1 weak labels instead of label-model probabilities


def variants(aug_loss: str) -> list[Variant]:
    out = [Variant("bce", {"loss": "bce"}), Variant("bce_t0.5", {"loss": "bce", "threshold": 0.5}),
           Variant("bce_hard_labels", {"loss": "bce"}, hard=True),
           Variant("cb_bce", {"loss": "cb_bce"}), Variant("focal", {"loss": "focal"}),
           Variant("cb_focal", {"loss": "cb_focal"}),
           Variant("cb_focal_b0.9999", {"loss": "cb_focal", "beta": 0.9999}),
           Variant("mlp256_bce", {"loss": "bce", "hidden": 256}),
           Variant("mlp256_cb_focal", {"loss": "cb_focal", "hidden": 256}),
           Variant("oversample", {"loss": "bce"}, resample="oversample"),
           Variant("undersample", {"loss": "bce"}, resample="undersample")]
    for method in ("keyword_swap", "synonym_swap", "clause_shuffle", "token_dropout", "template"):
        out.append(Variant(f"aug_{method}", {"loss": aug_loss}, augment=method))
    out.append(Variant("aug_all", {"loss": aug_loss},
                       augment="keyword_swap,synonym_swap,clause_shuffle,token_dropout,template"))
    # EN + DE templates for every dimension (not just the rare ones): can the German seeds teach
    # the English encoder's head anything about German units?
    out.append(Variant("aug_template_all_dims", {"loss": aug_loss}, augment="template", target=8000))
    return out


def labeling_source_hash() -> str:
    digest = hashlib.sha1()
    root = resources.files("company_reviewer.labeling")
    for path in sorted(Path(str(root)).rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def build_pool(n: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Labeled pool units, Glassdoor gold and kununu gold, each with the teacher's ``p_*`` columns."""
    from company_reviewer.labeling.gold import canonical_reviews, glassdoor_gold, kununu_gold, review_units
    from company_reviewer.labeling.labeler import Labeler

    reviews = canonical_reviews()
    gold = glassdoor_gold(reviews=reviews)
    kununu = kununu_gold()
    units = review_units(reviews)
    units = units[~units["review_key"].isin(set(gold["review_key"]))]
    pool = units.sample(n=min(n, len(units)), random_state=seed).reset_index(drop=True)
    taxonomy = load_taxonomy("default")
    key = f"{len(pool)}-{seed}-{taxonomy.content_hash()[:12]}-{labeling_source_hash()}"
    folder = data_dir() / "bench" / f"detector_labels_{key}"
    parts = {"pool": pool, "gold": gold, "kununu": kununu}
    if not (folder / "kununu.parquet").exists():
        t = time.time()
        encoder = get_encoder()
        labeler = Labeler(taxonomy, random_state=0, encoder=encoder)
        labeled = {"pool": labeler.fit_transform(pool, vectors=encoder.encode(pool["text"].tolist()))}
        for name in ("gold", "kununu"):
            frame = parts[name]
            labeled[name] = labeler.transform(frame, vectors=encoder.encode(frame["text"].tolist()))
        folder.mkdir(parents=True, exist_ok=True)
        for name, frame in labeled.items():
            frame.drop(columns=[c for c in ("review_key", "field", "start", "end") if c in frame]).to_parquet(
                folder / f"{name}.parquet")
        print(f"labels: label model fitted on {len(pool)} pool units in {time.time() - t:.0f}s")
    else:
        print(f"labels: cached in {folder}")
    out = []
    for name, frame in parts.items():
        labels = pd.read_parquet(folder / f"{name}.parquet")
        keep = [c for c in labels.columns if c.startswith("p_") or c == "polarity"]
        out.append(frame.reset_index(drop=True).join(labels[keep].add_prefix("lm_")))
    return out[0], out[1], out[2]


def company_folds(keys: pd.Series, n_folds: int = 2) -> dict[str, int]:
    """Companies to folds, largest first onto the lighter fold, so folds have similar unit counts."""
    load = np.zeros(n_folds)
    out: dict[str, int] = {}
    for company, size in keys.value_counts().items():
        fold = int(load.argmin())
        out[str(company)] = fold
        load[fold] += size
    return out


@dataclass
class Fold:
    X: np.ndarray
    Y: pd.DataFrame
    units: pd.DataFrame
    gold_rows: np.ndarray


def train_variant(v: Variant, fold: Fold, args: argparse.Namespace, ids: list[str],
                  model_seed: int = 0) -> DimensionDetector:
    X, Y = fold.X, fold.Y
    if v.hard:
        Y = (Y >= 0.5).astype(float)
    if v.resample:
        X, Yv = resample_multilabel(X, Y.to_numpy(), v.resample, random_state=args.seed)
        Y = pd.DataFrame(Yv, columns=ids)
    if v.augment:
        units, labels = augment_frame(fold.units[["text"]], Y, v.augment.split(","), v.target or args.target,
                                      random_state=args.seed)
        new = units["augmented"] != ""
        X = np.vstack([X, get_encoder().encode(units.loc[new, "text"].tolist())])
        Y = labels
        print(f"    {v.name}: +{int(new.sum())} augmented units")
    # Only what the command line sets overrides the detector's own defaults.
    schedule = {k: v for k, v in (("epochs", args.epochs), ("lr", args.lr)) if v is not None}
    params = {"random_state": model_seed} | schedule | v.params
    return DimensionDetector(**params).fit(X, Y)


def scores(Y_true: np.ndarray, Y_pred: np.ndarray, ids: list[str]) -> tuple[pd.DataFrame, dict[str, float]]:
    table = per_dimension_f1(Y_true, Y_pred, ids)
    rare = table.loc[list(RARE), "f1"]
    return table, {"macro_f1": macro_f1(Y_true, Y_pred, ids), "micro_f1": micro_f1(Y_true, Y_pred),
                   "rare_f1": float(rare.mean(skipna=True))}


def evaluate(args: argparse.Namespace) -> None:
    from company_reviewer.labeling.gold import gold_matrix

    t0 = time.time()
    taxonomy = load_taxonomy("default")
    ids = list(taxonomy.ids)
    encoder = get_encoder()
    pool, gold, kununu = build_pool(args.pool, args.seed)
    X_pool = encoder.encode(pool["text"].tolist())
    X_gold, X_ku = encoder.encode(gold["text"].tolist()), encoder.encode(kununu["text"].tolist())
    Y_gold, Y_ku = gold_matrix(gold, taxonomy), gold_matrix(kununu, taxonomy)
    print(f"data: pool {len(pool)} units, gold {len(gold)} (Glassdoor) + {len(kununu)} (kununu), "
          f"{time.time() - t0:.0f}s")
    import torch

    torch.set_num_threads(args.threads)  # tiny matmuls: more threads only add contention
    gold_company = gold["source"] + "::" + gold["company"]
    folds_of = company_folds(pd.concat([pool["company_key"], gold_company]))
    lm_cols = [f"lm_p_{d}" for d in ids]
    folds = []
    for k in range(2):
        train = (pool["company_key"].map(folds_of) != k).to_numpy()
        folds.append(Fold(X_pool[train], pool.loc[train, lm_cols].set_axis(ids, axis=1).reset_index(drop=True),
                          pool.loc[train].reset_index(drop=True),
                          np.flatnonzero(gold_company.map(folds_of).to_numpy() == k)))
        print(f"fold {k}: train on {train.sum()} units, scores {len(folds[-1].gold_rows)} gold units")
    counts = pd.DataFrame({f"fold{k}": (f.Y >= 0.5).sum() for k, f in enumerate(folds)})
    counts["gold_glassdoor"] = Y_gold.sum(axis=0)
    counts["gold_kununu"] = Y_ku.sum(axis=0)
    print("positives per dimension (weak labels >= 0.5 per training fold; gold):\n" + counts.to_string())
    results: dict[str, dict[str, Any]] = {}
    teacher_gold = (gold[lm_cols].to_numpy() >= 0.5).astype(int)
    teacher_ku = (kununu[lm_cols].to_numpy() >= 0.5).astype(int)
    results["teacher"] = _average([_collect(Y_gold, teacher_gold, [(Y_ku, teacher_ku)], ids, 0.0)])
    chosen = [v for v in variants(args.aug_loss) if not args.only or v.name in args.only]
    for v in chosen:
        runs = []
        for model_seed in args.model_seeds:
            t = time.time()
            pred_gold = np.zeros_like(Y_gold)
            ku_preds = []
            for fold in folds:
                model = train_variant(v, fold, args, ids, model_seed)
                pred_gold[fold.gold_rows] = model.predict(X_gold[fold.gold_rows])
                ku_preds.append((Y_ku, model.predict(X_ku)))
            runs.append(_collect(Y_gold, pred_gold, ku_preds, ids, (time.time() - t) / len(folds)))
        results[v.name] = r = _average(runs)
        print(f"  {v.name:22s} GD macro {r['gd']['macro_f1']:.3f} (sd {r['gd_macro_sd']:.3f}) rare "
              f"{r['gd']['rare_f1']:.3f} | KU macro {r['ku']['macro_f1']:.3f} rare {r['ku']['rare_f1']:.3f} "
              f"| {r['seconds']:.1f}s/fold")
    if "bce" in results:
        for _name, r in results.items():
            r["ci"] = paired_bootstrap(Y_gold, r["pred_gold"], results["bce"]["pred_gold"], ids)
    polarity = evaluate_polarity(pool, gold, X_pool, X_gold, folds_of, gold_company, args)
    setup = {"model_seeds": args.model_seeds, "pool": len(pool), "fold_train": [len(f.X) for f in folds],
             "gold": len(gold),
             "kununu": len(kununu), "epochs": args.epochs or DimensionDetector().epochs,
             "lr": args.lr or DimensionDetector().lr, "target": args.target, "seed": args.seed,
             "aug_loss": args.aug_loss, "total_seconds": time.time() - t0}
    text = render(results, counts, polarity, setup, ids)
    print(text)
    if args.report:
        write_report(Path(args.report), text)
    print(f"total {time.time() - t0:.0f}s")


def _collect(Y_gold: np.ndarray, pred_gold: np.ndarray, ku: list[tuple[np.ndarray, np.ndarray]],
             ids: list[str], seconds: float) -> dict[str, Any]:
    gd_table, gd = scores(Y_gold, pred_gold, ids)
    ku_runs = [scores(y, p, ids) for y, p in ku]
    ku_table = sum(t for t, _ in ku_runs) / len(ku_runs)
    ku_sum = {k: float(np.mean([s[k] for _, s in ku_runs])) for k in ku_runs[0][1]}
    return {"gd": gd, "ku": ku_sum, "gd_table": gd_table, "ku_table": ku_table, "seconds": seconds,
            "pred_gold": pred_gold}


def _average(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Metrics averaged over model seeds; the bootstrap uses the first seed's predictions."""
    out = dict(runs[0])
    for part in ("gd", "ku"):
        out[part] = {k: float(np.mean([r[part][k] for r in runs])) for k in runs[0][part]}
        out[f"{part}_table"] = sum(r[f"{part}_table"] for r in runs) / len(runs)
    out["gd_macro_sd"] = float(np.std([r["gd"]["macro_f1"] for r in runs]))
    out["seconds"] = float(np.mean([r["seconds"] for r in runs]))
    return out


def paired_bootstrap(Y: np.ndarray, pred: np.ndarray, base: np.ndarray, ids: list[str],
                     n: int = 1000, seed: int = 0) -> dict[str, tuple[float, float]]:
    """95% intervals of the macro- and rare-F1 difference ``pred - base`` over resampled gold units.

    The Glassdoor gold set has 7-12 positives for the rare dimensions, so one unit moves their F1
    by several points; the interval says which differences the set can resolve.
    """
    rng = np.random.default_rng(seed)
    rare = [ids.index(d) for d in RARE]
    idx = rng.integers(len(Y), size=(n, len(Y)))
    t = np.asarray(Y)[idx] >= 0.5  # (n, units, dims)

    def f1(p: np.ndarray) -> np.ndarray:
        p = np.asarray(p)[idx] >= 0.5
        tp, support = (t & p).sum(axis=1), t.sum(axis=1)
        out = 2 * tp / np.maximum(support + p.sum(axis=1), 1)
        return np.where(support > 0, out, np.nan)  # as per_dimension_f1: undefined without positives

    with np.errstate(all="ignore"):
        a, b = f1(pred), f1(base)
        diffs = {"macro": np.nanmean(a, axis=1) - np.nanmean(b, axis=1),
                 "rare": np.nanmean(a[:, rare], axis=1) - np.nanmean(b[:, rare], axis=1)}
    return {k: (float(np.nanpercentile(v, 2.5)), float(np.nanpercentile(v, 97.5))) for k, v in diffs.items()}


def evaluate_polarity(pool: pd.DataFrame, gold: pd.DataFrame, X_pool: np.ndarray, X_gold: np.ndarray,
                      folds_of: dict[str, int], gold_company: pd.Series, args: argparse.Namespace) -> pd.DataFrame:
    """Accuracy and macro-F1 of polarity on the Glassdoor gold set, company-split like above."""
    from sklearn.metrics import accuracy_score, f1_score

    truth = gold["polarity"].to_numpy()
    fields = gold["field"].to_numpy()
    rows = []
    natural = np.array([{"pros": "positive", "cons": "negative"}.get(f, "neutral") for f in fields])
    rows.append(("field only (pros=positive, cons=negative, else neutral)", natural))
    rows.append(("label model polarity (teacher)", gold["lm_polarity"].to_numpy()))
    for name, use_labels in (("classifier, natural labels only", False),
                             ("classifier, natural + label-model polarity", True)):
        pred = np.empty(len(gold), dtype=object)
        for k in range(2):
            train = (pool["company_key"].map(folds_of) != k).to_numpy()
            y, w = polarity_targets(pool.loc[train, "field"].tolist(),
                                    pool.loc[train, "lm_polarity"].tolist() if use_labels else None)
            ok = w > 0
            model = PolarityClassifier(random_state=args.seed).fit(X_pool[train][ok], y[ok], sample_weight=w[ok])
            rows_k = np.flatnonzero(gold_company.map(folds_of).to_numpy() == k)
            pred[rows_k] = model.predict(X_gold[rows_k])
        rows.append((name, pred.astype(str)))
    # What the product can do: the reviewer's field where it has one, the classifier elsewhere.
    rows.append(("field for pros/cons, else classifier (natural + label-model)",
                 np.where(np.isin(fields, ["pros", "cons"]), natural, rows[-1][1])))
    out = []
    polar = truth != "neutral"
    for name, pred in rows:
        out.append({"method": name, "accuracy": accuracy_score(truth, pred),
                    "macro_f1": f1_score(truth, pred, average="macro", labels=["positive", "negative", "neutral"],
                                         zero_division=0),
                    "accuracy_pos_neg_units": accuracy_score(truth[polar], pred[polar])})
    return pd.DataFrame(out)


def render(results: dict[str, dict[str, Any]], counts: pd.DataFrame, polarity: pd.DataFrame,
           setup: dict[str, Any], ids: list[str]) -> str:
    lines = [f"Setup: pool {setup['pool']} weak-labeled Glassdoor units (seed {setup['seed']}), training "
             f"folds {setup['fold_train']} units, {setup['epochs']} epochs (lr {setup['lr']}), detector seeds "
             f"{setup['model_seeds']} (figures are means over them); augmentation target "
             f"{setup['target']} positives on top of loss `{setup['aug_loss']}`; Glassdoor gold "
             f"{setup['gold']} units, kununu gold {setup['kununu']} units; run {setup['total_seconds']:.0f}s.",
             "", "### Positives per dimension", "", counts.to_markdown(), "",
             "### Summary (F1; rare = mean of " + ", ".join(RARE) + ")", "",
             "GD = Glassdoor gold (English), KU = kununu gold (German). The bracketed columns are 95% "
             "paired-bootstrap intervals (1000 resamples of the GD units) of the difference to `bce`.", "",
             "| variant | GD macro-F1 | seed sd | Δ macro vs bce | GD micro-F1 | GD rare-F1 | Δ rare vs bce "
             "| KU macro-F1 "
             "| KU rare-F1 | " + " | ".join(f"GD {d}" for d in RARE) + " | s/fold |",
             "|---" * (10 + len(RARE)) + "|"]
    for name, r in results.items():
        rare = " | ".join(f"{r['gd_table'].loc[d, 'f1']:.3f}" for d in RARE)
        ci = r.get("ci", {"macro": (np.nan, np.nan), "rare": (np.nan, np.nan)})
        lines.append(f"| {name} | {r['gd']['macro_f1']:.3f} | {r['gd_macro_sd']:.3f} "
                     f"| [{ci['macro'][0]:+.3f}, {ci['macro'][1]:+.3f}] "
                     f"| {r['gd']['micro_f1']:.3f} | {r['gd']['rare_f1']:.3f} "
                     f"| [{ci['rare'][0]:+.3f}, {ci['rare'][1]:+.3f}] | {r['ku']['macro_f1']:.3f} "
                     f"| {r['ku']['rare_f1']:.3f} | {rare} | {r['seconds']:.1f} |")
    lines += ["", "### Polarity on the Glassdoor gold set", "", polarity.round(3).to_markdown(index=False), "",
              "### Per-dimension results per variant (GD = Glassdoor gold, KU = kununu gold, mean of 2 fold models)"]
    for name, r in results.items():
        table = pd.concat({"GD": r["gd_table"][["precision", "recall", "f1", "support"]],
                           "KU": r["ku_table"][["precision", "recall", "f1", "support"]]}, axis=1)
        table.columns = [f"{a} {b}" for a, b in table.columns]
        lines += ["", f"#### {name}", "", table.round(3).to_markdown()]
    return "\n".join(lines) + "\n"


def write_report(path: Path, text: str) -> None:
    """Replace the figures between the bench markers; hand-written text around them is kept."""
    empty = f"# Dimension detector report\n\n{MARK_START}\n{MARK_END}\n"
    old = path.read_text(encoding="utf-8") if path.exists() else empty
    if MARK_START not in old:
        old += f"\n{MARK_START}\n{MARK_END}\n"
    head, rest = old.split(MARK_START, 1)
    tail = rest.split(MARK_END, 1)[1] if MARK_END in rest else ""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{head}{MARK_START}\n{text}{MARK_END}{tail}", encoding="utf-8")
    print(f"wrote {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pool", type=int, default=100_000, help="weak-labeled training units drawn")
    parser.add_argument("--epochs", type=int, default=None, help="default: DimensionDetector's")
    parser.add_argument("--lr", type=float, default=None, help="default: DimensionDetector's")
    parser.add_argument("--target", type=int, default=1500, help="augmentation target per dimension")
    parser.add_argument("--aug-loss", default="bce", help="loss of the augmentation variants")
    parser.add_argument("--seed", type=int, default=0, help="seed of the pool, resampling and augmentation")
    parser.add_argument("--model-seeds", type=int, nargs="+", default=[0],
                        help="random_state values of the detector; metrics are averaged over them")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--only", nargs="*", default=None, help="variant names to run")
    parser.add_argument("--report", default=None, help="markdown file to write the figures into")
    evaluate(parser.parse_args())


if __name__ == "__main__":
    main()
