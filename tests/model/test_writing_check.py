"""The writing check (issue 16): the embedded reviewer's text on 20 held-out Glassdoor companies.

For each company (the bundle's test split, topped up from validation), 50 reviews: no paragraph
repeats a bullet verbatim, the paragraph states the heading's rating and interval (one rounding
rule, ``fmt_rating``), no verdict names a dimension with fewer than THIN_EVIDENCE_MENTIONS mentions,
no "(1 reviews)" plurals, and no pro bullet reads negative (nor a con positive) to the shipped
aspect-sentiment classifier. The German demo company gets the same checks in German.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest

from company_reviewer.reviewer.embedded.writing import (
    THIN_EVIDENCE_MENTIONS, DimensionFacts, Point, dimension_summary, fmt_rating, trend_of, verdict,
)

N_COMPANIES = 20
N_REVIEWS = 50
_SUFFIX = re.compile(r"\s*\((\d+) (?:reviews|Bewertungen)\)$")
_RATING = re.compile(r"(?<![\d.,])(\d[.,]\d)/5")
_INTERVAL = re.compile(r"(\d[.,]\d)\u2013(\d[.,]\d)")
_BAD_PLURAL = re.compile(r"(?<![\d.,])1 (?:reviews|reviewers|Bewertungen)\b"
                         r"|\b(?:[02-9]|\d{2,}) (?:review|reviewer|Bewertung)\b(?![-\w])")


def _held_out_keys() -> list[str]:
    manifest = json.loads((Path(str(resources.files("company_reviewer"))) / "artifacts" / "embedded"
                           / "manifest.json").read_text())
    splits = manifest["splits"]
    return (list(splits["test"]) + [k for k in splits["validation"] if k not in splits["test"]])[:N_COMPANIES]


def _bullet_text(bullet: str) -> str:
    return _SUFFIX.sub("", bullet).strip().rstrip(".!;,")


def _num(text: str) -> str:
    return text.replace(",", ".")


def check_review(review, thin_names: dict[str, list[str]]) -> list[str]:
    """Problems in one CompanyReview's text; ``thin_names``: the names a verdict may use per dimension."""
    problems = []
    for key, d in review.dimensions.items():
        paragraph = " ".join(d.summary.split())
        lowered = paragraph.lower()
        for bullet in d.pros + d.cons:
            text = " ".join(_bullet_text(bullet).split()).lower()
            if len(text.split()) >= 2 and text in lowered:
                problems.append(f"{review.company}/{key}: paragraph repeats the bullet {bullet!r}")
        stated = [_num(x) for x in _RATING.findall(paragraph)]
        if d.rating is None:
            if stated:
                problems.append(f"{review.company}/{key}: a rating {stated} in the text of an unrated dimension")
        elif not stated or any(x != fmt_rating(d.rating) for x in stated):
            problems.append(f"{review.company}/{key}: heading {fmt_rating(d.rating)}/5, text says {stated}")
        intervals = [(_num(a), _num(b)) for a, b in _INTERVAL.findall(paragraph)]
        if d.interval is not None:
            wanted = (fmt_rating(d.interval[0]), fmt_rating(d.interval[1]))
            if not intervals or any(i != wanted for i in intervals):
                problems.append(f"{review.company}/{key}: interval {wanted}, text says {intervals}")
        if _BAD_PLURAL.search(paragraph) or any(_BAD_PLURAL.search(b) for b in d.pros + d.cons):
            problems.append(f"{review.company}/{key}: plural error in {paragraph!r}")
    text = review.overall.verdict
    stated = [_num(x) for x in _RATING.findall(text)]
    if (review.overall.rating is not None
            and (not stated or any(x != fmt_rating(review.overall.rating) for x in stated))):
        problems.append(f"{review.company}: verdict states {stated}, overall is {fmt_rating(review.overall.rating)}")
    if _BAD_PLURAL.search(text):
        problems.append(f"{review.company}: plural error in the verdict {text!r}")
    for key, d in review.dimensions.items():
        if d.mentions < THIN_EVIDENCE_MENTIONS:
            for name in thin_names.get(key, [d.label]):
                if re.search(rf"\b{re.escape(name.lower())}\b", text.lower()):
                    problems.append(f"{review.company}: the verdict names {name!r} on {d.mentions} mention(s)")
    return problems


