"""`train` end to end on a small snapshot of the real data: the bundle loads and reviews."""

from __future__ import annotations

import json

import pytest

from company_reviewer.store.ingest import ingest_file
from company_reviewer.reviewer.base import get_reviewer
from company_reviewer.store.repository import list_companies, load_reviews_frame
from company_reviewer.store.snapshots import create_snapshot
from company_reviewer.train import TrainConfig, train


@pytest.mark.slow
def test_train_small_snapshot_produces_a_working_bundle(sqlite_url, shared_data, tmp_path):
    from company_reviewer.store.db import get_engine

    engine = get_engine(sqlite_url)
    ingest_file(shared_data / "glassdoor" / "reviews.csv.gz", engine, preset="glassdoor")
    companies = list_companies(engine)
    companies = companies[companies["n_reviews"].between(60, 400)].head(10)
    keys = [f"{s}::{c}" for s, c in zip(companies["source"], companies["company"])]
    info = create_snapshot(engine, "small", companies=keys)
    out = tmp_path / "bundle"
    manifest = train(engine, out, TrainConfig(snapshot="small", max_detector_units=3000, refit_all=True))
    assert manifest["snapshot"]["content_hash"] == info.content_hash
    assert set(manifest["splits"]) <= {"train", "validation", "test"}
    assert not set(manifest["splits"]["train"]) & set(manifest["splits"].get("test", []))
    # Measured on the split model, shipped refit on every company: nothing is held out any more.
    assert manifest["rating_refit_all"] == {"companies": 10, "reviews": info.n_reviews}
    from company_reviewer.evaluate.truth import bundle_splits

    with pytest.raises(ValueError, match="refit on every company"):
        bundle_splits(out)
    assert (out / "MODEL_CARD.md").read_text().startswith("# Model card")
    assert json.loads((out / "manifest.json").read_text())["version"]
    frame = load_reviews_frame(engine, [keys[0]])
    review = get_reviewer("embedded", {"artifact": str(out), "n_boot": 20}).review_company(keys[0], frame.head(30))
    assert len(review.dimensions) == 12 and review.overall.rating is not None
