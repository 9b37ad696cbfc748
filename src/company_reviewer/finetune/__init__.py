"""Fine-tuning the LLM reviewer: training pairs, chat-format JSONL, local LoRA and hosted jobs.

- :mod:`.pairs` builds training pairs (gold reviews, a teacher endpoint, or the embedded writer).
- :mod:`.dataset` validates, splits by company, counts tokens and estimates cost, writes JSONL.
- :mod:`.lora` trains a LoRA adapter locally (transformers + peft + trl) and merges it for serving.
- :mod:`.jobs` runs a hosted job through the OpenAI-compatible files/fine-tuning API.
"""
