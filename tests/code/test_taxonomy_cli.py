"""`company-reviewer taxonomy init|check|show` and the API's taxonomy field: validation with lines,
the template, the hotel built-in, and requests that may name only offered taxonomies."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi import HTTPException

from company_reviewer.cli import main
from company_reviewer.taxonomy import (
    BUILTIN_TAXONOMIES,
    TaxonomyError,
    check_taxonomy_file,
    is_default,
    load_taxonomy,
    resolve_taxonomy,
)

BROKEN = """\
name: client
version: 1.0
dimensions:
  - id: pay
    label: Pay
    description: What people earn, salary and bonuses and raises.
    seeds:
      en: [pay, salary]
    maps_to: [salary, wages]
  - id: pay
    label: Pay again
    description: ""
  - id: Bad-Id
    label: X
    description: Something with enough words in it to pass.
"""


def _run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_init_writes_a_template_that_checks_and_loads(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    result = _run("taxonomy", "init", str(path))
    assert result.exit_code == 0 and path.is_file()
    assert path.read_text(encoding="utf-8").lstrip().startswith("#")  # commented
    checked = _run("taxonomy", "check", str(path))
    assert checked.exit_code == 0 and "valid: my-taxonomy" in checked.output
    taxonomy = load_taxonomy(path)
    assert taxonomy.ids == ("pay", "onboarding") and taxonomy.get("pay").maps_to == ("salary",)
    again = _run("taxonomy", "init", str(path))
    assert again.exit_code != 0 and "--force" in again.output


def test_check_names_the_line_of_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN, encoding="utf-8")
    result = CliRunner().invoke(main, ["taxonomy", "check", str(path)])
    assert result.exit_code == 1
    out = result.output
    assert f"{path}:9: error:" in out and "'wages', which is not a default dimension" in out  # unknown maps_to
    assert f"{path}:10: error: duplicate dimension id 'pay'" in out
    assert f"{path}:12: error:" in out and "'description' must be a non-empty string" in out
    assert f"{path}:13: error:" in out and "'id' must match" in out
    report = json.loads(CliRunner().invoke(main, ["taxonomy", "check", str(path), "--json"]).output)
    assert report["valid"] is False
    assert sorted(p["line"] for p in report["problems"]) == [9, 10, 12, 13]


def test_duplicate_keys_and_warnings(tmp_path: Path) -> None:
    path = tmp_path / "odd.yaml"
    path.write_text("name: x\nversion: '1'\ndimensions:\n"
                    "  - id: a\n    label: A\n    description: Words about the first thing people mention.\n"
                    "    seeds: {en: [shared]}\n"
                    "  - id: b\n    label: B\n    description: Words about the second thing people mention.\n"
                    "    seeds: {en: [shared]}\n"
                    "  - id: c\n    label: C\n    description: Words about a third thing with no seeds.\n",
                    encoding="utf-8")
    taxonomy, problems = check_taxonomy_file(path)
    assert taxonomy is not None and all(p.severity == "warning" for p in problems)
    messages = " | ".join(str(p) for p in problems)
    assert "seed 'shared' (en) is in both 'a' and 'b'" in messages and "'c' has no seeds" in messages
    twice = tmp_path / "twice.yaml"
    twice.write_text(path.read_text(encoding="utf-8").replace("    label: B\n", "    label: B\n    label: BB\n"),
                     encoding="utf-8")
    with pytest.raises(TaxonomyError, match=r"line 10: key 'label' is written twice"):
        load_taxonomy(twice)


def test_review_refuses_an_invalid_taxonomy_before_reading_reviews(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN, encoding="utf-8")
    result = CliRunner().invoke(main, ["review", str(tmp_path / "no-such-file.csv"), "--taxonomy", str(path)])
    assert result.exit_code != 0
    assert "--taxonomy" in result.output and "line 9" in result.output and "taxonomy check" in result.output


def test_hotel_is_a_builtin_outside_the_employer_domain() -> None:
    assert "hotel" in BUILTIN_TAXONOMIES
    hotel = load_taxonomy("hotel")
    assert hotel.ids == ("rooms", "cleanliness", "service", "location", "value", "food")
    assert not any(d.maps_to for d in hotel) and all(set(d.seeds) == {"en", "de"} for d in hotel)
    assert is_default(load_taxonomy("default")) and not is_default(hotel)
    shown = _run("taxonomy", "show", "hotel")
    assert shown.exit_code == 0 and "cleanliness  Cleanliness" in shown.output


def test_inline_taxonomies_are_validated_like_files() -> None:
    document = {"name": "inline", "version": "1", "dimensions": [
        {"id": "pay", "label": "Pay", "description": "What people earn and whether it is fair.",
         "maps_to": ["salary"]}]}
    assert resolve_taxonomy(document).ids == ("pay",)
    with pytest.raises(TaxonomyError, match="not a default dimension"):
        resolve_taxonomy({**document, "dimensions": [{**document["dimensions"][0], "maps_to": ["pay"]}]})


def test_api_taxonomy_field_never_names_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from company_reviewer.serve.taxonomy_api import (
        SERVE_TAXONOMIES_ENV,
        request_taxonomy,
        served_taxonomies,
    )

    assert request_taxonomy(None) is None and request_taxonomy("default") is None
    assert request_taxonomy("hotel").name == "hotel"
    mine = tmp_path / "client.yaml"
    _run("taxonomy", "init", str(mine))
    for probe in (str(mine), "/etc/passwd", "../taxonomies/kununu.yaml"):
        with pytest.raises(HTTPException) as caught:
            request_taxonomy(probe)
        assert caught.value.status_code == 422 and "not a taxonomy this server offers" in caught.value.detail
    monkeypatch.setenv(SERVE_TAXONOMIES_ENV, str(mine))
    assert "my-taxonomy" in served_taxonomies()
    assert request_taxonomy("my-taxonomy").ids == ("pay", "onboarding")
    with pytest.raises(HTTPException) as caught:
        request_taxonomy({"name": "x", "version": "1", "dimensions": [{"id": "Bad", "label": "B", "description": ""}]})
    assert caught.value.status_code == 422 and "'id' must match" in caught.value.detail
    with pytest.raises(HTTPException, match="too large"):
        request_taxonomy({"name": "x", "version": "1", "dimensions": [
            {"id": f"d{i}", "label": "D", "description": "A dimension with a long enough text."} for i in range(60)]})
