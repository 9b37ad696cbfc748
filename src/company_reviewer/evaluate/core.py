"""``evaluate_model``: one model on a set of companies, scored against the platforms' ratings.

Every company is reviewed on the same seeded sample of its reviews that ``review`` would use; the
result holds per-category rating metrics (against the sampled and the all-reviews truth), evidence
checks per dimension, per-company timings and token costs, and a summary of plain numbers.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from company_reviewer.evaluate.metrics import (
    check_evidence, coverage, rating_metrics, recency_bin, review_texts, share, size_bin,
)
from company_reviewer.evaluate.schemes import OVERALL, RatingScheme, load_scheme
from company_reviewer.evaluate.truth import MIN_RATED, company_truth, data_fingerprint

PRICES_FILE = "prices.yaml"
# Models that run on this machine cost nothing per token; a price table can still override them.
LOCAL_PRICES = {"llm:llamacpp": {"prompt": 0.0, "completion": 0.0},
                "llm:transformers": {"prompt": 0.0, "completion": 0.0}}


@dataclass
class EvaluationResult:
    """What :func:`evaluate_model` measured. ``per_dimension`` is indexed by the scheme's categories
    (and ``overall``); ``per_evidence`` by the 12 dimensions; ``predictions`` is one row per
    (company, category)."""

    model: str
    scheme: str
    per_dimension: pd.DataFrame
    per_evidence: pd.DataFrame
    predictions: pd.DataFrame
    companies: pd.DataFrame
    summary: dict[str, Any]
    params: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return _clean({
            "model": self.model, "scheme": self.scheme, "params": self.params, "summary": self.summary,
            "per_dimension": self.per_dimension.reset_index().to_dict("records"),
            "per_evidence": self.per_evidence.reset_index().to_dict("records"),
            "companies": self.companies.to_dict("records"),
            "predictions": self.predictions.to_dict("records"),
        })


def _clean(value: Any) -> Any:
    """JSON-safe: NaN -> None, numpy scalars -> Python."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, (np.floating, float)):
        return None if math.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def load_prices(path: str | Path | None = None) -> dict[str, dict[str, float]]:
    """USD per million tokens by model-spec prefix, from ``path`` or ``<data dir>/prices.yaml``::

        "llm:openai:gpt-4o-mini": {prompt: 0.15, completion: 0.60}

    Local backends (llama.cpp, transformers) cost 0 unless the table says otherwise; a paid model
    missing from the table shows its cost as n/a."""
    import yaml

    from company_reviewer.config import Settings

    file = Path(path) if path else Settings.from_env().prices_file
    if not file.exists():
        if path:
            raise FileNotFoundError(f"price table {file} does not exist")
        return dict(LOCAL_PRICES)
    table = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    return {**LOCAL_PRICES, **{str(k): {"prompt": float(v.get("prompt", 0)),
                                        "completion": float(v.get("completion", 0))}
                               for k, v in table.items()}}


def token_cost(spec: str, prompt_tokens: int, completion_tokens: int, prices: dict) -> float:
    """Cost of the tokens under the longest matching price prefix; 0 without tokens, NaN when the
    model used tokens but has no price."""
    if not prompt_tokens and not completion_tokens:
        return 0.0
    matches = [k for k in prices if spec.startswith(k)]
    if not matches:
        return float("nan")
    price = prices[max(matches, key=len)]
    return (prompt_tokens * price["prompt"] + completion_tokens * price["completion"]) / 1e6


def _usage(source) -> tuple[int, int]:
    """(prompt, completion) tokens a company review (or a reviewer, cumulatively) reports as
    ``usage`` (object or dict); (0, 0) when it reports none."""
    usage = getattr(source, "usage", None)
    if usage is None:
        return 0, 0
    get = usage.get if isinstance(usage, dict) else (lambda k, d=0: getattr(usage, k, d))
    return int(get("prompt_tokens", 0) or 0), int(get("completion_tokens", 0) or 0)


def with_company_keys(frame: pd.DataFrame) -> pd.DataFrame:
    if "company_key" in frame.columns:
        return frame
    return frame.assign(company_key=frame["source"].astype(str) + "::" + frame["company"].astype(str))


