"""Reviews and unit labels along taxonomies nothing was trained on (the real shipped model).

Reviews are fictional and written here (hotel guests, an Indeed-layout export) or the bundled
fictional demo companies; a client's 6-dimension YAML is written by the test itself.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from company_reviewer.cli import main
from company_reviewer.reviewer.schema import CompanyReview
from company_reviewer.taxonomy import load_taxonomy

CLIENT_YAML = """\
name: client-six
version: "2.1.0"
dimensions:
  - id: pay_fairness
    label: Pay fairness
    description: Whether people are paid fairly for their work, salary level, bonuses and raises.
    seeds:
      en: [pay, salary, bonus, raise, underpaid]
    maps_to: [salary]
  - id: workload
    label: Workload
    description: How much work there is, long hours, overtime, weekends, crunch and burnout.
    seeds:
      en: [workload, overtime, long hours, weekends, crunch, burnout]
    maps_to: [work_life_balance]
  - id: leadership
    label: Leadership
    description: Managers and leadership, how they lead, decide, give feedback and support people.
    seeds:
      en: [manager, managers, leadership, management, boss]
    maps_to: [management]
  - id: team_spirit
    label: Team spirit
    description: Colleagues and the team, helpfulness, cooperation and friendly people.
    seeds:
      en: [colleagues, team, coworkers, people]
  - id: tools
    label: Tools and equipment
    description: Laptops, hardware, software and the tools people get to do their job.
    seeds:
      en: [laptop, laptops, hardware, software, tools, equipment]
  - id: growth
    label: Growth
    description: Learning, training, mentoring, promotion and career progression.
    seeds:
      en: [promotion, career, training, mentoring, learning]
    maps_to: [career_growth, learning_development]
