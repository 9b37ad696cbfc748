"""``compare_models``: the same companies, the same samples, every model; plus the verdict.

The TF-IDF + ridge and the constant-mean baselines are always part of a comparison, so every
figure has its yardstick beside it. A model whose ratings are another model's (an LLM reviewer that
only writes the text reports ``model.ratings_from``) is never credited with them: it is left out of
the rating ranking, the per-category winners and the rating plots, and marked as borrowing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from company_reviewer.evaluate.core import EvaluationResult, evaluate_model, slice_table
from company_reviewer.evaluate.schemes import OVERALL, RatingScheme, load_scheme

BASELINES = ("baseline:tfidf", "baseline:mean")
# Summary columns that measure ratings (a model that borrows its ratings gets no figure there;
# rating-evidence consistency compares the borrowed rating with the quotes).
RATING_COLUMNS = ("mean_mae", "mean_spearman", "mean_mae_all", "mean_spearman_all", "overall_mae",
                  "overall_spearman", "coverage", "interval_calibration", "sentiment_consistency")


@dataclass
class Comparison:
    results: list[EvaluationResult]
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def models(self) -> list[str]:
        return [r.model for r in self.results]

    @property
    def borrowed(self) -> dict[str, str]:
        """Model -> the model whose ratings it reports, for models that do not rate themselves."""
        return {r.model: str(r.summary["ratings_from"]) for r in self.results if r.summary.get("ratings_from")}

    @property
    def rating_models(self) -> list[str]:
        """The models whose ratings are their own: the ones a rating ranking may name."""
        return [m for m in self.models if m not in self.borrowed]

    def summary_table(self) -> pd.DataFrame:
        """One row per model: the headline numbers of its summary."""
        columns = ("mean_mae", "mean_spearman", "mean_mae_all", "mean_spearman_all", "overall_mae",
                   "overall_spearman", "coverage", "dimension_coverage", "interval_calibration",
                   "quote_verbatim_rate", "grounding_rate", "sentiment_consistency", "seconds_per_company",
                   "cost_per_company", "n_failed")
        return pd.DataFrame([{c: r.summary.get(c) for c in columns} for r in self.results],
                            index=pd.Index(self.models, name="model")).astype(float)

    @property
    def labels(self) -> dict[str, str]:
        """Category -> its label, over every result's categories (a model reviewing along a custom
        taxonomy may predict fewer of them than the baselines). A baseline's plain label wins over a
        taxonomy's "(via ...)" one, since the row holds every model's figure."""
        out: dict[str, str] = {}
        for result in sorted(self.results, key=lambda r: "taxonomy" in r.params):
            for category, label in result.per_dimension["label"].items():
                out.setdefault(category, label)
        return out

    def category_table(self, metric: str = "mae") -> pd.DataFrame:
        """``metric`` per category (rows) and model (columns), models with their own ratings only."""
        return pd.DataFrame({r.model: r.per_dimension[metric] for r in self.results if r.model not in self.borrowed})

    def slice_table(self) -> pd.DataFrame:
        """MAE per slice (source, company size, recency) and model."""
        tables = [slice_table(r).assign(model=r.model) for r in self.results]
        long = pd.concat(tables, ignore_index=True)
        if long.empty:
            return long
        wide = long.pivot_table(index=["slice_kind", "slice", "companies"], columns="model", values="mae")
        return wide[[m for m in self.rating_models if m in wide.columns]]

    def verdict(self) -> pd.DataFrame:
        """Each model against the better of the two baselines (by mean MAE over categories); the
        difference is taken over the categories both rate (a model reviewing along a custom taxonomy
        may predict fewer, and says so). A model that borrows its ratings is not ranked and shows no
        rating figure."""
        table = self.summary_table()
        borrowed = self.borrowed
        baselines = table.loc[[b for b in BASELINES if b in table.index]]
        best = baselines["mean_mae"].idxmin() if baselines["mean_mae"].notna().any() else None
        maes = {r.model: r.per_dimension["mae"].drop(index=OVERALL, errors="ignore").dropna() for r in self.results}
        rows = []
        for model, row in table.iterrows():
            if model in borrowed:
                row = row.copy()
                row[list(RATING_COLUMNS)] = np.nan
            # Only where comparable: the categories both rate (a custom taxonomy may leave some
            # uncovered; the baseline's error there says nothing about the model).
            shared = maes[model].index.intersection(maes[best].index) if best and model not in borrowed else []
            delta = float((maes[model][shared] - maes[best][shared]).mean()) if len(shared) else np.nan
            partial = f" (on the {len(shared)} categories both rate)" if best and 0 < len(shared) < len(maes[best]) \
                else ""
            if model in borrowed:
                text = f"not ranked: its ratings are {borrowed[model]}'s (borrowed)"
            elif model in BASELINES:
                text = "baseline"
            elif np.isnan(delta):
                text = "not comparable (no rated categories)"
            elif delta < -0.01:
                text = f"better than {best} by {-delta:.3f} stars MAE{partial}"
            elif delta > 0.01:
                text = f"worse than {best} by {delta:.3f} stars MAE{partial}"
            else:
                text = f"on par with {best}{partial}"
            rows.append({"model": model, "ratings": f"borrowed from {borrowed[model]}" if model in borrowed else "own",
                         "mean_mae": row["mean_mae"], "delta_vs_best_baseline": delta,
                         "mean_spearman": row["mean_spearman"], "overall_mae": row["overall_mae"],
                         "seconds_per_company": row["seconds_per_company"], "verdict": text})
        return pd.DataFrame(rows).set_index("model")

    def winners(self) -> pd.DataFrame:
        """The model with the lowest MAE for each category, among models with their own ratings."""
        mae = self.category_table("mae")
        rows = []
        for category, values in mae.iterrows():
            values = values.dropna()
            if values.empty:
                continue
            rows.append({"category": category, "best_model": values.idxmin(), "mae": values.min(),
                         "runner_up": values.drop(values.idxmin()).idxmin() if len(values) > 1 else None})
        return pd.DataFrame(rows).set_index("category") if rows else pd.DataFrame()

    def to_dict(self) -> dict[str, Any]:
        from company_reviewer.evaluate.core import _clean

        return _clean({"params": self.params, "models": self.models, "borrowed_ratings": self.borrowed,
                       "summary": self.summary_table().reset_index().to_dict("records"),
                       "verdict": self.verdict().reset_index().to_dict("records"),
                       "results": [r.to_dict() for r in self.results]})

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Comparison":
        """A comparison read back from its ``to_dict`` JSON (a report rendered again without
        reviewing anything). Reports written before ``ratings_from`` existed: an ``llm:`` model
        without ``llm_rates`` reported the embedded model's ratings, and is marked so."""
        results = []
        for r in data["results"]:
            summary = dict(r["summary"])
            if "ratings_from" not in summary and r["model"].startswith("llm:"):
                summary["ratings_from"] = None if (r.get("params", {}).get("options") or {}).get("llm_rates") \
                    else "embedded"
            # JSON null is a missing number: back to NaN in every numeric column.
            per_dimension = _numeric(pd.DataFrame(r["per_dimension"]).set_index("category"), keep=("label",))
            per_evidence = _numeric(pd.DataFrame(r["per_evidence"]).set_index("dimension"))
            predictions = _numeric(pd.DataFrame(r["predictions"]), keep=("company", "category"))
            companies = _numeric(pd.DataFrame(r["companies"]), keep=("company", "source", "error"))
            results.append(EvaluationResult(model=r["model"], scheme=r["scheme"], per_dimension=per_dimension,
                                            per_evidence=per_evidence, predictions=predictions,
                                            companies=companies, summary=summary, params=r.get("params", {})))
        return cls(results=results, params=dict(data.get("params", {})))


