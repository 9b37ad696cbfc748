"""Reports a person reads: Markdown and HTML with plots, plus the JSON behind them.

Reports carry figures only — metrics, company names and counts — never review text or quotes, so
a report can be committed or shared without republishing anyone's review. The HTML is one template
(``templates/report.html``: inline CSS, no scripts, nothing fetched); every table has one header
row with a name for each column, and a plot whose values are all the same is not drawn (its
caption says what the value is instead).
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template

import numpy as np
import pandas as pd

from company_reviewer.evaluate.compare import RATING_COLUMNS, Comparison
from company_reviewer.evaluate.schemes import OVERALL

SUMMARY_LABELS = {
    "mean_mae": "MAE", "mean_spearman": "Spearman", "mean_mae_all": "MAE (all reviews)",
    "mean_spearman_all": "Spearman (all reviews)", "overall_mae": "Overall MAE", "coverage": "Coverage",
    "interval_calibration": "Interval calibration", "quote_verbatim_rate": "Quotes verbatim",
    "grounding_rate": "Grounded", "sentiment_consistency": "Rating-evidence consistency",
    "seconds_per_company": "s/company", "cost_per_company": "USD/company",
}
# Column names as a reader sees them (the JSON keeps the keys).
COLUMN_LABELS = {
    "model": "Model", "ratings": "Ratings", "mean_mae": "MAE", "delta_vs_best_baseline": "Δ MAE vs best baseline",
    "mean_spearman": "Spearman", "overall_mae": "Overall MAE", "seconds_per_company": "s/company",
    "verdict": "Verdict", "category": "Category", "best_model": "Best model", "mae": "MAE", "runner_up": "Runner-up",
    "slice_kind": "Slice kind", "slice": "Slice", "companies": "Companies", "company": "Company",
    "n_reviews_total": "Reviews (all)", "n_reviews_used": "Reviews used", "median_year": "Median year",
    "dimension": "Dimension", "coverage": "Coverage", "n": "Companies scored", "rmse": "RMSE",
    "within_0_25": "Within 0.25", "spearman": "Spearman", "interval_calibration": "Interval calibration",
    "n_all": "Companies scored (all)", "mae_all": "MAE (all)", "rmse_all": "RMSE (all)",
    "within_0_25_all": "Within 0.25 (all)", "spearman_all": "Spearman (all)",
    "interval_calibration_all": "Interval calibration (all)", "rated_share": "Rated share",
    "mentions_per_company": "Mentions/company", "quotes": "Quotes", "quote_verbatim_rate": "Quotes verbatim",
    "grounding_rate": "Grounded", "sentiment_consistency": "Rating-evidence consistency",
}
# What each figure means, in one or two sentences: the report's glossary.
GLOSSARY = (
    ("MAE", "Mean absolute error in stars between a model's rating and the truth, averaged over companies "
            "(and over the platform's categories in the summary; overall excluded). Lower is better; a "
            "constant guess is the floor to beat."),
    ("Spearman", "Rank correlation across companies within a category: does the model order the companies "
                 "as their reviewers' own sub-ratings do? 1 is the same order, 0 no relation."),
    ("Truth (sampled / all)", "The mean platform sub-rating of the same sampled reviews the model read (what "
                              "the text can reflect), or of all the company's reviews (what a platform reader "
                              "sees). A truth needs at least 10 reviews that gave that sub-rating."),
    ("Coverage", "Share of companies that got a rating where a truth exists."),
    ("Interval calibration", "Share of true values inside the model's 90% interval: about 0.90 is honest, "
                             "much lower means overconfident intervals."),
    ("Quotes verbatim", "Share of evidence quotes that are exact substrings of the review they cite."),
    ("Grounded", "Share of LLM sentences and bullets that passed the grounding check (n/a for models that "
                 "write no LLM text)."),
    ("Rating-evidence consistency", "Share of dimensions whose rating leans the way their quotes lean."),
    ("s/company, USD/company", "Wall-clock seconds and token cost per company review (local models cost 0; "
                               "n/a when a paid model has no price in the price table)."),
    ("Borrowed ratings", "A model that reports another model's ratings (an LLM reviewer that only writes the "
                         "text) is not ranked on ratings and not drawn in the rating plots."),
)
# Per-row highlighting of the best model: lower is better for errors, higher for rank correlation.
_BEST = {"mae": "min", "mae_all": "min", "spearman": "max"}


@dataclass(frozen=True)
class Section:
    key: str
    heading: str
    note: str
    table: pd.DataFrame | None   # flat: the first column names the rows
    best: str | None = None      # "min" / "max": highlight each row's best numeric cell

    @property
    def short(self) -> str:
        """The section's name in the contents line."""
        return _SHORT.get(self.key, self.heading)


