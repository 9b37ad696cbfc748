"""One Settings: every variable through one reader, paths under one data directory, and the API
cutting posted text at COMPANY_REVIEWER_MAX_TEXT_CHARS as ingest does."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import company_reviewer
from company_reviewer.config import ENV_VARS, Settings, env
from company_reviewer.serve.config import ServeSettings

PACKAGE = Path(company_reviewer.__file__).parent


def test_env_prefers_our_name_then_fallbacks_and_skips_empty_values(monkeypatch):
    monkeypatch.delenv("COMPANY_REVIEWER_LLM_API_KEY", raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", "from-openai")
    assert env("LLM_API_KEY", None, "OPENAI_API_KEY") == "from-openai"
    monkeypatch.setenv("COMPANY_REVIEWER_LLM_API_KEY", "ours")
    assert env("LLM_API_KEY", None, "OPENAI_API_KEY") == "ours"
    monkeypatch.setenv("COMPANY_REVIEWER_MAX_TEXT_CHARS", "")
    assert env("MAX_TEXT_CHARS", "5000") == "5000"


def test_settings_from_env_and_paths_under_the_data_directory(monkeypatch, tmp_path):
    monkeypatch.setenv("COMPANY_REVIEWER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("COMPANY_REVIEWER_DATABASE_URL", raising=False)
    monkeypatch.setenv("COMPANY_REVIEWER_MAX_TEXT_CHARS", "700")
    monkeypatch.setenv("COMPANY_REVIEWER_TAXONOMY", "kununu")
    monkeypatch.setenv("COMPANY_REVIEWER_LLM_API_KEY", "sk-secret")
    settings = Settings.from_env()
    assert settings.max_text_chars == 700 and settings.taxonomy == "kununu"
    assert settings.database_url == f"sqlite:///{tmp_path / 'data' / 'company-reviewer.sqlite'}"
    assert settings.models_dir == tmp_path / "data" / "models"
    assert settings.embeddings_dir.parent == settings.reports_dir.parent == settings.data_dir
    assert "sk-secret" not in repr(settings)  # keys never reach logs through a repr
    assert ServeSettings.from_env().max_text_chars == 700


def test_no_module_reads_the_environment_but_config():
    """os.environ / getenv appear only in config.py, apart from writes of third-party switches
    (HF offline flags, MLflow's progress bar) and the Ray engine handing our variables to workers."""
    allowed = {"config.py", "tracking.py", "embedding.py", "aspects/finetune.py", "batch/engines/ray_engine.py"}
    readers = []
    for path in PACKAGE.rglob("*.py"):
        name = path.relative_to(PACKAGE).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv") and name not in allowed:
                readers.append(f"{name}:{node.lineno}")
    assert readers == [], ("read environment variables through company_reviewer.config.env (or Settings) "
                           "and list them in config.ENV_VARS")
    documented = {name.removeprefix("COMPANY_REVIEWER_") for name in ENV_VARS}
    assert {"MAX_TEXT_CHARS", "DATABASE_URL", "OPEN_ACCESS", "TRACKING_URI"} <= documented


@pytest.fixture
def posted_app(sqlite_url, monkeypatch):
    from company_reviewer.serve.app import create_app
    from company_reviewer.serve.auth import create_key
    from company_reviewer.store.db import get_engine

    def build(max_text_chars: str | None):
        if max_text_chars is None:
            monkeypatch.delenv("COMPANY_REVIEWER_MAX_TEXT_CHARS", raising=False)
        else:
            monkeypatch.setenv("COMPANY_REVIEWER_MAX_TEXT_CHARS", max_text_chars)
        settings = ServeSettings.from_env(database_url=sqlite_url, rate_per_second=1000.0, rate_burst=1000)
        key = create_key(get_engine(sqlite_url), f"k{max_text_chars}")
        return TestClient(create_app(settings)), {"Authorization": f"Bearer {key}"}

    return build


def test_the_api_cuts_posted_text_at_max_text_chars(posted_app):
    text = ("Friendly people and a calm office, most days of the week. "
            "The pension plan is generous and the employer matches every contribution.")
    body = {"company": "Acme", "question": "Is there a pension?", "reviews": [{"review_id": "r1", "text": text}]}
    results = {}
    for limit in (None, "70"):
        client, auth = posted_app(limit)
        with client:
            response = client.post("/v1/chat", headers=auth, json=body)
        assert response.status_code == 200, response.text
        results[limit] = " ".join(q["quote"] for q in response.json()["quotes"])
    assert "matches every contribution" in results[None]
    assert "matches" not in results["70"] and len(results["70"]) <= 71
