"""A local server speaking the OpenAI wire protocol for files, fine-tuning jobs and chat completions.

Real HTTP on 127.0.0.1, real multipart parsing, the provider's checks on a training file, and job
states that move validating_files -> running -> succeeded (one step per status poll), so the
client's upload/create/poll/record loop runs exactly as against a provider. Chat completions answer
a grounded prompt with a JSON paragraph built from its excerpts and record every request, which lets
tests compare the prompts the LLM reviewer sends with the ones training pairs contain.
"""

from __future__ import annotations

import email.parser
import email.policy
import itertools
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

API_KEY = "test-key"
STATES = ("validating_files", "queued", "running", "succeeded")


class WireState:
    def __init__(self) -> None:
        self.files: dict[str, dict] = {}
        self.jobs: dict[str, dict] = {}
        self.events: dict[str, list[dict]] = {}
        self.chat_requests: list[dict] = []
        self.ids = itertools.count(1)
        self.lock = threading.Lock()

    def new_id(self, prefix: str) -> str:
        return f"{prefix}-{next(self.ids):06d}"


def _training_file_problem(content: bytes) -> str | None:
    """What OpenAI's file validation would say about a chat fine-tuning file (None: fine)."""
    lines = [line for line in content.decode("utf-8").splitlines() if line.strip()]
    if len(lines) < 2:
        return f"training file has {len(lines)} example(s); at least 2 are required"
    for number, line in enumerate(lines, start=1):
        try:
            messages = json.loads(line)["messages"]
        except (ValueError, KeyError, TypeError):
            return f"line {number}: not a JSON object with messages"
        if not messages or messages[-1].get("role") != "assistant":
            return f"line {number}: the last message must be from the assistant"
        if any(not isinstance(m.get("content"), str) or not m["content"] for m in messages):
            return f"line {number}: a message has no content"
    return None


def _paragraph_answer(messages: list[dict]) -> str:
    """A deterministic grounded paragraph: the first praised and criticised excerpts, verbatim."""
    user = messages[-1]["content"]
    pros = re.findall(r"^\d+\. \[\+\] (.+)$", user, flags=re.M)[:2]
    cons = re.findall(r"^\d+\. \[-\] (.+)$", user, flags=re.M)[:2]
    topic = re.search(r"Topic: ([^(]+) \(", user)
    name = topic.group(1).strip().lower() if topic else "this topic"
    summary = f"Reviewers discuss {name}." + (f" Praise: {pros[0]}" if pros else "")
    return json.dumps({"summary": summary[:400], "pros": [p[:140] for p in pros], "cons": [c[:140] for c in cons]})


