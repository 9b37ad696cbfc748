"""LoRA on the bundled SmolLM2 (CPU): loss falls on a handful of examples, the adapter loads for
inference, and the merged model reproduces the adapter's outputs."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from company_reviewer.cli import main

pytestmark = pytest.mark.slow
STEPS = 6
TOPICS = [("canteen", "fresh soup daily", "long queues"), ("parking", "free spaces", "far from the door"),
          ("training", "yearly budget", "hard to get approved"), ("tools", "fast laptops", "old phones")]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """Four fictional examples, overfitted for a few steps through the CLI."""
    root = tmp_path_factory.mktemp("lora")
    data = root / "data"
    data.mkdir()
    rows = []
    for topic, pro, con in TOPICS:
        messages = [{"role": "system", "content": "You write one section of an employer review. JSON only."},
                    {"role": "user", "content": f"Topic: {topic}. Excerpts: [+] {pro} [-] {con}"},
                    {"role": "assistant", "content": json.dumps({"summary": f"The {topic} gets praise for {pro} "
                                                                 f"and criticism for {con}.", "pros": [pro],
                                                                 "cons": [con]})}]
        rows.append(json.dumps({"messages": messages}))
    (data / "train.jsonl").write_text("\n".join(rows) + "\n")
    (data / "validation.jsonl").write_text(rows[0] + "\n")
    out = root / "run"
    result = CliRunner().invoke(main, ["finetune", "lora", str(data), "--out", str(out), "--max-steps", str(STEPS),
                                       "--lr", "3e-3", "--max-seq-length", "128", "--batch-size", "2",
                                       "--lora-r", "8", "--random-state", "0", "--threads", "1"])
    assert result.exit_code == 0, result.output
    return out


def test_training_loss_falls_and_is_logged_per_step(run_dir):
    log = [json.loads(line) for line in (run_dir / "training_log.jsonl").read_text().splitlines()]
    losses = [row["loss"] for row in log if "loss" in row]
    assert len(losses) == STEPS
    assert sum(losses[-2:]) / 2 < 0.8 * sum(losses[:2]) / 2, losses
    assert any("eval_loss" in row for row in log)
    card = (run_dir / "MODEL_CARD.md").read_text()
    assert "Training loss (mean of" in card and "Validation loss:" in card and "SmolLM2" in card
    summary = json.loads((run_dir / "training_summary.json").read_text())
    assert summary["steps"] == STEPS and summary["settings"]["lora_r"] == 8


def test_adapter_loads_for_inference_and_merge_matches_it(run_dir, tmp_path):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from company_reviewer.finetune.lora import load_adapter, merge_adapter

    adapted, tokenizer = load_adapter(run_dir)  # base + PeftModel.from_pretrained(run_dir/adapter)
    adapted.eval()
    prompt = tokenizer.apply_chat_template([{"role": "user", "content": "Topic: canteen. Excerpts: [+] soup"}],
                                           add_generation_prompt=True, return_tensors="pt", return_dict=True)
    with torch.no_grad():
        generated = adapted.generate(**prompt, max_new_tokens=4, do_sample=False)
        adapted_logits = adapted(**prompt).logits
        with adapted.disable_adapter():
            base_logits = adapted(**prompt).logits
    assert generated.shape[1] == prompt["input_ids"].shape[1] + 4
    assert not torch.allclose(base_logits, adapted_logits, atol=1e-3)  # training changed the model

    merged_dir = merge_adapter(run_dir, tmp_path / "merged")
    merged = AutoModelForCausalLM.from_pretrained(str(merged_dir)).eval()
    assert AutoTokenizer.from_pretrained(str(merged_dir)).chat_template
    assert "quantization_config" not in json.loads((merged_dir / "config.json").read_text())
    with torch.no_grad():
        assert torch.allclose(merged(**prompt).logits, adapted_logits, atol=1e-3)
