"""docs/architecture.md stays true: its package map, registry kinds, settings and the functions it
names in the flow of a review are checked against the code, so a rename or a new module fails here
until the page follows."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

import company_reviewer
from company_reviewer import registry
from company_reviewer.config import ENV_VARS

DOC = Path(__file__).resolve().parents[2] / "docs" / "architecture.md"
PACKAGE = Path(company_reviewer.__file__).parent


@pytest.fixture(scope="module")
def doc() -> str:
    return DOC.read_text(encoding="utf-8")


def _section(doc: str, title: str) -> str:
    start = doc.index(f"## {title}\n")
    end = doc.find("\n## ", start + 1)
    return doc[start:] if end < 0 else doc[start:end]


def _first_cells(section: str) -> list[str]:
    """The first cell of every body row of the section's table."""
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return [row.split("|")[1] for row in rows]


def top_level_modules() -> set[str]:
    modules = {p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    return modules | {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}


def test_package_map_lists_every_top_level_module(doc: str) -> None:
    mapped = {name for cell in _first_cells(_section(doc, "Package map")) for name in re.findall(r"`(\w+)`", cell)}
    assert top_level_modules() - mapped == set(), "modules missing from the package map"
    assert mapped - top_level_modules() == set(), "the package map names modules that do not exist"


def test_every_setting_is_documented(doc: str) -> None:
    documented = set(re.findall(r"`(COMPANY_REVIEWER_[A-Z0-9_]+)`", _section(doc, "Settings")))
    assert set(ENV_VARS) - documented == set(), "ENV_VARS missing from docs/architecture.md"
    named_anywhere = set(re.findall(r"\bCOMPANY_REVIEWER_[A-Z0-9_]+", doc))
    assert named_anywhere - set(ENV_VARS) == set(), "docs/architecture.md names variables nothing reads"


def test_registry_kinds_table_is_the_registry(doc: str) -> None:
    kinds = [re.search(r"`(\w+)`", cell).group(1) for cell in _first_cells(_section(doc, "Registry kinds"))]
    assert kinds == list(registry.KINDS)


def _resolve(reference: str) -> object:
    """``reviewer.predict.review_groups`` -> the object (longest importable module, then attributes)."""
    parts = reference.split(".")
    for split in range(len(parts), 0, -1):
        try:
            target: object = importlib.import_module("company_reviewer." + ".".join(parts[:split]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[split:]:
            target = getattr(target, attribute)
        return target
    raise ModuleNotFoundError(reference)


def named_references(doc: str) -> list[str]:
    """Dotted names in backticks that start at a top-level module, e.g. `serve.api.authenticate`."""
    modules = top_level_modules()
    found = []
    for token in re.findall(r"`([^`\s]+)`", doc):
        name = token.removeprefix("company_reviewer.").split("(")[0]
        if re.fullmatch(r"[a-z_0-9]+(\.\w+)+", name) and name.split(".")[0] in modules:
            found.append(name)
    return sorted(set(found))


def test_functions_named_in_the_flows_exist(doc: str) -> None:
    references = named_references(doc)
    assert len(references) >= 20  # the flows name their functions; an empty match would pass anything
    missing = []
    for reference in references:
        try:
            _resolve(reference)
        except (ImportError, AttributeError):
            missing.append(reference)
    assert missing == [], f"docs/architecture.md names what the code does not have: {missing}"
