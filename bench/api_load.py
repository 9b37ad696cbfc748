"""Load on the API over loopback: the cached store review and the uncached POST /v1/reviews.

    .venv/bin/python bench/api_load.py [--duration 30] [--concurrency 100] [--workers 1,2]
                                       [--client auto|wrk|python]

The server runs in its own process (``company-reviewer serve --no-access-log --workers N``) on a
temporary SQLite store holding the bundled fictional demo companies. The load comes from ``wrk``
(one thread, ``--concurrency`` keep-alive connections, a Lua script that sets the key and reports
p50/p95/p99) when it is installed (``apt-get install wrk``), else from the Python client (asyncio
and httpx, one connection per client), which costs several times the server's CPU per request:
on a 2-core machine it measures mostly itself. For each ``--workers`` count the phases are:

* baseline: a bare ASGI app (uvicorn, same worker count) returning the same review bytes with no
  auth, middleware, cache lookup or logging: the floor of uvicorn + this client on this machine;
* cached: ``GET /v1/companies/{c}/review`` (served from the in-memory cache after the first call);
* uncached: ``POST /v1/reviews`` with the company's 45 reviews (the model runs on every request),
  shorter (``--uncached-duration``) and with fewer clients: at 100 clients a request waits longer
  than a short phase lasts.

Prints p50/p95/p99 latency, requests/s and errors (socket errors, timeouts, non-2xx answers) per
phase and the load average around the run, and checks every served review was written to the
prediction log. wrk's percentiles cover every answer, the Python client's only the 2xx ones: both
agree when errors are 0, as the goal needs. Goal: cached p95 under 50 ms at 100 concurrent clients.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from importlib.util import find_spec
from pathlib import Path

COMPANY = "Northwind Analytics"
RESULT_MARK = "CR_BENCH_RESULT "
# Run by every wrk thread; the request comes from the environment so the key is not on the
# command line. Each thread counts its non-2xx answers; done() runs once, after the threads, with
# the merged latencies (microseconds) and socket errors.
WRK_SCRIPT = """
local method, auth, body_path = os.getenv("CR_BENCH_METHOD"), os.getenv("CR_BENCH_AUTH"), os.getenv("CR_BENCH_BODY")
local threads = {}
non2xx = 0  -- a global, so done() can read each thread's count

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  wrk.method = method
  if auth ~= nil and auth ~= "" then wrk.headers["Authorization"] = auth end
  if body_path ~= nil and body_path ~= "" then
    local file = assert(io.open(body_path, "rb"))
    wrk.body = file:read("*a")
    file:close()
    wrk.headers["Content-Type"] = "application/json"
  end
end

