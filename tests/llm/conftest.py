"""A real llama.cpp server (``python -m llama_cpp.server``) with the bundled SmolLM2 GGUF, started
once per test session on a free local port; tests of the LLM reviewer are skipped, with the reason,
only when llama-cpp-python is not installed."""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time

import httpx
import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def llama_cpp_available() -> None:
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python is not installed: `make setup` builds and installs it")


@pytest.fixture(scope="session")
def smollm2_path(llama_cpp_available):
    from company_reviewer.llm.backends.llamacpp import default_model_path

    return default_model_path()


@pytest.fixture(scope="session")
def llama_server(smollm2_path, tmp_path_factory):
    """Base URL (``http://127.0.0.1:PORT/v1``) of a running llama.cpp server."""
    port = _free_port()
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    threads = str(max(1, (os.cpu_count() or 2) // 2))
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(smollm2_path), "--n_ctx", "4096",
             "--n_threads", threads, "--n_threads_batch", threads, "--host", "127.0.0.1", "--port", str(port)],
            stdout=out, stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                pytest.fail(f"llama.cpp server exited with {process.returncode}:\n{log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{base_url}/models", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"llama.cpp server did not answer within 90 s:\n{log.read_text()[-2000:]}")
            time.sleep(0.3)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
