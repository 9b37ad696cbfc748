"""What the product shows people, under hostile text (issue 15, items 10-12 and 14): Markdown
without links or images from reviews, CLI tables without Rich markup or bidi controls from names,
`show` on real companies with empty fields, readable --option errors, `sample INPUT`, and an LLM
verdict that quotes the ratings the output reports."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from click.testing import CliRunner
from markdown_it import MarkdownIt

from company_reviewer.cli import main
from company_reviewer.reviewer.render import to_markdown
from company_reviewer.reviewer.schema import CompanyReview, DimensionReview, Evidence, ModelInfo, OverallReview
from company_reviewer.store import tables

LINKS = ["[click me](javascript:alert(document.cookie))", "![pixel](https://tracker.example/p.png?u=1)",
         "<https://evil.example>", "[ref][1]\n\n[1]: javascript:alert(1)", "<img src=x onerror=alert(1)>",
         "line one\n\n# A heading of my own\n\n- a list", "evil\u202egnp.exe", "\u2066isolated\u2069"]


def _hostile_review() -> CompanyReview:
    text = " ".join(LINKS)
    dimension = DimensionReview(
        label="Salary [x](javascript:alert(2))", rating=3.0, interval=(2.5, 3.5), mentions=4, summary=text,
        pros=[text], cons=["1. numbered", "# heading"],
        evidence=[Evidence(review_id="r1 [id](javascript:x)", quote=text, sentiment="positive")])
    return CompanyReview(company="Evil [Co](javascript:alert(3)) \u202eoc", n_reviews_used=4,
                         model=ModelInfo(name="m`[x](javascript:y)`", version="1 ![v](https://e/x.png)"),
                         overall=OverallReview(rating=3.0, interval=(2.5, 3.5), verdict=text),
                         dimensions={"salary": dimension})


def _html(markdown: str) -> str:
    md = MarkdownIt("commonmark").enable("table")
    md.validateLink = lambda url: True  # what our escaping must prevent, not what a renderer might
    return md.render(markdown)


def test_markdown_has_no_link_image_html_or_bidi_from_review_text():
    markdown = to_markdown(_hostile_review())
    html = _html(markdown)
    assert "<a " not in html and "<img" not in html
    assert html.count("<h1>") == 1 and html.count("<h2>") == 1  # only the company and the dimension
    assert "<ul>" in html and html.count("<li>") == 3 and "<ol" not in html  # the pros and cons, nothing else
    assert not re.search("[\u202a-\u202e\u2066-\u2069\u200e\u200f]", markdown)
    assert "&lt;img src=x" in markdown  # still readable as text
    assert "javascript:alert(document.cookie)" in markdown  # kept as characters


def test_render_endpoint_neutralises_links_too(sqlite_url):
    from fastapi.testclient import TestClient

    from company_reviewer.serve.app import create_app
    from company_reviewer.serve.config import ServeSettings

    with TestClient(create_app(ServeSettings.from_env(database_url=sqlite_url, open_access=True))) as client:
        response = client.post("/v1/render/markdown", json=_hostile_review().model_dump(mode="json"))
    assert response.status_code == 200
    html = _html(response.text)
    assert "<a " not in html and "<img" not in html and "\u202e" not in response.text


def test_display_text_drops_controls_but_keeps_text():
    from company_reviewer.reviewer.render import display_text

    assert display_text("a\u202eb\x1b[5mc\td\ne") == "ab[5mc\td\ne"
    assert display_text(None) == ""


@pytest.fixture
def hostile_store(sqlite_url):
    from company_reviewer.store.db import get_engine

    engine = get_engine(sqlite_url)
    with engine.begin() as connection:
        for i, (company, headline) in enumerate([("[blink]EvilCo[/blink]", "[red]Loud[/red] headline"),
                                                 ("Mirror\u202eoC", "fine")]):
            connection.execute(tables.reviews.insert().values(
                content_hash=f"{i:064d}", source="t", company=company, review_id=f"r{i}", rating_overall=None,
                headline=headline, pros="Good pay [bold]really[/bold]", cons=None, sub_ratings={}, attributes={}))
    return sqlite_url


def test_companies_and_show_print_names_as_typed(hostile_store):
    runner = CliRunner()
    listed = runner.invoke(main, ["companies", "--database", hostile_store])
    assert listed.exit_code == 0, listed.output
    assert "[blink]EvilCo[/blink]" in listed.output  # shown, not interpreted as markup
    assert "MirroroC" in listed.output and "\u202e" not in listed.output
    shown = runner.invoke(main, ["show", "[blink]EvilCo[/blink]", "--database", hostile_store])
    assert shown.exit_code == 0, shown.output
    assert "[blink]EvilCo[/blink]" in shown.output and "[red]Loud[/red] headline" in shown.output
    assert "-★" in shown.output  # no rating: a dash, not "None" or "nan"
    sampled = runner.invoke(main, ["sample", "--database", hostile_store])
    assert sampled.exit_code == 0 and "[blink]EvilCo[/blink]" in sampled.output


def test_show_on_real_companies_with_empty_fields(shared_data, tmp_path):
    # Real Glassdoor reviews, read at run time (never copied into the repository): NVIDIA's have
    # no advice at all, which reached `show` as NaN and crashed it.
    frame = pd.read_csv(shared_data / "glassdoor" / "reviews.csv.gz", low_memory=False)
    names = ["NVIDIA"] + [c for c in frame.groupby("company")["advice"].apply(lambda s: s.isna().mean())
                          .loc[lambda s: (s > 0) & (s < 1)].index[:2]]
    frame[frame["company"].isin(names)].to_csv(tmp_path / "slice.csv", index=False)
    database = f"sqlite:///{tmp_path / 'store.sqlite'}"
    runner = CliRunner()
    ingested = runner.invoke(main, ["ingest", str(tmp_path / "slice.csv"), "--preset", "glassdoor",
                                    "--database", database])
    assert ingested.exit_code in (0, 3), ingested.output
    for name in names:
        shown = runner.invoke(main, ["show", name, "--limit", "20", "--database", database])
        assert shown.exit_code == 0, (name, shown.output, shown.exception)
        assert "Traceback" not in shown.output and "nan" not in shown.output.split("\n", 1)[1].lower().split()
        as_json = json.loads(runner.invoke(main, ["show", name, "--json", "--database", database]).output)
        assert as_json["n_reviews"] > 0


def test_unknown_option_lists_the_valid_ones(demo_reviews_path):
    result = CliRunner().invoke(main, ["review", str(demo_reviews_path), "--company", "Bluefin Logistics",
                                       "--option", "foo=1"])
    assert result.exit_code != 0
    assert "foo: not an option" in result.output and "n_boot=200" in result.output and "artifact" in result.output
    assert "pydantic" not in result.output and "https://" not in result.output
    bad_value = CliRunner().invoke(main, ["review", str(demo_reviews_path), "--company", "Bluefin Logistics",
                                          "--option", "n_boot=lots"])
    assert "n_boot='lots'" in bad_value.output and "errors.pydantic.dev" not in bad_value.output


def test_sample_reads_an_input_file_like_review(demo_reviews_path, sqlite_url):
    runner = CliRunner()
    from_file = runner.invoke(main, ["sample", str(demo_reviews_path), "-k", "5", "--json",
                                     "--company", "Northwind Analytics"])
    assert from_file.exit_code == 0, from_file.output
    [result] = json.loads(from_file.output)
    assert result["company"] == "Northwind Analytics" and result["n_sampled"] == 5
    # The same reviews `review INPUT` uses, and the same as from the store after ingesting the file.
    from company_reviewer.data.load import read_reviews
    from company_reviewer.sampling import sample_reviews

    frame, _ = read_reviews(demo_reviews_path)
    used = sample_reviews(frame[frame["company"] == "Northwind Analytics"], k=5, strategy="stratified", random_state=0)
    assert result["review_ids"] == [str(v) for v in used["review_id"]]
    assert runner.invoke(main, ["ingest", str(demo_reviews_path), "--database", sqlite_url]).exit_code == 0
    stored = json.loads(runner.invoke(main, ["sample", "-k", "5", "--json", "--company", "Northwind Analytics",
                                             "--database", sqlite_url]).output)
    assert stored[0]["review_ids"] == result["review_ids"]
    assert runner.invoke(main, ["sample", str(demo_reviews_path), "--company", "Nobody"]).exit_code != 0


# -- 14. llm_rates: the verdict quotes the reported ratings ----------------------------------------------
class _ScriptedBackend:
    """Answers every call with the same JSON; what a model that rates 4.5 would say."""

    name = "scripted"

    def __init__(self, reply: dict) -> None:
        self.reply = json.dumps(reply)

    def identity(self) -> str:
        return ""

    def parameter_count(self) -> None:  # a remote model: its size is unknown
        return None

    def complete(self, messages, *, json_schema=None, max_tokens=512, temperature=0.0):
        from company_reviewer.llm.backends.base import Completion

        return Completion(self.reply, 10, 10)


@pytest.mark.slow  # the embedded pipeline runs under the LLM reviewer
@pytest.mark.parametrize("verdict", ["Xylophones quietly orbit distant moons.",
                                     "Rated 3.8/5 overall by its reviewers."])
def test_llm_rates_verdict_uses_the_reported_overall_rating(demo_reviews_path, verdict):
    from company_reviewer.data.load import read_reviews
    from company_reviewer.llm.reviewer import LLMReviewer
    from company_reviewer.sampling import sample_reviews

    frame, _ = read_reviews(demo_reviews_path)
    reviews = sample_reviews(frame[frame["company"] == "Northwind Analytics"], k=20, strategy="random", random_state=0)
    reviewer = LLMReviewer({"mode": "single", "llm_rates": True, "rating_slack": 4, "embedded": {"n_boot": 0}},
                           model="llamacpp")
    reviewer.backend = _ScriptedBackend({"overall_rating": 4.9, "verdict": verdict, "dimensions": []})
    review = reviewer.review_company("Northwind Analytics", reviews)
    overall = review.overall
    assert overall.rating == 4.9
    stated = re.findall(r"(\d\.\d)/5", overall.verdict)
    assert stated and all(float(s) == round(overall.rating, 1) for s in stated), overall.verdict
    assert "3.8/5" not in overall.verdict or overall.rating == 3.8


def test_rating_claims_are_recognised():
    from company_reviewer.llm.reviewer import contradicts_ratings

    assert contradicts_ratings("A strong employer: 3.8/5 overall.", [4.5])
    assert not contradicts_ratings("A strong employer: 4.5/5 overall.", [4.5])
    assert contradicts_ratings("Pay is rated 2 out of 5.", [3.1, 4.0])
    assert not contradicts_ratings("45 of 50 reviews mention pay; 5 are negative.", [3.0])
    assert not contradicts_ratings("Most discussed: pay (12 reviews).", [3.0])
