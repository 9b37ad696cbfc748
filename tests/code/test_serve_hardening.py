"""Serving under abuse (issue 15): models a request may name, concurrent first loads, body limits
and read deadlines, /metrics access, error bodies, and model identity in the cache.

Reviews are the bundled fictional demo companies; servers run on 127.0.0.1 only."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import threading
import time

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from company_reviewer.serve.app import create_app
from company_reviewer.serve.auth import create_key
from company_reviewer.serve.config import ServeSettings
from company_reviewer.store import tables

FAST_MODEL = "baseline:mean"
NORTHWIND = "Northwind Analytics"


@pytest.fixture
def store(sqlite_url, demo_reviews_path):
    from company_reviewer.store.ingest import ingest_paths
    from company_reviewer.store.db import get_engine

    engine = get_engine(sqlite_url)
    ingest_paths([demo_reviews_path], engine)
    return engine


def _settings(engine, **changes) -> ServeSettings:
    base = dict(rate_per_second=1000.0, rate_burst=1000, cache_check_seconds=0.0, key_cache_seconds=0.0,
                model_check_seconds=0.0)
    base.update(changes)
    return ServeSettings.from_env(database_url=engine.url.render_as_string(hide_password=False), **base)


@pytest.fixture
def auth(store) -> dict:
    return {"Authorization": f"Bearer {create_key(store, 'tests')}"}


@pytest.fixture
def client(store):
    with TestClient(create_app(_settings(store)), raise_server_exceptions=False) as test_client:
        yield test_client


# -- 1. models a request may name -----------------------------------------------------------------
@pytest.mark.parametrize("template", ["llm:llamacpp:{}", "llm:transformers:{}", "embedded:{}", "llm:openai:{}"])
def test_a_model_path_is_refused_alike_whether_it_exists_or_not(client, auth, tmp_path, template, monkeypatch):
    existing = tmp_path / "model.gguf"
    existing.write_bytes(b"GGUF not really")
    missing = tmp_path / "no-such-model.gguf"
    loads = []
    monkeypatch.setattr("company_reviewer.serve.service.get_reviewer", lambda *a, **k: loads.append(a) or 1 / 0)
    answers = []
    for path in (existing, missing, "/etc/passwd", "/etc/no-such-file"):
        spec = template.format(path)
        got = client.get(f"/v1/companies/{NORTHWIND}/review", params={"model": spec}, headers=auth)
        posted = client.post("/v1/reviews", headers=auth, json={"company": "A", "model": spec,
                                                                "reviews": [{"text": "Good pay."}]})
        job = client.post("/v1/jobs", headers=auth, json={"companies": [NORTHWIND], "model": spec})
        answers.append([(r.status_code, r.content) for r in (got, posted, job)])
    assert all(a == answers[0] for a in answers)  # no filesystem oracle: one answer for every path
    assert [status for status, _ in answers[0]] == [422, 422, 422]
    detail = json.loads(answers[0][0][1])["detail"]
    assert "not available on this server" in detail and "embedded" in detail and str(tmp_path) not in detail
    assert loads == []  # nothing was loaded, or even looked up


def test_operator_allowed_models_are_served_and_listed(store, auth):
    unloadable = "llm:no-such-backend:/models/q.gguf"
    settings = _settings(store, allowed_models=("baseline:mean", unloadable))
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        listed = client.get("/v1/models", headers=auth).json()["models"]
        assert unloadable in listed and listed[0] == "embedded"
        assert client.get(f"/v1/companies/{NORTHWIND}/review?model=baseline:mean", headers=auth).status_code == 200
        # Allowed by the operator but not loadable here: a 422 that names the failure, not its message.
        bad = client.post("/v1/reviews", headers=auth, json={"company": "A", "reviews": [{"text": "Good pay."}],
                                                             "model": unloadable})
        assert bad.status_code == 422
        assert "cannot be loaded on this server (LLMBackendError)" in bad.json()["detail"]
        assert "available:" not in bad.json()["detail"]


def test_serve_takes_allowed_models_additively(sqlite_url, monkeypatch):
    import pickle

    from click.testing import CliRunner

    from company_reviewer.cli import main
    from company_reviewer.serve.protocol import http_protocol
    from company_reviewer.serve.server import uvicorn_config

    captured = {}
    monkeypatch.setattr("company_reviewer.serve.server.run_server",
                        lambda settings, **kw: captured.update(settings=settings, **kw))
    monkeypatch.setenv("COMPANY_REVIEWER_ALLOWED_MODELS", "llm:openai:gpt-4o-mini")
    monkeypatch.setenv("COMPANY_REVIEWER_MAX_TEXT_CHARS", "1234")
    before = dict(os.environ)
    result = CliRunner().invoke(main, ["serve", "--allow-model", "llm:llamacpp:/m/q.gguf", "--metrics-access",
                                       "loopback", "--workers", "2", "--database", sqlite_url])
    assert result.exit_code == 0, result.output
    assert dict(os.environ) == before  # settings travel in the object, not through the environment
    settings = captured["settings"]
    assert settings.allowed_models == ("llm:openai:gpt-4o-mini", "llm:llamacpp:/m/q.gguf")
    assert settings.metrics_access == "loopback" and settings.max_text_chars == 1234
    assert settings.database_url == sqlite_url and captured["workers"] == 2
    config = uvicorn_config(settings, host="127.0.0.1", port=8000, workers=2)
    assert config.http is http_protocol()  # the protocol with read deadlines
    # Each worker process gets the factory by pickling: it must come back bound to the same settings.
    assert config.factory and pickle.loads(pickle.dumps(config.app)).args == (settings,)


def test_registry_errors_do_not_reveal_the_tracking_database(client, auth, tmp_path, monkeypatch):
    monkeypatch.setenv("COMPANY_REVIEWER_TRACKING_URI", f"sqlite:///{tmp_path / 'secret-place' / 'mlflow.db'}")
    (tmp_path / "secret-place").mkdir()
    for spec in ("champion", "registry:7", "registry:nightly"):
        response = client.get(f"/v1/companies/{NORTHWIND}/review?model={spec}", headers=auth)
        assert response.status_code == 422, response.text
        assert ("secret-place" not in response.text and "mlflow.db" not in response.text
                and "sqlite" not in response.text)
    assert client.get(f"/v1/companies/{NORTHWIND}/review?model=registry:../../etc", headers=auth).status_code == 422


# -- 2. concurrent first loads; every error is JSON {"detail"} ---------------------------------------
def test_concurrent_first_encoder_loads_all_succeed(tmp_path):
    # A fresh interpreter: the race is in the first import of transformers, which this test
    # process may have done already.
    script = textwrap.dedent("""
        import sys, threading
        from company_reviewer.embedding import Encoder, get_encoder
        errors, barrier = [], threading.Barrier(4)
        def run(i):
            barrier.wait()
            try:
                (get_encoder() if i % 2 else Encoder(cache_dir=False)).encode(["Good pay, long hours."])
            except Exception as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
        threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
        [t.start() for t in threads]; [t.join() for t in threads]
        print(errors)
        sys.exit(1 if errors else 0)
    """)
    env = {**os.environ, "COMPANY_REVIEWER_DATA_DIR": str(tmp_path), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]


def test_get_encoder_is_one_instance_across_threads():
    from company_reviewer import embedding

    embedding._default_encoder = None
    seen, barrier = [], threading.Barrier(8)

    def run():
        barrier.wait()
        seen.append(embedding.get_encoder())

    threads = [threading.Thread(target=run) for _ in range(8)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert len({id(e) for e in seen}) == 1


def test_an_internal_error_is_json_detail(client, auth, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("/secret/path exploded")

    monkeypatch.setattr(client.app.state.serving.service, "companies", broken)
    response = client.get("/v1/companies", headers=auth)
    assert response.status_code == 500 and response.headers["content-type"] == "application/json"
    detail = response.json()["detail"]
    assert "internal server error" in detail and "/secret/path" not in detail
    assert response.headers["x-request-id"] in detail


# -- 3. body limits and read deadlines ----------------------------------------------------------------
def test_chunked_body_over_the_limit_is_413(store, auth):
    with TestClient(create_app(_settings(store, max_request_bytes=4000))) as client:
        body = json.dumps({"company": "A", "reviews": [{"text": "x" * 5000}]}).encode()

        def chunks():  # no Content-Length: sent chunked
            for i in range(0, len(body), 1000):
                yield body[i:i + 1000]

        response = client.post("/v1/reviews", headers={**auth, "Content-Type": "application/json"}, content=chunks())
        assert response.status_code == 413 and "too large" in response.json()["detail"]
        small = json.dumps({"company": "A", "model": FAST_MODEL, "reviews": [{"text": "Good pay."}]}).encode()
        ok = client.post("/v1/reviews", headers={**auth, "Content-Type": "application/json"}, content=iter([small]))
        assert ok.status_code == 200
        upload = client.post("/v1/parse", headers=auth, files={"file": ("r.csv", b"text\n" + b"x" * 6000, "text/csv")})
        assert upload.status_code == 413


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(params=["h11", "httptools"])
def live_server(request, store):
    """A real uvicorn server on loopback with 1 s header and 2 s body deadlines."""
    import uvicorn

    from company_reviewer.serve import protocol

    base = protocol.H11Protocol if request.param == "h11" else protocol.HttpToolsProtocol
    if base is None:
        pytest.skip("httptools is not installed")
    cls = type("TestProtocol", (base,), {"header_timeout": 1.0, "body_timeout": 2.0})
    port = _free_port()
    config = uvicorn.Config(create_app(_settings(store, max_request_bytes=100_000)), host="127.0.0.1", port=port,
                            http=cls, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive()
        time.sleep(0.05)
    yield port
    server.should_exit = True
    thread.join(timeout=30)


def _drip(port: int, preamble: bytes, trickle: bytes, n: int = 6, give_up: float = 8.0) -> list[tuple[float, bytes]]:
    """``n`` connections sending a byte every 0.3 s; (seconds until the server closed, its answer)."""
    socks = []
    for _ in range(n):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        sock.sendall(preamble)
        sock.setblocking(False)
        socks.append([sock, time.monotonic(), None, b""])
    position, start = 0, time.monotonic()
    while time.monotonic() - start < give_up and any(s[2] is None for s in socks):
        for entry in socks:
            sock, opened, closed, _ = entry
            if closed is not None:
                continue
            try:
                data = sock.recv(4096)
                if not data:
                    entry[2] = time.monotonic() - opened
                    continue
                entry[3] += data
            except BlockingIOError:
                pass
            except OSError:
                entry[2] = time.monotonic() - opened
                continue
            try:
                sock.send(trickle[position % len(trickle):][:1])
            except OSError:
                entry[2] = time.monotonic() - opened
        position += 1
        time.sleep(0.3)
    for sock, *_ in socks:
        sock.close()
    return [(closed, answer) for _, _, closed, answer in socks]


def test_slow_headers_and_bodies_are_cut_off(live_server, auth):
    headers = f"GET /v1/companies HTTP/1.1\r\nHost: x\r\nAuthorization: {auth['Authorization']}\r\n".encode()
    for closed, answer in _drip(live_server, b"", headers):
        assert closed is not None and closed < 1.0 + 1.0, closed  # header deadline 1 s
        assert answer.startswith(b"HTTP/1.1 408") and b'"detail"' in answer
    body_head = (f"POST /v1/reviews HTTP/1.1\r\nHost: x\r\nAuthorization: {auth['Authorization']}\r\n"
                 "Content-Type: application/json\r\nContent-Length: 5000\r\n\r\n").encode()
    for closed, _answer in _drip(live_server, body_head, b"x" * 100):
        assert closed is not None and closed < 2.0 + 1.0, closed  # body deadline 2 s
    # An idle new connection is closed too, and the server still answers normally afterwards.
    idle = socket.create_connection(("127.0.0.1", live_server), timeout=5)
    started = time.monotonic()
    assert idle.recv(100) == b"" and time.monotonic() - started < 2.5
    idle.close()
    with socket.create_connection(("127.0.0.1", live_server), timeout=10) as sock:
        sock.sendall(headers + b"\r\n")
        assert sock.recv(100).startswith(b"HTTP/1.1 200")


def test_chunked_body_over_the_limit_is_413_on_a_real_server(live_server, auth):
    body = json.dumps({"company": "A", "reviews": [{"text": "x" * 1000}] * 150}).encode()
    request = (f"POST /v1/reviews HTTP/1.1\r\nHost: x\r\nAuthorization: {auth['Authorization']}\r\n"
               "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n").encode()
    request += b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 8192]), body[i:i + 8192])
                        for i in range(0, len(body), 8192)) + b"0\r\n\r\n"
    with socket.create_connection(("127.0.0.1", live_server), timeout=10) as sock:
        try:
            sock.sendall(request)
        except OSError:
            pass
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"too large" in answer


def test_a_malformed_request_gets_json_400(live_server):
    with socket.create_connection(("127.0.0.1", live_server), timeout=10) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost x\r\n\r\n")
        answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 400") and b'{"detail": ' in answer


# -- 4. /metrics ----------------------------------------------------------------------------------------
def test_metrics_need_a_key_by_default(client, auth):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer crk_wrong"}).status_code == 403
    assert "company_reviewer_http_requests_total" in client.get("/metrics", headers=auth).text


@pytest.mark.parametrize("access, host, expected", [
    ("loopback", "127.0.0.1", 200), ("loopback", "10.1.2.3", 403), ("open", "10.1.2.3", 200), ("key", "127.0.0.1", 401),
])
def test_metrics_access_setting(store, access, host, expected):
    with TestClient(create_app(_settings(store, metrics_access=access)), client=(host, 5000)) as client:
        assert client.get("/metrics").status_code == expected


def test_metrics_access_from_the_environment(store, monkeypatch):
    monkeypatch.setenv("COMPANY_REVIEWER_METRICS_ACCESS", "loopback")
    assert ServeSettings.from_env(database_url="sqlite://").metrics_access == "loopback"
    monkeypatch.setenv("COMPANY_REVIEWER_METRICS_ACCESS", "everyone")
    with pytest.raises(ValueError, match="metrics access"):
        ServeSettings.from_env(database_url="sqlite://")


# -- 5. model identity ------------------------------------------------------------------------------------
def test_bundle_version_changes_with_its_weights(tmp_path):
    from company_reviewer.reviewer.embedded.bundle import default_artifact_path, load_bundle

    shipped = load_bundle()
    assert shipped.version.startswith(shipped.manifest["version"] + "+") and len(shipped.version.split("+")[1]) == 12
    copy = tmp_path / "bundle"
    shutil.copytree(default_artifact_path(), copy)
    assert load_bundle(str(copy)).version == shipped.version  # the same weights: the same identity
    (copy / "MODEL_CARD.md").write_text("edited docs")
    load_bundle.cache_clear()
    assert load_bundle(str(copy)).version == shipped.version  # documentation is not weights
    _touch_weights(copy)
    load_bundle.cache_clear()
    assert load_bundle(str(copy)).version != shipped.version


def _touch_weights(folder) -> None:
    path = folder / "mention_rating.json"
    data = json.loads(path.read_text())
    key = next(k for k, v in data.items() if isinstance(v, float))
    data[key] = data[key] + 0.01
    path.write_text(json.dumps(data))


def test_baseline_version_is_its_weights(tmp_path):
    from company_reviewer.reviewer.base import get_reviewer
    from company_reviewer.reviewer.embedded.bundle import default_artifact_path

    shutil.copytree(default_artifact_path() / "baselines", tmp_path / "b")
    reviewer = get_reviewer("baseline:mean", {"artifact": str(tmp_path / "b")})
    before = reviewer.version
    assert before.startswith("1+") and before == get_reviewer("baseline:mean").version
    means = json.loads((tmp_path / "b" / "mean.json").read_text())
    (tmp_path / "b" / "mean.json").write_text(json.dumps({k: v + 0.1 for k, v in means.items()}))
    assert reviewer.version != before
    assert (get_reviewer("baseline:tfidf", {"artifact": str(tmp_path / "b")}).version
            == get_reviewer("baseline:tfidf").version)


@pytest.mark.slow  # runs the embedded model twice (a few seconds each)
def test_a_reinstalled_bundle_is_served_without_a_restart(store, auth, tmp_path, monkeypatch):
    from company_reviewer.reviewer.embedded import bundle

    copy = tmp_path / "installed"
    shutil.copytree(bundle.default_artifact_path(), copy)
    monkeypatch.setattr(bundle, "default_artifact_path", lambda: copy)
    bundle.load_bundle.cache_clear()
    url = f"/v1/companies/{NORTHWIND}/review?model=embedded&max_reviews=10"
    with TestClient(create_app(_settings(store))) as client:
        first = client.get(url, headers=auth)
        assert first.status_code == 200 and first.headers["x-cache"] == "miss"
        version = first.json()["model"]["version"]
        assert client.get(url, headers=auth).headers["x-cache"] == "hit"
        _touch_weights(copy)  # `train --install` over the running server's bundle
        second = client.get(url, headers=auth)
        assert second.headers["x-cache"] == "miss"
        assert (second.json()["model"]["version"] not in (version, "")
                and second.json()["model"]["version"].startswith("0."))
        client.app.state.serving.service.log.flush()
        with store.connect() as connection:
            logged = connection.execute(sa.select(tables.prediction_log.c.model_version)
                                        .order_by(tables.prediction_log.c.id)).scalars().all()
            cached = connection.execute(sa.select(tables.review_cache.c.model_version)).scalars().all()
    assert logged == [version, version, second.json()["model"]["version"]]
    assert cached == [second.json()["model"]["version"]]
    bundle.load_bundle.cache_clear()


@pytest.mark.slow  # MLflow and two embedded reviews
def test_a_newly_promoted_champion_is_served_without_a_restart(store, auth, tmp_path, monkeypatch):
    from company_reviewer import tracking
    from company_reviewer.reviewer.embedded.bundle import default_artifact_path, load_bundle

    monkeypatch.setenv("COMPANY_REVIEWER_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    monkeypatch.setenv("COMPANY_REVIEWER_DATA_DIR", str(tmp_path / "data"))
    one, two = tmp_path / "one", tmp_path / "two"
    shutil.copytree(default_artifact_path(), one)
    shutil.copytree(default_artifact_path(), two)
    _touch_weights(two)
    tracking.register_model(one, alias="champion")
    url = f"/v1/companies/{NORTHWIND}/review?model=champion&max_reviews=10"
    with TestClient(create_app(_settings(store))) as client:
        first = client.get(url, headers=auth)
        assert first.status_code == 200, first.text
        assert client.get(url, headers=auth).headers["x-cache"] == "hit"
        tracking.register_model(two, alias="champion")  # `models promote` / `retrain` while serving
        second = client.get(url, headers=auth)
        assert second.status_code == 200 and second.headers["x-cache"] == "miss"
        assert second.json()["model"]["version"] != first.json()["model"]["version"]
    load_bundle.cache_clear()
