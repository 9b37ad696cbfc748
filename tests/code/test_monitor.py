"""Drift statistics, source parsing, prediction checks and the webhook, on data made here."""

from __future__ import annotations

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import numpy as np
import pandas as pd
import pytest

from company_reviewer.monitor import stats as S
from company_reviewer.monitor.checks import Thresholds, prediction_checks
from company_reviewer.monitor.predictions import log_windows, read_prediction_file
from company_reviewer.monitor.run import notify_webhook
from company_reviewer.monitor.sources import SourceError, parse_source


def test_psi_is_zero_for_identical_and_large_for_disjoint_distributions():
    assert S.psi_categorical(list("aabbc"), list("aabbc")) == pytest.approx(0.0, abs=1e-9)
    assert S.psi_categorical(["en"] * 50, ["de"] * 50) > 5
    rng = np.random.default_rng(0)
    same = S.psi_numeric(rng.normal(0, 1, 5000), rng.normal(0, 1, 5000))
    moved = S.psi_numeric(rng.normal(0, 1, 5000), rng.normal(1, 1, 5000))
    assert same < 0.02 < 0.2 < moved


def test_ks_and_chi_squared_agree_with_scipy_on_clear_cases():
    d, p = S.ks([1, 2, 3, 4] * 50, [11, 12, 13, 14] * 50)
    assert d == pytest.approx(1.0) and p < 1e-10
    _, p_same, v_same = S.chi_squared(list("ab") * 100, list("ab") * 100)
    assert p_same > 0.9 and v_same < 0.01


def test_domain_classifier_auc_separates_shifted_embeddings_only():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(300, 16)), rng.normal(size=(300, 16))
    assert abs(S.domain_classifier_auc(a, b) - 0.5) < 0.1
    assert S.domain_classifier_auc(a, b + 0.8) > 0.9


def test_source_grammar_reads_windows_and_rejects_bad_dates():
    source = parse_source("reviews.csv.gz@2008..2015")
    assert source.base == "reviews.csv.gz"
    assert source.start == dt.date(2008, 1, 1) and source.end == dt.date(2015, 12, 31)
    open_ended = parse_source("store@2024-03-01..")
    assert open_ended.start == dt.date(2024, 3, 1) and open_ended.end is None
    assert parse_source("my-snapshot").base == "my-snapshot"
    with pytest.raises(SourceError, match="not a year"):
        parse_source("store@20x..2015")


def _outputs(means: dict[str, float], n: int, seed: int, null_share: float = 0.0) -> list[dict]:
    rng = np.random.default_rng(seed)
    outputs = []
    for _ in range(n):
        dims = {}
        for dimension, mean in means.items():
            rating = None if rng.random() < null_share else float(np.clip(rng.normal(mean, 0.3), 1, 5))
            dims[dimension] = {"rating": rating}
        outputs.append({"company": "x", "dimensions": dims})
    return outputs


def test_prediction_checks_flag_a_rating_shift_and_a_rise_in_null_ratings():
    reference = pd.DataFrame({"output": _outputs({"salary": 3.5, "culture": 3.5}, 80, 0)})
    same = pd.DataFrame({"output": _outputs({"salary": 3.5, "culture": 3.5}, 80, 1)})
    shifted = pd.DataFrame({"output": _outputs({"salary": 2.4, "culture": 3.5}, 80, 2, null_share=0.3)})
    assert not any(c.drifted for c in prediction_checks(reference, same))
    drifted = {c.name for c in prediction_checks(reference, shifted) if c.drifted}
    assert "rating_salary" in drifted and "rating_culture" not in drifted
    assert {"null_rating_salary", "null_rating_culture"} <= drifted


def test_prediction_checks_report_llm_fallbacks_grounding_and_latency():
    def llm_output(fallbacks: int, dropped: int) -> dict:
        return {"dimensions": {"salary": {"rating": 3.0, "generation": {"kept": ["a"], "dropped": ["b"] * dropped}}},
                "usage": {"llm_calls": 12, "fallbacks": fallbacks}}

    reference = pd.DataFrame({"output": [llm_output(0, 0)] * 40, "latency_ms": [100.0] * 40, "status": ["ok"] * 40})
    current = pd.DataFrame({"output": [llm_output(1, 3)] * 40, "latency_ms": [450.0] * 40,
                            "status": ["ok"] * 36 + ["error"] * 4})
    checks = {c.name: c for c in prediction_checks(reference, current, thresholds=Thresholds())}
    assert checks["llm_fallbacks"].drifted and checks["llm_fallbacks"].value == 1.0
    assert checks["grounding_failures"].value == pytest.approx(0.75)
    assert checks["latency_p95"].drifted and checks["latency_p95"].value == pytest.approx(4.5)
    assert checks["errors"].drifted


def test_prediction_files_read_jsonl_and_arrays(tmp_path):
    outputs = _outputs({"salary": 3.0}, 3, 0)
    (tmp_path / "a.jsonl").write_text("".join(json.dumps(o) + "\n" for o in outputs))
    (tmp_path / "b.json").write_text(json.dumps(outputs))
    assert len(read_prediction_file(tmp_path / "a.jsonl")) == len(read_prediction_file(tmp_path / "b.json")) == 3


def test_prediction_log_windows_on_an_empty_store(engine):
    reference, current = log_windows(engine, window_days=7)
    assert reference.empty and current.empty


def test_webhook_receives_the_summary_over_real_http():
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's naming
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.handle_request, daemon=True)
    thread.start()
    notify_webhook(f"http://127.0.0.1:{server.server_port}/hook", {"drifted": ["text_length"], "drift": True})
    thread.join(5)
    server.server_close()
    assert received and received[0]["drifted"] == ["text_length"] and "text_length" in received[0]["text"]