"""

HOTEL = [
    ("The room was spacious and the bed very comfortable.", "The bathroom had mould around the shower."),
    ("Breakfast buffet was excellent with fresh pastries.", "Our room was dirty when we arrived and smelled of smoke."),
    ("Staff at reception were friendly and helpful.", "Overpriced for what you get, parking fee was extra."),
    ("Great location, five minutes walk from the old town.", "The restaurant closes far too early."),
    ("Housekeeping kept everything spotless.", "The receptionist was rude at check-in."),
    ("Good value for money compared with other hotels nearby.", "Thin walls, the room was noisy at night."),
    ("Lovely view from the balcony.", "Coffee at breakfast was cold and the choice poor."),
    ("Close to the station and the metro.", "The neighbourhood felt unsafe after dark."),
]


def _invoke(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout if hasattr(result, "stdout") else result.output


@pytest.fixture(scope="module")
def client_yaml(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("taxonomy") / "client.yaml"
    path.write_text(CLIENT_YAML, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def hotel_csv(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("hotel") / "hotel.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["company", "review_id", "pros", "cons", "rating_overall"])
        for i, (pros, cons) in enumerate(HOTEL * 3):
            writer.writerow(["Seaview Hotel", f"h{i}", pros, cons, 3 + i % 3])
    return path


def _source_texts(path: Path) -> dict[str, str]:
    with path.open(encoding="utf-8") as handle:
        return {row["review_id"]: " ".join(v for k, v in row.items() if k in ("pros", "cons", "advice", "headline",
                                                                                "text") and v)
                for row in csv.DictReader(handle)}


def test_hotel_units_are_classified_into_the_hotel_dimensions(hotel_csv: Path) -> None:
    rows = [json.loads(line) for line in _invoke("classify", str(hotel_csv), "--taxonomy", "hotel").splitlines()]
    by_text = {r["text"]: r["dimensions"] for r in rows}
    expected = {
        "Breakfast buffet was excellent with fresh pastries.": ("food", "positive"),
        "Housekeeping kept everything spotless.": ("cleanliness", "positive"),
        "Staff at reception were friendly and helpful.": ("service", "positive"),
        "Great location, five minutes walk from the old town.": ("location", "positive"),
        "The receptionist was rude at check-in.": ("service", "negative"),
        "Overpriced for what you get, parking fee was extra.": ("value", "negative"),
        "Our room was dirty when we arrived and smelled of smoke.": ("cleanliness", "negative"),
    }
    for text, (dimension, sentiment) in expected.items():
        assert by_text[text].get(dimension, {}).get("sentiment") == sentiment, (text, by_text[text])
    assert set().union(*by_text.values()) <= set(load_taxonomy("hotel").ids)


def test_hotel_review_has_the_contract_shape_with_hotel_ids(hotel_csv: Path) -> None:
    review = CompanyReview.model_validate_json(
        _invoke("review", str(hotel_csv), "--taxonomy", "hotel", "--format", "json", "--option", "n_boot=30"))
    assert list(review.dimensions) == list(load_taxonomy("hotel").ids)
    assert review.model.taxonomy is not None and review.model.taxonomy.name == "hotel"
    texts = _source_texts(hotel_csv)
    food = review.dimensions["food"]
    assert food.mentions >= 3 and food.label == "Food" and "Food" in food.summary
    for dimension in review.dimensions.values():
        for evidence in dimension.evidence:
            assert evidence.quote in texts[evidence.review_id]  # verbatim, from the review it names
        if dimension.rating is not None and dimension.mentions < 3:
            assert dimension.basis == "inferred"
    # Location is praised twice for each complaint, cleanliness criticised twice for each praise.
    assert review.dimensions["location"].rating > review.dimensions["cleanliness"].rating
    assert review.dimensions["cleanliness"].evidence and review.dimensions["location"].evidence


def test_default_output_is_unchanged_without_and_with_taxonomy_default(demo_reviews_path: Path) -> None:
    args = ["review", str(demo_reviews_path), "--company", "Northwind Analytics", "--format", "json",
            "--option", "n_boot=20"]
    plain = _invoke(*args)
    assert _invoke(*args, "--taxonomy", "default") == plain
    assert '"taxonomy"' not in plain.split('"overall"')[0]  # model info as it always was


def test_client_yaml_reviews_through_the_cli(client_yaml: Path, demo_reviews_path: Path) -> None:
    out = _invoke("review", str(demo_reviews_path), "--company", "Northwind Analytics", "--taxonomy",
                  str(client_yaml), "--format", "json", "--option", "n_boot=20")
    review = CompanyReview.model_validate_json(out)
    assert list(review.dimensions) == ["pay_fairness", "workload", "leadership", "team_spirit", "tools", "growth"]
    assert review.model.taxonomy.name == "client-six" and review.model.taxonomy.version == "2.1.0"
    default = CompanyReview.model_validate_json(_invoke("review", str(demo_reviews_path), "--company",
                                                        "Northwind Analytics", "--format", "json",
                                                        "--option", "n_boot=20"))
    assert review.overall.rating == default.overall.rating
    # Mapped dimensions lean on the trained ratings of what they map to.
    for own, mapped in (("pay_fairness", "salary"), ("workload", "work_life_balance"), ("leadership", "management")):
        assert review.dimensions[own].mentions >= 3
        assert abs(review.dimensions[own].rating - default.dimensions[mapped].rating) < 0.5
    assert review.dimensions["tools"].mentions >= 1  # never trained on: laptops, hardware
    markdown = _invoke("review", str(demo_reviews_path), "--company", "Northwind Analytics", "--taxonomy",
                       str(client_yaml), "--option", "n_boot=0")
    assert "Tools and equipment" in markdown and "Team spirit" in markdown


def test_kununu_sections_count_for_their_category(tmp_path: Path) -> None:
    path = tmp_path / "kununu.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["company", "review_id", "overall_score", "text_Gehalt/Sozialleistungen",
                         "text_Image", "text_Gut am Arbeitgeber finde ich"])
        for i in range(6):
            writer.writerow(["Beispiel GmbH", f"k{i}", "4.0", "Passt, pünktlich jeden Monat.",
                             "Nach außen hin ganz okay.", "Nette Leute."])
    review = CompanyReview.model_validate_json(
        _invoke("review", str(path), "--preset", "kununu", "--taxonomy", "kununu", "--format", "json",
                "--option", "n_boot=0"))
    assert review.dimensions["gehalt_sozialleistungen"].mentions == 6
    assert review.dimensions["image"].mentions == 6


def test_indeed_layout_reviews_get_the_five_indeed_dimensions(tmp_path: Path) -> None:
    path = tmp_path / "indeed.csv"
    lines = [("Pay is good and the benefits are solid.", "Managers play favourites.", 4, 4, 3, 2, 3),
             ("Flexible schedule and friendly team.", "No raises in two years.", 3, 2, 4, 3, 4),
             ("Good culture, people respect each other.", "Layoffs every year, no job security.", 3, 3, 4, 3, 2),
             ("Great manager who supports us.", "Long hours during peak season.", 4, 3, 3, 5, 3)]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["company_name", "id", "title", "pros", "cons", "rating", "compensation_benefits",
                         "work_life_balance", "culture_values", "management", "job_security_advancement"])
        for i, (pros, cons, rating, pay, wlb, mgmt_culture, mgmt) in enumerate(lines * 3):
            writer.writerow(["Fictional Freight", f"i{i}", "Review", pros, cons, rating, pay, wlb, mgmt_culture,
                             mgmt, 3])
    review = CompanyReview.model_validate_json(
        _invoke("review", str(path), "--preset", "indeed", "--taxonomy", "indeed", "--format", "json",
                "--option", "n_boot=0"))
    assert list(review.dimensions) == ["pay_benefits", "culture", "job_security_advancement", "management",
                                       "work_life_balance"]
    assert all(d.rating is None or 1 <= d.rating <= 5 for d in review.dimensions.values())
    assert review.dimensions["management"].mentions >= 3


def test_a_model_that_cannot_take_a_taxonomy_says_so(demo_reviews_path: Path) -> None:
    result = CliRunner().invoke(main, ["review", str(demo_reviews_path), "--model", "baseline:mean",
                                       "--taxonomy", "hotel"])
    assert result.exit_code != 0 and "--taxonomy needs the embedded model" in result.output