_SHORT = {"winners": "Winners", "mae": "MAE", "mae_all": "MAE (all reviews)", "spearman": "Spearman",
          "n": "Companies scored", "per-category": "Per category", "evidence": "Evidence"}


def _cell(v, digits: int = 3) -> str:
    if isinstance(v, (float, np.floating)):
        return "n/a" if np.isnan(v) else f"{v:.{digits}f}"
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return str(int(v))
    return "" if v is None else str(v)


def _fmt(table: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """Cells as text: counts (a column of whole numbers) without decimals, other numbers with ``digits``."""
    def column(values: pd.Series) -> pd.Series:
        numbers = pd.to_numeric(values, errors="coerce") if values.dtype != object else None
        whole = numbers is not None and numbers.notna().any() and bool((numbers.dropna() % 1 == 0).all())
        return values.map(lambda v: _cell(v, 0 if whole else digits))
    return table.apply(column)


def _flat(table: pd.DataFrame, index_label: str) -> pd.DataFrame:
    """The index as ordinary columns (a MultiIndex gives one column per level), so a table has one
    header row; an unnamed index gets ``index_label``."""
    table = table.copy()
    if isinstance(table.index, pd.MultiIndex):
        table.index.names = [n or f"{index_label} {i + 1}" for i, n in enumerate(table.index.names)]
    else:
        table.index.name = table.index.name or index_label
    table.columns = [str(c) for c in table.columns]
    return table.reset_index()


def _label(column: str) -> str:
    return COLUMN_LABELS.get(column, column)


def _sections(comparison: Comparison) -> list[Section]:
    """The report's sections in order; the same for Markdown and HTML."""
    first = comparison.results[0]
    borrowed = comparison.borrowed
    summary = comparison.summary_table()[list(SUMMARY_LABELS)].astype(object)
    for model in borrowed:
        summary.loc[model, [c for c in RATING_COLUMNS if c in summary.columns]] = "borrowed"
    summary = summary.rename(columns=SUMMARY_LABELS)
    labels = comparison.labels
    sections: list[Section] = []
    if len(comparison.results) > 1:
        sections.append(Section("verdict", "Verdict", "Each model against the better baseline: mean MAE over the "
                                "platform's categories, truth = the sampled reviews' own sub-ratings.",
                                _flat(comparison.verdict(), "model")))
        winners = comparison.winners()
        winners.index = [labels.get(c, c) for c in winners.index]
        sections.append(Section("winners", "Best model per category", "Among models that make their own "
                                "ratings.", _flat(winners, "category")))
    sections.append(Section("summary", "Summary", "Means over the categories (overall excluded); see "
                            "“What the figures mean” below.", _flat(summary, "model")))
    for metric, title in (("mae", "MAE by category (truth: sampled reviews)"),
                          ("mae_all", "MAE by category (truth: all of the company's reviews)"),
                          ("spearman", "Spearman across companies by category (truth: sampled reviews)"),
                          ("n", "Companies with a truth and a prediction")):
        table = comparison.category_table(metric)
        table.index = [f"{labels.get(c, c)}" for c in table.index]
        best = _BEST.get(metric) if table.shape[1] > 1 else None
        sections.append(Section(metric, title, "The best model per row is highlighted." if best else "",
                                _flat(table, "category"), best))
    slices = comparison.slice_table()
    if not slices.empty:
        sections.append(Section("slices", "Slices", "MAE (categories pooled) by source, company size (all "
                                "reviews) and recency (median year of the sampled reviews).",
                                _flat(slices, "slice"), "min" if slices.shape[1] > 1 else None))
    if len(comparison.results) == 1:
        per_dimension = first.per_dimension.set_index("label")
        sections.append(Section("per-category", "Per category, all metrics", "",
                                _flat(per_dimension, "category")))
        sections.append(Section("evidence", "Evidence per dimension", "", _flat(first.per_evidence, "dimension")))
    companies = first.companies[["company", "n_reviews_total", "n_reviews_used", "median_year"]]
    sections.append(Section("companies", "Companies", "", companies.reset_index(drop=True)))
    return sections


def _degenerate(values) -> bool:
    """Nothing to plot: no finite value, or every finite value the same."""
    finite = np.asarray([v for v in values if v is not None and np.isfinite(v)], dtype=float)
    return finite.size == 0 or np.ptp(finite) < 1e-12


def _figures(comparison: Comparison, out: Path) -> list[tuple[str, str]]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"axes.spines.top": False, "axes.spines.right": False, "axes.grid": True,
                         "grid.alpha": 0.3, "font.size": 9})
    figures = []
    names = comparison.labels
    categories = list(names)
    labels = [names[c] for c in categories]
    rated = [r for r in comparison.results if r.model not in comparison.borrowed]
    left_out = (f" ({', '.join(comparison.borrowed)}: borrowed ratings, not drawn)" if comparison.borrowed else "")

    if rated:
        fig, ax = plt.subplots(figsize=(max(7, 1.3 * len(categories)), 4))
        width = 0.8 / len(rated)
        for i, result in enumerate(rated):
            maes, errs = [], []
            for category in categories:
                rows = result.predictions[result.predictions["category"] == category].dropna(
                    subset=["pred", "truth_sample"])
                err = (rows["pred"] - rows["truth_sample"]).abs()
                maes.append(err.mean() if len(err) else np.nan)
                errs.append(err.std(ddof=1) / np.sqrt(len(err)) if len(err) > 1 else 0.0)
            ax.bar(np.arange(len(categories)) + (i - (len(rated) - 1) / 2) * width, maes, width, yerr=errs,
                   capsize=2, label=result.model)
        ax.set_xticks(np.arange(len(categories)), labels, rotation=25, ha="right", fontsize=8)
        ax.set_ylabel("MAE (stars), ± standard error")
        ax.set_ylim(bottom=0)
        ax.set_title("Error by category (truth: sampled reviews; lower is better)")
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(out / "errors.png", dpi=110)
        plt.close(fig)
        figures.append(("errors.png", f"Mean absolute error by category, with standard errors over companies"
                        f"{left_out}"))

        fig, axes = plt.subplots(1, len(rated), figsize=(3.2 * len(rated), 3.4), squeeze=False, sharex=True,
                                 sharey=True)
        for ax, result in zip(axes[0], rated):
            rows = result.predictions.dropna(subset=["pred", "truth_sample"])
            for category in categories:
                part = rows[rows["category"] == category]
                ax.scatter(part["truth_sample"], part["pred"], s=12, alpha=0.7,
                           marker="*" if category == OVERALL else "o",
                           label=names[category])
            ax.plot([1, 5], [1, 5], color="grey", lw=0.8)
            ax.set_xlim(1.5, 5), ax.set_ylim(1.5, 5)
            ax.set_title(result.model, fontsize=9)
            ax.set_xlabel("true (sampled reviews)")
        axes[0][0].set_ylabel("predicted")
        axes[0][-1].legend(fontsize=6, loc="lower right")
        fig.tight_layout()
        fig.savefig(out / "scatter.png", dpi=110)
        plt.close(fig)
        figures.append(("scatter.png", f"Predicted vs true rating per company and category; the diagonal is a "
                        f"perfect prediction{left_out}"))

    figures.append(_speed_cost(comparison, out, plt))
    return figures