@pytest.fixture(scope="module")
def held_out_reviews(shared_data):
    from company_reviewer.labeling.gold import canonical_reviews
    from company_reviewer.reviewer.embedded.pipeline import EmbeddedReviewer
    from company_reviewer.sampling import sample_reviews

    frame = canonical_reviews()
    keys = _held_out_keys()
    assert len(keys) == N_COMPANIES
    reviewer = EmbeddedReviewer({"n_boot": 50})
    out = []
    for key in keys:
        group = frame[frame["company_key"] == key]
        assert len(group) >= N_REVIEWS, key
        reviews = sample_reviews(group, k=N_REVIEWS, random_state=0)
        out.append(reviewer.review_company(str(group["company"].iat[0]), reviews))
    return out


@pytest.mark.slow
def test_text_agrees_with_the_numbers_and_never_repeats_a_bullet(held_out_reviews):
    problems = [p for review in held_out_reviews for p in check_review(review, {})]
    assert not problems, "\n".join(problems[:30])


@pytest.mark.slow
@pytest.mark.xfail(reason="issue 13: a bullet re-read on its own can get another sentiment from the shipped "
                          "linear heads than the one it was chosen with; fails until the classifier is stronger",
                   strict=False)
def test_no_pro_reads_negative_and_no_con_positive(held_out_reviews):
    from company_reviewer.aspects.classify import load_aspect_classifier

    try:
        classifier = load_aspect_classifier()
    except FileNotFoundError as exc:
        pytest.skip(f"the aspect-sentiment classifier is not shipped in the bundle yet: {exc}")
    rows = [(review.company, key, side, _bullet_text(b))
            for review in held_out_reviews for key, d in review.dimensions.items()
            for side, items in (("pro", d.pros), ("con", d.cons)) for b in items]
    units = pd.DataFrame({"text": [r[3] for r in rows], "field": ["text"] * len(rows), "language": ["en"] * len(rows)})
    labels = classifier.classify(units)
    column = {d: i for i, d in enumerate(labels.ids)}
    wrong = []
    for row, (company, key, side, text) in enumerate(rows):
        if key not in column:
            continue
        p_pos, p_neg, _ = labels.sentiment[row, column[key]]
        if (side == "pro" and p_neg > p_pos and p_neg > 0.5) or (side == "con" and p_pos > p_neg and p_pos > 0.5):
            wrong.append(f"{company}/{key} {side}: {text!r} (p+ {p_pos:.2f}, p- {p_neg:.2f})")
    assert not wrong, "\n".join(wrong[:30])


@pytest.mark.slow
def test_german_demo_company_is_written_in_german(demo_reviews_path):
    from company_reviewer.data.load import read_reviews
    from company_reviewer.reviewer.embedded.analysis import review_leans
    from company_reviewer.reviewer.embedded.pipeline import EmbeddedReviewer
    from company_reviewer.reviewer.embedded.writing import _GERMAN_NAMES

    frame, _ = read_reviews(demo_reviews_path)
    reviews = frame[frame["company"] == "Kieler Werft GmbH"].reset_index(drop=True)
    analysis = EmbeddedReviewer({"n_boot": 50}).analyse("Kieler Werft GmbH", reviews)
    facts = {}
    for key, f in analysis.facts.items():
        column = analysis.columns[key]
        trend = trend_of(review_leans(analysis.units, column), reviews["date"]) if column is not None else None
        facts[key] = replace(f, language="de", company="Kieler Werft GmbH", dimension_id=key, trend=trend)
    review = analysis.review
    dims = {k: d.model_copy(update={"summary": dimension_summary(facts[k])}) for k, d in review.dimensions.items()}
    overall = review.overall.model_copy(update={"verdict": verdict(
        review.company, review.n_reviews_used, review.overall.rating, review.overall.interval, facts, language="de")})
    german = review.model_copy(update={"dimensions": dims, "overall": overall})
    names = {k: list(v) for k, v in _GERMAN_NAMES.items()}
    assert not check_review(german, names)
    assert "Bewertungen" in german.overall.verdict and "/5" in german.overall.verdict
    for d in german.dimensions.values():
        assert " reviews " not in d.summary and re.search(r"\b(der|die|das|Thema)\b", d.summary), d.summary


def test_rounding_rule_and_plurals():
    assert fmt_rating(3.25) == "3.3" and fmt_rating(2.45) == "2.5" and fmt_rating(2.449) == "2.5"  # the JSON shows 2.45
    assert fmt_rating(2.4449) == "2.4" and fmt_rating(4.0) == "4.0"

    def facts(**kw):
        base = dict(label="Salary", n_reviews=50, mentions=1, positive=1, negative=0, mixed=0, rating=3.249,
                    interval=(2.951, 3.55), praise=(Point("Pay is fine and on time every month", 1),), complaints=())
        return DimensionFacts(**{**base, **kw})

    thin = dimension_summary(facts())
    assert "inferred" in thin and "uncertain" in thin and "3.3/5" in thin and "3.0\u20133.6" in thin
    assert "1 of the 50 reviews mentions" in thin and "1 reviews" not in thin
    german = dimension_summary(facts(language="de", mentions=0, positive=0))
    assert "Keine der 50 Bewertungen" in german and "3,3/5" in german and "abgeleitet" in german


