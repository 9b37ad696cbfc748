"""Chat JSONL validation, token limits, the company split and the cost estimate (fictional text)."""

from __future__ import annotations

import json

import pytest

from company_reviewer.finetune.dataset import ChatExample, build_dataset, message_problems, read_jsonl_messages
from company_reviewer.finetune.targets import TARGETS, Target, get_target, load_targets
from company_reviewer.finetune.tokens import approx_count, smollm2_count

SYSTEM = {"role": "system", "content": "You summarise employee reviews. Reply with JSON only."}


def chat(user: str, answer: str) -> list[dict[str, str]]:
    return [SYSTEM, {"role": "user", "content": user}, {"role": "assistant", "content": answer}]


def example(company: str, i: int, words: int = 8) -> ChatExample:
    user = f"Topic: pay at {company}. Excerpt {i}: " + " ".join(["the canteen serves soup"] * words)
    return ChatExample(company, f"paragraph:d{i}", chat(user, json.dumps({"summary": f"Point {i} about {company}."})))


def test_a_good_example_has_no_problems():
    assert message_problems(chat("Excerpts: [+] free fruit", '{"summary": "Fruit is free."}')) == []
    # Without a system prompt and with several turns it is still valid.
    assert message_problems([{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"},
                             {"role": "user", "content": "c"}, {"role": "assistant", "content": "d"}]) == []


@pytest.mark.parametrize("messages, expected", [
    ([], "non-empty"),
    ([SYSTEM, {"role": "user", "content": "hi"}], "last message must be the assistant"),
    ([SYSTEM, {"role": "user", "content": "  "}, {"role": "assistant", "content": "x"}], "empty"),
    ([SYSTEM, {"role": "bot", "content": "hi"}, {"role": "assistant", "content": "x"}], "role 'bot'"),
    ([{"role": "user", "content": "a"}, {"role": "user", "content": "b"}, {"role": "assistant", "content": "c"}],
     "alternate"),
    ([{"role": "user", "content": "a"}, SYSTEM, {"role": "assistant", "content": "c"}], "system message may only"),
    ([{"role": "assistant", "content": "c"}], "first message after the system prompt"),
    ([SYSTEM, {"role": "user", "content": "a", "metadata": 1}, {"role": "assistant", "content": "c"}],
     "unsupported keys"),
    ([SYSTEM, {"role": "user", "content": ["a"]}, {"role": "assistant", "content": "c"}], "non-string"),
])
def test_bad_examples_are_named(messages, expected):
    problems = message_problems(messages)
    assert any(expected in p for p in problems), problems


def test_token_counters_agree_roughly_and_grow_with_text():
    short, long = chat("one two three", "{}"), chat("one two three " * 100, "{}")
    assert smollm2_count(long) > smollm2_count(short) + 250
    # The approximation is documented as ~4 characters per token: within a factor of 2 on English.
    assert 0.5 < approx_count(long) / smollm2_count(long) < 2.0


def test_build_dataset_splits_by_company_and_rejects_what_the_target_cannot_take(tmp_path):
    companies = [f"Fictional Co {i}" for i in range(12)]
    examples = [example(c, i) for c in companies for i in range(3)]
    examples.append(example(companies[0], 0))  # an exact duplicate
    examples.append(example("Longwinded Ltd", 1, words=400))  # too long for the small target below
    examples.append(ChatExample("Broken Inc", "review", [SYSTEM, {"role": "user", "content": "x"}]))
    target = Target(provider="test", base_model="m", max_tokens_per_example=600, usd_per_million_tokens=2.0,
                    min_examples=50)
    report = build_dataset(examples, tmp_path, target_name="test", target=target, count=approx_count,
                           tokenizer_name="approx", validation_fraction=0.25, epochs=3, random_state=1)

    assert report.duplicates == 1
    assert sorted(r["company"] for r in report.rejected) == ["Broken Inc", "Longwinded Ltd"]
    assert any("exceed the target's limit of 600" in p for r in report.rejected for p in r["problems"])
    train, validation = set(report.companies["train"]), set(report.companies["validation"])
    assert not train & validation and train | validation == set(companies)
    assert len(validation) == 3  # 25% of 12 companies
    assert report.counts == {"train": 27, "validation": 9}
    assert report.warnings and "needs at least 50" in report.warnings[0]

    # The files hold only {"messages": [...]} per line, and each company's lines sit in one file.
    for name in ("train", "validation"):
        lines = (tmp_path / f"{name}.jsonl").read_text().splitlines()
        assert len(lines) == report.counts[name]
        assert all(set(json.loads(line)) == {"messages"} for line in lines)
        text = "\n".join(lines)
        other = validation if name == "train" else train
        assert not any(f"pay at {c}." in text for c in other)
    recount = sum(approx_count(m) for m in read_jsonl_messages(tmp_path / "train.jsonl"))
    assert report.tokens["train"] == recount
    assert report.estimated_cost_usd == pytest.approx(recount * 3 * 2.0 / 1e6, abs=1e-4)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert {e["company"] for e in manifest["examples"]["validation"]} == validation


def test_the_split_is_reproducible_and_seeded(tmp_path):
    examples = [example(f"Co {i}", 0) for i in range(20)]
    kwargs = dict(target_name="t", target=TARGETS["local:smollm2-135m"], count=approx_count, tokenizer_name="approx")
    a = build_dataset(examples, tmp_path / "a", random_state=0, **kwargs)
    b = build_dataset(examples, tmp_path / "b", random_state=0, **kwargs)
    c = build_dataset(examples, tmp_path / "c", random_state=5, **kwargs)
    assert a.companies == b.companies and a.companies != c.companies


def test_targets_table_is_editable_from_a_file(tmp_path):
    override = tmp_path / "targets.yaml"
    override.write_text("openai:gpt-4o-mini:\n  usd_per_million_tokens: 9.5\n"
                        "acme:tiny:\n  provider: acme\n  base_model: tiny-1\n  max_tokens_per_example: 100\n"
                        "  usd_per_million_tokens: 0.1\n")
    table = load_targets(override)
    assert table["openai:gpt-4o-mini"].usd_per_million_tokens == 9.5
    assert table["openai:gpt-4o-mini"].max_tokens_per_example == TARGETS["openai:gpt-4o-mini"].max_tokens_per_example
    assert get_target("acme:tiny", table).max_tokens_per_example == 100
    with pytest.raises(KeyError, match="unknown fine-tuning target"):
        get_target("nope")
