"""The shipped taxonomies and the taxonomy loader."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from company_reviewer.cli.training_data import dimensions
from company_reviewer.taxonomy import (
    DEFAULT_DIMENSION_IDS, TAXONOMY_ENV, Dimension, Taxonomy, load_taxonomy, parse_taxonomy,
)
from company_reviewer.units import KUNUNU_SECTION_LABELS

EXPECTED_DEFAULT = (
    "salary", "benefits", "work_life_balance", "career_growth", "learning_development",
    "management", "culture", "colleagues", "working_conditions", "job_security",
    "diversity_inclusion", "communication",
)
KUNUNU_CATEGORIES = (
    "Arbeitsatmosphäre", "Image", "Work-Life-Balance", "Karriere/Weiterbildung",
    "Gehalt/Sozialleistungen", "Umwelt-/Sozialbewusstsein", "Kollegenzusammenhalt",
    "Umgang mit älteren Kollegen", "Vorgesetztenverhalten", "Arbeitsbedingungen", "Kommunikation",
    "Gleichberechtigung", "Interessante Aufgaben",
)


@pytest.fixture(autouse=True)
def _no_taxonomy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TAXONOMY_ENV, raising=False)


def _write(path: Path, data: object) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _minimal(**overrides: object) -> dict:
    dimension = {"id": "pay", "label": "Pay", "description": "What people earn.", "seeds": {"en": ["pay"]}}
    dimension.update(overrides)
    return {"name": "mine", "version": "0.1", "dimensions": [dimension]}


def test_default_has_the_twelve_dimensions_in_order() -> None:
    taxonomy = load_taxonomy()
    assert taxonomy.ids == EXPECTED_DEFAULT == DEFAULT_DIMENSION_IDS
    assert load_taxonomy("default") == taxonomy
    assert len(taxonomy) == 12 and [d.id for d in taxonomy] == list(EXPECTED_DEFAULT)
    assert taxonomy.name == "default" and taxonomy.version.count(".") == 2


@pytest.mark.parametrize("name", ["default", "kununu", "indeed"])
def test_builtin_dimensions_are_complete(name: str) -> None:
    for dimension in load_taxonomy(name):
        assert dimension.label.strip() and len(dimension.description.split()) >= 10
        assert set(dimension.seeds) == {"en", "de"}
        for language, terms in dimension.seeds.items():
            minimum = 15
            assert minimum <= len(terms) <= 30, (dimension.id, language, len(terms))
            assert all(term == term.lower().strip() and term for term in terms)


@pytest.mark.parametrize("name", ["default", "kununu", "indeed"])
def test_shipped_files_have_no_duplicate_seeds(name: str) -> None:
    path = Path(__file__).parents[2] / "src" / "company_reviewer" / "taxonomies" / f"{name}.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    for dimension in raw["dimensions"]:
        for language, terms in dimension["seeds"].items():
            assert len(terms) == len(set(terms)), (dimension["id"], language)


def test_default_seeds_do_not_overlap_between_dimensions() -> None:
    # A seed in two dimensions would make seed-based weak labels ambiguous.
    for language in ("en", "de"):
        owner: dict[str, str] = {}
        for dimension in load_taxonomy():
            for term in dimension.seeds[language]:
                assert term not in owner, f"{term!r} in {owner.get(term)} and {dimension.id}"
                owner[term] = dimension.id


def test_precise_seed_placement() -> None:
    taxonomy = load_taxonomy()
    expected = {
        "salary": ["pay", "bonus", "underpaid", "gehalt"], "benefits": ["health insurance", "pension"],
        "learning_development": ["training", "mentoring", "weiterbildung"],
        "career_growth": ["promotion", "beförderung"], "management": ["boss", "vorgesetzte"],
        "colleagues": ["coworkers", "kollegen"], "communication": ["transparency", "meetings"],
        "job_security": ["layoffs", "befristet"], "diversity_inclusion": ["discrimination", "women"],
        "working_conditions": ["equipment", "workload", "homeoffice"], "work_life_balance": ["overtime"],
        "culture": ["politics", "values"],
    }
    for dimension_id, terms in expected.items():
        assert set(terms) <= set(taxonomy.get(dimension_id).seed_terms())


def test_kununu_and_indeed_map_onto_default_ids() -> None:
    kununu, indeed = load_taxonomy("kununu"), load_taxonomy("indeed")
    assert tuple(d.label for d in kununu) == KUNUNU_CATEGORIES
    assert set(KUNUNU_CATEGORIES) <= set(KUNUNU_SECTION_LABELS)
    assert len(indeed) == 5
    for taxonomy in (kununu, indeed):
        for dimension in taxonomy:
            assert set(dimension.maps_to) <= set(DEFAULT_DIMENSION_IDS)
    by_label = {d.label: d.maps_to for d in kununu}
    assert by_label["Gehalt/Sozialleistungen"] == ("salary", "benefits")
    assert by_label["Karriere/Weiterbildung"] == ("career_growth", "learning_development")
    assert by_label["Arbeitsatmosphäre"] == ("culture",)
    assert by_label["Umwelt-/Sozialbewusstsein"] == ()
    assert indeed.get("job_security_advancement").maps_to == ("job_security", "career_growth")
    # Every default dimension except job security has a kununu counterpart.
    covered = {target for d in kununu for target in d.maps_to}
    assert covered == set(DEFAULT_DIMENSION_IDS) - {"job_security"}


def test_taxonomy_api() -> None:
    taxonomy = load_taxonomy()
    assert taxonomy.get("salary").label == "Salary" and "salary" in taxonomy
    with pytest.raises(KeyError, match="nonexistent"):
        taxonomy.get("nonexistent")
    assert hash(taxonomy.get("salary")) == hash(load_taxonomy().get("salary"))
    with pytest.raises(AttributeError):
        taxonomy.name = "changed"  # type: ignore[misc]
    with pytest.raises(TypeError):
        taxonomy.get("salary").seeds["en"] = ("x",)  # type: ignore[index]


def test_content_hash_is_stable_and_sensitive() -> None:
    base = load_taxonomy()
    assert base.content_hash() == load_taxonomy().content_hash()
    assert len(base.content_hash()) == 64
    salary = base.get("salary")
    edited = Dimension(salary.id, salary.label, salary.description + " More.", salary.seeds)
    changed = Taxonomy(base.name, base.version, (edited, *base.dimensions[1:]))
    assert changed.content_hash() != base.content_hash()
    assert load_taxonomy("kununu").content_hash() != base.content_hash()


def test_user_yaml_and_json_files_load(tmp_path: Path) -> None:
    yaml_path = _write(tmp_path / "mine.yaml", _minimal(seeds={"en": ["Pay ", "pay", "wage"]}))
    taxonomy = load_taxonomy(yaml_path)
    assert taxonomy.ids == ("pay",) and taxonomy.version == "0.1"
    assert taxonomy.get("pay").seeds["en"] == ("pay", "wage")  # stripped, lower-cased, deduplicated
    json_path = tmp_path / "mine.json"
    json_path.write_text(json.dumps(_minimal()), encoding="utf-8")
    assert load_taxonomy(str(json_path)).ids == ("pay",)


def test_environment_overrides_the_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TAXONOMY_ENV, str(_write(tmp_path / "env.yaml", _minimal())))
    assert load_taxonomy().name == "mine"
    assert load_taxonomy("default").name == "default"  # an explicit name is not overridden
    monkeypatch.setenv(TAXONOMY_ENV, "indeed")
    assert load_taxonomy().name == "indeed"


@pytest.mark.parametrize(("overrides", "problem"), [
    ({"id": "Pay"}, "'id' must match"),
    ({"id": "1pay"}, "'id' must match"),
    ({"label": "  "}, "'label' must be a non-empty string"),
    ({"description": ""}, "'description' must be a non-empty string"),
    ({"seeds": {"en": "pay"}}, "must be a list"),
    ({"seeds": {"English": ["pay"]}}, "not a language code"),
    ({"maps_to": ["Salary"]}, "'maps_to' must be a list of dimension ids"),
    ({"colour": "red"}, "unknown keys"),
])
def test_invalid_dimensions_name_file_and_problem(tmp_path: Path, overrides: dict, problem: str) -> None:
    path = _write(tmp_path / "bad.yaml", _minimal(**overrides))
    with pytest.raises(ValueError, match=problem) as caught:
        load_taxonomy(path)
    assert str(path) in str(caught.value)


def test_invalid_documents(tmp_path: Path) -> None:
    document = _minimal()
    document["dimensions"].append(dict(document["dimensions"][0]))
    with pytest.raises(ValueError, match="duplicate dimension id 'pay'"):
        load_taxonomy(_write(tmp_path / "dup.yaml", document))
    with pytest.raises(ValueError, match="non-empty list"):
        parse_taxonomy({"name": "x", "version": "1", "dimensions": []})
    with pytest.raises(ValueError, match="'name'"):
        parse_taxonomy({"version": "1", "dimensions": [{}]})
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="cannot be parsed"):
        load_taxonomy(broken)
    with pytest.raises(ValueError, match="neither a built-in"):
        load_taxonomy(tmp_path / "missing.yaml")


def test_dimensions_command_table_and_json() -> None:
    runner = CliRunner()
    result = runner.invoke(dimensions, [])
    assert result.exit_code == 0, result.output
    for dimension_id in EXPECTED_DEFAULT:
        assert dimension_id in result.output
    result = runner.invoke(dimensions, ["--json"])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)
    assert [d["id"] for d in listed] == list(EXPECTED_DEFAULT)
    assert {"id", "label", "description", "seeds", "maps_to"} <= set(listed[0])
    kununu = json.loads(runner.invoke(dimensions, ["--taxonomy", "kununu", "--json"]).output)
    assert kununu[4]["maps_to"] == ["salary", "benefits"]
    result = runner.invoke(dimensions, ["--taxonomy", "no-such-taxonomy"])
    assert result.exit_code != 0 and "neither a built-in" in result.output
