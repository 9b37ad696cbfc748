"""Abuse of the API over loopback, bounded in time: the defects of issue 15, measured.

    .venv/bin/python bench/api_abuse.py [--concurrent 8] [--slow 30] [--header-timeout 5]
                                        [--body-timeout 8] [--json]

A fresh server (``company-reviewer serve``, its own process, a temporary data directory and SQLite
store with the bundled fictional demo companies) is started for the run; nothing leaves 127.0.0.1.

* **first requests**: as soon as ``/healthz`` answers, ``--concurrent`` clients at once send the
  server's first model requests (``POST /v1/reviews`` with the embedded model, half of them;
  ``GET /v1/companies/{c}/review`` and ``POST /v1/chat``, the rest): the encoder and the model load
  lazily under those requests. Goal: 0 errors, every error body JSON ``{"detail"}``.
* **oversized bodies**: chunked bodies (no Content-Length) and declared ones over
  ``COMPANY_REVIEWER_MAX_REQUEST_BYTES`` (set to 200 kB here). Goal: every one answered 413.
* **slow connections**: ``--slow`` connections that send one byte of a request every 2 s
  (headers), and as many that send their headers and then one byte of body every 2 s. Goal: each
  closed by the server within its timeout (plus a second of slack), none left open at the end.
* **model-spec probe**: ``?model=llm:llamacpp:PATH`` and ``llm:transformers:PATH`` for a path that
  exists and one that does not. Goal: 4xx, and the same status and body for both paths.

Prints one line per figure (or one JSON object with ``--json``); exit status 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

COMPANY = "Northwind Analytics"
MAX_BODY = 200_000


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _request(method: str, url: str, key: str, body: dict | None = None, timeout: float = 300) -> tuple[int, bytes]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except (OSError, TimeoutError) as exc:
        return -1, f"{type(exc).__name__}: {exc}".encode()


def _is_detail_json(body: bytes) -> bool:
    try:
        return isinstance(json.loads(body).get("detail"), str)
    except (ValueError, AttributeError):
        return False


def _start_server(folder: Path, port: int, args) -> tuple[subprocess.Popen, str, list[dict]]:
    env = {**os.environ, "COMPANY_REVIEWER_DATA_DIR": str(folder), "HF_HUB_OFFLINE": "1",
           "TRANSFORMERS_OFFLINE": "1", "COMPANY_REVIEWER_MAX_REQUEST_BYTES": str(MAX_BODY),
           "COMPANY_REVIEWER_HEADER_TIMEOUT_SECONDS": str(args.header_timeout),
           "COMPANY_REVIEWER_BODY_TIMEOUT_SECONDS": str(args.body_timeout),
           "COMPANY_REVIEWER_RATE_PER_SECOND": "100000", "COMPANY_REVIEWER_RATE_BURST": "100000"}
    os.environ.update(env)
    from importlib import resources

    from company_reviewer.store.ingest import ingest_paths
    from company_reviewer.data.load import read_reviews
    from company_reviewer.serve.auth import create_key
    from company_reviewer.store.db import get_engine

    url = f"sqlite:///{folder / 'store.sqlite'}"
    demo = Path(str(resources.files("company_reviewer") / "demo" / "reviews.csv"))
    engine = get_engine(url)
    ingest_paths([demo], engine)
    key = create_key(engine, "bench")
    frame, _ = read_reviews(demo)
    rows = frame[frame["company"] == COMPANY].astype(object).to_dict("records")
    payload = [{k: (str(v)[:10] if k == "date" else v) for k, v in row.items()
                if v is not None and v == v and v != {} and k != "company"} for row in rows]
    log = open(folder / "server.log", "wb")
    process = subprocess.Popen([sys.executable, "-m", "company_reviewer.cli", "serve", "--port", str(port),
                                "--no-access-log", "--database", url], env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while True:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with {process.returncode}:\n"
                             f"{(folder / 'server.log').read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                break
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit("the server did not answer within 120 s") from None
            time.sleep(0.1)
    return process, key, payload


def first_requests(base: str, key: str, payload: list[dict], n: int) -> dict:
    company = urllib.parse.quote(COMPANY)
    calls = []
    for i in range(n):
        if i % 2 == 0:
            calls.append(("POST", f"{base}/v1/reviews", {"company": COMPANY, "reviews": payload[:30]}))
        elif i % 4 == 1:
            calls.append(("GET", f"{base}/v1/companies/{company}/review", None))
        else:
            calls.append(("POST", f"{base}/v1/chat", {"company": COMPANY, "question": "Is the pay good?"}))
    barrier = threading.Barrier(n)

    def run(call):
        barrier.wait()
        started = time.perf_counter()
        status, body = _request(*call[:2], key, call[2])
        return status, body, time.perf_counter() - started

    with concurrent.futures.ThreadPoolExecutor(n) as pool:
        results = list(pool.map(run, calls))
    errors = [(s, b[:200].decode("utf-8", "replace")) for s, b, _ in results if not 200 <= s < 300]
    return {"requests": n, "errors": len(errors), "error_samples": errors[:3],
            "non_json_errors": sum(1 for s, b, _ in results if not 200 <= s < 300 and not _is_detail_json(b)),
            "slowest_s": round(max(t for *_, t in results), 1)}


def _raw(port: int, data: bytes, timeout: float = 30) -> tuple[int, bytes]:
    """Send ``data`` as is; (status, body) of the answer, or (-1, b"") when the server closed first."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sock.sendall(data)
        except OSError:
            pass  # the server answered and closed while the body was still going out
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except OSError:
            pass
    if not answer.startswith(b"HTTP/1.1 "):
        return -1, answer
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def oversized(port: int, key: str, n: int = 5) -> dict:
    body = json.dumps({"company": "A", "reviews": [{"text": "x" * 1000}] * (MAX_BODY // 900)}).encode()
    head = (f"POST /v1/reviews HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {key}\r\n"
            "Content-Type: application/json\r\n").encode()
    chunked = head + b"Transfer-Encoding: chunked\r\n\r\n" + b"".join(
        b"%x\r\n%s\r\n" % (len(body[i:i + 16384]), body[i:i + 16384])
        for i in range(0, len(body), 16384)) + b"0\r\n\r\n"
    declared = head + f"Content-Length: {len(body)}\r\n\r\n".encode() + body
    statuses = {"chunked": [_raw(port, chunked)[0] for _ in range(n)],
                "content_length": [_raw(port, declared)[0] for _ in range(n)]}
    return {"body_bytes": len(body), "limit_bytes": MAX_BODY, **statuses,
            "all_413": all(s == 413 for v in statuses.values() for s in v)}


def slow_connections(port: int, key: str, n: int, timeout: float, kind: str, drip: float = 2.0,
                     give_up: float = 60.0) -> dict:
    """``n`` connections dripping a byte every ``drip`` s; seconds until the server closed each."""
    if kind == "headers":
        preamble, trickle = b"", ("GET /v1/companies HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                  f"Authorization: Bearer {key}\r\n").encode()
    else:
        preamble = (f"POST /v1/reviews HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {key}\r\n"
                    "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n").encode()
        trickle = b"x" * 1000
    socks, opened = [], []
    for _ in range(n):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        sock.setblocking(False)
        if preamble:
            sock.sendall(preamble)
        socks.append(sock)
        opened.append(time.monotonic())
    closed_after: list[float | None] = [None] * n
    statuses: list[bytes] = [b""] * n
    start = time.monotonic()
    position, next_drip = 0, start
    while time.monotonic() - start < give_up and any(c is None for c in closed_after):
        drip_now = time.monotonic() >= next_drip
        for i, sock in enumerate(socks):
            if closed_after[i] is not None:
                continue
            try:
                data = sock.recv(4096)
                if data:
                    statuses[i] += data
                else:
                    closed_after[i] = time.monotonic() - opened[i]
                continue
            except BlockingIOError:
                pass
            except OSError:
                closed_after[i] = time.monotonic() - opened[i]
                continue
            if drip_now:
                try:
                    sock.send(trickle[position % len(trickle):position % len(trickle) + 1])
                except OSError:
                    closed_after[i] = time.monotonic() - opened[i]
        if drip_now:
            position, next_drip = position + 1, next_drip + drip
        time.sleep(0.05)
    for sock in socks:
        sock.close()
    done = [c for c in closed_after if c is not None]
    answered = [s.split(b" ")[1].decode() for s in statuses if s.startswith(b"HTTP/1.1 ")]
    return {"connections": n, "timeout_s": timeout, "closed": len(done), "still_open": n - len(done),
            "max_s_to_close": round(max(done), 1) if done else None,
            "answers": {code: answered.count(code) for code in sorted(set(answered))},
            "within_timeout": len(done) == n and max(done) <= timeout + 1.0}


def model_probe(base: str, key: str) -> dict:
    company = urllib.parse.quote(COMPANY)
    existing, missing = "/etc/passwd", "/etc/no-such-file-company-reviewer"
    out = {}
    for family in ("llm:llamacpp", "llm:transformers"):
        answers = {}
        for label, path in (("existing", existing), ("missing", missing)):
            spec = urllib.parse.quote(f"{family}:{path}")
            started = time.perf_counter()
            answers[label] = (*_request("GET", f"{base}/v1/companies/{company}/review?model={spec}", key),
                              time.perf_counter() - started)
            posted = _request("POST", f"{base}/v1/reviews", key,
                              {"company": "A", "model": f"{family}:{path}", "reviews": [{"text": "fine"}]})
            answers[label + "_post"] = (*posted, 0.0)
        out[family] = {
            "status": answers["existing"][0], "post_status": answers["existing_post"][0],
            "identical": answers["existing"][:2] == answers["missing"][:2]
                         and answers["existing_post"][:2] == answers["missing_post"][:2],
            "ms": [round(answers[k][2] * 1000, 1) for k in ("existing", "missing")],
            "detail": (json.loads(answers["existing"][1]).get("detail", "")[:120]
                       if _is_detail_json(answers["existing"][1]) else ""),
        }
    out["ok"] = all(400 <= v["status"] < 500 and 400 <= v["post_status"] < 500 and v["identical"]
                    for k, v in out.items() if k != "ok")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concurrent", type=int, default=8, help="first requests sent at once")
    parser.add_argument("--slow", type=int, default=30, help="slow connections of each kind")
    parser.add_argument("--header-timeout", type=float, default=5.0)
    parser.add_argument("--body-timeout", type=float, default=8.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="cr-abuse-") as folder:
        process, key, payload = _start_server(Path(folder), port, args)
        try:
            results = {"first_requests": first_requests(base, key, payload, args.concurrent),
                       "oversized": oversized(port, key),
                       "slow_headers": slow_connections(port, key, args.slow, args.header_timeout, "headers"),
                       "slow_body": slow_connections(port, key, args.slow, args.body_timeout, "body"),
                       "model_probe": model_probe(base, key)}
            healthy = _request("GET", f"{base}/healthz", key)[0] == 200
        finally:
            process.terminate()
            process.wait(timeout=30)
    results["server_healthy_after"] = healthy
    goals = {"first requests: 0 errors": results["first_requests"]["errors"] == 0,
             "oversized: all 413": results["oversized"]["all_413"],
             "slow headers: closed within the timeout": results["slow_headers"]["within_timeout"],
             "slow body: closed within the timeout": results["slow_body"]["within_timeout"],
             "model probe: 4xx, identical": results["model_probe"]["ok"],
             "healthy after": healthy}
    results["goals"] = goals
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        f, o, h, b, m = (results[k] for k in ("first_requests", "oversized", "slow_headers", "slow_body",
                                              "model_probe"))
        print(f"first requests: {f['requests']} concurrent on a fresh server, {f['errors']} errors "
              f"({f['non_json_errors']} not JSON), slowest {f['slowest_s']} s {f['error_samples'] or ''}")
        print(f"oversized bodies ({o['body_bytes']} B > {o['limit_bytes']} B): chunked {o['chunked']}, "
              f"content-length {o['content_length']}")
        for name, r in (("slow headers", h), ("slow body", b)):
            print(f"{name}: {r['connections']} connections, a byte every 2 s, timeout {r['timeout_s']} s: "
                  f"{r['closed']} closed (latest after {r['max_s_to_close']} s), {r['still_open']} still open; "
                  f"answers {r['answers']}")
        for family in ("llm:llamacpp", "llm:transformers"):
            p = m[family]
            print(f"model probe {family}:PATH: GET {p['status']}, POST {p['post_status']}, same answer for an "
                  f"existing and a missing path: {p['identical']} ({p['ms'][0]} / {p['ms'][1]} ms) {p['detail']!r}")
        print("goals: " + ", ".join(f"{k}: {'met' if v else 'MISSED'}" for k, v in goals.items()))
    return 0 if all(goals.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
