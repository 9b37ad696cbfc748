"""The REST API against a real store (SQLite and PostgreSQL): auth, limits, validation, escaping,
caching, jobs, metrics and the prediction log. Reviews are the bundled fictional demo companies."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from fastapi.testclient import TestClient

from company_reviewer.reviewer.schema import CompanyReview
from company_reviewer.serve.app import create_app
from company_reviewer.serve.auth import create_key, revoke_key
from company_reviewer.serve.config import ServeSettings
from company_reviewer.store import tables

FAST_MODEL = "baseline:mean"  # milliseconds per review; the embedded model is exercised where it matters
NORTHWIND = "Northwind Analytics"


@pytest.fixture
def store(database_url, demo_reviews_path):
    from company_reviewer.store.ingest import ingest_paths
    from company_reviewer.store.db import get_engine

    engine = get_engine(database_url)
    ingest_paths([demo_reviews_path], engine)
    return engine


def _settings(engine, **changes) -> ServeSettings:
    base = dict(rate_per_second=1000.0, rate_burst=1000, cache_check_seconds=0.0, key_cache_seconds=0.0)
    base.update(changes)
    return ServeSettings.from_env(database_url=engine.url.render_as_string(hide_password=False), **base)


@pytest.fixture
def client(store):
    with TestClient(create_app(_settings(store))) as test_client:
        yield test_client


@pytest.fixture
def auth(store) -> dict:
    return {"Authorization": f"Bearer {create_key(store, 'tests')}"}


def _demo_payload(demo_reviews_path, company=NORTHWIND, limit=None) -> list[dict]:
    from company_reviewer.data.load import read_reviews

    frame, _ = read_reviews(demo_reviews_path)
    rows = frame[frame["company"] == company].head(limit).astype(object).to_dict("records")
    return [{k: (str(v)[:10] if k == "date" else v) for k, v in row.items() if v is not None and v == v and v != {}}
            for row in rows]


def _log_rows(client, engine) -> list[dict]:
    client.app.state.serving.service.log.flush()
    with engine.connect() as connection:
        return [dict(r) for r in connection.execute(sa.select(tables.prediction_log)
                                                    .order_by(tables.prediction_log.c.id)).mappings()]


def test_missing_bad_and_revoked_keys(client, store):
    key = create_key(store, "alice")
    missing = client.get("/v1/companies")
    assert missing.status_code == 401 and "Authorization: Bearer" in missing.json()["detail"]
    assert client.get("/v1/companies", headers={"Authorization": "Basic abc"}).status_code == 401
    assert client.get("/v1/companies", headers={"Authorization": "Bearer crk_wrong"}).status_code == 403
    ok = client.get("/v1/companies", headers={"Authorization": f"Bearer {key}"})
    assert ok.status_code == 200
    assert {c["company"] for c in ok.json()["companies"]} >= {NORTHWIND, "Bluefin Logistics"}
    revoke_key(store, "alice")
    assert client.get("/v1/companies", headers={"Authorization": f"Bearer {key}"}).status_code == 403
    with store.connect() as connection:
        stored = connection.execute(sa.select(tables.api_keys.c.key_hash, tables.api_keys.c.prefix)).all()
    assert all(key not in (row.key_hash, row.prefix) for row in stored)  # only the hash and a prefix are kept


def test_keys_cli_prints_the_key_alone_on_the_last_line(sqlite_url):
    from company_reviewer.cli import main

    runner = CliRunner()
    created = runner.invoke(main, ["keys", "create", "ci", "--database", sqlite_url])
    assert created.exit_code == 0, created.output
    key = created.output.strip().splitlines()[-1]
    assert key.startswith("crk_") and len(key) > 40 and " " not in key
    listed = runner.invoke(main, ["keys", "list", "--database", sqlite_url])
    assert "ci" in listed.output and key[:12] in listed.output and key not in listed.output
    again = runner.invoke(main, ["keys", "create", "ci", "--database", sqlite_url])
    assert again.exit_code != 0 and "revoke it first" in again.output
    assert runner.invoke(main, ["keys", "revoke", "ci", "--database", sqlite_url]).exit_code == 0
    assert "revoked" in runner.invoke(main, ["keys", "list", "--database", sqlite_url]).output


def test_rate_limit_answers_429_with_retry_after(store, auth):
    with TestClient(create_app(_settings(store, rate_per_second=0.2, rate_burst=3))) as client:
        codes = [client.get("/v1/models", headers=auth).status_code for _ in range(5)]
        assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
        limited = client.get("/v1/models", headers=auth)
        assert int(limited.headers["Retry-After"]) >= 1 and "rate limit" in limited.json()["detail"]


def test_request_size_limit_413(store, auth):
    with TestClient(create_app(_settings(store, max_request_bytes=4000))) as client:
        small = client.post("/v1/reviews", headers=auth, json={"company": "A", "model": FAST_MODEL,
                                                               "reviews": [{"text": "Good pay, long hours."}]})
        assert small.status_code == 200
        big = client.post("/v1/reviews", headers=auth, json={"company": "A", "reviews": [{"text": "x" * 5000}]})
        assert big.status_code == 413 and "too large" in big.json()["detail"]


@pytest.mark.parametrize("body, expected", [
    ({"company": "A", "reviews": [{"text": "ok", "rating_overall": 7}]}, "reviews[0]: rating_overall"),
    ({"company": "A", "reviews": [{"text": "ok"}, {"pros": "fine", "salary": 3}]},
     "reviews[1]: unknown field(s) 'salary'"),
    ({"company": "A", "reviews": [{"pros": "  "}]}, "no review text"),
    ({"company": "A", "reviews": [{"text": "ok", "date": "last week"}]}, "use yyyy-mm-dd"),
    ({"company": "A", "reviews": []}, "at least one review"),
    ({"company": "A"}, "reviews: Field required"),
    ({"company": "A", "reviews": [{"text": "ok"}], "model": "crystal-ball"}, "unknown model 'crystal-ball'"),
    ({"company": "A", "reviews": [{"text": "ok"}], "max_reviews": 0}, "max_reviews"),
])
def test_invalid_input_422_says_what_is_wrong(client, auth, body, expected):
    response = client.post("/v1/reviews", headers=auth, json=body)
    assert response.status_code == 422
    assert expected in response.json()["detail"]


@pytest.mark.slow  # loads the embedded model and encoder (5-20 s)
def test_posted_reviews_give_the_contract_with_verbatim_quotes_and_a_log_row(client, auth, store, demo_reviews_path):
    payload = _demo_payload(demo_reviews_path)
    response = client.post("/v1/reviews", headers=auth, json={"company": NORTHWIND, "reviews": payload})
    assert response.status_code == 200, response.text
    review = CompanyReview.model_validate(response.json())
    assert review.model.name == "embedded" and review.n_reviews_used == len(payload) and len(review.dimensions) == 12
    texts = {p["review_id"]: " ".join(str(p.get(f, "")) for f in ("headline", "pros", "cons", "advice", "text"))
             for p in payload}
    quotes = [e for d in review.dimensions.values() for e in d.evidence]
    assert quotes and all(e.quote in texts[e.review_id] for e in quotes)
    rows = _log_rows(client, store)
    assert len(rows) == 1
    row = rows[0]
    assert row["status"] == "ok" and row["company"] == NORTHWIND and row["model_name"] == "embedded"
    assert row["request_id"] == response.headers["x-request-id"] and len(row["input_hash"]) == 64
    assert row["latency_ms"] > 0 and CompanyReview.model_validate(row["output"]) == review


def test_review_text_is_escaped(client, auth):
    hostile = "<script>alert('x')</script> and <img src=x onerror=alert(1)>"
    response = client.post("/v1/reviews", headers=auth, json={
        "company": "Evil <b>Corp</b>", "model": FAST_MODEL, "reviews": [{"review_id": "r1", "cons": hostile}]})
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    markdown = client.post("/v1/render/markdown", headers=auth, json=response.json()).text
    assert "<b>" not in markdown and "&lt;b&gt;" in markdown
    page = client.get("/")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    script = client.get("/static/app.js").text
    # all text goes in as textContent
    assert ".innerHTML" not in script and ".outerHTML" not in script and "insertAdjacentHTML(" not in script


def test_cache_hit_then_recompute_on_new_model_version_or_new_data(client, auth, store, monkeypatch):
    from company_reviewer.reviewer.baselines import BaselineReviewer

    url = f"/v1/companies/{NORTHWIND}/review?model={FAST_MODEL}"
    first = client.get(url, headers=auth)
    assert first.status_code == 200 and first.headers["x-cache"] == "miss"
    second = client.get(url, headers=auth)
    assert second.headers["x-cache"] == "hit" and second.content == first.content
    monkeypatch.setattr(BaselineReviewer, "version", "2099.1")  # a new model version must not be served stale
    assert client.get(url, headers=auth).headers["x-cache"] == "miss"
    assert client.get(url, headers=auth).headers["x-cache"] == "hit"
    with store.begin() as connection:  # a new review of the company changes its data fingerprint
        connection.execute(tables.reviews.insert().values(
            content_hash="f" * 64, source="demo", company=NORTHWIND, review_id="nwa-new", rating_overall=1.0,
            cons="Everything got worse this year.", sub_ratings={}, attributes={}))
    changed = client.get(url, headers=auth)
    assert changed.headers["x-cache"] == "miss" and changed.json()["n_reviews_used"] == 46
    with store.connect() as connection:
        cached = connection.execute(sa.select(tables.review_cache.c.model_version)
                                    .where(tables.review_cache.c.company == NORTHWIND)).scalars().all()
    assert cached == ["2099.1"]  # one row per company and model, replaced in place
    rows = _log_rows(client, store)
    assert [r["status"] for r in rows] == ["ok", "cached", "ok", "cached", "ok"]
    assert [r["output"] is None for r in rows] == [False, True, False, True, False]
    with store.connect() as connection:  # a cache hit's output is SQL NULL, so monitoring can filter on it
        assert connection.execute(sa.text("SELECT COUNT(*) FROM prediction_log WHERE output IS NULL")).scalar_one() == 2
    assert client.get("/v1/companies/Nobody Inc/review", headers=auth).status_code == 404


def test_cache_survives_a_restart(store, auth):
    url = f"/v1/companies/demo::Bluefin Logistics/review?model={FAST_MODEL}"
    with TestClient(create_app(_settings(store))) as client:
        assert client.get(url, headers=auth).headers["x-cache"] == "miss"
    with TestClient(create_app(_settings(store))) as client:
        assert client.get(url, headers=auth).headers["x-cache"] == "hit"


def test_job_lifecycle(client, auth, store, demo_reviews_path):
    body = {"companies": [NORTHWIND, "Bluefin Logistics", "Nobody Inc"], "model": FAST_MODEL,
            "inputs": [{"company": "Pasted Ltd", "reviews": [{k: v for k, v in r.items() if k != "company"}
                                                             for r in _demo_payload(demo_reviews_path, limit=5)]}]}
    created = client.post("/v1/jobs", headers=auth, json=body)
    assert created.status_code == 202 and created.json()["status"] == "queued"
    url = created.json()["url"]
    deadline = time.monotonic() + 60
    while (job := client.get(url, headers=auth).json())["status"] in ("queued", "running"):
        assert time.monotonic() < deadline, job
        time.sleep(0.1)
    assert job["status"] == "done" and job["n_done"] == job["n_total"] == 4
    by_company = {r["company"]: r for r in job["results"]}
    for name in (NORTHWIND, "Bluefin Logistics", "Pasted Ltd"):
        CompanyReview.model_validate(by_company[name]["review"])
    assert "no reviews" in by_company["Nobody Inc"]["error"]
    other = {"Authorization": f"Bearer {create_key(store, 'other')}"}
    assert client.get(url, headers=other).status_code == 404  # jobs are private to their key
    bad = client.post("/v1/jobs", headers=auth, json={"inputs": [{"company": "X", "reviews": [{"text": ""}]}]})
    assert bad.status_code == 422 and "inputs[0]" in bad.json()["detail"]
    assert client.post("/v1/jobs", headers=auth, json={}).status_code == 422
    mismatch = client.post("/v1/jobs", headers=auth, json={"inputs": [{"company": "X", "reviews": [
        {"company": "Y", "text": "fine"}]}]})
    assert mismatch.status_code == 422 and "differs from the request's 'X'" in mismatch.json()["detail"]


def test_metrics_and_health(client, auth):
    assert client.get("/healthz").json()["status"] == "ok"
    client.get(f"/v1/companies/{NORTHWIND}/review?model={FAST_MODEL}", headers=auth)
    client.get(f"/v1/companies/{NORTHWIND}/review?model={FAST_MODEL}", headers=auth)
    client.get("/v1/companies")
    assert client.get("/metrics").status_code == 401  # protected by default (issue 15): a key, or loopback
    text = client.get("/metrics", headers=auth).text
    assert ('company_reviewer_http_requests_total{method="GET",route="/v1/companies/{company:path}/review",'
            'status="200"} 2.0') in text
    assert 'company_reviewer_http_requests_total{method="GET",route="/v1/companies",status="401"} 1.0' in text
    assert 'company_reviewer_reviews_served_total{outcome="cached"} 1.0' in text
    assert "company_reviewer_http_request_seconds_bucket" in text
    assert client.get("/openapi.json").json()["paths"]["/v1/reviews"]["post"]
    docs = client.get("/docs")  # served without a CDN: the machine may be offline
    assert docs.status_code == 200 and "POST /v1/reviews" in docs.text and "cdn" not in docs.text.lower()


def test_chat_answers_with_verbatim_quotes(client, auth, demo_reviews_path):
    response = client.post("/v1/chat", headers=auth, json={"company": NORTHWIND, "question": "Is there a pension?"})
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["mode"] == "extractive" and result["quotes"]
    reviews = {r["review_id"]: r for r in _demo_payload(demo_reviews_path)}
    for quote in result["quotes"]:
        source = reviews[quote["review_id"]][quote["field"]]
        assert source[quote["start"]:quote["end"]] == quote["quote"]
    assert any("pension" in q["quote"].lower() for q in result["quotes"])
    assert result["quotes"][0]["quote"] in result["answer"]
    missing = client.post("/v1/chat", headers=auth, json={"company": "Nobody Inc", "question": "pay?"})
    assert missing.status_code == 404


def test_upload_parses_any_ingest_format(client, auth, demo_reviews_path):
    with open(demo_reviews_path, "rb") as handle:
        response = client.post("/v1/parse", headers=auth, files={"file": ("reviews.csv", handle, "text/csv")})
    assert response.status_code == 200
    parsed = response.json()
    assert NORTHWIND in parsed["companies"] and len(parsed["reviews"]) > 100
    broken = client.post("/v1/parse", headers=auth, files={"file": ("x.json", b'{"broken": ', "application/json")})
    assert broken.status_code == 422 and "x.json" in broken.json()["detail"]


def test_open_access_only_on_loopback(sqlite_url):
    from company_reviewer.cli import main

    refused = CliRunner().invoke(main, ["serve", "--open-access", "--host", "0.0.0.0", "--database", sqlite_url])
    assert refused.exit_code == 2 and "loopback" in refused.output


def test_open_access_needs_no_key(store):
    with TestClient(create_app(_settings(store, open_access=True))) as client:
        assert client.get("/v1/companies").status_code == 200
        assert 'data-open-access="true"' in client.get("/").text


def test_queued_jobs_run_after_a_restart(store, auth):
    stopped = create_app(_settings(store))  # never started: its worker thread does not run
    key_id = stopped.state.serving.keys.key_id(auth["Authorization"].split()[1])
    job_id = stopped.state.serving.jobs.submit({"companies": [NORTHWIND], "model": FAST_MODEL}, key_id)
    with TestClient(create_app(_settings(store))) as client:
        deadline = time.monotonic() + 60
        while (job := client.get(f"/v1/jobs/{job_id}", headers=auth).json())["status"] != "done":
            assert time.monotonic() < deadline and job["status"] in ("queued", "running"), job
            time.sleep(0.1)
    assert job["results"][0]["review"]["company"] == NORTHWIND