def _numeric(frame: pd.DataFrame, keep: tuple[str, ...] = ()) -> pd.DataFrame:
    return frame.assign(**{c: pd.to_numeric(frame[c]).astype(float) for c in frame.columns if c not in keep})


def with_baselines(models: list[str]) -> list[str]:
    return list(dict.fromkeys([*models, *BASELINES]))


def compare_models(models: list[str], frame: pd.DataFrame, *, companies: list[str] | None = None,
                   options: dict[str, dict] | None = None, scheme: str | Path | RatingScheme = "glassdoor",
                   max_reviews: int = 50, random_state: int = 0, progress: bool = True,
                   prices: dict | None = None, taxonomy=None) -> Comparison:
    """Evaluate every model (and both baselines) on the same companies and samples.

    ``options`` maps a model spec to its options. ``taxonomy``: the models review along it, scored
    against the scheme's categories through ``maps_to``; the baselines review the default 12 (the
    same categories, so still the yardstick)."""
    scheme = scheme if isinstance(scheme, RatingScheme) else load_scheme(scheme)
    results = [evaluate_model(spec, frame, options=(options or {}).get(spec), scheme=scheme,
                              max_reviews=max_reviews, random_state=random_state, progress=progress,
                              companies=companies, prices=prices,
                              taxonomy=None if spec in BASELINES else taxonomy)
               for spec in with_baselines(models)]
    params = {"models": [r.model for r in results], "scheme": scheme.name, "max_reviews": max_reviews,
              "random_state": random_state, "n_companies": results[0].summary["n_companies"],
              "data_hash": results[0].params["data_hash"]}
    if any("taxonomy" in r.params for r in results):
        params["taxonomy"] = next(r.params["taxonomy"] for r in results if "taxonomy" in r.params)
    return Comparison(results=results, params=params)


def scored_categories(result: EvaluationResult) -> list[str]:
    return [c for c in result.per_dimension.index if c != OVERALL]
