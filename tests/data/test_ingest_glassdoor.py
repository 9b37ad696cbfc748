"""The shared Glassdoor file through the real ingest, on both backends."""

from __future__ import annotations

import pytest

from company_reviewer.store.ingest import ingest_file
from company_reviewer.store.repository import list_companies, quarantined_rows


@pytest.mark.slow
def test_glassdoor_counts_and_idempotency(engine, shared_data):
    path = shared_data / "glassdoor" / "reviews.csv.gz"
    first = ingest_file(path, engine, preset="glassdoor")
    assert (first.read, first.quarantined, first.duplicates, first.stored) == (38_350, 6, 197, 38_147)
    reasons = quarantined_rows(engine)["reason"]
    assert reasons.str.contains("no review text").all()
    companies = list_companies(engine)
    assert len(companies) == 117 and int(companies["n_reviews"].sum()) == 38_147
    second = ingest_file(path, engine, preset="glassdoor")
    # The rerun quarantines nothing new: its 6 bad rows are already there (reported as such).
    assert (second.stored, second.duplicates, second.quarantined, second.already_quarantined) == (0, 38_344, 0, 6)
    assert len(quarantined_rows(engine, limit=100)) == 6
