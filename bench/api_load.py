"""Load on the API over loopback: the cached store review and the uncached POST /v1/reviews.

    .venv/bin/python bench/api_load.py [--duration 30] [--concurrency 100] [--uncached-concurrency 100]

The server runs in its own process (``company-reviewer serve``, one uvicorn worker) on a temporary
SQLite store holding the bundled fictional demo companies; the clients (asyncio + httpx, one
connection each) run here for ``--duration`` seconds per phase. Phases:

* baseline: a bare ASGI app (separate uvicorn process) returning the same review bytes with no
  auth, middleware, cache lookup or logging: the floor of uvicorn + this client on this machine;
* cached: ``GET /v1/companies/{c}/review`` (served from the in-memory cache after the first call);
* uncached: ``POST /v1/reviews`` with the company's 45 reviews (the model runs on every request).

Prints p50/p95/p99 latency, requests/s and errors per phase, and checks every served review was
written to the prediction log. Goal: cached p95 under 50 ms at 100 concurrent clients.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

COMPANY = "Northwind Analytics"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_ready(url: str, process: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"server at {url} did not start")
            time.sleep(0.3)


def raw_app_main(body_path: str, port: int) -> None:
    """The baseline server: fixed bytes, nothing else."""
    import uvicorn

    body = Path(body_path).read_bytes()

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


async def _load(method: str, url: str, headers: dict, payload: bytes | None, concurrency: int,
                duration: float) -> dict:
    import httpx

    latencies: list[float] = []
    errors: dict[str, int] = {}
    # One client (one keep-alive connection) per simulated user, made and connected before the
    # clock starts: httpx's shared pool scans its connections on every request and collapses at
    # 100 connections, and making a client costs milliseconds of CPU (its SSL context).
    clients = [httpx.AsyncClient(timeout=httpx.Timeout(300.0), headers=headers, verify=False,
                                 limits=httpx.Limits(max_connections=1)) for _ in range(concurrency)]
    await asyncio.gather(*(client.request(method, url, content=payload) for client in clients))  # not timed
    deadline = time.perf_counter() + duration

    async def worker(client):
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                response = await client.request(method, url, content=payload)
                ok = response.status_code == 200
                reason = str(response.status_code)
            except httpx.HTTPError as exc:
                ok, reason = False, type(exc).__name__
            if ok:
                latencies.append(time.perf_counter() - started)
            else:
                errors[reason] = errors.get(reason, 0) + 1

    began = time.perf_counter()
    await asyncio.gather(*(worker(client) for client in clients))
    elapsed = time.perf_counter() - began
    await asyncio.gather(*(client.aclose() for client in clients))
    latencies.sort()

    def pct(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000 if latencies else float("nan")

    return {"requests": len(latencies), "rps": len(latencies) / elapsed, "p50": pct(0.50), "p95": pct(0.95),
            "p99": pct(0.99), "errors": sum(errors.values()), "error_kinds": errors, "warmup": concurrency}


def _prediction_log_count(database: str) -> int:
    import sqlalchemy as sa

    engine = sa.create_engine(database)
    with engine.connect() as connection:
        return connection.execute(sa.text("SELECT COUNT(*) FROM prediction_log")).scalar_one()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=30.0, help="Seconds per phase.")
    parser.add_argument("--concurrency", type=int, default=100, help="Clients for the baseline and cached phases.")
    parser.add_argument("--uncached-concurrency", type=int, default=100, help="Clients for POST /v1/reviews.")
    parser.add_argument("--model", default="embedded")
    parser.add_argument("--access-log", action="store_true", help="Keep uvicorn's per-request access log on.")
    parser.add_argument("--serve-raw", nargs=2, metavar=("BODY", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_raw:
        raw_app_main(args.serve_raw[0], int(args.serve_raw[1]))
        return

    folder = Path(tempfile.mkdtemp(prefix="cr-api-load-"))
    env = {**os.environ, "COMPANY_REVIEWER_DATA_DIR": str(folder), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           # The limiter would (rightly) refuse one key's 100 clients; this measures serving, not limiting.
           "COMPANY_REVIEWER_RATE_PER_SECOND": "1000000", "COMPANY_REVIEWER_RATE_BURST": "1000000"}
    os.environ.update(env)
    from importlib import resources

    from company_reviewer.data.ingest import ingest_paths
    from company_reviewer.data.load import read_reviews
    from company_reviewer.serve.auth import create_key
    from company_reviewer.store.db import get_engine

    database = f"sqlite:///{folder / 'store.sqlite'}"
    demo = Path(str(resources.files("company_reviewer") / "demo" / "reviews.csv"))
    engine = get_engine(database)
    ingest_paths([demo], engine)
    key = create_key(engine, "bench")
    frame, _ = read_reviews(demo)
    rows = frame[frame["company"] == COMPANY].astype(object).to_dict("records")
    reviews = [{k: (str(v)[:10] if k == "date" else v) for k, v in r.items() if v is not None and v == v and v != {}}
               for r in rows]
    payload = json.dumps({"company": COMPANY, "reviews": reviews, "model": args.model}).encode()

    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "company_reviewer.cli", "serve", "--port", str(port),
                               "--database", database, *([] if args.access_log else ["--no-access-log"])],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    raw_port = _free_port()
    raw = None
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_ready(base + "/healthz", server)
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        cached_url = f"{base}/v1/companies/{urllib.parse.quote(COMPANY)}/review?model={urllib.parse.quote(args.model)}"
        request = urllib.request.Request(cached_url, headers=headers)
        with urllib.request.urlopen(request, timeout=300) as response:  # computes and caches; model loaded
            body = response.read()
        body_path = folder / "review.json"
        body_path.write_bytes(body)
        raw = subprocess.Popen([sys.executable, __file__, "--serve-raw", str(body_path), str(raw_port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_ready(f"http://127.0.0.1:{raw_port}/", raw)
        logged_before = _prediction_log_count(database)
        phases = [
            ("baseline: bare ASGI, same bytes", "GET", f"http://127.0.0.1:{raw_port}/", None, args.concurrency),
            ("cached GET /v1/companies/{c}/review", "GET", cached_url, None, args.concurrency),
            ("uncached POST /v1/reviews", "POST", f"{base}/v1/reviews", payload, args.uncached_concurrency),
        ]
        results = []
        for name, method, url, data, concurrency in phases:
            print(f"running {name}: {concurrency} clients for {args.duration:g} s ...", file=sys.stderr, flush=True)
            results.append((name, concurrency, asyncio.run(_load(method, url, headers, data, concurrency,
                                                                 args.duration))))
        time.sleep(1.5)  # the prediction log is written in batches every 0.5 s
        logged = _prediction_log_count(database) - logged_before
    finally:
        for process in (server, raw):
            if process is not None:
                process.terminate()
                process.wait(timeout=30)

    print(f"\nAPI load, {args.duration:g} s per phase, loopback, model {args.model}, access log "
          f"{'on' if args.access_log else 'off'}, "
          f"{os.cpu_count()} CPUs (client and server share them)\n")
    print("| phase | clients | requests | req/s | p50 ms | p95 ms | p99 ms | errors |")
    print("|---|---|---|---|---|---|---|---|")
    for name, concurrency, r in results:
        print(f"| {name} | {concurrency} | {r['requests']} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p95']:.1f} | "
              f"{r['p99']:.1f} | {r['errors']}{' ' + str(r['error_kinds']) if r['errors'] else ''} |")
    served = sum(r["requests"] + r["warmup"] for name, _, r in results if not name.startswith("baseline"))
    print(f"\nprediction_log rows written during the run: {logged} (reviews served, warm-up included: {served})")
    cached = results[1][2]
    verdict = "met" if cached["p95"] < 50 and cached["errors"] == 0 else "NOT met"
    print(f"goal cached p95 < 50 ms at {args.concurrency} clients with 0 errors: {verdict}")


if __name__ == "__main__":
    main()
