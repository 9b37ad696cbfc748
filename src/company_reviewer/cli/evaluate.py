"""``company-reviewer evaluate``, ``compare`` and ``models``: measuring models and the registry."""

from __future__ import annotations

import datetime as dt
import json
import sys

import click

from company_reviewer.cli.common import database_option
from company_reviewer.cli.common import parse_options
from company_reviewer.cli.predict import taxonomy_or_exit


def _data_options(command):
    for option in reversed([
        click.option("--companies", "companies_spec", default="dev", show_default=True,
                     help="dev (held out of training), test, validation, all, a comma list of names or "
                          "SOURCE::NAME keys, or a file with one per line."),
        click.option("--truth", "--scheme", "scheme", default="glassdoor", show_default=True,
                     help="Rating scheme: glassdoor, indeed, ambitionbox, kununu, or a YAML file."),
        click.option("--input", "input_path", type=click.Path(exists=True, dir_okay=False), default=None,
                     help="Reviews file (any format `ingest` reads). Default: the shared Glassdoor data, "
                          "unless --database is given."),
        click.option("--preset", default=None, help="Input layout for --input (default: detected)."),
        click.option("--taxonomy", "taxonomy_spec", default=None, metavar="FILE|NAME",
                     help="Review along these dimensions (a built-in: default, kununu, indeed, hotel; or a taxonomy "
                          "YAML). Each truth category is scored against the taxonomy dimensions whose maps_to reaches "
                          "one of its default dimensions (their mean); a dimension that maps to nothing the platform "
                          "rates has no truth and is listed as unscored. Baselines review the default 12."),
        click.option("--max-reviews", default=50, show_default=True, type=click.IntRange(1, 10_000)),
        click.option("--random-state", default=0, show_default=True),
        click.option("--prices", type=click.Path(exists=True, dir_okay=False), default=None,
                     help="Price table (YAML, USD per million tokens by model prefix); default "
                          "<data dir>/prices.yaml."),
        click.option("--out", type=click.Path(file_okay=False), default=None,
                     help="Report folder (default: under <data dir>/reports)."),
        click.option("--no-track", is_flag=True, help="Do not log the run to MLflow."),
        database_option,
    ]):
        command = option(command)
    return command