def evaluate_model(spec: str, frame: pd.DataFrame, *, options: dict | None = None,
                   scheme: str | Path | RatingScheme = "glassdoor", max_reviews: int = 50, random_state: int = 0,
                   progress: bool = True, companies: list[str] | None = None, sample: str = "stratified",
                   prices: dict | None = None, min_rated: int = MIN_RATED, taxonomy=None) -> EvaluationResult:
    """Review every company of ``frame`` (or the ``companies`` keys) with model ``spec`` and score it.

    ``taxonomy`` (a custom one; None or the default: the 12) reviews along its dimensions; each
    scheme category is then scored against the dimensions mapping to it (``evaluate.taxonomy_truth``), and
    the dimensions with no truth are listed in ``summary["unscored_dimensions"]``.

    ``frame`` holds all reviews of those companies (the all-reviews truth needs them); each company
    is reviewed on ``max_reviews`` of them chosen by ``sample`` with ``random_state``.
    """
    from tqdm import tqdm

    from company_reviewer.evaluate.taxonomy_truth import scheme_for_taxonomy
    from company_reviewer.reviewer.base import get_reviewer
    from company_reviewer.reviewer.predict import taxonomy_review_function
    from company_reviewer.sampling import sample_reviews
    from company_reviewer.taxonomy import DEFAULT_DIMENSION_IDS, is_default, resolve_taxonomy

    scheme = scheme if isinstance(scheme, RatingScheme) else load_scheme(scheme)
    prices = load_prices() if prices is None else prices
    frame = with_company_keys(frame)
    groups = dict(tuple(frame.groupby("company_key", sort=False)))
    keys = companies if companies is not None else list(groups)
    missing = [k for k in keys if k not in groups]
    if missing:
        raise KeyError(f"no reviews for {', '.join(missing)}")
    reviewer = get_reviewer(spec, options)
    # A model that cannot review along the taxonomy fails here, before any company is read.
    review_company = taxonomy_review_function(reviewer, taxonomy)
    taxonomy = None if taxonomy is None else resolve_taxonomy(taxonomy)
    unscored: list[str] | None = None
    if taxonomy is not None and not is_default(taxonomy):
        scheme, unscored = scheme_for_taxonomy(scheme, taxonomy)
    dimension_ids = DEFAULT_DIMENSION_IDS if unscored is None else taxonomy.ids
    pred_rows, company_rows, errors = [], [], []
    evidence_counts = {d: {"quotes": 0, "verbatim": 0, "flags": [], "consistent": [], "rated": 0, "mentions": 0}
                       for d in dimension_ids}
    used_frames, ratings_from = [], set()
    for key in tqdm(keys, desc=f"evaluating {spec}", unit=" company", disable=not progress, leave=False):
        reviews = groups[key]
        chosen = sample_reviews(reviews, k=max_reviews, strategy=sample, random_state=random_state)
        used_frames.append(chosen)
        before = _usage(reviewer)
        start = time.perf_counter()
        try:
            review = review_company(key.split("::", 1)[-1], chosen)
        except Exception as exc:  # one failing company (a flaky endpoint) must not lose the others
            errors.append(f"{key}: {type(exc).__name__}: {exc}")
            review = None
        seconds = time.perf_counter() - start
        after = _usage(reviewer)
        tokens = _usage(review) if review is not None and getattr(review, "usage", None) else (
            after[0] - before[0], after[1] - before[1])
        years = pd.to_datetime(chosen["date"], errors="coerce").dt.year
        company_rows.append({
            "company": key, "source": key.split("::", 1)[0], "n_reviews_total": len(reviews),
            "n_reviews_used": len(chosen), "median_year": float(years.median()) if years.notna().any() else np.nan,
            "seconds": seconds, "prompt_tokens": tokens[0], "completion_tokens": tokens[1],
            "cost": token_cost(spec, *tokens, prices), "error": None if review else errors[-1],
        })
        truth_sample = company_truth(chosen, scheme, min_rated)
        truth_all = company_truth(reviews, scheme, min_rated)
        predicted = scheme.predict(review) if review else {k: (None, None) for k in truth_sample}
        for category, (rating, interval) in predicted.items():
            pred_rows.append({"company": key, "category": category, "pred": rating,
                              "low": interval[0] if interval else None, "high": interval[1] if interval else None,
                              "truth_sample": truth_sample[category], "truth_all": truth_all[category]})
        if review:
            # A reviewer that reports another model's ratings says so; comparisons must not credit it.
            ratings_from.add(getattr(review.model, "ratings_from", None))
            texts = review_texts(chosen)
            for dim_id, dimension in review.dimensions.items():
                if dim_id not in evidence_counts:
                    continue
                check = check_evidence(dimension, texts)
                counts = evidence_counts[dim_id]
                counts["quotes"] += check.quotes
                counts["verbatim"] += check.verbatim
                counts["flags"].extend(check.grounded_flags)
                counts["rated"] += dimension.rating is not None
                counts["mentions"] += dimension.mentions
                if check.consistent is not None:
                    counts["consistent"].append(check.consistent)
    if len(errors) == len(keys) and keys:
        raise RuntimeError(f"{spec} failed on every company; first error: {errors[0]}")
    companies_frame = pd.DataFrame(company_rows)
    predictions = pd.DataFrame(pred_rows).astype({"pred": float, "low": float, "high": float})
    per_dimension = _per_category(predictions, scheme)
    per_evidence = _per_evidence(evidence_counts, len(keys))
    summary = _summary(per_dimension, per_evidence, evidence_counts, predictions, companies_frame, errors)
    summary["ratings_from"] = ", ".join(sorted(r for r in ratings_from if r)) or None
    params = {"model": spec, "scheme": scheme.name, "max_reviews": max_reviews, "sample": sample,
              "random_state": random_state, "min_rated": min_rated, "n_companies": len(keys),
              "options": options or {}, "data_hash": data_fingerprint([groups[k] for k in keys]),
              "sample_hash": data_fingerprint(used_frames)}
    if unscored is not None:
        params["taxonomy"] = {"name": taxonomy.name, "version": taxonomy.version, "sha256": taxonomy.content_hash()}
        summary["unscored_dimensions"] = unscored
    return EvaluationResult(model=spec, scheme=scheme.name, per_dimension=per_dimension,
                            per_evidence=per_evidence, predictions=predictions, companies=companies_frame,
                            summary=summary, params=params)


