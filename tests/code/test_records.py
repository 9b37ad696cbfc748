"""The canonical record and its frame schema."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from company_reviewer.data.load import read_reviews
from company_reviewer.data.records import CANONICAL_COLUMNS, Review, review_frame_schema


def test_record_rejects_what_the_schema_forbids():
    Review(company="Acme", pros="Good pay")
    with pytest.raises(ValidationError, match="no review text"):
        Review(company="Acme")
    with pytest.raises(ValidationError):
        Review(company="Acme", pros="x", rating_overall=6)
    with pytest.raises(ValidationError, match="outside 1-5"):
        Review(company="Acme", pros="x", sub_ratings={"culture": 0})
    with pytest.raises(ValidationError):
        Review(company="Acme", pros="x", unknown_field="y")


def test_content_hash_ignores_detected_language_only():
    a = Review(company="Acme", pros="Good pay", language="en")
    assert a.content_hash() == Review(company="Acme", pros="Good pay").content_hash()
    assert a.content_hash() != Review(company="Acme", pros="Good pay!").content_hash()


def test_frame_schema_accepts_read_reviews_and_rejects_bad_frames(demo_reviews_path):
    from pandera.errors import SchemaError

    schema = review_frame_schema()
    frame, _ = read_reviews(demo_reviews_path)
    canonical = frame[list(CANONICAL_COLUMNS)].astype({"date": "datetime64[ns]"})
    schema.validate(canonical)
    broken = canonical.copy()
    broken.loc[broken.index[0], "rating_overall"] = 9.0
    with pytest.raises(Exception, match="in_range|rating_overall"):
        schema.validate(broken)
    with pytest.raises(SchemaError):
        schema.validate(canonical.assign(company=""))
