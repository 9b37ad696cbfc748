"""Continual learning: train a challenger on a snapshot, compare it with the champion on the same
held-out companies, promote it only when it is better, and keep the old champion for rollback.

Registry state lives in MLflow aliases of ``company-reviewer-embedded``: ``champion`` (what
``review --model champion`` serves), ``challenger`` (the latest candidate) and ``previous`` (the
champion before the last promotion, what ``rollback`` returns to). When no champion is registered
yet, the bundle shipped in the package is registered as the first one, so every decision compares
two registered versions and every promotion can be rolled back.

Decision rule: promote when the challenger's mean MAE over the scheme's categories is lower than the
champion's by at least ``min_improvement`` stars and its mean Spearman is not lower by more than
``max_spearman_drop``. Both models are scored on the challenger's held-out test companies (the
train split is seeded by company, so the same snapshot gives the same companies).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

PREVIOUS_ALIAS = "previous"


class RetrainError(RuntimeError):
    """Retraining or rollback cannot proceed; the message says what to do."""


@dataclass(frozen=True)
class RetrainDecision:
    snapshot: str
    challenger_version: str
    champion_version: str
    promoted: bool
    reason: str
    companies: list[str]
    champion: dict[str, Any] = field(default_factory=dict)
    challenger: dict[str, Any] = field(default_factory=dict)
    run_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def ensure_champion() -> str:
    """The champion's version, registering the shipped bundle as champion when there is none."""
    from company_reviewer.reviewer.embedded.bundle import default_artifact_path
    from company_reviewer.tracking import alias_version, register_model

    return alias_version("champion") or register_model(default_artifact_path(), alias="champion")


def _metrics(result) -> dict[str, Any]:
    keys = ("mean_mae", "mean_spearman", "coverage", "seconds_per_company")
    return {k: result.summary.get(k) for k in keys}


def _number(value: Any) -> float:
    """None and NaN (a metric that could not be computed, e.g. Spearman on two companies) as 0."""
    return 0.0 if value is None or value != value else float(value)


def decide(champion: dict[str, Any], challenger: dict[str, Any], *, min_improvement: float,
           max_spearman_drop: float) -> tuple[bool, str]:
    if challenger.get("mean_mae") is None or challenger["mean_mae"] != challenger["mean_mae"]:
        return False, "the challenger's MAE could not be computed on the held-out companies"
    gain = champion["mean_mae"] - challenger["mean_mae"]
    spearman_drop = _number(champion.get("mean_spearman")) - _number(challenger.get("mean_spearman"))
    if gain < min_improvement:
        return False, (f"mean MAE {challenger['mean_mae']:.3f} vs champion {champion['mean_mae']:.3f}: "
                       f"improvement {gain:+.3f} is below the required {min_improvement:.3f}")
    if spearman_drop > max_spearman_drop:
        return False, f"mean Spearman drops by {spearman_drop:.3f} (allowed {max_spearman_drop:.3f})"
    return True, (f"mean MAE {challenger['mean_mae']:.3f} vs champion {champion['mean_mae']:.3f} "
                  f"(improvement {gain:+.3f}); Spearman change {-spearman_drop:+.3f}")


def retrain(engine, snapshot: str, *, out: Path | None = None, max_detector_units: int = 60_000,
            random_state: int = 0, max_reviews: int = 50, min_improvement: float = 0.0,
            max_spearman_drop: float = 0.02, progress: bool = True) -> RetrainDecision:
    from company_reviewer.config import Settings
    from company_reviewer.evaluate.core import evaluate_model
    from company_reviewer.store.snapshots import load_snapshot
    from company_reviewer.tracking import log_run, model_path_for_alias, register_model, set_alias
    from company_reviewer.train import TrainConfig, track_training, train

    champion_version = ensure_champion()
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S")
    out = Path(out or Settings.from_env().models_dir / f"{snapshot}-{stamp}")
    config = TrainConfig(snapshot=snapshot, max_detector_units=max_detector_units, random_state=random_state)
    manifest = train(engine, out, config, progress=progress)
    run_id, _ = track_training(manifest, out)
    challenger_version = register_model(out, alias="challenger", run_id=run_id)

    held_out = sorted(manifest["splits"].get("test") or [])
    if not held_out:
        raise RetrainError(f"snapshot {snapshot!r} leaves no held-out test companies; use a snapshot with "
                           "more companies of at least 50 reviews")
    frame = load_snapshot(engine, snapshot)
    frame = frame[frame["company_key"].isin(held_out)]
    scores = {}
    for name, version in (("champion", champion_version), ("challenger", challenger_version)):
        path = model_path_for_alias(str(version))
        result = evaluate_model("embedded", frame, options={"artifact": str(path)}, companies=held_out,
                                max_reviews=max_reviews, random_state=random_state, progress=progress)
        scores[name] = _metrics(result)
    promoted, reason = decide(scores["champion"], scores["challenger"], min_improvement=min_improvement,
                              max_spearman_drop=max_spearman_drop)
    if promoted:
        set_alias(PREVIOUS_ALIAS, champion_version)
        set_alias("champion", challenger_version)
    decision_run = log_run(
        "retrain",
        params={"snapshot": snapshot, "data_hash": manifest["snapshot"]["content_hash"],
                "champion_version": champion_version, "challenger_version": challenger_version,
                "held_out_companies": len(held_out), "min_improvement": min_improvement,
                "max_spearman_drop": max_spearman_drop, "max_reviews": max_reviews},
        metrics={"champion": scores["champion"], "challenger": scores["challenger"], "promoted": float(promoted)},
        tags={"decision": "promote" if promoted else "keep", "reason": reason})
    return RetrainDecision(snapshot, str(challenger_version), str(champion_version), promoted, reason, held_out,
                           scores["champion"], scores["challenger"], decision_run)


def rollback() -> tuple[str, str]:
    """Point ``champion`` back at ``previous`` (and ``previous`` at the demoted version)."""
    from company_reviewer.tracking import alias_version, log_run, set_alias

    previous, current = alias_version(PREVIOUS_ALIAS), alias_version("champion")
    if previous is None or current is None:
        raise RetrainError("nothing to roll back to: no promotion has been recorded "
                           "(see `company-reviewer models list`)")
    set_alias("champion", previous)
    set_alias(PREVIOUS_ALIAS, current)
    log_run("rollback", params={"from_version": current, "to_version": previous}, metrics={},
            tags={"decision": "rollback"})
    return current, previous
