"""Experiment tracking and the model registry, on MLflow (imported only inside these functions).

Default store: ``sqlite:///<data dir>/mlflow.db`` with artifacts under ``<data dir>/mlruns``;
``COMPANY_REVIEWER_TRACKING_URI`` or ``MLFLOW_TRACKING_URI`` point elsewhere (a tracking server).
Runs go to one experiment per kind (``company-reviewer/train``, ``.../evaluate``, ``.../compare``).
Trained embedded bundles are versions of the registered model ``company-reviewer-embedded``;
aliases (``champion``, ``challenger``) name the version ``review --model champion`` uses.

Tracking must never cost the user the main job: :func:`log_run` warns and returns None when the
store cannot be reached.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

REGISTERED_MODEL = "company-reviewer-embedded"
EXPERIMENT_PREFIX = "company-reviewer/"
MODEL_ARTIFACT = "model"
ALIASES = ("champion", "challenger")


class RegistryError(LookupError):
    pass


def default_tracking_uri() -> str:
    from company_reviewer.config import Settings

    return f"sqlite:///{Settings.from_env().mlflow_db}"


def tracking_uri() -> str:
    from company_reviewer.config import Settings

    return Settings.from_env().tracking_uri or default_tracking_uri()


@contextlib.contextmanager
def _mlflow() -> Iterator[Any]:
    """mlflow pointed at our store, with its INFO logs, progress bars and warnings silenced."""
    import warnings

    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    uri = tracking_uri()
    # mlflow.set_tracking_uri also exports MLFLOW_TRACKING_URI; put the environment back after.
    saved = {k: os.environ.get(k) for k in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")}
    loggers = [logging.getLogger(name) for name in ("mlflow", "alembic")]
    levels = [lg.level for lg in loggers]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import mlflow

            for lg in loggers:  # after the import: importing mlflow sets its own logger level
                lg.setLevel(logging.ERROR)
            mlflow.set_tracking_uri(uri)
            mlflow.set_registry_uri(uri)
            yield mlflow
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _experiment_id(mlflow, kind: str) -> str:
    from company_reviewer.config import Settings

    name = EXPERIMENT_PREFIX + kind
    client = mlflow.MlflowClient()
    experiment = client.get_experiment_by_name(name)
    if experiment is not None:
        return experiment.experiment_id
    # A local SQLite store keeps artifacts beside its file (the default one: in the data directory),
    # not in the working directory; a tracking server decides for itself.
    uri = mlflow.get_tracking_uri()
    location = None
    if uri == default_tracking_uri():
        location = Settings.from_env().mlruns_dir.as_uri()
    elif uri.startswith("sqlite:///"):
        location = (Path(uri[len("sqlite:///"):]).resolve().parent / "mlruns").as_uri()
    return client.create_experiment(name, artifact_location=location)


def _flat(prefix: str, values: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(_flat(f"{name}.", value))
        else:
            out[name] = value
    return out


def _numeric_metrics(metrics: Mapping[str, Any]) -> dict[str, float]:
    import math

    out = {}
    for key, value in _flat("", metrics).items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        if not math.isnan(float(value)):
            out[key.replace("::", "/").replace(" ", "_")] = float(value)
    return out


def log_run(kind: str, *, params: Mapping[str, Any], metrics: Mapping[str, Any],
            artifacts: Iterable[str | Path | tuple[str | Path, str]] = (), tags: Mapping[str, str] | None = None,
            strict: bool = False) -> str | None:
    """Log one run of ``kind`` (train, evaluate, compare): params (nested dicts flattened, long
    values truncated), numeric metrics (NaN and non-numbers skipped), files or folders as
    artifacts (``(path, artifact_dir)`` to place them). Returns the run id, or None with a warning
    when tracking fails (``strict=True`` raises instead)."""
    try:
        with _mlflow() as mlflow:
            experiment = _experiment_id(mlflow, kind)
            with mlflow.start_run(experiment_id=experiment, tags={"kind": kind, **(tags or {})}) as run:
                flat = {k: str(v)[:6000] for k, v in _flat("", params).items()}
                if flat:
                    mlflow.log_params(flat)
                numeric = _numeric_metrics(metrics)
                if numeric:
                    mlflow.log_metrics(numeric)
                for item in artifacts:
                    path, where = (item if isinstance(item, tuple) else (item, None))
                    path = Path(path)
                    if path.is_dir():
                        mlflow.log_artifacts(str(path), artifact_path=where)
                    elif path.exists():
                        mlflow.log_artifact(str(path), artifact_path=where)
                return run.info.run_id
    except Exception as exc:  # noqa: BLE001 - any tracking failure is reported, never fatal
        if strict:
            raise
        _warn(f"experiment tracking failed ({type(exc).__name__}: {exc}); the {kind} run was not logged "
              f"(tracking URI {tracking_uri()})")
        return None


def _warn(message: str) -> None:
    sys.stderr.write(f"warning: {message}\n")


def register_model(artifact_dir: str | Path, *, alias: str | None = None, run_id: str | None = None) -> str:
    """A new version of ``company-reviewer-embedded`` from a trained bundle folder.

    With ``run_id`` the version points at that run's ``model`` artifact (logged from
    ``artifact_dir`` first if the run lacks it); without, a ``register`` run is made to hold it.
    ``alias`` (e.g. ``challenger``) is moved to the new version. Returns the version number."""
    artifact_dir = Path(artifact_dir)
    if not (artifact_dir / "manifest.json").exists():
        raise FileNotFoundError(f"{artifact_dir} is not a trained bundle (no manifest.json); "
                                "train one with `company-reviewer train --out DIR`")
    with _mlflow() as mlflow:
        client = mlflow.MlflowClient()
        if run_id is None:
            run_id = log_run("register", params={"artifact_dir": str(artifact_dir)}, metrics={},
                             artifacts=[(artifact_dir, MODEL_ARTIFACT)], strict=True)
        elif not any(f.path == MODEL_ARTIFACT for f in client.list_artifacts(run_id)):
            with mlflow.start_run(run_id=run_id):
                mlflow.log_artifacts(str(artifact_dir), artifact_path=MODEL_ARTIFACT)
        if not client.search_registered_models(filter_string=f"name = '{REGISTERED_MODEL}'"):
            client.create_registered_model(REGISTERED_MODEL, description="The embedded reviewer's trained bundles.")
        source = f"{client.get_run(run_id).info.artifact_uri}/{MODEL_ARTIFACT}"
        version = client.create_model_version(REGISTERED_MODEL, source=source, run_id=run_id).version
    if alias:
        set_alias(alias, version)
    return str(version)


def set_alias(alias: str, version: str | int) -> None:
    """Point ``alias`` at ``version`` of the registered model (moving it from any other)."""
    with _mlflow() as mlflow:
        client = mlflow.MlflowClient()
        try:
            client.get_model_version(REGISTERED_MODEL, str(version))
        except Exception as exc:
            raise RegistryError(f"{REGISTERED_MODEL} has no version {version}; "
                                "see `company-reviewer models list`") from exc
        client.set_registered_model_alias(REGISTERED_MODEL, alias, str(version))


def alias_version(alias: str) -> str | None:
    """The version an alias points at, or None."""
    with _mlflow() as mlflow:
        try:
            return str(mlflow.MlflowClient().get_model_version_by_alias(REGISTERED_MODEL, alias).version)
        except Exception:  # no such model or alias
            return None


def list_versions() -> list[dict[str, Any]]:
    """Every registered version, newest first: version, aliases, run id, created time, source, metrics."""
    import datetime as dt

    with _mlflow() as mlflow:
        client = mlflow.MlflowClient()
        try:
            versions = client.search_model_versions(f"name = '{REGISTERED_MODEL}'")
        except Exception:
            return []
        out = []
        for v in sorted(versions, key=lambda v: int(v.version), reverse=True):
            v = client.get_model_version(REGISTERED_MODEL, v.version)  # search results omit aliases
            metrics = {}
            if v.run_id:
                with contextlib.suppress(Exception):
                    metrics = client.get_run(v.run_id).data.metrics
            out.append({"version": str(v.version), "aliases": list(v.aliases or []), "run_id": v.run_id,
                        "created": dt.datetime.fromtimestamp(v.creation_timestamp / 1000).isoformat(timespec="seconds"),
                        "source": v.source, "metrics": metrics})
        return out


def model_path_for_alias(alias: str) -> Path:
    """The local folder of the bundle an alias (or a plain version number) names, downloaded once
    into ``<data dir>/registry/<version>`` unless the artifact store is already local."""
    from company_reviewer.config import Settings

    with _mlflow() as mlflow:
        client = mlflow.MlflowClient()
        try:
            version = (client.get_model_version(REGISTERED_MODEL, alias) if alias.isdigit()
                       else client.get_model_version_by_alias(REGISTERED_MODEL, alias))
        except Exception as exc:
            raise RegistryError(
                f"no registered {REGISTERED_MODEL} version {'' if alias.isdigit() else 'has alias '}{alias!r} "
                f"in {tracking_uri()}; register one with `company-reviewer train --register --alias {alias}` "
                f"or `company-reviewer models promote VERSION --alias {alias}`") from exc
        if version.source.startswith(("file://", "/")):
            from urllib.parse import unquote, urlparse

            local = Path(unquote(urlparse(version.source).path))
            if (local / "manifest.json").exists():
                return local
        target = Settings.from_env().registry_dir / str(version.version)
        if not (target / MODEL_ARTIFACT / "manifest.json").exists():
            uri = f"runs:/{version.run_id}/{MODEL_ARTIFACT}" if version.run_id else version.source
            mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=str(target))
        return target / MODEL_ARTIFACT
