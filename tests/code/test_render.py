"""The Markdown rendering says which text an LLM wrote and what the grounding check dropped."""

from company_reviewer.reviewer.render import to_markdown
from company_reviewer.reviewer.schema import (
    CompanyReview, DimensionReview, Generation, ModelInfo, OverallReview,
)


def _review(generation: Generation | None) -> CompanyReview:
    dimension = DimensionReview(label="Salary", rating=3.0, interval=(2.5, 3.5), mentions=4,
                                summary="Pay is <b>fine</b>.", generation=generation)
    return CompanyReview(company="Fictional", n_reviews_used=4, model=ModelInfo(name="t", version="0"),
                         overall=OverallReview(rating=3.0, interval=(2.5, 3.5), verdict="ok"),
                         dimensions={"salary": dimension})


def test_llm_text_is_labelled_with_kept_and_dropped_counts():
    text = to_markdown(_review(Generation(source="llm", kept=["a", "b"], dropped=["c"])))
    assert "*Text written by the LLM (2 grounded sentence(s) kept; 1 LLM sentence(s) dropped" in text


def test_fallback_says_why_and_escapes_the_reason():
    text = to_markdown(_review(Generation(source="fallback", error="invalid <json>")))
    assert "the LLM output was not usable: invalid &lt;json&gt;" in text


def test_embedded_reviews_carry_no_provenance_line():
    text = to_markdown(_review(None))
    assert "Text written" not in text and "embedded writer" not in text and "&lt;b&gt;fine" in text
