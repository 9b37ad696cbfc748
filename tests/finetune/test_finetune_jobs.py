"""The hosted job flow against a local server speaking OpenAI's files/fine-tuning wire protocol."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from openai_wire_server import API_KEY, WireServer

from company_reviewer.cli import main
from company_reviewer.finetune.jobs import FineTuneJobError, FineTuningClient, read_registry, run_job

SYSTEM = {"role": "system", "content": "Reply with JSON only."}


def write_jsonl(path, n: int, *, valid: bool = True) -> None:
    rows = []
    for i in range(n):
        messages = [SYSTEM, {"role": "user", "content": f"Excerpts about the fictional canteen, item {i}"}]
        if valid:
            messages.append({"role": "assistant", "content": json.dumps({"summary": f"Soup number {i} is fine."})})
        rows.append(json.dumps({"messages": messages}))
    path.write_text("\n".join(rows) + "\n")


@pytest.fixture
def server():
    with WireServer() as running:
        yield running


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("COMPANY_REVIEWER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COMPANY_REVIEWER_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    return tmp_path / "data"


def test_upload_create_poll_and_record(server, data_dir, tmp_path):
    train, validation = tmp_path / "train.jsonl", tmp_path / "validation.jsonl"
    write_jsonl(train, 5)
    write_jsonl(validation, 2)
    messages = []
    record = run_job(FineTuningClient(server.base_url, API_KEY), train_file=train, validation_file=validation,
                     model="gpt-4o-mini-2024-07-18", suffix="acme", poll_seconds=0,
                     on_event=lambda e: messages.append(e["message"]))

    # The server parsed real multipart uploads: the bytes it holds are the files' bytes.
    stored = {f["filename"]: f["content"] for f in server.state.files.values()}
    assert stored == {"train.jsonl": train.read_bytes(), "validation.jsonl": validation.read_bytes()}
    job = next(iter(server.state.jobs.values()))
    assert job["method"]["type"] == "supervised" and job["validation_file"]
    assert record["status"] == "succeeded"
    assert record["fine_tuned_model"] == job["fine_tuned_model"] and record["fine_tuned_model"].startswith(
        "ft:gpt-4o-mini-2024-07-18:company-reviewer:acme:")
    # Every state transition was seen, in order, once.
    statuses = [m.split(": ")[1] for m in messages if m.startswith("Job status")]
    assert statuses == ["queued", "running", "succeeded"]
    registry = read_registry(data_dir / "finetune" / "models.json")
    assert [r["job_id"] for r in registry] == [job["id"]]
    assert registry[0]["files"]["train"]["sha256"] and registry[0]["trained_tokens"] > 0
    assert registry[0]["tracking_run_id"]  # logged to MLflow (the tracking store set above)


def test_a_bad_training_file_fails_the_job_with_the_providers_reason(server, data_dir, tmp_path):
    train = tmp_path / "train.jsonl"
    write_jsonl(train, 3, valid=False)
    with pytest.raises(FineTuneJobError, match="last message must be from the assistant"):
        run_job(FineTuningClient(server.base_url, API_KEY), train_file=train, model="m", poll_seconds=0)
    assert read_registry(data_dir / "finetune" / "models.json")[0]["status"] == "failed"


def test_wrong_key_and_unknown_file_are_reported(server, tmp_path):
    train = tmp_path / "train.jsonl"
    write_jsonl(train, 2)
    with pytest.raises(FineTuneJobError, match="HTTP 401: Incorrect API key"):
        FineTuningClient(server.base_url, "wrong").upload_file(train)
    with pytest.raises(FineTuneJobError, match="invalid training_file"):
        FineTuningClient(server.base_url, API_KEY).create_job(model="m", training_file="file-missing")
    with pytest.raises(FineTuneJobError, match="unreachable"):
        FineTuningClient("http://127.0.0.1:9/v1", API_KEY).get_job("x")


def test_cli_job_from_a_data_folder_then_models(server, data_dir, tmp_path):
    folder = tmp_path / "ft"
    folder.mkdir()
    write_jsonl(folder / "train.jsonl", 4)
    write_jsonl(folder / "validation.jsonl", 2)
    runner = CliRunner()
    result = runner.invoke(main, ["finetune", "job", str(folder), "--base-url", server.base_url, "--api-key", API_KEY,
                                  "--poll-seconds", "0", "--model", "gpt-4o-mini-2024-07-18"])
    assert result.exit_code == 0, result.output
    assert "fine-tuned model ft:gpt-4o-mini-2024-07-18:company-reviewer:company-reviewer:" in result.output
    assert len(server.state.files) == 2  # train and validation were both uploaded
    listed = runner.invoke(main, ["finetune", "models", "--json"])
    assert json.loads(listed.output)[0]["status"] == "succeeded"
