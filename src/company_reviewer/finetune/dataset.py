"""Chat-format fine-tuning files: validate, split by company, count tokens, estimate cost, write.

One line per example, ``{"messages": [{"role": ..., "content": ...}, ...]}``: the format OpenAI,
Together and Fireworks all accept for conversational supervised fine-tuning. Nothing else goes on
the line (OpenAI rejects unknown keys), so which company an example came from is kept in
``manifest.json`` beside the files.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from company_reviewer.finetune.targets import Target
from company_reviewer.finetune.tokens import TokenCounter

ROLES = ("system", "user", "assistant")
ALLOWED_MESSAGE_KEYS = {"role", "content", "name", "weight"}


@dataclass(frozen=True)
class ChatExample:
    """One training example and where it came from (kept out of the JSONL line)."""

    company: str
    task: str  # "paragraph:<dimension id>" (grounded) or "review" (single)
    messages: list[dict[str, str]]

    def line(self) -> str:
        return json.dumps({"messages": self.messages}, ensure_ascii=False)


def message_problems(messages) -> list[str]:
    """What makes ``messages`` unusable for chat fine-tuning (empty list: nothing)."""
    if not isinstance(messages, list) or not messages:
        return ["messages must be a non-empty list"]
    problems = []
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            problems.append(f"message {i} is not an object")
            continue
        if message.get("role") not in ROLES:
            problems.append(f"message {i} has role {message.get('role')!r}; use one of {', '.join(ROLES)}")
        extra = set(message) - ALLOWED_MESSAGE_KEYS
        if extra:
            problems.append(f"message {i} has unsupported keys {sorted(extra)}")
        content = message.get("content")
        if not isinstance(content, str) or not content.strip():
            problems.append(f"message {i} ({message.get('role')}) has empty or non-string content")
    if problems:
        return problems
    roles = [m["role"] for m in messages]
    turns = roles[1:] if roles[0] == "system" else roles
    if "system" in turns:
        problems.append("a system message may only come first")
    if not turns or turns[0] != "user":
        problems.append("the first message after the system prompt must be from the user")
    if any(a == b for a, b in zip(turns, turns[1:])):
        problems.append("user and assistant messages must alternate")
    if roles[-1] != "assistant":
        problems.append("the last message must be the assistant's (the target to learn)")
    return problems


@dataclass
class ValidationReport:
    """Per-split counts, tokens and cost; the examples that failed and why."""

    target: str
    tokenizer: str
    epochs: int
    counts: dict[str, int] = field(default_factory=dict)
    companies: dict[str, list[str]] = field(default_factory=dict)
    tokens: dict[str, int] = field(default_factory=dict)
    max_tokens: dict[str, int] = field(default_factory=dict)
    rejected: list[dict] = field(default_factory=list)
    duplicates: int = 0
    warnings: list[str] = field(default_factory=list)
    estimated_cost_usd: float = 0.0

    def as_dict(self) -> dict:
        return asdict(self)


def validate_examples(
    examples: list[ChatExample], target: Target, count: TokenCounter
) -> tuple[list[tuple[ChatExample, int]], list[dict]]:
    """Examples that pass, with their token counts, and the rejected ones with reasons."""
    kept, rejected = [], []
    for index, example in enumerate(examples):
        problems = message_problems(example.messages)
        n_tokens = 0
        if not problems:
            n_tokens = count(example.messages)
            if n_tokens > target.max_tokens_per_example:
                problems.append(f"{n_tokens} tokens exceed the target's limit of {target.max_tokens_per_example}")
        if problems:
            rejected.append({"index": index, "company": example.company, "task": example.task,
                             "problems": problems})
        else:
            kept.append((example, n_tokens))
    return kept, rejected


def split_examples(
    examples: list[ChatExample], validation_fraction: float = 0.15, random_state: int = 0
) -> dict[str, list[ChatExample]]:
    """Train/validation by company: every example of a company lands in the same split."""
    from company_reviewer.sampling import split_by_company

    companies = sorted({e.company for e in examples})
    if validation_fraction <= 0 or len(companies) < 2:
        return {"train": list(examples), "validation": []}
    assignment = split_by_company(companies, (1 - validation_fraction, validation_fraction),
                                  random_state=random_state, names=("train", "validation"))
    return {name: [e for e in examples if assignment[e.company] == name] for name in ("train", "validation")}


def build_dataset(
    examples: list[ChatExample],
    out_dir: str | Path,
    *,
    target_name: str,
    target: Target,
    count: TokenCounter,
    tokenizer_name: str,
    validation_fraction: float = 0.15,
    epochs: int = 3,
    random_state: int = 0,
) -> ValidationReport:
    """Validate, de-duplicate, split by company, write ``train.jsonl``/``validation.jsonl`` and
    ``manifest.json`` under ``out_dir``; the report says what was kept, dropped and what it costs."""
    report = ValidationReport(target=target_name, tokenizer=tokenizer_name, epochs=epochs)
    kept, report.rejected = validate_examples(examples, target, count)
    seen: set[str] = set()
    unique: list[ChatExample] = []
    tokens_of: dict[int, int] = {}
    for example, n_tokens in kept:
        digest = hashlib.sha256(example.line().encode()).hexdigest()
        if digest in seen:
            report.duplicates += 1
            continue
        seen.add(digest)
        tokens_of[id(example)] = n_tokens
        unique.append(example)
    splits = split_examples(unique, validation_fraction, random_state)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name, chosen in splits.items():
        (out / f"{name}.jsonl").write_text("".join(e.line() + "\n" for e in chosen), encoding="utf-8")
        report.counts[name] = len(chosen)
        report.companies[name] = sorted({e.company for e in chosen})
        report.tokens[name] = sum(tokens_of[id(e)] for e in chosen)
        report.max_tokens[name] = max((tokens_of[id(e)] for e in chosen), default=0)
    report.estimated_cost_usd = round(report.tokens["train"] * epochs * target.usd_per_million_tokens / 1e6, 4)
    if report.counts["train"] < target.min_examples:
        report.warnings.append(f"{report.counts['train']} training examples; {target_name} needs at least "
                               f"{target.min_examples}")
    if not report.counts["validation"]:
        report.warnings.append("no validation split (fewer than two companies, or --validation-fraction 0)")
    tasks = Counter(e.task.split(":")[0] for e in unique)
    manifest = {**report.as_dict(), "tasks": dict(tasks),
                "examples": {name: [{"company": e.company, "task": e.task} for e in chosen]
                             for name, chosen in splits.items()}}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
    return report


def read_jsonl_messages(path: str | Path) -> list[list[dict[str, str]]]:
    """The ``messages`` of every line of a chat JSONL file (for training and re-validation)."""
    rows = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line)["messages"])
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: not a chat example ({{\"messages\": [...]}}): {exc}") from exc
    return rows
