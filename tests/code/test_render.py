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


# -- rounding, German, GitHub rendering, honesty notes ----------------------------------------------

def _full_review(language: str | None = None, **model) -> CompanyReview:
    from company_reviewer.reviewer.schema import DimensionTrend, Evidence

    trend = DimensionTrend(direction="worse", months=12, until="2025-05-01", recent_mentions=4, recent_positive=0,
                           recent_negative=3, recent_balance=-0.75, earlier_mentions=5, earlier_positive=4,
                           earlier_negative=1, earlier_balance=0.6)
    salary = DimensionReview(label="Salary", rating=3.05, interval=(2.45, 3.65), mentions=6, basis="text",
                             summary="Pay is fictional | and *fine*.", pros=["Paid on time (2 reviews)"],
                             cons=["Raises are <small>"], trend=trend,
                             evidence=[Evidence(review_id="r_1", quote="Paid on time.", sentiment="positive")])
    culture = DimensionReview(label="Culture", rating=None, interval=None, mentions=0, summary="Nothing said.")
    return CompanyReview(company="Fictional & Co", n_reviews_used=6, model=ModelInfo(name="embedded", version="0.1.0",
                                                                                    **model),
                         overall=OverallReview(rating=3.25, interval=(2.95, 3.55), verdict="A fictional verdict."),
                         dimensions={"salary": salary, "culture": culture}, language=language)


def test_headings_and_table_use_the_writers_rounding():
    # 3.05 is 3.04999... as a float: :.1f printed 3.0 where the paragraph (fmt_rating) says 3.1.
    text = to_markdown(_full_review())
    assert "## Salary \u2014 3.1/5" in text and "| Salary | 3.1 " in text and "2.5\u20133.7" in text
    assert "**Overall 3.3/5**" in text and "(90% interval 3.0\u20133.6)" in text
    assert "3.0/5" not in text


def test_german_review_gets_german_headings_and_decimal_commas():
    text = to_markdown(_full_review(language="de"))
    assert "## Gehalt \u2014 3,1/5" in text and "## Unternehmenskultur" in text
    assert "| Thema | Bewertung | 90-%-Intervall |" in text and "**Gesamt 3,3/5**" in text
    assert "**Stärken**" in text and "**Schwächen**" in text and "**Belege**" in text
    assert "Bewertung r\\_1 (positiv)" in text and "\u2193 schlechter" in text
    assert "Salary" not in text and "Pros" not in text


def test_markdown_renders_as_github_would():
    from markdown_it import MarkdownIt

    html = MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(to_markdown(_full_review()))
    # One table with a header row naming every column, and the rows below it.
    assert html.count("<table>") == 1 and html.count("<thead>") == 1
    header = html.split("<thead>")[1].split("</thead>")[0]
    assert [h.split(">")[1] for h in header.split("<th")[1:]] == [
        "Dimension</th", "Rating</th", "90% interval</th", "Reviews mentioning</th", "Basis</th", "Recent trend</th"]
    assert html.count("<tr>") == 3
    # Review text stays text: the pipe does not split a cell, the markup is not markup.
    assert "Pay is fictional | and *fine*." in html and "&lt;small&gt;" in html and "<small>" not in html
    assert "<em>" not in html and "<del>" not in html  # no emphasis or strike-through made of review text
    assert "\u2193 worse" in html and "inferred" not in html and "text" in html
    assert "Fictional &amp; Co" in html and "<h1>" in html


def test_wiring_model_and_borrowed_ratings_are_noted():
    text = to_markdown(_full_review(experimental="wiring model", parameters=134_515_008, ratings_from="embedded"))
    assert "> **Experimental: wiring model.**" in text and "(135M parameters)" in text
    assert "Ratings and intervals are the `embedded` model's" in text
    plain = to_markdown(_full_review())
    assert "wiring" not in plain and "Ratings and intervals" not in plain
