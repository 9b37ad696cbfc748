"""Training pairs from real Glassdoor companies (read at run time from the shared data).

The key property: a training pair's prompt is exactly what the LLM reviewer sends at inference,
checked by recording the reviewer's real HTTP requests to a local OpenAI-compatible server.
"""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from click.testing import CliRunner
from openai_wire_server import API_KEY, WireServer

from company_reviewer.cli import main
from company_reviewer.data.load import read_reviews
from company_reviewer.finetune import pairs
from company_reviewer.finetune.dataset import message_problems
from company_reviewer.llm.backends.base import get_backend
from company_reviewer.llm.schemas import DimensionParagraph, LLMCompanyReview
from company_reviewer.reviewer.base import get_reviewer
from company_reviewer.reviewer.predict import company_groups

N_COMPANIES, N_REVIEWS = 3, 15
TEXT_FIELDS = ("headline", "pros", "cons", "advice", "text")


@pytest.fixture(scope="module")
def small_csv(shared_data, tmp_path_factory):
    """A few real companies, a few reviews each, in a temporary file (never in the repository)."""
    raw = pd.read_csv(shared_data / "glassdoor" / "reviews.csv.gz", low_memory=False)
    sizes = raw.groupby(["source", "company"]).size()
    chosen = sizes[sizes >= 50].sort_index().index[:N_COMPANIES]
    subset = pd.concat([raw[(raw["source"] == s) & (raw["company"] == c)].head(N_REVIEWS) for s, c in chosen])
    path = tmp_path_factory.mktemp("glassdoor") / "reviews.csv"
    subset.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def groups(small_csv):
    frame, _ = read_reviews(small_csv)
    return company_groups(frame)


@pytest.fixture(scope="module")
def silver(groups):
    return {company: list(pairs.silver_pairs(company, reviews, ("grounded", "single"))) for company, reviews in groups}


def _normal(text: str) -> str:
    return " ".join(text.split())


def test_silver_pairs_are_valid_and_quote_the_reviews_verbatim(groups, silver):
    for company, reviews in groups:
        examples = silver[company]
        grounded = [e for e in examples if e.task.startswith("paragraph:")]
        assert len(grounded) >= 3, f"{company}: only {len(grounded)} dimensions with evidence"
        assert [e.task for e in examples].count("review") == 1
        review_text = _normal(" ".join(str(v) for f in TEXT_FIELDS for v in reviews[f].dropna()))
        for e in examples:
            assert message_problems(e.messages) == []
            target = (DimensionParagraph if e.task != "review" else LLMCompanyReview).model_validate_json(
                e.messages[-1]["content"])
            assert "Estimated rating" not in e.messages[-1]["content"]  # the prompt carries no rating
            if e.task == "review":
                assert target.dimensions
                continue
            excerpts = re.findall(r"^\d+\. \[[+\-~]\] (.+)$", e.messages[1]["content"], flags=re.M)
            assert excerpts
            for excerpt in excerpts:
                assert _normal(excerpt.rstrip("\u2026")) in review_text, excerpt
            # Silver bullets are the embedded writer's verbatim points.
            for bullet in target.pros + target.cons:
                assert _normal(bullet) in review_text, bullet


def test_training_prompts_are_the_llm_reviewers_prompts_and_a_teacher_fills_them(groups, silver):
    company, reviews = groups[0]
    with WireServer() as server:
        options = {"base_url": server.base_url, "api_key": API_KEY, "max_retries": 0}
        get_reviewer("llm:openai:teacher-model", options).review_company(company, reviews)
        inference = [r["messages"] for r in server.state.chat_requests]
        server.state.chat_requests.clear()
        teacher = get_backend("openai:teacher-model", {"base_url": server.base_url, "api_key": API_KEY})
        distilled = list(pairs.teacher_pairs(company, reviews, teacher))
        server.state.chat_requests.clear()
        get_reviewer("llm:openai:teacher-model", {**options, "mode": "single"}).review_company(company, reviews)
        single_inference = server.state.chat_requests[0]["messages"]
    assert [e.messages[:-1] for e in silver[company] if e.task == "review"] == [single_inference]
    training = [e.messages[:-1] for e in silver[company] if e.task != "review"]
    assert inference and training == inference
    assert [e.messages[:-1] for e in distilled] == inference
    for e in distilled:  # the teacher's answers became the targets, validated
        answer = DimensionParagraph.model_validate_json(e.messages[-1]["content"])
        assert answer.summary.startswith("Reviewers discuss ")


def test_gold_paragraph_records_become_targets(groups, tmp_path):
    company, reviews = groups[1]
    gold = tmp_path / "gold.jsonl"
    gold.write_text("\n".join(json.dumps(r) for r in [
        {"company": company, "dimension": "management", "paragraph": "Managers are described as fair. "
         "Several reviewers want clearer goals.", "pros": ["fair managers"], "cons": ["unclear goals"]},
        {"company": company, "dimension": "salary", "paragraph": "Pay is called average."},
        {"company": "Some Other Fictional Co", "dimension": "salary", "paragraph": "Not this company."},
    ]))
    records = pairs.read_gold(gold)
    examples = list(pairs.gold_pairs(company, reviews, records))
    targets = {e.task: json.loads(e.messages[-1]["content"]) for e in examples}
    assert set(targets) <= {"paragraph:management", "paragraph:salary"} and targets
    if "paragraph:management" in targets:
        assert targets["paragraph:management"] == {"summary": "Managers are described as fair. Several reviewers "
                                                   "want clearer goals.", "pros": ["fair managers"],
                                                   "cons": ["unclear goals"]}
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"company": company, "dimension": "parking", "paragraph": "x"}]))
    with pytest.raises(ValueError, match="unknown dimension 'parking'"):
        pairs.read_gold(bad)


def test_cli_data_writes_a_split_without_leakage(small_csv, tmp_path):
    out = tmp_path / "ft"
    result = CliRunner().invoke(main, ["finetune", "data", str(small_csv), "--source", "silver", "--out", str(out),
                                       "--tokenizer", "approx", "--validation-fraction", "0.34", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output.strip().splitlines()[-1])
    train, validation = set(report["companies"]["train"]), set(report["companies"]["validation"])
    assert len(train) == 2 and len(validation) == 1 and not train & validation
    assert report["estimated_cost_usd"] > 0 and not report["rejected"]
    manifest = json.loads((out / "manifest.json").read_text())
    lines = (out / "validation.jsonl").read_text().splitlines()
    assert len(lines) == len(manifest["examples"]["validation"]) == report["counts"]["validation"]
    assert {e["company"] for e in manifest["examples"]["validation"]} == validation