def _load(input_path, preset, database_url, companies_spec, artifact, random_state):
    from company_reviewer.evaluate.truth import load_frame, resolve_companies

    try:
        frame = load_frame(input_path, database_url=database_url, preset=preset)
        keys = resolve_companies(companies_spec, frame, artifact=artifact, random_state=random_state)
    except (ValueError, FileNotFoundError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    if not keys:
        raise click.ClickException("no companies to evaluate")
    return frame[frame["company_key"].isin(keys)].reset_index(drop=True), keys


def _artifact_for(model: str, options: dict) -> str | None:
    """The bundle whose train/dev split defines ``--companies dev`` for this model."""
    from company_reviewer.reviewer.base import REGISTRY_ALIASES, REGISTRY_PREFIX

    if options.get("artifact"):
        return options["artifact"]
    if model in REGISTRY_ALIASES or model.startswith(REGISTRY_PREFIX):
        from company_reviewer.tracking import RegistryError, model_path_for_alias

        try:
            return str(model_path_for_alias(model.removeprefix(REGISTRY_PREFIX)))
        except RegistryError as exc:
            raise click.ClickException(str(exc)) from exc
    return None


def _out_dir(out, kind: str, name: str):
    from pathlib import Path

    from company_reviewer.config import Settings

    if out:
        return Path(out)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    return Settings.from_env().reports_dir / f"{kind}-{safe}-{stamp}"


def _prices(path):
    from company_reviewer.evaluate.core import load_prices

    try:
        return load_prices(path)
    except (FileNotFoundError, ValueError, AttributeError) as exc:
        raise click.ClickException(f"price table: {exc}") from exc


@click.command()
@click.option("--model", default="embedded", show_default=True,
              help="Model spec: embedded, baseline:tfidf, llm:..., champion, registry:VERSION ...")
@click.option("--option", "options", multiple=True, metavar="KEY=VALUE", help="Model option (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@_data_options
def evaluate(model, options, as_json, companies_spec, scheme, input_path, preset, taxonomy_spec, max_reviews,
             random_state, prices, out, no_track, database_url):
    """Measure one model against the platform's own ratings; writes a JSON, Markdown and HTML report."""
    from company_reviewer.evaluate.compare import Comparison
    from company_reviewer.evaluate.core import evaluate_model
    from company_reviewer.evaluate.report import write_report
    from company_reviewer.reviewer.base import UnknownModelError

    parsed = parse_options(options)
    taxonomy = taxonomy_or_exit(taxonomy_spec)
    frame, keys = _load(input_path, preset, database_url, companies_spec, _artifact_for(model, parsed), random_state)
    try:
        result = evaluate_model(model, frame, options=parsed, scheme=scheme, max_reviews=max_reviews,
                                random_state=random_state, companies=keys, prices=_prices(prices),
                                progress=sys.stderr.isatty(), taxonomy=taxonomy)
    except (UnknownModelError, ValueError, FileNotFoundError, RuntimeError) as exc:
        raise click.ClickException(str(exc)) from exc
    folder = _out_dir(out, "evaluate", model)
    comparison = Comparison([result], params={**result.params, "companies": companies_spec})
    paths = write_report(comparison, folder, title=f"Evaluation: {model}", stem="evaluation")
    if not no_track:
        from company_reviewer.tracking import log_run

        metrics = {**result.summary, "mae": result.per_dimension["mae"].to_dict(),
                   "spearman": result.per_dimension["spearman"].to_dict()}
        log_run("evaluate", params={**result.params, "companies": companies_spec}, metrics=metrics,
                artifacts=[folder], tags={"model": model})
    _echo_summary(result.summary, as_json)
    _echo_unscored(result.summary)
    click.echo(f"report: {paths['html']} (and .md, .json)", err=True)


def _echo_summary(summary: dict, as_json: bool) -> None:
    from company_reviewer.evaluate.core import _clean

    if as_json:
        click.echo(json.dumps(_clean(summary)))
        return
    keys = ("n_companies", "mean_mae", "mean_spearman", "mean_mae_all", "overall_mae", "coverage",
            "interval_calibration", "quote_verbatim_rate", "sentiment_consistency", "seconds_per_company",
            "cost_per_company")
    for key in keys:
        value = summary.get(key)
        text = "n/a" if value is None or value != value else (f"{value:.3f}" if isinstance(value, float) else value)
        click.echo(f"  {key:24s} {text}")


def _echo_unscored(summary: dict) -> None:
    if summary.get("unscored_dimensions"):
        click.echo(f"unscored (no truth via maps_to): {', '.join(summary['unscored_dimensions'])}", err=True)


def _split_model_options(pairs: tuple[str, ...], models: list[str]) -> dict[str, dict]:
    """``MODEL@key=value`` sets an option of one model; plain ``key=value`` of every non-baseline model."""
    from company_reviewer.evaluate.compare import BASELINES

    per_model: dict[str, dict] = {}
    for pair in pairs:
        target, _, rest = pair.rpartition("@") if "@" in pair.split("=", 1)[0] else ("", "", pair)
        options = parse_options((rest,))
        for model in ([target] if target else [m for m in models if m not in BASELINES]):
            per_model.setdefault(model, {}).update(options)
    return per_model


@click.command()
@click.option("--models", "models_spec", required=True,
              help="Comma list of model specs; baseline:tfidf and baseline:mean are always added.")
@click.option("--option", "options", multiple=True, metavar="[MODEL@]KEY=VALUE",
              help="Model option (repeatable); without MODEL@ it applies to every non-baseline model.")
@_data_options
def compare(models_spec, options, companies_spec, scheme, input_path, preset, taxonomy_spec, max_reviews, random_state,
            prices, out, no_track, database_url):
    """Run the same companies through every model; writes an HTML and Markdown report with plots and a
    verdict table (figures only: reports never contain review text or quotes)."""
    from company_reviewer.evaluate.compare import compare_models
    from company_reviewer.evaluate.report import write_report
    from company_reviewer.reviewer.base import UnknownModelError

    models = [m.strip() for m in models_spec.split(",") if m.strip()]
    taxonomy = taxonomy_or_exit(taxonomy_spec)
    per_model = _split_model_options(options, models)
    artifact = next((_artifact_for(m, per_model.get(m, {})) for m in models
                     if _artifact_for(m, per_model.get(m, {}))), None)
    frame, keys = _load(input_path, preset, database_url, companies_spec, artifact, random_state)
    try:
        comparison = compare_models(models, frame, companies=keys, options=per_model, scheme=scheme,
                                    max_reviews=max_reviews, random_state=random_state, prices=_prices(prices),
                                    progress=sys.stderr.isatty(), taxonomy=taxonomy)
    except (UnknownModelError, ValueError, FileNotFoundError, RuntimeError) as exc:
        raise click.ClickException(str(exc)) from exc
    comparison.params["companies"] = companies_spec
    folder = _out_dir(out, "compare", "-".join(models))
    paths = write_report(comparison, folder, title="Model comparison", stem="comparison")
    if not no_track:
        from company_reviewer.tracking import log_run

        metrics = {r.model.replace(":", "_"): r.summary for r in comparison.results}
        log_run("compare", params=comparison.params, metrics=metrics, artifacts=[folder])
    verdict = comparison.verdict()
    from company_reviewer.evaluate.report import _fmt

    click.echo(_fmt(verdict).to_markdown())
    _echo_unscored(next((r.summary for r in comparison.results if r.summary.get("unscored_dimensions")), {}))
    click.echo(f"report: {paths['html']} (and .md, .json)", err=True)


@click.group()
def models():
    """The model registry (MLflow): registered embedded bundles and their aliases."""


@models.command("list")
@click.option("--json", "as_json", is_flag=True)
def models_list(as_json):
    """Registered versions, newest first, with aliases and their training metrics."""
    from company_reviewer.tracking import REGISTERED_MODEL, list_versions, tracking_uri

    versions = list_versions()
    if as_json:
        click.echo(json.dumps(versions))
        return
    if not versions:
        click.echo(f"no registered versions of {REGISTERED_MODEL} in {tracking_uri()}; "
                   "register one with `company-reviewer train --register` or `models register DIR`")
        return
    for v in versions:
        aliases = ",".join(v["aliases"]) or "-"
        mae = v["metrics"].get("test.comp_benefits.mae")
        click.echo(f"v{v['version']:<4} {aliases:22s} {v['created']}  run {v['run_id'] or '-'}"
                   + (f"  comp&benefits MAE {mae:.3f}" if mae is not None else ""))


@models.command("promote")
@click.argument("version")
@click.option("--alias", default="champion", show_default=True, help="Alias to point at VERSION.")
def models_promote(version, alias):
    """Point an alias (champion, challenger, ...) at VERSION."""
    from company_reviewer.tracking import RegistryError, set_alias

    try:
        set_alias(alias, version.lstrip("v"))
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{alias} -> v{version.lstrip('v')}")


@models.command("register")
@click.argument("artifact_dir", type=click.Path(exists=True, file_okay=False))
@click.option("--alias", default=None, help="Also point this alias at the new version.")
def models_register(artifact_dir, alias):
    """Register a trained bundle folder as a new version."""
    from company_reviewer.tracking import register_model

    try:
        version = register_model(artifact_dir, alias=alias)
    except FileNotFoundError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"registered v{version}" + (f" as {alias}" if alias else ""))


@models.command("path")
@click.argument("alias")
def models_path(alias):
    """The local folder of the bundle an alias or version names (downloaded if needed)."""
    from company_reviewer.tracking import RegistryError, model_path_for_alias

    try:
        click.echo(str(model_path_for_alias(alias.lstrip("v") if alias[1:].isdigit() else alias)))
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from exc


COMMANDS = [evaluate, compare, models]
