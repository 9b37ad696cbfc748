"""``company-reviewer monitor``: drift and silent-failure checks against a reference."""

from __future__ import annotations

import json
import sys

import click

from company_reviewer.cli.common import database_option

DRIFT_EXIT_STATUS = 3


@click.command()
@click.option("--reference", required=True, metavar="SRC",
              help="Snapshot name, `store`, or any file `ingest` reads; optional @FROM..TO date window.")
@click.option("--current", required=True, metavar="SRC", help="Same forms as --reference.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False), default=None,
              help="Write the HTML report with plots here.")
@click.option("--json", "as_json", is_flag=True, help="Print the machine-readable summary on stdout.")
@click.option("--webhook", default=None, envvar="COMPANY_REVIEWER_MONITOR_WEBHOOK",
              help="POST the summary here when something drifted (env COMPANY_REVIEWER_MONITOR_WEBHOOK).")
@click.option("--reference-predictions", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Company reviews (JSONL) to compare predictions against, instead of the prediction log.")
@click.option("--current-predictions", type=click.Path(exists=True, dir_okay=False), default=None)
@click.option("--window-days", default=7.0, show_default=True,
              help="Prediction log: the last N days are compared with everything before.")
@click.option("--sample-size", default=1000, show_default=True,
              help="Reviews per side for the mention and embedding checks.")
@click.option("--no-embedding", is_flag=True, help="Skip the embedding check (no encoder needed).")
@click.option("--preset", default=None, help="Input layout for file sources (default: detected).")
@database_option
def monitor(reference, current, report_path, as_json, webhook, reference_predictions, current_predictions,
            window_days, sample_size, no_embedding, preset, database_url):
    """Compare CURRENT against REFERENCE; exit 3 when a threshold is crossed, 0 when none is.

    Data drift: review length, language mix, star ratings, dimension mentions, embeddings.
    Prediction drift and silent failures: rating distributions and null ratings per dimension,
    LLM fallbacks, grounding failures, latency and errors (from the prediction log or JSONL files).
    """
    from company_reviewer.monitor.run import notify_webhook, run_monitor
    from company_reviewer.monitor.sources import SourceError

    if bool(reference_predictions) != bool(current_predictions):
        raise click.UsageError("give both --reference-predictions and --current-predictions, or neither")
    try:
        result = run_monitor(reference, current, database_url=database_url, preset=preset,
                             reference_predictions=reference_predictions, current_predictions=current_predictions,
                             window_days=window_days, sample_size=sample_size, embed=not no_embedding,
                             report_path=report_path)
    except SourceError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(result.summary, indent=2))
    else:
        _print_table(result)
    if report_path:
        click.echo(f"report: {report_path}", err=True)
    if result.drift and webhook:
        try:
            notify_webhook(webhook, result.summary)
        except Exception as exc:  # noqa: BLE001 - a failed notification must not hide the verdict
            click.echo(f"warning: webhook {webhook} failed: {exc}", err=True)
    sys.exit(DRIFT_EXIT_STATUS if result.drift else 0)


def _print_table(result) -> None:
    from rich.table import Table

    from company_reviewer.cli.common import console

    table = Table(title="drift checks")
    for column in ("check", "kind", "statistic", "value", "threshold", "n ref", "n cur", "result"):
        table.add_column(column)
    for c in result.checks:
        table.add_row(c.name, c.kind, c.statistic, f"{c.value:.3f}", f"{c.threshold:g}", str(c.n_reference),
                      str(c.n_current), "[red]DRIFT[/red]" if c.drifted else "ok")
    out = console()
    out.print(table)
    out.print("[red]drift detected[/red]" if result.drift else "[green]no drift[/green]")



@click.command()
@click.option("--snapshot", required=True, help="Snapshot to train the challenger on (`snapshot list`).")
@click.option("--min-improvement", default=0.0, show_default=True,
              help="Promote only when mean MAE improves by at least this many stars.")
@click.option("--max-spearman-drop", default=0.02, show_default=True,
              help="... and mean Spearman falls by no more than this.")
@click.option("--max-detector-units", default=60_000, show_default=True)
@click.option("--max-reviews", default=50, show_default=True, help="Reviews per held-out company.")
@click.option("--random-state", default=0, show_default=True)
@click.option("--out", type=click.Path(file_okay=False), default=None, help="Where the challenger bundle goes.")
@click.option("--json", "as_json", is_flag=True, help="Print the decision as JSON.")
@database_option
def retrain(snapshot, min_improvement, max_spearman_drop, max_detector_units, max_reviews, random_state, out,
            as_json, database_url):
    """Train a challenger on SNAPSHOT, evaluate it against the champion on the same held-out
    companies, and promote it (MLflow alias `champion`) only if it is better."""
    from company_reviewer.cli.common import open_engine
    from company_reviewer.retrain import RetrainError, retrain as run_retrain
    from company_reviewer.store.snapshots import SnapshotError

    try:
        decision = run_retrain(open_engine(database_url), snapshot, out=out, max_detector_units=max_detector_units,
                               random_state=random_state, max_reviews=max_reviews,
                               min_improvement=min_improvement, max_spearman_drop=max_spearman_drop)
    except (RetrainError, SnapshotError) as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(decision.to_dict(), indent=2, default=str))
        return
    verb = "promoted" if decision.promoted else "kept the champion; challenger not promoted"
    click.echo(f"challenger v{decision.challenger_version} vs champion v{decision.champion_version} "
               f"on {len(decision.companies)} held-out companies: {verb}")
    click.echo(f"  {decision.reason}")


@click.command()
def rollback():
    """Make the previous champion the champion again (undo the last promotion)."""
    from company_reviewer.retrain import RetrainError, rollback as run_rollback

    try:
        demoted, restored = run_rollback()
    except RetrainError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"champion is version {restored} again (version {demoted} kept as `previous`)")


COMMANDS = [monitor, retrain, rollback]