def test_verdict_only_names_dimensions_whose_split_agrees():
    def f(label, mentions, pos, neg, rating):
        return DimensionFacts(label, 50, mentions, pos, neg, mentions - pos - neg, rating, (rating - 0.4, rating + 0.4),
                              (), ())

    dims = {"diversity_inclusion": f("Diversity and inclusion", 2, 2, 0, 4.6),   # thin: never named
            "colleagues": f("Colleagues", 20, 18, 1, 4.4),
            "management": f("Management", 12, 8, 3, 2.9),                         # praised but rated low
            "salary": f("Salary", 15, 4, 10, 4.3),                                # complained about, rated high
            "work_life_balance": f("Work-life balance", 25, 3, 20, 3.0)}
    text = verdict("Acme", 50, 3.6, (3.3, 3.9), dims)
    assert "diversity" not in text.lower() and "salary" not in text and "management" not in text.lower()
    assert "colleagues" in text and "work-life balance" in text and "3.6/5" in text
    assert 2 <= len(re.findall(r"[.!?](?:\s|$)", text)) <= 4, text


def test_german_verdict_verbs_agree_with_plural_names():
    def f(label, mentions, pos, neg, rating):
        return DimensionFacts(label, 50, mentions, pos, neg, mentions - pos - neg, rating, (rating - 0.4, rating + 0.4),
                              (), (), language="de")

    # One strength and one risk, each a plural noun: "die Kollegen werden", "Risiko sind die Arbeitsbedingungen".
    plural = verdict("Acme", 50, 3.4, (3.1, 3.7), {"colleagues": f("Kollegen", 30, 25, 2, 3.9),
                                                     "working_conditions": f("Arbeitsbedingungen", 25, 2, 20, 2.8)},
                     language="de")
    assert "Hervorgehoben werden die Kollegen" in plural, plural
    assert "Das größte Risiko sind die Arbeitsbedingungen" in plural, plural
    singular = verdict("Acme", 50, 3.4, (3.1, 3.7), {"salary": f("Gehalt", 30, 25, 2, 3.9),
                                                       "management": f("Führung", 25, 2, 20, 2.8)}, language="de")
    assert "Hervorgehoben wird das Gehalt" in singular and "Das größte Risiko ist die Führung" in singular, singular


def test_trend_windows():
    leans = pd.Series([0.9, 0.8, 0.7, -0.9, -0.8, -0.7, 0.5], index=[0, 1, 2, 3, 4, 5, 6])
    dates = pd.Series(["2025-05-01", "2025-03-01", "2025-01-10", "2023-01-01", "2022-06-01", "2022-02-01", None])
    trend = trend_of(leans, dates)
    assert trend.recent_mentions == 3 and trend.earlier_mentions == 3
    assert trend.recent_balance == 1.0 and trend.earlier_balance == -1.0 and trend.notable
    assert trend_of(leans, pd.Series([None] * 7)) is None
    assert trend_of(leans.iloc[:4], dates) is None
    text = dimension_summary(DimensionFacts("Salary", 50, 7, 4, 3, 0, 3.4, (3.0, 3.8), (), (), trend=trend))
    assert "got better recently" in text and "3 reviews from the 12 months to May 2025" in text


@pytest.mark.slow
def test_markdown_headings_show_the_paragraphs_numbers(held_out_reviews):
    from company_reviewer.reviewer.render import to_markdown

    problems = []
    for review in held_out_reviews:
        markdown = to_markdown(review)
        for d in review.dimensions.values():
            if d.rating is not None and f"\u2014 {fmt_rating(d.rating)}/5" not in markdown:
                problems.append(f"{review.company}/{d.label}: heading is not {fmt_rating(d.rating)}/5")
        o = review.overall
        if (o.interval is not None
                and f"{fmt_rating(o.interval[0])}\u2013{fmt_rating(o.interval[1])}" not in markdown.split("\n\n")[1]):
            problems.append(f"{review.company}: overall interval line differs from the verdict's")
    assert not problems, "\n".join(problems)
