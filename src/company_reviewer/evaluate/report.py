"""Reports a person reads: Markdown and HTML with plots, plus the JSON behind them.

Reports carry figures only — metrics, company names and counts — never review text or quotes, so
a report can be committed or shared without republishing anyone's review.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np
import pandas as pd

from company_reviewer.evaluate.compare import Comparison
from company_reviewer.evaluate.schemes import OVERALL

SUMMARY_LABELS = {
    "mean_mae": "MAE", "mean_spearman": "Spearman", "mean_mae_all": "MAE (all reviews)",
    "mean_spearman_all": "Spearman (all reviews)", "overall_mae": "overall MAE", "coverage": "coverage",
    "interval_calibration": "interval calibration", "quote_verbatim_rate": "quotes verbatim",
    "grounding_rate": "grounded", "sentiment_consistency": "rating-evidence consistency",
    "seconds_per_company": "s/company", "cost_per_company": "USD/company",
}


def _fmt(table: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    def cell(v):
        if isinstance(v, (float, np.floating)):
            return "n/a" if np.isnan(v) else f"{v:.{digits}f}"
        return "" if v is None else str(v)
    return table.map(cell)


def _sections(comparison: Comparison) -> list[tuple[str, str, pd.DataFrame | None]]:
    """(heading, note, table) in report order; the same for Markdown and HTML."""
    first = comparison.results[0]
    summary = comparison.summary_table()[list(SUMMARY_LABELS)].rename(columns=SUMMARY_LABELS)
    labels = first.per_dimension["label"]
    sections: list[tuple[str, str, pd.DataFrame | None]] = []
    if len(comparison.results) > 1:
        sections.append(("Verdict", "Each model against the better baseline (mean MAE over the platform's "
                         "categories, truth = the sampled reviews' own sub-ratings).", comparison.verdict()))
        winners = comparison.winners()
        winners.index = [labels.get(c, c) for c in winners.index]
        sections.append(("Best model per category", "", winners))
    sections.append(("Summary", "MAE and Spearman are means over the categories (overall excluded); "
                     "coverage is the share of companies rated; interval calibration the share of true "
                     "values inside the 90% interval; quotes verbatim the share of evidence quotes that are "
                     "exact substrings of the cited review; grounded is n/a when a model reports no "
                     "provenance; USD/company is n/a when a paid model has no price in the price table.",
                     summary))
    for metric, title in (("mae", "MAE by category (truth: sampled reviews)"),
                          ("mae_all", "MAE by category (truth: all of the company's reviews)"),
                          ("spearman", "Spearman across companies by category (truth: sampled reviews)"),
                          ("n", "Companies with a truth and a prediction")):
        table = comparison.category_table(metric)
        table.index = [f"{labels.get(c, c)}" for c in table.index]
        sections.append((title, "", table))
    slices = comparison.slice_table()
    if not slices.empty:
        sections.append(("Slices", "MAE (categories pooled) by source, company size (all reviews) and "
                         "recency (median year of the sampled reviews).", slices.reset_index().set_index("slice_kind")))
    if len(comparison.results) == 1:
        sections.append(("Per category, all metrics", "", first.per_dimension.drop(columns="label")))
        sections.append(("Evidence per dimension", "", first.per_evidence))
    companies = first.companies[["company", "n_reviews_total", "n_reviews_used", "median_year"]]
    sections.append(("Companies", "", companies.set_index("company")))
    return sections


def _figures(comparison: Comparison, out: Path) -> list[tuple[str, str]]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figures = []
    first = comparison.results[0]
    categories = list(first.per_dimension.index)
    labels = [first.per_dimension.loc[c, "label"] for c in categories]
    models = comparison.models

    fig, ax = plt.subplots(figsize=(max(7, 1.3 * len(categories)), 4))
    width = 0.8 / len(models)
    for i, result in enumerate(comparison.results):
        maes, errs = [], []
        for category in categories:
            rows = result.predictions[result.predictions["category"] == category].dropna(subset=["pred", "truth_sample"])
            err = (rows["pred"] - rows["truth_sample"]).abs()
            maes.append(err.mean() if len(err) else np.nan)
            errs.append(err.std(ddof=1) / np.sqrt(len(err)) if len(err) > 1 else 0.0)
        ax.bar(np.arange(len(categories)) + (i - (len(models) - 1) / 2) * width, maes, width, yerr=errs,
               capsize=2, label=result.model)
    ax.set_xticks(np.arange(len(categories)), labels, rotation=25, ha="right", fontsize=8)
    ax.set_ylabel("MAE (stars), ± standard error")
    ax.set_title("Error by category (truth: sampled reviews)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "errors.png", dpi=110)
    plt.close(fig)
    figures.append(("errors.png", "Mean absolute error by category, with standard errors over companies"))

    fig, axes = plt.subplots(1, len(models), figsize=(3.2 * len(models), 3.4), squeeze=False, sharex=True, sharey=True)
    for ax, result in zip(axes[0], comparison.results):
        rows = result.predictions.dropna(subset=["pred", "truth_sample"])
        for category in categories:
            part = rows[rows["category"] == category]
            ax.scatter(part["truth_sample"], part["pred"], s=12, alpha=0.7,
                       marker="*" if category == OVERALL else "o", label=result.per_dimension.loc[category, "label"])
        ax.plot([1, 5], [1, 5], color="grey", lw=0.8)
        ax.set_xlim(1.5, 5), ax.set_ylim(1.5, 5)
        ax.set_title(result.model, fontsize=9)
        ax.set_xlabel("true (sampled reviews)")
    axes[0][0].set_ylabel("predicted")
    axes[0][-1].legend(fontsize=6, loc="lower right")
    fig.tight_layout()
    fig.savefig(out / "scatter.png", dpi=110)
    plt.close(fig)
    figures.append(("scatter.png", "Predicted vs true rating per company and category"))

    table = comparison.summary_table()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 0.5 * len(models) + 1.5))
    ax1.barh(models, table["seconds_per_company"].fillna(0))
    ax1.set_xscale("log")
    ax1.set_xlabel("seconds per company (log)")
    ax2.barh(models, table["cost_per_company"].fillna(0))
    ax2.set_xlabel("USD per company (n/a shown as 0)")
    ax2.set_yticks([])
    fig.tight_layout()
    fig.savefig(out / "speed_cost.png", dpi=110)
    plt.close(fig)
    figures.append(("speed_cost.png", "Speed and cost per company"))
    return figures


def _header(comparison: Comparison, title: str) -> list[str]:
    p = comparison.params
    return [f"Models: {', '.join(comparison.models)}.",
            f"{p.get('n_companies')} companies ({p.get('companies', 'given')}), up to {p.get('max_reviews')} sampled "
            f"reviews each (seed {p.get('random_state')}); rating scheme `{p.get('scheme')}`; "
            f"data hash `{str(p.get('data_hash', ''))[:16]}`.",
            "Truth per category: the mean platform sub-rating of the same sampled reviews (what the text "
            "can reflect) and of all the company's reviews (what a platform reader sees); a truth needs "
            "at least 10 reviews that gave that sub-rating."]


def write_report(comparison: Comparison, out: str | Path, *, title: str, stem: str) -> dict[str, Path]:
    """``<stem>.json``, ``<stem>.md``, ``<stem>.html`` and the plots into ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    figures = _figures(comparison, out)
    sections = _sections(comparison)
    header = _header(comparison, title)

    md = [f"# {title}", "", *[f"{line}\n" for line in header]]
    for heading, note, table in sections:
        md += [f"## {heading}", ""]
        if note:
            md += [note, ""]
        if table is not None:
            md += [_fmt(table).to_markdown(), ""]
    md += ["## Figures", ""] + [f"![{caption}]({name})\n" for name, caption in figures]
    paths = {"markdown": out / f"{stem}.md", "html": out / f"{stem}.html", "json": out / f"{stem}.json"}
    paths["markdown"].write_text("\n".join(md), encoding="utf-8")

    body = [f"<h1>{html.escape(title)}</h1>", *[f"<p>{html.escape(line)}</p>" for line in header]]
    for heading, note, table in sections:
        body.append(f"<h2>{html.escape(heading)}</h2>")
        if note:
            body.append(f"<p>{html.escape(note)}</p>")
        if table is not None:
            body.append(_fmt(table).to_html(border=0))
    body.append("<h2>Figures</h2>")
    body += [f'<figure><img src="{name}" alt="{html.escape(caption)}"><figcaption>{html.escape(caption)}'
             "</figcaption></figure>" for name, caption in figures]
    style = ("body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
             "table{border-collapse:collapse;font-size:13px;margin:.5em 0}td,th{padding:3px 8px;"
             "border-bottom:1px solid #ddd;text-align:right}th:first-child,td:first-child{text-align:left}"
             "img{max-width:100%}")
    paths["html"].write_text(f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
                             f"</title><style>{style}</style></head><body>{''.join(body)}</body></html>",
                             encoding="utf-8")
    paths["json"].write_text(json.dumps(comparison.to_dict(), indent=1, ensure_ascii=False), encoding="utf-8")
    for name, _ in figures:
        paths[name] = out / name
    return paths
