"""`evaluate` and `compare` on a few real Glassdoor companies (read from ../shared/data at run time)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from company_reviewer.cli import main
from company_reviewer.evaluate import evaluate_model
from company_reviewer.evaluate.truth import load_frame, resolve_companies

# Held out of the shipped bundle's training (its validation/test split), with sub-ratings, small.
COMPANIES = ("glassdoor_saiteja_2025::Adobe", "glassdoor_saiteja_2025::ADM", "glassdoor_saiteja_2025::Visa Inc.",
             "glassdoor_jharemza_trading_2019::Optiver", "glassdoor_gauthier_kaggle_sample::AJ Bell",
             "glassdoor_ahow_asset_managers::State Street")


@pytest.fixture(scope="module")
def frame(shared_data):
    frame = load_frame(shared_data / "glassdoor" / "reviews.csv.gz", preset="glassdoor")
    return frame[frame["company_key"].isin(COMPANIES)].reset_index(drop=True)


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("COMPANY_REVIEWER_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    return tmp_path


def test_dev_companies_are_the_bundles_held_out_ones(frame):
    from company_reviewer.evaluate.truth import bundle_splits

    splits = bundle_splits()
    dev = resolve_companies("dev", frame)
    assert set(dev) == set(COMPANIES)
    assert not set(dev) & set(splits["train"])


@pytest.mark.slow  # about 40 s with a cold embedding cache on 2 busy cores
def test_evaluate_model_scores_the_embedded_reviewer(frame):
    result = evaluate_model("embedded", frame, options={"n_boot": 50}, max_reviews=30, progress=False)
    s = result.summary
    assert s["n_companies"] == 6 and s["n_failed"] == 0
    assert s["coverage"] == 1.0 and s["quote_verbatim_rate"] == 1.0
    assert s["mean_mae"] < 0.45 and s["overall_mae"] < 0.3  # a constant guess is ~0.46 / 0.35 here
    assert s["seconds_per_company"] > 0 and s["cost_per_company"] == 0.0
    assert {"mae", "rmse", "spearman", "within_0_25", "coverage", "interval_calibration", "mae_all"} <= set(
        result.per_dimension.columns)
    assert list(result.per_dimension.index) == ["work_life_balance", "culture_values", "diversity_inclusion",
                                                "career_opportunities", "comp_benefits", "senior_management",
                                                "overall"]
    json.dumps(result.to_dict())  # JSON-safe


@pytest.mark.slow
def test_compare_cli_writes_a_report_without_review_text(frame, store, shared_data):
    out = store / "report"
    result = CliRunner().invoke(main, [
        "compare", "--models", "embedded", "--companies", ",".join(COMPANIES), "--max-reviews", "30",
        "--option", "embedded@n_boot=50", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "baseline:tfidf" in result.output and "baseline:mean" in result.output
    md = (out / "comparison.md").read_text()
    html = (out / "comparison.html").read_text()
    payload = json.loads((out / "comparison.json").read_text())
    assert payload["models"] == ["embedded", "baseline:tfidf", "baseline:mean"]
    for figure in ("errors.png", "scatter.png", "speed_cost.png"):
        assert (out / figure).stat().st_size > 5000 and figure in md and figure in html
    assert "## Verdict" in md and "Slices" in md
    texts = [t for column in ("pros", "cons", "headline") for t in frame[column] if isinstance(t, str) and len(t) > 40]
    everything = md + html + json.dumps(payload)
    assert texts and not [t for t in texts if t in everything]

    import mlflow

    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{store / 'mlflow.db'}")
    runs = client.search_runs([client.get_experiment_by_name("company-reviewer/compare").experiment_id])
    assert len(runs) == 1 and runs[0].data.metrics["embedded.mean_mae"] > 0
