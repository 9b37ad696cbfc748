"""``company-reviewer train``: rebuild the embedded reviewer's heads from a data snapshot."""

from __future__ import annotations

import json

import click

from company_reviewer.cli.common import database_option, open_engine


@click.command()
@click.option("--snapshot", default=None, help="Snapshot to train on (default: the shared Glassdoor data, "
              "ingested and snapshotted on first use).")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Folder for the trained bundle (default: <data dir>/models/embedded).")
@click.option("--install", is_flag=True, help="Write into the package's shipped artifact folder instead.")
@click.option("--random-state", default=0, show_default=True)
@click.option("--max-detector-units", default=60_000, show_default=True)
@click.option("--refit-all", is_flag=True, help="After measuring on the held-out companies, refit the rating "
              "heads on all companies (a production model; `evaluate --companies dev` then refuses, as nothing "
              "is held out).")
@click.option("--json", "as_json", is_flag=True, help="Print the manifest as JSON.")
@click.option("--register", is_flag=True, help="Register the bundle in the model registry (MLflow).")
@click.option("--alias", default=None, help="Register and point this alias (champion, challenger) at it.")
@click.option("--no-track", is_flag=True, help="Do not log the run to MLflow.")
@click.option("--calibrate-on", "calibrate_on", type=click.Path(dir_okay=False), default=None,
              help="Only recalibrate: refit the rating calibration and the star stage of the shipped bundle on "
              "this file of rated reviews (any file `ingest` reads; >= 5 companies with >= 20 rated reviews) and "
              "write a new bundle to --out. Nothing else is retrained.")
@click.option("--preset", default=None, help="With --calibrate-on: the file's preset (default: detected).")
@database_option
def train(snapshot, out, install, random_state, max_detector_units, refit_all, as_json, register, alias, no_track,
          calibrate_on, preset, database_url):
    """Train the embedded reviewer (rating heads, dimension detector, polarity) with a fixed seed."""
    from pathlib import Path

    if calibrate_on is not None:
        _calibrate(calibrate_on, preset, out, install, random_state, as_json)
        return

    from company_reviewer.config import Settings
    from company_reviewer.reviewer.embedded.bundle import default_artifact_path
    from company_reviewer.train import TrainConfig, track_training, train as run_training

    target = default_artifact_path() if install else Path(out or Settings.from_env().models_dir / "embedded")
    config = TrainConfig(snapshot=snapshot, random_state=random_state, max_detector_units=max_detector_units,
                         refit_all=refit_all)
    manifest = run_training(open_engine(database_url), target, config)
    version = None
    if not no_track:
        _, version = track_training(manifest, target, register=register, alias=alias)
    elif register or alias:
        raise click.UsageError("--register/--alias need tracking; drop --no-track")
    if as_json:
        click.echo(json.dumps(manifest, default=str))
        return
    click.echo(f"trained embedded {manifest['version']} on snapshot {manifest['snapshot']['name']} -> {target}")
    for name, m in sorted(manifest["test_metrics"].items()):
        click.echo(f"  {name:22s} MAE {m['mae']:.3f}  Spearman {m['spearman']:.3f}  ({m['companies']} test companies)")
    if version:
        click.echo(f"registered as version {version}" + (f" ({alias}): review --model {alias}" if alias else ""))
    if not install:
        click.echo(f"use it with: company-reviewer review INPUT --option artifact={target}")


def _calibrate(path, preset, out, install, random_state, as_json):
    """``train --calibrate-on FILE``: a copy of the shipped bundle recalibrated on the file."""
    from pathlib import Path

    from company_reviewer.config import Settings
    from company_reviewer.data.load import read_reviews
    from company_reviewer.reviewer.star_stage import CalibrationDataError, recalibrate_bundle

    if install:
        raise click.UsageError("--calibrate-on writes a new bundle to --out; it does not overwrite the shipped one "
                               "(drop --install)")
    if not Path(path).is_file():
        raise click.UsageError(f"--calibrate-on: no such file: {path}")
    target = Path(out or Settings.from_env().models_dir / "embedded-calibrated")
    try:
        reviews, rejected = read_reviews(path, preset=preset)
    except ValueError as exc:
        raise click.ClickException(f"cannot read {path}: {exc}") from exc
    try:
        report = recalibrate_bundle(reviews, target, random_state=random_state)
    except CalibrationDataError as exc:
        raise click.ClickException(f"cannot recalibrate on {path}: {exc}") from exc
    report["rejected_rows"] = len(rejected)
    if as_json:
        click.echo(json.dumps(report, default=str))
        return
    click.echo(f"recalibrated on {report['companies']} companies ({report['reviews']} reviews; {len(rejected)} rows "
               f"rejected) -> {target}")
    for name, info in report["targets"].items():
        detail = (f"a={info['a']:+.3f} b={info['b']:.3f} (was a={info['before'][0]:+.3f} b={info['before'][1]:.3f})"
                  if info.get("calibration") == "refit" else f"{info.get('calibration')}: {info.get('companies', 0)} "
                  "companies rate it")
        click.echo(f"  {name:22s} calibration {detail}; stars {info.get('stars')}")
    click.echo(f"use it with: company-reviewer review INPUT --option artifact={target}")


COMMANDS = [train]
