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
