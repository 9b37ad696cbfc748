"""Hosted fine-tuning through the OpenAI-compatible files and fine-tuning API, with plain httpx.

``POST /files`` (multipart, ``purpose=fine-tune``) uploads the JSONL, ``POST /fine_tuning/jobs``
creates the job, ``GET /fine_tuning/jobs/{id}`` and ``.../events`` are polled until it ends, and the
resulting model is recorded in ``<data dir>/finetune/models.json`` (and logged to experiment
tracking when it is reachable). Base URL, key and model come from options, else
``COMPANY_REVIEWER_FINETUNE_BASE_URL`` / ``OPENAI_BASE_URL`` (default ``https://api.openai.com/v1``),
``COMPANY_REVIEWER_FINETUNE_API_KEY`` / ``OPENAI_API_KEY``.

OpenAI's self-serve fine-tuning of gpt-4o-mini closes to new jobs in January 2027. The chat JSONL
that ``finetune data`` writes is the format Together and Fireworks train on too; their job APIs are
their own (Together ``/v1/fine-tunes``, Fireworks ``firectl create sftj``), so there upload the same
file with their tools, or point ``--base-url`` at any server that implements OpenAI's job API.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

DEFAULT_BASE_URL = "https://api.openai.com/v1"
TERMINAL = ("succeeded", "failed", "cancelled")


class FineTuneJobError(RuntimeError):
    """The provider refused a request or the job ended without a model."""


class FineTuningClient:
    """The few endpoints a fine-tuning job needs; errors carry the provider's own message."""

    def __init__(self, base_url: str | None = None, api_key: str | None = None, timeout: float = 120.0):
        import httpx

        from company_reviewer.config import Settings

        settings = Settings.from_env()
        self.base_url = (base_url or settings.finetune_base_url or DEFAULT_BASE_URL).rstrip("/")
        key = api_key or settings.finetune_api_key
        if not key and self.base_url == DEFAULT_BASE_URL:
            raise FineTuneJobError("no API key for api.openai.com: set OPENAI_API_KEY or pass --api-key")
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self._http = httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout)

    def _call(self, method: str, path: str, **kwargs) -> dict:
        import httpx

        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise FineTuneJobError(f"{self.base_url} unreachable ({exc}); check --base-url") from exc
        if response.status_code >= 400:
            try:
                message = response.json()["error"]["message"]
            except (ValueError, KeyError, TypeError):
                message = response.text[:500]
            raise FineTuneJobError(f"{method} {self.base_url}{path}: HTTP {response.status_code}: {message}")
        return response.json()

    def upload_file(self, path: str | Path, purpose: str = "fine-tune") -> dict:
        path = Path(path)
        with path.open("rb") as handle:
            return self._call("POST", "/files", data={"purpose": purpose},
                              files={"file": (path.name, handle, "application/jsonl")})

    def create_job(self, *, model: str, training_file: str, validation_file: str | None = None,
                   suffix: str | None = None, seed: int | None = None, n_epochs: int | str = "auto") -> dict:
        payload: dict[str, Any] = {"model": model, "training_file": training_file,
                                   "method": {"type": "supervised",
                                              "supervised": {"hyperparameters": {"n_epochs": n_epochs}}}}
        if validation_file:
            payload["validation_file"] = validation_file
        if suffix:
            payload["suffix"] = suffix
        if seed is not None:
            payload["seed"] = seed
        return self._call("POST", "/fine_tuning/jobs", json=payload)

    def get_job(self, job_id: str) -> dict:
        return self._call("GET", f"/fine_tuning/jobs/{job_id}")

    def events(self, job_id: str, limit: int = 100) -> list[dict]:
        """The job's events, oldest first (the API lists newest first)."""
        data = self._call("GET", f"/fine_tuning/jobs/{job_id}/events", params={"limit": limit}).get("data") or []
        return sorted(data, key=lambda e: (e.get("created_at") or 0, str(e.get("id"))))

    def cancel(self, job_id: str) -> dict:
        return self._call("POST", f"/fine_tuning/jobs/{job_id}/cancel")

    def wait(self, job_id: str, *, poll_seconds: float = 30.0, timeout_seconds: float = 6 * 3600,
             on_event: Callable[[dict], None] | None = None) -> dict:
        """Poll until the job succeeds, fails or is cancelled; each new event goes to ``on_event``."""
        seen: set[str] = set()
        deadline = time.monotonic() + timeout_seconds
        while True:
            job = self.get_job(job_id)
            for event in self.events(job_id):
                if str(event.get("id")) not in seen:
                    seen.add(str(event.get("id")))
                    if on_event:
                        on_event(event)
            if job.get("status") in TERMINAL:
                return job
            if time.monotonic() > deadline:
                raise FineTuneJobError(f"job {job_id} still {job.get('status')} after {timeout_seconds:.0f} s; "
                                       f"run `company-reviewer finetune job --resume {job_id}` to keep waiting")
            time.sleep(poll_seconds)