def _speed_cost(comparison: Comparison, out: Path, plt) -> tuple[str, str]:
    """Seconds per company (log axis) and, when the costs differ, USD per company."""
    table = comparison.summary_table()
    models = comparison.models
    seconds, costs = table["seconds_per_company"], table["cost_per_company"]
    draw_cost = not _degenerate(costs)
    fig, axes = plt.subplots(1, 2 if draw_cost else 1, figsize=(9 if draw_cost else 6, 0.5 * len(models) + 1.5),
                             squeeze=False)
    ax1 = axes[0][0]
    ax1.barh(models, seconds.fillna(0))
    ax1.invert_yaxis()
    ax1.set_xscale("log")
    ax1.set_xlabel("seconds per company (log scale)")
    for y, value in enumerate(seconds):
        if np.isfinite(value):
            ax1.annotate(f"{value:.2g} s", (value, y), xytext=(3, 0), textcoords="offset points", va="center",
                         fontsize=8)
    caption = "Seconds per company review"
    if draw_cost:
        ax2 = axes[0][1]
        ax2.barh(models, costs.fillna(0))
        ax2.invert_yaxis()
        ax2.set_xlabel("USD per company (n/a drawn as 0)")
        ax2.set_xlim(left=0)
        ax2.set_yticks([])
        caption = "Speed and cost per company"
    else:
        known = costs.dropna()
        value = f"{known.iloc[0]:.4g} USD" if len(known) else "n/a"
        caption += f"; cost is not drawn: {value} per company for every model with a price"
    fig.tight_layout()
    fig.savefig(out / "speed_cost.png", dpi=110)
    plt.close(fig)
    return "speed_cost.png", caption


