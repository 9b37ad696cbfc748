"""retrain/rollback end to end: a real small training run, real MLflow registry, both decisions."""

from __future__ import annotations

import pytest

from company_reviewer.store.ingest import ingest_file
from company_reviewer.retrain import RetrainError, decide, retrain, rollback
from company_reviewer.store.repository import list_companies
from company_reviewer.store.snapshots import create_snapshot

pytestmark = pytest.mark.slow


def test_decision_rule_needs_lower_mae_and_no_spearman_collapse():
    champion = {"mean_mae": 0.30, "mean_spearman": 0.80}
    assert decide(champion, {"mean_mae": 0.25, "mean_spearman": 0.80}, min_improvement=0.0, max_spearman_drop=0.02)[0]
    assert not decide(champion, {"mean_mae": 0.31, "mean_spearman": 0.9}, min_improvement=0.0,
                      max_spearman_drop=0.02)[0]
    assert not decide(champion, {"mean_mae": 0.25, "mean_spearman": 0.6}, min_improvement=0.0,
                      max_spearman_drop=0.02)[0]


def test_retrain_keeps_or_promotes_and_rollback_restores(sqlite_url, shared_data, tmp_path, monkeypatch):
    from company_reviewer.store.db import get_engine
    from company_reviewer.tracking import alias_version

    monkeypatch.setenv("COMPANY_REVIEWER_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    engine = get_engine(sqlite_url)
    ingest_file(shared_data / "glassdoor" / "reviews.csv.gz", engine, preset="glassdoor")
    companies = list_companies(engine)
    companies = companies[companies["n_reviews"].between(60, 300)].head(12)
    create_snapshot(engine, "recent",
                    companies=[f"{s}::{c}" for s, c in zip(companies["source"], companies["company"])])

    with pytest.raises(RetrainError, match="nothing to roll back"):
        rollback()
    # An improvement no model can reach: the challenger is registered but not promoted.
    kept = retrain(engine, "recent", out=tmp_path / "c1", max_detector_units=2000, max_reviews=30,
                   min_improvement=5.0, progress=False)
    assert not kept.promoted and "below the required" in kept.reason
    assert alias_version("champion") == kept.champion_version == "1"
    assert alias_version("challenger") == kept.challenger_version == "2"
    assert kept.companies and kept.champion["mean_mae"] is not None and kept.challenger["mean_mae"] is not None

    # Any challenger within 5 stars and no Spearman limit: promoted, the old champion kept.
    promoted = retrain(engine, "recent", out=tmp_path / "c2", max_detector_units=2000, max_reviews=30,
                       min_improvement=-5.0, max_spearman_drop=2.0, progress=False)
    assert promoted.promoted and promoted.companies == kept.companies
    assert alias_version("champion") == promoted.challenger_version == "3"
    assert alias_version("previous") == "1"

    assert rollback() == ("3", "1")
    assert alias_version("champion") == "1"
