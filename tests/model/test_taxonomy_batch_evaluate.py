"""--taxonomy on batch (and the scoring rules evaluate/compare use): the real shipped model.

Reviews are the fictional hotel reviews and the client's 6-dimension YAML of test_custom_taxonomy.
"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from test_custom_taxonomy import CLIENT_YAML, HOTEL

from company_reviewer.batch.tasks import BatchSpec
from company_reviewer.cli import main
from company_reviewer.reviewer.schema import CompanyReview
from company_reviewer.taxonomy import load_taxonomy


def _hotels(path: Path) -> Path:
    import csv

    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["company", "review_id", "pros", "cons", "rating_overall"])
        for hotel in ("Seaview Hotel", "Harbour Inn"):
            for i, (pros, cons) in enumerate(HOTEL * 2):
                writer.writerow([hotel, f"{hotel[:3]}{i}", pros, cons, 3 + i % 3])
    return path


def _batch(*args: str):
    return CliRunner().invoke(main, ["batch", *args], catch_exceptions=False)


def test_batch_reviews_every_company_along_the_taxonomy(tmp_path: Path) -> None:
    data = _hotels(tmp_path / "hotels.csv")
    database = f"sqlite:///{tmp_path / 'store.db'}"
    out = tmp_path / "hotel.jsonl"
    result = _batch(str(data), "--out", str(out), "--taxonomy", "hotel", "--option", "n_boot=0",
                    "--database", database)
    assert result.exit_code == 0, result.output
    reviews = [CompanyReview.model_validate_json(line) for line in out.read_text().splitlines()]
    assert sorted(r.company for r in reviews) == ["Harbour Inn", "Seaview Hotel"]
    for review in reviews:
        assert list(review.dimensions) == list(load_taxonomy("hotel").ids)
        assert review.model.taxonomy.name == "hotel"
        assert review.dimensions["food"].mentions >= 2

    # The taxonomy is part of the run: the same input without it is another run, with 12 dimensions.
    plain = tmp_path / "plain.jsonl"
    result = _batch(str(data), "--out", str(plain), "--option", "n_boot=0", "--database", database)
    assert result.exit_code == 0, result.output
    assert "0 already done" in result.output
    assert all(len(json.loads(line)["dimensions"]) == 12 for line in plain.read_text().splitlines())


def test_batch_with_a_taxonomy_file_and_its_errors(tmp_path: Path) -> None:
    data = _hotels(tmp_path / "hotels.csv")
    yaml_path = tmp_path / "client.yaml"
    yaml_path.write_text(CLIENT_YAML, encoding="utf-8")
    out = tmp_path / "client.jsonl"
    database = f"sqlite:///{tmp_path / 'store.db'}"
    result = _batch(str(data), "--company", "Seaview Hotel", "--out", str(out), "--taxonomy", str(yaml_path),
                    "--option", "n_boot=0", "--database", database)
    assert result.exit_code == 0, result.output
    review = CompanyReview.model_validate_json(out.read_text().splitlines()[0])
    assert list(review.dimensions)[:3] == ["pay_fairness", "workload", "leadership"]
    assert review.model.taxonomy.version == "2.1.0"

    broken = tmp_path / "broken.yaml"
    broken.write_text(CLIENT_YAML.replace("maps_to: [salary]", "maps_to: [salaries]"), encoding="utf-8")
    result = _batch(str(data), "--out", str(tmp_path / "x.jsonl"), "--taxonomy", str(broken), "--database", database)
    assert result.exit_code != 0 and "--taxonomy" in result.output and "salaries" in result.output


def test_batch_run_parameters_name_the_taxonomy_by_content() -> None:
    plain = BatchSpec()
    assert "taxonomy" not in plain.params()  # runs started before taxonomies still resume
    hotel = load_taxonomy("hotel")
    params = BatchSpec(taxonomy=hotel.to_dict()).params()
    assert params["taxonomy"] == {"name": "hotel", "version": hotel.version, "sha256": hotel.content_hash()}
    changed = hotel.to_dict()
    changed["dimensions"][0]["description"] += " Beds."
    assert BatchSpec(taxonomy=changed).params()["taxonomy"]["sha256"] != hotel.content_hash()


INDEED_LINES = [("Pay is good and the bonus is fair.", "Managers play favourites.", 4, 4, 3, 2, 3),
                ("Flexible schedule, no overtime.", "No raises in two years, salary below market.", 3, 2, 4, 3, 4),
                ("Good training and a clear promotion path.", "Leadership never explains decisions.", 3, 3, 4, 2, 4),
                ("Great manager who supports us.", "Long hours during peak season.", 4, 3, 2, 5, 3)]


def _indeed(path: Path) -> Path:
    import csv

    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["company_name", "id", "title", "pros", "cons", "rating", "compensation_benefits",
                         "work_life_balance", "culture_values", "management", "job_security_advancement"])
        for company in ("Fictional Freight", "Imaginary Insurance"):
            for i, (pros, cons, rating, pay, wlb, mgmt, adv) in enumerate(INDEED_LINES * 3):
                writer.writerow([company, f"{company[:4]}{i}", "Review", pros, cons, rating, pay, wlb, 3, mgmt, adv])
    return path


def test_evaluate_scores_taxonomy_dimensions_through_maps_to(tmp_path: Path) -> None:
    data = _indeed(tmp_path / "indeed.csv")
    yaml_path = tmp_path / "client.yaml"
    yaml_path.write_text(CLIENT_YAML, encoding="utf-8")
    out = tmp_path / "report"
    result = CliRunner().invoke(main, ["evaluate", "--input", str(data), "--preset", "indeed", "--truth", "indeed",
                                       "--companies", "all", "--taxonomy", str(yaml_path), "--no-track",
                                       "--option", "n_boot=0", "--out", str(out), "--json"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["n_companies"] == 2 and summary["unscored_dimensions"] == ["team_spirit", "tools"]
    report = json.loads((out / "evaluation.json").read_text())
    evaluation = report["results"][0]
    assert evaluation["params"]["taxonomy"]["name"] == "client-six"
    categories = {row["category"]: row for row in evaluation["per_dimension"]}
    # Indeed's pay category is predicted by pay_fairness, its culture category by nothing (uncovered).
    assert "pay_fairness" in categories["comp_benefits"]["label"]
    assert "management" in categories and "culture_values" not in categories
    predictions = [p for p in evaluation["predictions"] if p["category"] == "comp_benefits"]
    assert len(predictions) == 2 and all(1 <= p["pred"] <= 5 for p in predictions)
    assert "unscored" in result.stderr and "team_spirit" in result.stderr

    # A model that reviews the 12 default dimensions only cannot take a taxonomy: said before any review.
    result = CliRunner().invoke(main, ["evaluate", "--input", str(data), "--preset", "indeed", "--truth", "indeed",
                                       "--companies", "all", "--taxonomy", "hotel", "--model", "baseline:mean",
                                       "--no-track", "--out", str(tmp_path / "r2")])
    assert result.exit_code != 0 and "--taxonomy needs the embedded model" in result.output


def test_compare_with_a_taxonomy_keeps_the_baselines_on_the_default_dimensions(tmp_path: Path) -> None:
    data = _indeed(tmp_path / "indeed.csv")
    yaml_path = tmp_path / "client.yaml"
    yaml_path.write_text(CLIENT_YAML, encoding="utf-8")
    out = tmp_path / "compare"
    result = CliRunner().invoke(main, ["compare", "--models", "embedded", "--input", str(data), "--preset", "indeed",
                                       "--truth", "indeed", "--companies", "all", "--taxonomy", str(yaml_path),
                                       "--no-track", "--option", "n_boot=0", "--out", str(out)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    report = json.loads((out / "comparison.json").read_text())
    assert report["params"]["taxonomy"]["name"] == "client-six"
    by_model = {r["model"]: r for r in report["results"]}
    embedded = by_model["embedded"]
    assert embedded["params"]["taxonomy"]["name"] == "client-six"
    assert embedded["summary"]["unscored_dimensions"] == ["team_spirit", "tools"]
    assert {row["dimension"] for row in embedded["per_evidence"]} == set(load_taxonomy(str(yaml_path)).ids)
    # The baselines review the default 12: every category, no taxonomy.
    for baseline in ("baseline:tfidf", "baseline:mean"):
        assert "taxonomy" not in by_model[baseline]["params"]
        assert "culture_values" in {row["category"] for row in by_model[baseline]["per_dimension"]}
    assert "culture_values" not in {row["category"] for row in embedded["per_dimension"]}
    # ... and the model is compared with them only on the categories both rate (culture is uncovered).
    verdict = {row["model"]: row["verdict"] for row in report["verdict"]}
    assert "categories both rate" in verdict["embedded"], verdict
    markdown = (out / "comparison.md").read_text()
    assert "client-six" in markdown and "team_spirit, tools" in markdown and "Culture" in markdown
    assert "unscored" in result.stderr and "team_spirit" in result.stderr