function response(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end

function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do bad = bad + thread:get("non2xx") end
  local e = summary.errors
  io.write(string.format('%s{"requests": %d, "duration_us": %d, "p50": %d, "p95": %d, "p99": %d, "max": %d, '
    .. '"connect": %d, "read": %d, "write": %d, "timeout": %d, "non-2xx": %d}\\n', "CR_BENCH_RESULT ",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max, e.connect, e.read, e.write, e.timeout, bad))
end
"""


def bare_app():
    """The baseline ASGI app (``uvicorn --factory api_load:bare_app``): fixed bytes, nothing else."""
    body = Path(os.environ["CR_BENCH_BARE_BODY"]).read_bytes()
    start = {"type": "http.response.start", "status": 200,
             "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]}
    message = {"type": "http.response.body", "body": body}

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        await send(start)
        await send(message)

    return app


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
        except OSError as exc:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"server at {url} did not start") from exc
            time.sleep(0.3)


async def _python_load(method: str, url: str, headers: dict, payload: bytes | None, concurrency: int,
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
                ok = 200 <= response.status_code < 300
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


def _wrk(script: Path, method: str, url: str, headers: dict, body_path: Path | None, concurrency: int,
         duration: float, threads: int) -> dict:
    env = {**os.environ, "CR_BENCH_METHOD": method, "CR_BENCH_AUTH": headers.get("Authorization", ""),
           "CR_BENCH_BODY": str(body_path or "")}
    command = ["wrk", f"-t{threads}", f"-c{concurrency}", f"-d{max(1, round(duration))}s", "--timeout", "300s",
               "-s", str(script), url]
    completed = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    line = next((line for line in completed.stdout.splitlines() if line.startswith(RESULT_MARK)), None)
    if completed.returncode != 0 or line is None:
        raise SystemExit(f"wrk failed ({completed.returncode}): {completed.stderr.strip() or completed.stdout[-500:]}")
    return json.loads(line[len(RESULT_MARK):])


def _wrk_load(script: Path, method: str, url: str, headers: dict, body_path: Path | None, concurrency: int,
              duration: float, threads: int) -> dict:
    # A short untimed run first: connections made and every server path warm before the clock starts.
    warmup = _wrk(script, method, url, headers, body_path, concurrency, 2, threads)
    raw = _wrk(script, method, url, headers, body_path, concurrency, duration, threads)
    kinds = {kind: raw[kind] for kind in ("connect", "read", "write", "timeout", "non-2xx") if raw[kind]}
    ok = raw["requests"] - raw["non-2xx"]
    return {"requests": ok, "rps": ok / (raw["duration_us"] / 1e6), "p50": raw["p50"] / 1000,
            "p95": raw["p95"] / 1000, "p99": raw["p99"] / 1000, "errors": sum(kinds.values()),
            "error_kinds": kinds, "warmup": warmup["requests"]}


def _prediction_log_count(database: str, settle: bool = False) -> int:
    """Rows in the prediction log; with ``settle``, once the server's writer has caught up (it
    writes in batches every 0.5 s and falls behind while the server is saturated)."""
    import sqlalchemy as sa

    engine = sa.create_engine(database)
    count, deadline = -1, time.monotonic() + 120
    while True:
        with engine.connect() as connection:
            previous, count = count, connection.execute(sa.text("SELECT COUNT(*) FROM prediction_log")).scalar_one()
        if not settle or count == previous or time.monotonic() > deadline:
            return count
        time.sleep(1.5)


def _start(command: list[str], env: dict, ready_url: str) -> subprocess.Popen:
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_ready(ready_url, process)
    return process


def _stop(process: subprocess.Popen | None) -> None:
    if process is not None:
        process.terminate()
        process.wait(timeout=30)


def _load_average() -> str:
    return " / ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=30.0, help="Seconds for the baseline and cached phases.")
    parser.add_argument("--concurrency", type=int, default=100, help="Clients for the baseline and cached phases.")
    parser.add_argument("--uncached-duration", type=float, default=15.0, help="Seconds for POST /v1/reviews (0: skip).")
    parser.add_argument("--uncached-concurrency", type=int, default=10, help="Clients for POST /v1/reviews.")
    parser.add_argument("--workers", default="1", help="Server worker processes; a comma list measures each.")
    parser.add_argument("--client", choices=("auto", "wrk", "python"), default="auto",
                        help="Load generator; auto: wrk when installed, else the Python client.")
    parser.add_argument("--wrk-threads", type=int, default=1, help="wrk threads (each drives its share of clients).")
    parser.add_argument("--model", default="embedded")
    parser.add_argument("--access-log", action="store_true", help="Keep uvicorn's per-request access log on.")
    args = parser.parse_args()
    worker_counts = [int(n) for n in args.workers.split(",")]
    client = args.client if args.client != "auto" else ("wrk" if shutil.which("wrk") else "python")
    if client == "wrk" and not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: `apt-get install wrk`, or use --client python")

    folder = Path(tempfile.mkdtemp(prefix="cr-api-load-"))
    env = {**os.environ, "COMPANY_REVIEWER_DATA_DIR": str(folder), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           # The limiter would (rightly) refuse one key's 100 clients; this measures serving, not limiting.
           "COMPANY_REVIEWER_RATE_PER_SECOND": "1000000", "COMPANY_REVIEWER_RATE_BURST": "1000000"}
    os.environ.update(env)
    from importlib import resources

    from company_reviewer.store.ingest import ingest_paths
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
    payload_path = folder / "payload.json"
    payload_path.write_bytes(payload)
    script = folder / "load.lua"
    script.write_text(WRK_SCRIPT)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    def load(method: str, url: str, with_payload: bool, concurrency: int, duration: float) -> dict:
        if client == "wrk":
            return _wrk_load(script, method, url, headers, payload_path if with_payload else None, concurrency,
                             duration, args.wrk_threads)
        return asyncio.run(_python_load(method, url, headers, payload if with_payload else None, concurrency,
                                        duration))

    load_before = _load_average()
    results, log_checks = [], []
    for workers in worker_counts:
        port, bare_port = _free_port(), _free_port()
        base = f"http://127.0.0.1:{port}"
        server = bare = None
        try:
            server = _start([sys.executable, "-m", "company_reviewer.cli", "serve", "--port", str(port),
                             "--database", database, "--workers", str(workers),
                             *([] if args.access_log else ["--no-access-log"])], env, base + "/healthz")
            cached_url = (f"{base}/v1/companies/{urllib.parse.quote(COMPANY)}/review"
                          f"?model={urllib.parse.quote(args.model)}")
            request = urllib.request.Request(cached_url, headers=headers)
            with urllib.request.urlopen(request, timeout=300) as response:  # computes and caches; model loaded
                body = response.read()
            body_path = folder / "review.json"
            body_path.write_bytes(body)
            bare = _start([sys.executable, "-m", "uvicorn", "--app-dir", str(Path(__file__).parent), "--factory",
                           "api_load:bare_app", "--host", "127.0.0.1", "--port", str(bare_port), "--workers",
                           str(workers), "--log-level", "warning", "--no-access-log"],
                          {**env, "CR_BENCH_BARE_BODY": str(body_path)}, f"http://127.0.0.1:{bare_port}/")
            logged_before = _prediction_log_count(database)
            phases = [("baseline: bare ASGI, same bytes", "GET", f"http://127.0.0.1:{bare_port}/", False,
                       args.concurrency, args.duration),
                      ("cached GET /v1/companies/{c}/review", "GET", cached_url, False, args.concurrency,
                       args.duration)]
            if args.uncached_duration > 0:
                phases.append(("uncached POST /v1/reviews", "POST", f"{base}/v1/reviews", True,
                               args.uncached_concurrency, args.uncached_duration))
            for name, method, url, with_payload, concurrency, duration in phases:
                print(f"{workers} worker(s), {name}: {concurrency} clients for {duration:g} s ...", file=sys.stderr,
                      flush=True)
                results.append((workers, name, concurrency, load(method, url, with_payload, concurrency, duration)))
            served = sum(r["requests"] + r["warmup"] for w, name, _, r in results
                         if w == workers and not name.startswith("baseline"))
            log_checks.append((workers, _prediction_log_count(database, settle=True) - logged_before, served))
        finally:
            _stop(server)
            _stop(bare)

    generator = (f"wrk, {args.wrk_threads} thread(s)" if client == "wrk"
                 else "Python asyncio+httpx client")
    server_stack = "uvloop + httptools" if find_spec("uvloop") and find_spec("httptools") else "asyncio + h11"
    uncached = f"uncached {args.uncached_duration:g} s" if args.uncached_duration > 0 else "no uncached phase"
    print(f"\nAPI load, {args.duration:g} s per phase ({uncached}), loopback, model "
          f"{args.model}, access log {'on' if args.access_log else 'off'}, load from {generator}, uvicorn on "
          f"{server_stack}, {os.cpu_count()} CPUs (client and server share them); load average (1/5/15 min) "
          f"{load_before} before, {_load_average()} after\n")
    print("| workers | phase | clients | requests | req/s | p50 ms | p95 ms | p99 ms | errors |")
    print("|---|---|---|---|---|---|---|---|---|")
    for workers, name, concurrency, r in results:
        print(f"| {workers} | {name} | {concurrency} | {r['requests']} | {r['rps']:.0f} | {r['p50']:.1f} | "
              f"{r['p95']:.1f} | {r['p99']:.1f} | {r['errors']}{' ' + str(r['error_kinds']) if r['errors'] else ''} |")
    print()
    for workers, logged, served in log_checks:
        # wrk stops with requests in flight: the server logs those, wrk does not count them.
        print(f"{workers} worker(s): prediction_log rows written {logged}; reviews counted by the client, "
              f"warm-up included: {served}{' (in flight at the stop: logged, not counted)' if logged > served else ''}")
    for workers, name, concurrency, r in results:
        if name.startswith("cached"):
            verdict = "met" if r["p95"] < 50 and r["errors"] == 0 else "NOT met"
            print(f"goal cached p95 < 50 ms at {concurrency} clients with 0 errors, {workers} worker(s): {verdict}")


if __name__ == "__main__":
    main()
