"""docs/demo-review.md is what `make demo` prints: regenerate it with
`company-reviewer review src/company_reviewer/demo/reviews.csv --format markdown --out docs/demo-review.md`."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from company_reviewer.cli import main

DOC = Path(__file__).resolve().parents[2] / "docs" / "demo-review.md"


def test_demo_review_doc_matches_the_demo_output(demo_reviews_path, tmp_path) -> None:
    out = tmp_path / "demo.md"
    result = CliRunner().invoke(main, ["review", str(demo_reviews_path), "--format", "markdown", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8") == DOC.read_text(encoding="utf-8"), (
        "docs/demo-review.md is stale: regenerate it (see this module's docstring)")
    assert "(1 reviews)" not in DOC.read_text(encoding="utf-8")
