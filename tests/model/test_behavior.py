"""Behavioural tests of the reviewers (Made-With-ML style), on fictional reviews written here.

- Invariance: the order of the reviews, and text that says nothing about work, do not move ratings.
- Directional: more reviews complaining about pay lower ``salary`` and leave ``culture`` mostly alone.
- Minimum functionality: reviews that praise everything rate every mentioned dimension high.
"""

from __future__ import annotations

import itertools

import pandas as pd
import pytest

from company_reviewer.reviewer.predict import company_groups, review_groups

# Fictional review fragments (no real review text): a mixed, ordinary employer.
PROS = [
    "Friendly colleagues who help each other out.",
    "Good health insurance and a solid pension plan.",
    "Flexible hours and the option to work from home.",
    "My manager gives clear feedback and supports my growth.",
    "Plenty of training courses and a learning budget.",
    "The pay is fair for the region.",
    "Nice office with good equipment.",
    "Open culture where people share ideas.",
]
CONS = [
    "Promotions are slow and the criteria are unclear.",
    "Senior leadership changes direction too often.",
    "Some weeks are very busy and overtime happens.",
    "Communication between departments is poor.",
    "Raises are small compared with inflation.",
    "The parking situation is bad.",
    "Too many meetings.",
]
NEGATIVE_PAY = [
    ("The salary is far below the market rate.", "Pay is terrible and raises never happen."),
    ("Base pay is the lowest I have seen in this industry.", "They underpay everyone and refuse to negotiate salary."),
    ("Compensation is insulting for the workload.", "Wages have been frozen for three years."),
]
GLOWING = [
    ("Excellent salary, well above market, with generous yearly raises.",
     "Outstanding benefits: great health insurance, pension and extra vacation days."),
    ("Perfect work-life balance, nobody expects overtime.",
     "Brilliant managers who support and mentor you."),
    ("Wonderful, inclusive culture where everyone is respected.",
     "Amazing colleagues, the best team I have ever worked with."),
    ("Great career growth and fast promotions for good work.",
     "Fantastic training programmes and a generous learning budget."),
]
IRRELEVANT = " I wrote this review on a rainy Tuesday."


def _frame(rows: list[tuple[str, str]], company: str = "Fictional Widgets Ltd", start: int = 0) -> pd.DataFrame:
    return pd.DataFrame([{
        "company": company, "review_id": f"r{start + i}", "date": f"2024-{(i % 12) + 1:02d}-15",
        "job_title": "Engineer", "employee_status": "current", "location": "", "rating_overall": None,
        "headline": "My experience", "pros": pros, "cons": cons, "advice": "", "text": "",
        "source": "fictional", "language": "en", "sub_ratings": {}, "attributes": {},
    } for i, (pros, cons) in enumerate(rows)])


def _mixed(n: int = 30) -> pd.DataFrame:
    pairs = itertools.product(PROS, CONS)
    return _frame([next(pairs) for _ in range(n)])


def _ratings(frame: pd.DataFrame, model: str = "embedded", **options) -> dict[str, float | None]:
    options = {"n_boot": 0, **options} if model == "embedded" else options
    (review,) = review_groups(company_groups(frame), model=model, options=options, max_reviews=50)
    return {k: d.rating for k, d in review.dimensions.items()} | {"overall": review.overall.rating}


@pytest.fixture(scope="module")
def mixed() -> pd.DataFrame:
    return _mixed()


@pytest.fixture(scope="module")
def mixed_ratings(mixed) -> dict[str, float | None]:
    return _ratings(mixed)


@pytest.mark.parametrize("model", ["embedded", "baseline:tfidf"])
def test_shuffling_reviews_does_not_move_ratings(mixed, model):
    before = _ratings(mixed, model)
    after = _ratings(mixed.sample(frac=1.0, random_state=7).reset_index(drop=True), model)
    assert before.keys() == after.keys()
    for dimension, rating in before.items():
        if rating is None:
            assert after[dimension] is None, dimension
        else:
            assert after[dimension] == pytest.approx(rating, abs=0.011), dimension  # ratings are rounded to 0.01


def _moved(before: dict, after: dict) -> dict[str, float]:
    moved = {d: abs(after[d] - r) for d, r in before.items() if r is not None and after[d] is not None}
    assert moved, "nothing rated"
    return moved


def test_irrelevant_free_text_does_not_move_ratings(mixed, mixed_ratings):
    after = _ratings(mixed.assign(text="I wrote this review on a rainy Tuesday."))
    assert max(_moved(mixed_ratings, after).values()) < 0.05


# Measured 2026-11-27: appending one irrelevant sentence to every pros and cons moved the embedded
# model's ratings by up to 0.31 stars when its heads read whole-field embeddings; the unit-attention
# heads (trained with off-topic asides, no company-level embedding stage) move them <= 0.06.
# TF-IDF moves <= 0.12.
@pytest.mark.parametrize("model", ["embedded", "baseline:tfidf"])
def test_irrelevant_text_in_pros_and_cons_barely_moves_ratings(mixed, model):
    before = _ratings(mixed, model)
    after = _ratings(mixed.assign(pros=mixed["pros"] + IRRELEVANT, cons=mixed["cons"] + IRRELEVANT), model)
    assert max(_moved(before, after).values()) < 0.15


# TF-IDF's per-target ridges see the same negative words for every target (a halo): measured
# 2026-11-27, salary -0.32 and culture -0.24 stars; the embedded model: salary -0.68, culture -0.33.
@pytest.mark.parametrize("model", [
    "embedded",
    pytest.param("baseline:tfidf", marks=pytest.mark.xfail(strict=True, reason="no per-dimension signal: "
                                                           "negative words lower every target alike")),
])
def test_negative_pay_reviews_lower_salary_not_culture(mixed, model):
    before = _ratings(mixed, model)
    complaints = _frame([("", " ".join(NEGATIVE_PAY[i % len(NEGATIVE_PAY)])) for i in range(15)], start=100)
    after = _ratings(pd.concat([mixed, complaints], ignore_index=True), model)
    salary_drop = before["salary"] - after["salary"]
    culture_drop = before["culture"] - after["culture"]
    assert salary_drop > 0.3, (before["salary"], after["salary"])
    assert salary_drop - culture_drop > 0.2, (salary_drop, culture_drop)


def test_glowing_reviews_score_high_on_every_mentioned_dimension():
    frame = _frame([(" ".join(GLOWING[i % len(GLOWING)]), "") for i in range(24)])
    (review,) = review_groups(company_groups(frame), model="embedded", options={"n_boot": 0})
    mentioned = {k: d for k, d in review.dimensions.items() if d.mentions > 0}
    praised = {"salary", "benefits", "work_life_balance", "management", "culture", "colleagues",
               "career_growth", "learning_development"}
    assert praised <= set(mentioned), sorted(mentioned)
    low = {k: d.rating for k, d in mentioned.items() if d.rating is None or d.rating < 3.8}
    assert not low, low
    assert review.overall.rating >= 3.8
    mixed_overall = _ratings(_mixed())["overall"]
    assert review.overall.rating > mixed_overall + 0.3
