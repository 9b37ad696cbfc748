"""LLM reviewers: text generation backends (plugins) and the reviewer that uses them."""