def _header(comparison: Comparison) -> list[str]:
    p = comparison.params
    lines = [f"Models: {', '.join(comparison.models)}.",
             f"{p.get('n_companies')} companies ({p.get('companies', 'given')}), up to {p.get('max_reviews')} sampled "
             f"reviews each (seed {p.get('random_state')}); rating scheme `{p.get('scheme')}`; "
             f"data hash `{str(p.get('data_hash', ''))[:16]}`."]
    taxonomy = p.get("taxonomy")
    if taxonomy:
        along = [r for r in comparison.results if "taxonomy" in r.params]
        baselines = [r.model for r in comparison.results if "taxonomy" not in r.params]
        lines.append(f"Dimensions: taxonomy `{taxonomy['name']}` {taxonomy['version']} (sha256 "
                     f"`{str(taxonomy['sha256'])[:12]}`); each category is scored against the taxonomy dimensions "
                     f"whose maps_to reaches one of its default dimensions (their mean)"
                     + (f"; {', '.join(baselines)} review the default 12 and are compared on the categories "
                        "both rate." if baselines else "."))
        unscored = next((r.summary.get("unscored_dimensions") for r in along if r.summary.get("unscored_dimensions")),
                        None)
        if unscored:
            lines.append(f"Unscored dimensions (no platform truth via maps_to): {', '.join(unscored)}.")
        predicted = {c for r in along for c in r.per_dimension.index}
        uncovered = [label for c, label in comparison.labels.items() if c not in predicted]
        if along and uncovered:
            lines.append(f"Categories no taxonomy dimension maps to (not predicted): {', '.join(uncovered)}.")
    return lines


def _borrowed_note(comparison: Comparison) -> str | None:
    if not comparison.borrowed:
        return None
    names = "; ".join(f"{m} reports {source}'s ratings" for m, source in comparison.borrowed.items())
    return (f"Borrowed ratings: {names}. Its text is its own (see grounded, s/company), its ratings are not: "
            "it is not ranked, not a per-category winner and not drawn in the rating plots.")


# -- Markdown --------------------------------------------------------------------------------------

def _markdown(comparison: Comparison, title: str, sections: list[Section], figures) -> str:
    md = [f"# {title}", "", *[f"{line}\n" for line in _header(comparison)]]
    note = _borrowed_note(comparison)
    if note:
        md += [f"> {note}", ""]
    for section in sections:
        md += [f"## {section.heading}", ""]
        if section.note:
            md += [section.note, ""]
        if section.table is not None:
            # The cells are text already: tabulate must not re-read "0.210" as 0.21.
            align = ["right" if pd.api.types.is_numeric_dtype(section.table[c]) else "left"
                     for c in section.table.columns]
            table = _fmt(section.table).rename(columns=_label)
            md += [table.to_markdown(index=False, disable_numparse=True, colalign=align), ""]
    md += ["## What the figures mean", ""] + [f"- **{term}**: {text}" for term, text in GLOSSARY] + [""]
    md += ["## Figures", ""] + [f"![{caption}]({name})\n" for name, caption in figures]
    return "\n".join(md)


# -- HTML ------------------------------------------------------------------------------------------

def _inline(text: str) -> str:
    """Escaped text with `code` spans."""
    parts = html.escape(text).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