def _per_category(predictions: pd.DataFrame, scheme: RatingScheme) -> pd.DataFrame:
    rows = []
    for category, group in predictions.groupby("category", sort=False):
        vs_sample = rating_metrics(group["pred"], group["truth_sample"], group["low"], group["high"])
        vs_all = rating_metrics(group["pred"], group["truth_all"], group["low"], group["high"])
        rows.append({"category": category, "label": scheme.label(category), "coverage": coverage(group["pred"]),
                     **vs_sample, **{f"{k}_all": v for k, v in vs_all.items()}})
    return pd.DataFrame(rows).set_index("category")


def _per_evidence(counts: dict, n_companies: int) -> pd.DataFrame:
    rows = []
    for dim_id, c in counts.items():
        rows.append({"dimension": dim_id, "rated_share": share(c["rated"], n_companies),
                     "mentions_per_company": share(c["mentions"], n_companies), "quotes": c["quotes"],
                     "quote_verbatim_rate": share(c["verbatim"], c["quotes"]),
                     "grounding_rate": share(sum(c["flags"]), len(c["flags"])),
                     "sentiment_consistency": share(sum(c["consistent"]), len(c["consistent"]))})
    return pd.DataFrame(rows).set_index("dimension")


def _summary(per_dimension, per_evidence, counts, predictions, companies, errors) -> dict[str, Any]:
    categories = per_dimension.drop(index=OVERALL, errors="ignore")
    scored = predictions[predictions["category"] != OVERALL]
    has_interval = scored["low"].notna() & scored["truth_sample"].notna() & scored["pred"].notna()
    quotes = sum(c["quotes"] for c in counts.values())
    flags = [f for c in counts.values() for f in c["flags"]]
    consistent = [f for c in counts.values() for f in c["consistent"]]
    overall = per_dimension.loc[OVERALL] if OVERALL in per_dimension.index else None
    costs = companies["cost"]
    return {
        "n_companies": int(len(companies)), "n_failed": len(errors), "errors": errors[:10],
        "n_reviews_used": int(companies["n_reviews_used"].sum()) if len(companies) else 0,
        "mean_mae": float(categories["mae"].mean()), "mean_rmse": float(categories["rmse"].mean()),
        "mean_spearman": float(categories["spearman"].mean()),
        "mean_within_0_25": float(categories["within_0_25"].mean()),
        "mean_mae_all": float(categories["mae_all"].mean()),
        "mean_spearman_all": float(categories["spearman_all"].mean()),
        "overall_mae": float(overall["mae"]) if overall is not None else np.nan,
        "overall_spearman": float(overall["spearman"]) if overall is not None else np.nan,
        "coverage": float(categories["coverage"].mean()),
        "dimension_coverage": float(per_evidence["rated_share"].mean()),
        "interval_calibration": share(
            ((scored["truth_sample"] >= scored["low"] - 0.005) & (scored["truth_sample"] <= scored["high"] + 0.005)
             )[has_interval].sum(), has_interval.sum()),
        "quote_verbatim_rate": share(sum(c["verbatim"] for c in counts.values()), quotes),
        "quotes_per_company": share(quotes, len(companies)),
        "grounding_rate": share(sum(flags), len(flags)),
        "sentiment_consistency": share(sum(consistent), len(consistent)),
        "seconds_per_company": float(companies["seconds"].mean()) if len(companies) else np.nan,
        "prompt_tokens": int(companies["prompt_tokens"].sum()) if len(companies) else 0,
        "completion_tokens": int(companies["completion_tokens"].sum()) if len(companies) else 0,
        "cost_per_company": float(costs.mean()) if len(costs) and costs.notna().all() else np.nan,
    }


def slice_table(result: EvaluationResult) -> pd.DataFrame:
    """Mean absolute error (categories pooled, overall excluded, sampled truth) by source, company
    size and review recency: one row per (slice kind, slice)."""
    companies = result.companies.set_index("company")
    scored = result.predictions[result.predictions["category"] != OVERALL].dropna(subset=["pred", "truth_sample"])
    scored = scored.assign(err=(scored["pred"] - scored["truth_sample"]).abs())
    slices = {"source": companies["source"], "company size": companies["n_reviews_total"].map(size_bin),
              "recency": companies["median_year"].map(recency_bin)}
    rows = []
    for kind, labels in slices.items():
        tagged = scored.assign(slice=scored["company"].map(labels))
        for name, group in tagged.groupby("slice"):
            rows.append({"slice_kind": kind, "slice": name, "companies": int(group["company"].nunique()),
                         "mae": float(group["err"].mean())})
    return pd.DataFrame(rows, columns=["slice_kind", "slice", "companies", "mae"])
