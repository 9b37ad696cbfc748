"""The ``label`` command: weak dimension and polarity labels for the opinion units of reviews.

Defined here and registered by the CLI package; heavy imports happen inside the command.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import click

from company_reviewer.cli.common import RegistryName, console, database_option, open_engine


def _default_out() -> Path:
    from company_reviewer.config import Settings

    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return Settings.from_env().labels_dir / f"labels-{stamp}.parquet"


def _reviews_from_store(database_url: str | None, companies: tuple[str, ...]) -> Any:
    from company_reviewer.store.repository import load_reviews_frame

    engine = open_engine(database_url)
    return load_reviews_frame(engine, list(companies) or None)


def _reviews_from_file(path: str, companies: tuple[str, ...]) -> Any:
    from company_reviewer.labeling.gold import canonical_reviews

    try:
        reviews = canonical_reviews(path)
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"cannot read {path}: {exc}") from exc
    if companies:
        keep = reviews["company"].isin(companies) | reviews["company_key"].isin(companies)
        reviews = reviews[keep]
    return reviews


def _write(frame: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)


def summarise(labeled: Any, ids: tuple[str, ...], failures: dict[str, int], n_reviews: int) -> dict[str, Any]:
    """The numbers the command prints: sizes, share of units per dimension, polarity, failures."""
    n = max(len(labeled), 1)
    coverage = {d: round(float((labeled[f"p_{d}"] >= 0.5).sum()) / n, 4) for d in ids} if len(labeled) else {}
    return {
        "reviews": int(n_reviews), "units": int(len(labeled)),
        "units_with_a_dimension": round(float((labeled["dimensions"] != "").sum()) / n, 4) if len(labeled) else 0.0,
        "coverage": coverage,
        "polarity": {k: int(v) for k, v in labeled["polarity"].value_counts().items()} if len(labeled) else {},
        "lf_failures": dict(failures),
    }


@click.command("label")
@database_option
@click.option("--input", "input_path", type=click.Path(dir_okay=False, exists=True), default=None,
              help="Label the reviews of this file (any format `ingest` reads) instead of the store.")
@click.option("--company", "companies", multiple=True, help="Only these companies (NAME or SOURCE::NAME); repeatable.")
@click.option("--taxonomy", "taxonomy_spec", default=None,
              help="Taxonomy: default, kununu, indeed or a YAML/JSON file "
                   "(default: $COMPANY_REVIEWER_TAXONOMY or default).")
@click.option("--model", type=RegistryName("label_models"), default="label", show_default=True,
              help="How LF votes are combined: snorkel's label model (label), majority vote (majority) or a plugin's.")
@click.option("--out", "out_path", type=click.Path(dir_okay=False), default=None,
              help="Where to write the labeled units (.parquet or .csv; default under the data directory).")
@click.option("--report", "report_path", type=click.Path(dir_okay=False), default=None,
              help="Also write an LF report (Markdown; HTML and plots beside it).")
@click.option("--no-embedding", is_flag=True, help="Skip the embedding LF (faster; no sentence encoder needed).")
@click.option("--embedding-precision", type=click.Choice(["auto", "bf16", "fp32", "int8"]), default="auto",
              show_default=True, help="Encoder precision for the embedding LF; int8 is the fastest on a cold cache.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
def label(database_url, input_path, companies, taxonomy_spec, model, out_path, report_path, no_embedding,
          embedding_precision, as_json):
    """Weakly label the opinion units of reviews with dimensions and polarity.

    Units are the sentences and clauses of each review; labeling functions vote on each and a
    label model combines the votes. Writes one row per unit (review_key, field, start, end,
    p_<dimension>, dimensions, p_positive, polarity) and prints a summary.
    """
    from company_reviewer.labeling.gold import review_units
    from company_reviewer.labeling.labeler import Labeler
    from company_reviewer.taxonomy import load_taxonomy

    if input_path and database_url:
        raise click.UsageError("give either --database or --input, not both")
    try:
        taxonomy = load_taxonomy(taxonomy_spec)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--taxonomy") from exc
    reviews = _reviews_from_file(input_path, companies) if input_path else _reviews_from_store(database_url, companies)
    if reviews.empty:
        raise click.ClickException("no reviews to label" + (f" for {', '.join(companies)}" if companies else ""))
    units = review_units(reviews)
    progress = sys.stderr.isatty()
    labeler = Labeler(taxonomy, model=model, embedding=not no_embedding, embedding_precision=embedding_precision,
                      progress=progress)
    labeled = labeler.fit_transform(units)
    out = Path(out_path) if out_path else _default_out()
    _write(labeled, out)
    summary = summarise(labeled, taxonomy.ids, dict(labeler.failures_), len(reviews))
    summary["out"] = str(out)
    if report_path:
        from company_reviewer.labeling.report import write_run_report

        summary["report"] = str(write_run_report(Path(report_path), labeler, labeled))
    if as_json:
        click.echo(json.dumps(summary))
    else:
        _print_summary(summary)


def _print_summary(summary: dict[str, Any]) -> None:
    from rich.table import Table

    out = console()
    out.print(f"Labeled {summary['units']} units of {summary['reviews']} reviews; "
              f"{summary['units_with_a_dimension']:.1%} are about at least one dimension.",
              markup=False, highlight=False)
    table = Table(title="Units per dimension")
    table.add_column("dimension")
    table.add_column("share of units", justify="right")
    for dimension, share in summary["coverage"].items():
        table.add_row(dimension, f"{share:.1%}")
    out.print(table)
    out.print("Polarity: " + ", ".join(f"{k} {v}" for k, v in summary["polarity"].items()), markup=False)
    failures = summary["lf_failures"]
    out.print("LF failures: " + (", ".join(f"{k} {v}" for k, v in failures.items()) if failures else "none"),
              markup=False)
    out.print(f"Wrote {summary['out']}" + (f" and {summary['report']}" if summary.get("report") else ""),
              markup=False, highlight=False)


COMMANDS = [label]
