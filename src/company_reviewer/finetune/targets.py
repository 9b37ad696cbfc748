"""Where a training file is going: per-target limits and prices, in one editable table.

Prices are USD per million *training* tokens (tokens in the training file times epochs) as the
providers list them for supervised fine-tuning; they change, so check before paying, and edit this
table or pass ``--targets FILE`` (YAML or JSON: ``{name: {field: value}}``) to override or add rows.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class Target(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    provider: str = Field(description="openai, together, fireworks or local.")
    base_model: str
    max_tokens_per_example: int = Field(gt=0, description="Longest example the provider trains on.")
    usd_per_million_tokens: float = Field(ge=0)
    min_examples: int = Field(1, ge=1, description="Fewest training examples the provider accepts.")
    note: str = ""


TARGETS: dict[str, Target] = {
    "openai:gpt-4o-mini": Target(
        provider="openai", base_model="gpt-4o-mini-2024-07-18", max_tokens_per_example=65_536,
        usd_per_million_tokens=3.00, min_examples=10,
        note="self-serve fine-tuning closes to new jobs in January 2027; the same JSONL trains elsewhere",
    ),
    "openai:gpt-4.1-mini": Target(
        provider="openai", base_model="gpt-4.1-mini-2025-04-14", max_tokens_per_example=65_536,
        usd_per_million_tokens=5.00, min_examples=10,
    ),
    "openai:gpt-4.1-nano": Target(
        provider="openai", base_model="gpt-4.1-nano-2025-04-14", max_tokens_per_example=65_536,
        usd_per_million_tokens=1.50, min_examples=10,
    ),
    "together:llama-3.1-8b": Target(
        provider="together", base_model="meta-llama/Meta-Llama-3.1-8B-Instruct-Reference",
        max_tokens_per_example=8_192, usd_per_million_tokens=0.48, note="LoRA, models up to 16B",
    ),
    "fireworks:llama-3.1-8b": Target(
        provider="fireworks", base_model="accounts/fireworks/models/llama-v3p1-8b-instruct",
        max_tokens_per_example=8_192, usd_per_million_tokens=0.50, note="LoRA, models up to 16B",
    ),
    "local:smollm2-135m": Target(
        provider="local", base_model="SmolLM2-135M-Instruct (bundled GGUF)", max_tokens_per_example=8_192,
        usd_per_million_tokens=0.0, note="`finetune lora` on this machine; --max-seq-length truncates further",
    ),
}
DEFAULT_TARGET = "openai:gpt-4o-mini"


def load_targets(path: str | Path | None = None) -> dict[str, Target]:
    """The built-in table, with rows from ``path`` (YAML or JSON) replacing or adding to it."""
    table = dict(TARGETS)
    if path is None:
        return table
    text = Path(path).read_text(encoding="utf-8")
    if str(path).endswith((".yaml", ".yml")):
        import yaml

        rows = yaml.safe_load(text) or {}
    else:
        rows = json.loads(text)
    for name, fields in rows.items():
        base = table[name].model_dump() if name in table else {}
        table[name] = Target(**{**base, **fields})
    return table


def get_target(name: str, table: dict[str, Target] | None = None) -> Target:
    table = table if table is not None else TARGETS
    if name not in table:
        raise KeyError(f"unknown fine-tuning target {name!r}; known: {', '.join(sorted(table))} "
                       "(add one with --targets FILE)")
    return table[name]