class Handler(BaseHTTPRequestHandler):
    state: WireState

    def log_message(self, *args) -> None:  # keep test output quiet
        pass

    def _send(self, status: int, payload: dict) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _error(self, status: int, message: str, code: str = "invalid_request_error") -> None:
        self._send(status, {"error": {"message": message, "type": code, "param": None, "code": None}})

    def _authorized(self) -> bool:
        if self.headers.get("Authorization") != f"Bearer {API_KEY}":
            self._error(401, "Incorrect API key provided.", "invalid_api_key")
            return False
        return True

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        if not self._authorized():
            return
        path = self.path.split("?")[0]
        if path == "/v1/files":
            return self._upload()
        if path == "/v1/fine_tuning/jobs":
            return self._create_job(json.loads(self._body() or b"{}"))
        if path == "/v1/chat/completions":
            request = json.loads(self._body())
            with self.state.lock:
                self.state.chat_requests.append(request)
            content = _paragraph_answer(request["messages"])
            return self._send(200, {"id": "chatcmpl-1", "object": "chat.completion", "model": request["model"],
                                    "choices": [{"index": 0, "finish_reason": "stop",
                                                 "message": {"role": "assistant", "content": content}}],
                                    "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20}})
        self._error(404, f"unknown path {path}")

    def _upload(self) -> None:
        content_type = self.headers.get("Content-Type", "")
        if not content_type.startswith("multipart/form-data"):
            return self._error(400, "expected multipart/form-data")
        raw = b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + self._body()
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(raw)
        fields, upload = {}, None
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if part.get_filename():
                upload = (part.get_filename(), part.get_payload(decode=True))
            else:
                fields[name] = part.get_payload(decode=True).decode()
        if fields.get("purpose") != "fine-tune":
            return self._error(400, f"purpose must be fine-tune, got {fields.get('purpose')!r}")
        if upload is None:
            return self._error(400, "missing file")
        file_id = self.state.new_id("file")
        record = {"id": file_id, "object": "file", "bytes": len(upload[1]), "created_at": 1_700_000_000,
                  "filename": upload[0], "purpose": "fine-tune", "status": "processed"}
        with self.state.lock:
            self.state.files[file_id] = {**record, "content": upload[1]}
        self._send(200, record)

    def _create_job(self, payload: dict) -> None:
        for key in ("model", "training_file"):
            if not payload.get(key):
                return self._error(400, f"missing required parameter: {key}")
        for key in ("training_file", "validation_file"):
            if payload.get(key) and payload[key] not in self.state.files:
                return self._error(400, f"invalid {key}: {payload[key]}")
        job_id = self.state.new_id("ftjob")
        job = {"id": job_id, "object": "fine_tuning.job", "model": payload["model"], "status": STATES[0],
               "training_file": payload["training_file"], "validation_file": payload.get("validation_file"),
               "fine_tuned_model": None, "trained_tokens": None, "error": None, "created_at": 1_700_000_000,
               "finished_at": None, "suffix": payload.get("suffix"), "method": payload.get("method")}
        with self.state.lock:
            self.state.jobs[job_id] = job
            self.state.events[job_id] = []
        self._event(job_id, f"Created fine-tuning job: {job_id}")
        self._send(200, job)

    def _event(self, job_id: str, message: str, level: str = "info") -> None:
        events = self.state.events[job_id]
        events.append({"object": "fine_tuning.job.event", "id": f"ftevent-{job_id}-{len(events)}",
                       "created_at": 1_700_000_000 + len(events), "level": level, "message": message,
                       "type": "message"})

    def _advance(self, job: dict) -> None:
        """One state further per poll; a bad training file fails at validation, as OpenAI's does."""
        if job["status"] in ("succeeded", "failed", "cancelled"):
            return
        if job["status"] == "validating_files":
            problem = _training_file_problem(self.state.files[job["training_file"]]["content"])
            if problem:
                job.update(status="failed", error={"code": "invalid_training_file", "message": problem,
                                                   "param": "training_file"})
                self._event(job["id"], f"Training file validation failed: {problem}", "error")
                return
        job["status"] = STATES[STATES.index(job["status"]) + 1]
        self._event(job["id"], f"Job status: {job['status']}")
        if job["status"] == "succeeded":
            content = self.state.files[job["training_file"]]["content"]
            name = f"ft:{job['model']}:company-reviewer:{job['suffix'] or 'model'}:{job['id'][-6:]}"
            job.update(fine_tuned_model=name,
                       trained_tokens=len(content) // 4, finished_at=1_700_000_100)

    def do_GET(self) -> None:  # noqa: N802
        if not self._authorized():
            return
        path = self.path.split("?")[0]
        match = re.fullmatch(r"/v1/fine_tuning/jobs/([\w-]+)(/events)?", path)
        if path == "/v1/models":
            return self._send(200, {"object": "list", "data": [{"id": "teacher-model", "object": "model"}]})
        if not match or match.group(1) not in self.state.jobs:
            return self._error(404, f"no such job or path {path}")
        job = self.state.jobs[match.group(1)]
        if match.group(2):
            events = list(reversed(self.state.events[job["id"]]))  # newest first, like the API
            return self._send(200, {"object": "list", "data": events, "has_more": False})
        with self.state.lock:
            self._advance(job)
        self._send(200, job)


class WireServer:
    """``with WireServer() as server: server.base_url`` -> ``http://127.0.0.1:PORT/v1``."""

    def __init__(self) -> None:
        self.state = WireState()
        handler = type("BoundHandler", (Handler,), {"state": self.state})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self) -> "WireServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
