"""Scoring a custom taxonomy against platform truth through maps_to (no model runs)."""

from __future__ import annotations

from company_reviewer.evaluate.taxonomy_truth import (
    mapped_truth,
    scheme_for_taxonomy,
    truth_columns,
    unscored_dimensions,
)
from company_reviewer.evaluate.schemes import OVERALL, load_scheme
from company_reviewer.reviewer.schema import CompanyReview, DimensionReview, ModelInfo, OverallReview
from company_reviewer.taxonomy import load_taxonomy, parse_taxonomy

CLIENT = {
    "name": "client", "version": "1",
    "dimensions": [
        {"id": "pay", "label": "Pay", "description": "Salary and bonuses.", "maps_to": ["salary"]},
        {"id": "perks", "label": "Perks", "description": "Benefits and perks.", "maps_to": ["benefits"]},
        {"id": "growth", "label": "Growth", "description": "Promotion and learning.",
         "maps_to": ["career_growth", "learning_development"]},
        {"id": "team", "label": "Team", "description": "Colleagues and the team.", "maps_to": ["colleagues"]},
        {"id": "tools", "label": "Tools", "description": "Laptops and software."},
    ],
}


def _review(ratings: dict[str, float | None]) -> CompanyReview:
    dims = {d: DimensionReview(label=d, rating=r, interval=None if r is None else (r - 0.5, r + 0.5), mentions=3,
                               summary="") for d, r in ratings.items()}
    return CompanyReview(company="Fictional", n_reviews_used=20, model=ModelInfo(name="t", version="0"),
                         overall=OverallReview(rating=3.5, interval=(3.0, 4.0), verdict=""), dimensions=dims)


def test_categories_are_scored_by_the_dimensions_that_map_to_them():
    taxonomy = parse_taxonomy(CLIENT)
    scheme, unscored = scheme_for_taxonomy(load_scheme("glassdoor"), taxonomy)
    by_key = {c.key: c for c in scheme.categories}
    assert by_key["comp_benefits"].dimensions == ("pay", "perks")
    assert by_key["career_opportunities"].dimensions == ("growth",)
    assert by_key["culture_values"].dimensions == ()  # nothing maps to culture: uncovered
    assert "via pay, perks" in by_key["comp_benefits"].label
    # colleagues is not a Glassdoor category; tools maps to nothing
    assert unscored == ["team", "tools"]
    predicted = scheme.predict(_review({"pay": 2.0, "perks": 4.0, "growth": 3.0, "team": 5.0, "tools": None}))
    assert predicted["comp_benefits"] == (3.0, (2.5, 3.5))
    assert predicted["career_opportunities"][0] == 3.0
    assert "culture_values" not in predicted and predicted[OVERALL][0] == 3.5


def test_the_default_taxonomy_keeps_the_scheme_and_mapping_is_per_platform():
    glassdoor = load_scheme("glassdoor")
    assert scheme_for_taxonomy(glassdoor, load_taxonomy("default")) == (glassdoor, [])
    kununu = load_taxonomy("kununu")
    _, unscored = scheme_for_taxonomy(glassdoor, kununu)
    assert "image" in unscored and "kollegenzusammenhalt" in unscored and "gehalt_sozialleistungen" not in unscored
    # Against kununu's own scheme, Kollegenzusammenhalt (maps_to colleagues) has a truth.
    _, unscored = scheme_for_taxonomy(load_scheme("kununu"), kununu)
    assert "kollegenzusammenhalt" not in unscored and "image" in unscored


def test_truth_columns_of_a_truth_mapping():
    taxonomy = parse_taxonomy(CLIENT)
    truth = {"salary": 3.0, "benefits": None, "career_growth": 4.0}
    columns = truth_columns(taxonomy, truth)
    assert columns == {"pay": ("salary",), "growth": ("career_growth",)}
    assert unscored_dimensions(taxonomy, truth) == ["perks", "team", "tools"]
    assert mapped_truth({"a": 2.0, "b": float("nan"), "c": 4.0}, ("a", "b", "c")) == 3.0
    assert mapped_truth({"a": None}, ("a",)) is None