def registry_path() -> Path:
    from company_reviewer.config import Settings

    return Settings.from_env().finetune_dir / "models.json"


def read_registry(path: Path | None = None) -> list[dict]:
    path = path or registry_path()
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else []


def record_job(job: dict, *, base_url: str, files: dict[str, str], path: Path | None = None) -> dict:
    """Add (or update, by job id) the job's outcome in the JSON registry; log it to tracking."""
    path = path or registry_path()
    record = {
        "job_id": job.get("id"), "status": job.get("status"), "base_model": job.get("model"),
        "fine_tuned_model": job.get("fine_tuned_model"), "trained_tokens": job.get("trained_tokens"),
        "base_url": base_url, "training_file_id": job.get("training_file"),
        "validation_file_id": job.get("validation_file"), "error": job.get("error"),
        "files": {name: {"path": p, "sha256": hashlib.sha256(Path(p).read_bytes()).hexdigest()}
                  for name, p in files.items() if p and Path(p).exists()},
        "recorded_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    if record["status"] == "succeeded":
        from company_reviewer.tracking import log_run  # warns and returns None when unreachable

        record["tracking_run_id"] = log_run(
            "finetune", params={k: v for k, v in record.items() if k not in ("files", "error")},
            metrics={"trained_tokens": record["trained_tokens"] or 0},
            tags={"fine_tuned_model": str(record["fine_tuned_model"])},
        )
    rows = [r for r in read_registry(path) if r.get("job_id") != record["job_id"]] + [record]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(rows, indent=2), encoding="utf-8")
    tmp.replace(path)  # atomic: a crash never leaves a half-written registry
    return record


def run_job(client: FineTuningClient, *, train_file: str | Path, model: str,
            validation_file: str | Path | None = None, suffix: str | None = None, seed: int | None = None,
            n_epochs: int | str = "auto", poll_seconds: float = 30.0, timeout_seconds: float = 6 * 3600,
            on_event: Callable[[dict], None] | None = None) -> dict:
    """Upload, create, wait, record. Returns the registry record; raises when the job did not succeed."""
    training = client.upload_file(train_file)
    validation = client.upload_file(validation_file) if validation_file else None
    job = client.create_job(model=model, training_file=training["id"],
                            validation_file=validation["id"] if validation else None,
                            suffix=suffix, seed=seed, n_epochs=n_epochs)
    if on_event:
        on_event({"message": f"created job {job['id']} ({job.get('status')}) on {client.base_url}"})
    final = client.wait(job["id"], poll_seconds=poll_seconds, timeout_seconds=timeout_seconds, on_event=on_event)
    record = record_job(final, base_url=client.base_url,
                        files={"train": str(train_file), "validation": str(validation_file or "")})
    if final.get("status") != "succeeded" or not final.get("fine_tuned_model"):
        error = (final.get("error") or {}).get("message") or "no fine-tuned model returned"
        raise FineTuneJobError(f"job {final.get('id')} {final.get('status')}: {error}")
    return record
