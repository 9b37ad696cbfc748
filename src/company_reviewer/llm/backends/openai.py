"""Any OpenAI-compatible chat endpoint over HTTP: OpenAI, vLLM, Ollama, llama.cpp's server,
Together, Fireworks. Plain httpx, no SDK.

Base URL, model and key come from options, else the environment: ``COMPANY_REVIEWER_LLM_BASE_URL``
/ ``OPENAI_BASE_URL`` (default ``https://api.openai.com/v1``), ``COMPANY_REVIEWER_LLM_API_KEY`` /
``OPENAI_API_KEY``, ``COMPANY_REVIEWER_LLM_MODEL``; without a model, the server's first listed model
is used (what a single-model server such as llama.cpp's or vLLM's wants).

Structured output differs between servers: OpenAI and vLLM take ``response_format`` of type
``json_schema``; llama.cpp's server takes ``json_object`` with a ``schema`` and rejects
``json_schema``. ``response_format=auto`` tries ``json_schema`` and switches to ``json_object``
for good when the server rejects it.
"""

from __future__ import annotations

import random
import time
from typing import Any, Literal

from pydantic import Field, SecretStr

from company_reviewer.config import Settings
from company_reviewer.llm.backends.base import BackendOptions, Completion, LLMBackend, LLMBackendError

DEFAULT_BASE_URL = "https://api.openai.com/v1"
_RETRY_STATUS = {408, 409, 429, 500, 502, 503, 504}


class OpenAIOptions(BackendOptions):
    base_url: str | None = Field(None, description="e.g. http://127.0.0.1:8080/v1; default from the environment.")
    api_key: SecretStr | None = Field(None, description="Default from COMPANY_REVIEWER_LLM_API_KEY / OPENAI_API_KEY.")
    response_format: Literal["auto", "json_schema", "json_object", "none"] = "auto"
    timeout: float = Field(120.0, gt=0, description="Seconds per request.")
    http_retries: int = Field(4, ge=0, le=20, description="Retries on 429, 5xx and connection errors.")
    backoff: float = Field(1.0, ge=0, description="First retry delay in seconds; doubles each time.")
    seed: int | None = 0


class OpenAIBackend(LLMBackend):
    name = "openai"
    Options = OpenAIOptions

    def __init__(self, options=None, model: str | None = None):
        super().__init__(options, model)
        o, settings = self.options, Settings.from_env()
        self.base_url = (o.base_url or settings.llm_base_url or DEFAULT_BASE_URL).rstrip("/")
        key = o.api_key.get_secret_value() if o.api_key else settings.llm_api_key
        if not key and self.base_url == DEFAULT_BASE_URL:
            raise LLMBackendError("no API key for api.openai.com: set OPENAI_API_KEY or pass --option api_key=...")
        self._headers = {"Authorization": f"Bearer {key}"} if key else {}
        self.model = model or settings.llm_model
        self._format = o.response_format
        self._client = None

    @property
    def client(self):
        import httpx

        if self._client is None:
            self._client = httpx.Client(base_url=self.base_url, headers=self._headers, timeout=self.options.timeout)
        return self._client

    def _request(self, method: str, path: str, payload: dict | None = None, retries: int | None = None) -> dict:
        import httpx

        delay = self.options.backoff
        retries = self.options.http_retries if retries is None else retries
        for attempt in range(retries + 1):
            last = attempt == retries
            try:
                response = self.client.request(method, path, json=payload)
            except httpx.TransportError as exc:
                if last:
                    raise LLMBackendError(f"{self.base_url} unreachable ({exc.__class__.__name__}: {exc}); "
                                          "is the server running and the base_url right?") from exc
            else:
                if response.status_code < 400:
                    return response.json()
                if response.status_code not in _RETRY_STATUS or last:
                    raise _HTTPError(response.status_code, response.text[:500])
                retry_after = response.headers.get("retry-after")
                if retry_after and retry_after.replace(".", "", 1).isdigit():
                    delay = max(delay, float(retry_after))
            time.sleep(delay * (1 + 0.1 * random.random()))
            delay *= 2
        raise AssertionError("unreachable")

    def default_model(self) -> str:
        try:
            models = self._request("GET", "/models").get("data") or []
        except _HTTPError as exc:
            raise LLMBackendError(f"no model given and {self.base_url}/models failed ({exc}); "
                                  "name one: --model llm:openai:MODEL") from exc
        if not models:
            raise LLMBackendError(f"{self.base_url} lists no models; name one: --model llm:openai:MODEL")
        return str(models[0]["id"])

    def _response_format(self, kind: str, schema: dict[str, Any]) -> dict[str, Any]:
        if kind == "json_object":
            return {"type": "json_object", "schema": schema}
        return {"type": "json_schema", "json_schema": {"name": "output", "schema": schema, "strict": False}}

    def complete(
        self,
        messages: list[dict[str, str]],
        *,
        json_schema: dict[str, Any] | None = None,
        max_tokens: int = 512,
        temperature: float = 0.0,
    ) -> Completion:
        if not self.model:
            self.model = self.default_model()
        payload: dict[str, Any] = {"model": self.model, "messages": messages, "max_tokens": max_tokens,
                                   "temperature": temperature}
        if self.options.seed is not None:
            payload["seed"] = self.options.seed
        kind = self._format
        if json_schema is not None and kind != "none":
            payload["response_format"] = self._response_format("json_schema" if kind == "auto" else kind, json_schema)
        probing = kind == "auto" and json_schema is not None
        try:
            # A server that rejects json_schema may say so with a 500 (llama.cpp's does): no retries
            # for the probe, so the switch is immediate.
            data = self._request("POST", "/chat/completions", payload, retries=0 if probing else None)
        except _HTTPError as exc:
            if probing and _rejects_json_schema(exc):
                self._format = "json_object"  # for good: the server will not change its mind
                payload["response_format"] = self._response_format("json_object", json_schema)
            elif not (probing and exc.status in _RETRY_STATUS):
                raise LLMBackendError(f"{self.base_url}/chat/completions: {exc}") from exc
            try:
                data = self._request("POST", "/chat/completions", payload)
            except _HTTPError as exc2:
                raise LLMBackendError(f"{self.base_url}/chat/completions: {exc2}") from exc2
        else:
            if probing:
                self._format = "json_schema"
        try:
            text = data["choices"][0]["message"].get("content") or ""
        except (KeyError, IndexError, TypeError) as exc:
            raise LLMBackendError(f"{self.base_url} answered without a choice: {str(data)[:300]}") from exc
        usage = data.get("usage") or {}
        return Completion(text=text, prompt_tokens=int(usage.get("prompt_tokens") or 0),
                          completion_tokens=int(usage.get("completion_tokens") or 0))


def _rejects_json_schema(exc: "_HTTPError") -> bool:
    return exc.status in (400, 422, 500) and ("json_schema" in exc.body or "response_format" in exc.body)


class _HTTPError(LLMBackendError):
    def __init__(self, status: int, body: str):
        super().__init__(f"HTTP {status}: {body}")
        self.status = status
        self.body = body
