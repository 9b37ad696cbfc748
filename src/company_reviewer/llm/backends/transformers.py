"""A local Hugging Face causal LM (a model directory, e.g. a merged fine-tune), GPU when present.

Generation is plain (greedy at temperature 0) with the model's chat template; JSON comes from the
prompt alone, so the reviewer's validation and retries do the rest. Without a model directory the
bundled SmolLM2 GGUF is loaded (transformers dequantizes it), which needs no download.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import Field

from company_reviewer.llm.backends.base import BackendOptions, Completion, LLMBackend, LLMBackendError, file_identity


class TransformersOptions(BackendOptions):
    device: str | None = Field(None, description="cuda, cpu, ...; default: cuda when available.")
    dtype: str = Field("auto", description="auto (bf16 on GPU, fp32 on CPU), float32, bfloat16, float16.")
    seed: int = 0


@lru_cache(maxsize=2)
def _load(source: str, gguf_file: str | None, device: str, dtype: str):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch_dtype = (torch.bfloat16 if device.startswith("cuda") else torch.float32) if dtype == "auto" \
        else getattr(torch, dtype)
    kwargs = {"gguf_file": gguf_file} if gguf_file else {}
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, **kwargs)
        model = AutoModelForCausalLM.from_pretrained(source, dtype=torch_dtype, **kwargs).to(device)
    except (OSError, ValueError) as exc:
        raise LLMBackendError(f"transformers could not load {source}: {exc}; give a local model directory "
                              "(config.json, tokenizer, weights): --model llm:transformers:/path/dir") from exc
    model.eval()
    return tokenizer, model, threading.Lock()


class TransformersBackend(LLMBackend):
    name = "transformers"
    Options = TransformersOptions

    def _resolve(self) -> tuple[str, str | None]:
        if not self.model:
            from company_reviewer.llm.backends.llamacpp import default_model_path

            path = default_model_path()
            return str(path.parent), path.name
        path = Path(self.model).expanduser()
        if path.is_file() and path.suffix == ".gguf":
            return str(path.parent), path.name
        if not path.is_dir():
            raise LLMBackendError(f"model directory {path} does not exist (nothing is downloaded)")
        return str(path), None

    def identity(self) -> str:
        try:
            source, gguf_file = self._resolve()
        except LLMBackendError:
            return ""
        return file_identity(Path(source) / gguf_file if gguf_file else source)

    def parameter_count(self) -> int | None:
        import torch

        from company_reviewer.embedding import MODEL_LOAD_LOCK

        device = self.options.device or ("cuda" if torch.cuda.is_available() else "cpu")
        try:
            with MODEL_LOAD_LOCK:
                _, model, _ = _load(*self._resolve(), device, self.options.dtype)
        except LLMBackendError:
            return None
        return int(model.num_parameters())

    def complete(
        self,
        messages: list[dict[str, str]],
        *,
        json_schema: dict[str, Any] | None = None,
        max_tokens: int = 512,
        temperature: float = 0.0,
    ) -> Completion:
        import torch

        if json_schema is not None:
            # No grammar here: the schema goes into the prompt, validation catches the rest.
            import json

            hint = "Answer with one JSON object matching this JSON schema: " + json.dumps(json_schema)
            messages = [{**m, "content": m["content"] + "\n" + hint} if m["role"] == "system" else m
                        for m in messages]
        device = self.options.device or ("cuda" if torch.cuda.is_available() else "cpu")
        from company_reviewer.embedding import MODEL_LOAD_LOCK

        # Importing transformers from two threads at once fails in one of them: load under the lock.
        with MODEL_LOAD_LOCK:
            tokenizer, model, lock = _load(*self._resolve(), device, self.options.dtype)
        inputs = tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt",
                                               return_dict=True).to(device)
        sampling = {"do_sample": True, "temperature": temperature} if temperature > 0 else {"do_sample": False}
        with lock, torch.inference_mode():
            torch.manual_seed(self.options.seed)
            output = model.generate(**inputs, max_new_tokens=max_tokens,
                                    pad_token_id=tokenizer.pad_token_id or tokenizer.eos_token_id, **sampling)
        new_tokens = output[0, inputs["input_ids"].shape[1]:]
        return Completion(text=tokenizer.decode(new_tokens, skip_special_tokens=True),
                          prompt_tokens=int(inputs["input_ids"].shape[1]), completion_tokens=int(len(new_tokens)))