def _html_table(section: Section, borrowed: dict[str, str]) -> str:
    table = section.table
    columns = list(table.columns)
    numeric = [pd.api.types.is_numeric_dtype(table[c]) for c in columns]
    num_class = ' class="num"'
    head = "".join(f'<th scope="col"{num_class if num else ""}>{html.escape(_label(c))}</th>'
                   for c, num in zip(columns, numeric))
    shown = _fmt(table)
    rows = []
    for index, row in table.iterrows():
        best_col = None
        if section.best:
            values = pd.to_numeric(row[[c for c, num in zip(columns, numeric) if num]], errors="coerce")
            values = values.drop(labels=[c for c in ("companies",) if c in values.index]).dropna()
            if len(values) > 1 and values.nunique() > 1:
                best_col = values.idxmin() if section.best == "min" else values.idxmax()
        cells = []
        for i, (column, num) in enumerate(zip(columns, numeric)):
            value = row[column]
            text = html.escape(shown.at[index, column])
            if i == 0:
                tag = ' <span class="tag">borrowed ratings</span>' if str(value) in borrowed else ""
                cells.append(f'<th scope="row">{text}{tag}</th>')
                continue
            classes = ["num"] if num or text in ("n/a", "borrowed") or _is_number(text) else []
            if text in ("n/a", "borrowed"):
                classes.append("na")
            if column == best_col:
                classes.append("best")
            if not classes and len(text) > 28:
                classes.append("prose")
            attribute = f' class="{" ".join(classes)}"' if classes else ""
            cells.append(f"<td{attribute}>{text}</td>")
        css = ' class="borrowed"' if str(row[columns[0]]) in borrowed else ""
        rows.append(f"<tr{css}>{''.join(cells)}</tr>")
    return (f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody>'
            "</table></div>")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _html(comparison: Comparison, title: str, sections: list[Section], figures) -> str:
    header = "".join(f"<p>{_inline(line)}</p>" for line in _header(comparison))
    toc = [(s.key, s.short) for s in sections] + [("glossary", "Glossary"), ("figures", "Figures")]
    body = []
    note = _borrowed_note(comparison)
    if note:
        body.append(f'<div class="callout">{_inline(note)}</div>')
    for section in sections:
        parts = [f'<section class="card" id="{section.key}"><h2>{html.escape(section.heading)}</h2>']
        if section.note:
            parts.append(f'<p class="note">{_inline(section.note)}</p>')
        if section.table is not None:
            parts.append(_html_table(section, comparison.borrowed))
        body.append("".join(parts) + "</section>")
    glossary = "".join(f"<dt>{html.escape(term)}</dt><dd>{html.escape(text)}</dd>" for term, text in GLOSSARY)
    body.append(f'<section class="card" id="glossary"><h2>What the figures mean</h2>'
                f'<dl class="glossary">{glossary}</dl></section>')
    images = "".join(f'<figure><img src="{html.escape(name)}" alt="{html.escape(caption)}">'
                     f"<figcaption>{html.escape(caption)}</figcaption></figure>" for name, caption in figures)
    body.append(f'<section class="card" id="figures"><h2>Figures</h2>{images}</section>')
    template = Template((resources.files("company_reviewer.evaluate") / "templates" / "report.html")
                        .read_text(encoding="utf-8"))
    return template.substitute(title=html.escape(title), header=header,
                               toc="".join(f'<a href="#{key}">{html.escape(text)}</a>' for key, text in toc),
                               body="\n".join(body))


def write_report(comparison: Comparison, out: str | Path, *, title: str, stem: str) -> dict[str, Path]:
    """``<stem>.json``, ``<stem>.md``, ``<stem>.html`` and the plots into ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    figures = _figures(comparison, out)
    sections = _sections(comparison)
    paths = {"markdown": out / f"{stem}.md", "html": out / f"{stem}.html", "json": out / f"{stem}.json"}
    paths["markdown"].write_text(_markdown(comparison, title, sections, figures), encoding="utf-8")
    paths["html"].write_text(_html(comparison, title, sections, figures), encoding="utf-8")
    paths["json"].write_text(json.dumps(comparison.to_dict(), indent=1, ensure_ascii=False), encoding="utf-8")
    for name, _ in figures:
        paths[name] = out / name
    return paths
