"""``compare_models``: the same companies, the same samples, every model; plus the verdict.

The TF-IDF + ridge and the constant-mean baselines are always part of a comparison, so every
figure has its yardstick beside it.
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


@dataclass
class Comparison:
    results: list[EvaluationResult]
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def models(self) -> list[str]:
        return [r.model for r in self.results]

    def summary_table(self) -> pd.DataFrame:
        """One row per model: the headline numbers of its summary."""
        columns = ("mean_mae", "mean_spearman", "mean_mae_all", "mean_spearman_all", "overall_mae",
                   "overall_spearman", "coverage", "dimension_coverage", "interval_calibration",
                   "quote_verbatim_rate", "grounding_rate", "sentiment_consistency", "seconds_per_company",
                   "cost_per_company", "n_failed")
        return pd.DataFrame([{c: r.summary.get(c) for c in columns} for r in self.results],
                            index=pd.Index(self.models, name="model")).astype(float)

    def category_table(self, metric: str = "mae") -> pd.DataFrame:
        """``metric`` per category (rows) and model (columns)."""
        return pd.DataFrame({r.model: r.per_dimension[metric] for r in self.results})

    def slice_table(self) -> pd.DataFrame:
        """MAE per slice (source, company size, recency) and model."""
        tables = [slice_table(r).assign(model=r.model) for r in self.results]
        long = pd.concat(tables, ignore_index=True)
        if long.empty:
            return long
        wide = long.pivot_table(index=["slice_kind", "slice", "companies"], columns="model", values="mae")
        return wide[[m for m in self.models if m in wide.columns]]

    def verdict(self) -> pd.DataFrame:
        """Each model against the better of the two baselines (by mean MAE over categories)."""
        table = self.summary_table()
        baselines = table.loc[[b for b in BASELINES if b in table.index]]
        best = baselines["mean_mae"].idxmin() if baselines["mean_mae"].notna().any() else None
        rows = []
        for model, row in table.iterrows():
            delta = row["mean_mae"] - table.loc[best, "mean_mae"] if best else np.nan
            if model in BASELINES:
                text = "baseline"
            elif np.isnan(delta):
                text = "not comparable (no rated categories)"
            elif delta < -0.01:
                text = f"better than {best} by {-delta:.3f} stars MAE"
            elif delta > 0.01:
                text = f"worse than {best} by {delta:.3f} stars MAE"
            else:
                text = f"on par with {best}"
            rows.append({"model": model, "mean_mae": row["mean_mae"], "delta_vs_best_baseline": delta,
                         "mean_spearman": row["mean_spearman"], "overall_mae": row["overall_mae"],
                         "seconds_per_company": row["seconds_per_company"], "verdict": text})
        return pd.DataFrame(rows).set_index("model")

    def winners(self) -> pd.DataFrame:
        """The model with the lowest MAE for each category."""
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

        return _clean({"params": self.params, "models": self.models,
                       "summary": self.summary_table().reset_index().to_dict("records"),
                       "verdict": self.verdict().reset_index().to_dict("records"),
                       "results": [r.to_dict() for r in self.results]})


def with_baselines(models: list[str]) -> list[str]:
    return list(dict.fromkeys([*models, *BASELINES]))


def compare_models(models: list[str], frame: pd.DataFrame, *, companies: list[str] | None = None,
                   options: dict[str, dict] | None = None, scheme: str | Path | RatingScheme = "glassdoor",
                   max_reviews: int = 50, random_state: int = 0, progress: bool = True,
                   prices: dict | None = None) -> Comparison:
    """Evaluate every model (and both baselines) on the same companies and samples.

    ``options`` maps a model spec to its options."""
    scheme = scheme if isinstance(scheme, RatingScheme) else load_scheme(scheme)
    results = [evaluate_model(spec, frame, options=(options or {}).get(spec), scheme=scheme,
                              max_reviews=max_reviews, random_state=random_state, progress=progress,
                              companies=companies, prices=prices)
               for spec in with_baselines(models)]
    params = {"models": [r.model for r in results], "scheme": scheme.name, "max_reviews": max_reviews,
              "random_state": random_state, "n_companies": results[0].summary["n_companies"],
              "data_hash": results[0].params["data_hash"]}
    return Comparison(results=results, params=params)


def scored_categories(result: EvaluationResult) -> list[str]:
    return [c for c in result.per_dimension.index if c != OVERALL]
