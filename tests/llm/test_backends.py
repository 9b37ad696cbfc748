"""The LLM backends against real parts: llama.cpp in process, llama.cpp's OpenAI-compatible server,
and small local HTTP servers for the error paths (rate limits, a closed port)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from company_reviewer.llm.backends import LLMBackendError, get_backend
from company_reviewer.llm.schemas import DimensionParagraph, LLMCompanyReview, json_schema_for

pytestmark = pytest.mark.llm

MESSAGES = [
    {"role": "system", "content": "Summarise employee opinions on pay as JSON."},
    {"role": "user", "content": "Reviews: 1. The pay is well above market. 2. Raises are small and rare."},
]


def _walk(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


@pytest.mark.parametrize("model", [DimensionParagraph, LLMCompanyReview])
def test_schema_bounds_every_string_and_list(model):
    schema = json_schema_for(model)
    assert "$ref" not in json.dumps(schema) and "$defs" not in schema
    nodes = list(_walk(schema))
    strings = [n for n in nodes if n.get("type") == "string" and "enum" not in n]
    arrays = [n for n in nodes if n.get("type") == "array"]
    assert strings and arrays
    assert all(isinstance(n.get("maxLength"), int) for n in strings)
    assert all(isinstance(n.get("maxItems"), int) for n in arrays)


def test_llamacpp_in_process_returns_schema_valid_json(smollm2_path):
    backend = get_backend("llamacpp", {"n_ctx": 2048})
    completion = backend.complete(MESSAGES, json_schema=json_schema_for(DimensionParagraph), max_tokens=200)
    DimensionParagraph.model_validate_json(completion.text)
    assert completion.prompt_tokens > 10 and completion.completion_tokens > 0
    # Loaded once per path and settings: a second backend reuses the model.
    from company_reviewer.llm.backends.llamacpp import _load

    before = _load.cache_info().hits
    get_backend(f"llamacpp:{smollm2_path}", {"n_ctx": 2048}).complete(MESSAGES, max_tokens=4)
    assert _load.cache_info().hits == before + 1


def test_llamacpp_missing_model_file_says_so(llama_cpp_available, tmp_path):
    with pytest.raises(LLMBackendError, match="does not exist"):
        get_backend(f"llamacpp:{tmp_path / 'nope.gguf'}").complete(MESSAGES, max_tokens=4)


def test_openai_backend_against_llama_server(llama_server):
    backend = get_backend("openai", {"base_url": llama_server})
    completion = backend.complete(MESSAGES, json_schema=json_schema_for(DimensionParagraph), max_tokens=200)
    DimensionParagraph.model_validate_json(completion.text)
    assert completion.completion_tokens > 0
    # llama.cpp's server rejects json_schema; auto switched to json_object with the schema.
    assert backend._format == "json_object"
    plain = get_backend("openai", {"base_url": llama_server, "response_format": "none"})
    assert plain.complete(MESSAGES, max_tokens=8).completion_tokens > 0


class _Flaky(BaseHTTPRequestHandler):
    """Answers 429 (with Retry-After) twice, then a valid chat completion."""

    calls = 0

    def do_POST(self):  # noqa: N802
        type(self).calls += 1
        self.rfile.read(int(self.headers["Content-Length"]))
        if type(self).calls <= 2:
            self.send_response(429)
            self.send_header("Retry-After", "0")
            self.end_headers()
            self.wfile.write(b'{"error": "slow down"}')
            return
        body = json.dumps({"choices": [{"message": {"role": "assistant", "content": "ok"}}],
                           "usage": {"prompt_tokens": 3, "completion_tokens": 1}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_openai_backend_retries_rate_limits_then_gives_a_clear_error():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Flaky)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        ok = get_backend("openai:m", {"base_url": url, "backoff": 0.01, "http_retries": 3})
        assert ok.complete(MESSAGES).text == "ok" and _Flaky.calls == 3
        _Flaky.calls = 0
        impatient = get_backend("openai:m", {"base_url": url, "backoff": 0.01, "http_retries": 1})
        with pytest.raises(LLMBackendError, match="429"):
            impatient.complete(MESSAGES)
    finally:
        server.shutdown()


def test_openai_backend_unreachable_server():
    with __import__("socket").socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    backend = get_backend("openai:m", {"base_url": f"http://127.0.0.1:{port}/v1", "http_retries": 1, "backoff": 0})
    with pytest.raises(LLMBackendError, match="unreachable"):
        backend.complete(MESSAGES)


def test_openai_needs_a_key_for_openai_com(monkeypatch):
    for name in ("OPENAI_API_KEY", "COMPANY_REVIEWER_LLM_API_KEY", "OPENAI_BASE_URL", "COMPANY_REVIEWER_LLM_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(LLMBackendError, match="OPENAI_API_KEY"):
        get_backend("openai:gpt-4o-mini")


@pytest.mark.slow
def test_transformers_backend_loads_the_bundled_gguf_and_generates(smollm2_path):
    # transformers dequantizes the GGUF: the same SmolLM2, no download.
    backend = get_backend("transformers", {"device": "cpu"})
    completion = backend.complete(MESSAGES, json_schema=json_schema_for(DimensionParagraph), max_tokens=24)
    assert completion.completion_tokens > 0 and completion.text.strip()
    assert completion.prompt_tokens > 50  # the schema went into the prompt
