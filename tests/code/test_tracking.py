"""Experiment tracking and the model registry against a real MLflow store (a temporary SQLite file)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from company_reviewer import tracking
from company_reviewer.cli import main
from company_reviewer.reviewer.base import UnknownModelError, get_reviewer
from company_reviewer.reviewer.embedded.bundle import default_artifact_path


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("COMPANY_REVIEWER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COMPANY_REVIEWER_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    return tmp_path


def _run(run_id: str):
    import mlflow

    return mlflow.MlflowClient(tracking_uri=tracking.tracking_uri()).get_run(run_id)


def test_log_run_records_params_metrics_and_artifacts(store, tmp_path):
    report = tmp_path / "report.md"
    report.write_text("# a report\n")
    run_id = tracking.log_run("evaluate", params={"model": "embedded", "options": {"n_boot": 0}},
                              metrics={"mean_mae": 0.2, "skip_nan": float("nan"), "text": "x",
                                       "mae": {"comp_benefits": 0.3}}, artifacts=[report], tags={"model": "embedded"})
    run = _run(run_id)
    assert run.data.params == {"model": "embedded", "options.n_boot": "0"}
    assert run.data.metrics == {"mean_mae": 0.2, "mae.comp_benefits": 0.3}
    assert run.data.tags["kind"] == "evaluate"
    import mlflow

    names = [f.path for f in mlflow.MlflowClient(tracking_uri=tracking.tracking_uri()).list_artifacts(run_id)]
    assert names == ["report.md"]


def test_default_store_lives_in_the_data_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("COMPANY_REVIEWER_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("COMPANY_REVIEWER_TRACKING_URI", raising=False)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    assert tracking.tracking_uri() == f"sqlite:///{tmp_path / 'mlflow.db'}"
    report = tmp_path / "r.txt"
    report.write_text("x")
    assert tracking.log_run("compare", params={}, metrics={"m": 1.0}, artifacts=[report])
    assert (tmp_path / "mlflow.db").exists() and list((tmp_path / "mlruns").rglob("r.txt"))
    import os

    assert "MLFLOW_TRACKING_URI" not in os.environ  # mlflow's own export is undone


def test_tracking_failure_warns_and_continues(tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setenv("COMPANY_REVIEWER_TRACKING_URI", f"sqlite:///{blocker}/x/mlflow.db")
    assert tracking.log_run("train", params={"a": 1}, metrics={}) is None
    assert "experiment tracking failed" in capsys.readouterr().err
    with pytest.raises(OSError):
        tracking.log_run("train", params={"a": 1}, metrics={}, strict=True)


def test_register_alias_and_review_champion_resolve_through_the_registry(store):
    bundle = default_artifact_path()
    assert tracking.alias_version("champion") is None
    with pytest.raises(UnknownModelError, match="champion"):
        get_reviewer("champion")
    run_id = tracking.log_run("train", params={"x": 1}, metrics={"test": {"overall": {"mae": 0.1}}},
                              artifacts=[(bundle, "model")])
    first = tracking.register_model(bundle, run_id=run_id, alias="challenger")
    second = tracking.register_model(bundle)
    assert (first, second) == ("1", "2")
    assert tracking.alias_version("challenger") == "1" and tracking.alias_version("champion") is None
    tracking.set_alias("champion", second)
    assert tracking.alias_version("champion") == "2"
    with pytest.raises(tracking.RegistryError, match="no version 9"):
        tracking.set_alias("champion", 9)

    path = tracking.model_path_for_alias("champion")
    assert (path / "manifest.json").read_bytes() == (bundle / "manifest.json").read_bytes()
    assert path != bundle  # the registered copy, not the package's folder
    reviewer = get_reviewer("champion", {"n_boot": 0})
    assert reviewer.name == "embedded" and reviewer.options.artifact == str(path) and reviewer.options.n_boot == 0
    assert get_reviewer("registry:1").options.artifact == str(tracking.model_path_for_alias("challenger"))

    versions = {v["version"]: v for v in tracking.list_versions()}
    assert versions["1"]["aliases"] == ["challenger"] and versions["2"]["aliases"] == ["champion"]
    assert versions["1"]["metrics"] == {"test.overall.mae": 0.1}


def test_models_cli(store):
    runner = CliRunner()
    result = runner.invoke(main, ["models", "list"])
    assert result.exit_code == 0 and "no registered versions" in result.output
    result = runner.invoke(main, ["models", "register", str(default_artifact_path()), "--alias", "challenger"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(main, ["models", "promote", "1", "--alias", "champion"]).exit_code == 0
    listing = runner.invoke(main, ["models", "list"]).output
    assert "v1" in listing and "champion" in listing and "challenger" in listing
    assert "INFO" not in listing and "mlflow" not in listing.lower()
    bad = runner.invoke(main, ["models", "promote", "7"])
    assert bad.exit_code != 0 and "no version 7" in bad.output
