"""``company-reviewer monitor`` as a library call: load both sides, run the checks, write the
report, notify a webhook when something drifted."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from company_reviewer.monitor.checks import Check, Thresholds, data_checks, prediction_checks
from company_reviewer.monitor.report import summary, to_html


@dataclass
class MonitorResult:
    checks: list[Check]
    summary: dict[str, Any]

    @property
    def drift(self) -> bool:
        return any(c.drifted for c in self.checks)


def run_monitor(reference: str, current: str, *, database_url: str | None = None, preset: str | None = None,
                reference_predictions: str | None = None, current_predictions: str | None = None,
                use_prediction_log: bool = True, window_days: float = 7.0,
                thresholds: Thresholds = Thresholds(), sample_size: int = 1000, embed: bool = True,
                random_state: int = 0, report_path: str | Path | None = None) -> MonitorResult:
    from company_reviewer.monitor import predictions as P
    from company_reviewer.monitor.sources import load_source

    checks = data_checks(load_source(reference, database_url=database_url, preset=preset),
                         load_source(current, database_url=database_url, preset=preset),
                         thresholds=thresholds, sample_size=sample_size, random_state=random_state, embed=embed)
    if reference_predictions and current_predictions:
        checks += prediction_checks(P.read_prediction_file(reference_predictions),
                                    P.read_prediction_file(current_predictions), thresholds=thresholds)
    elif use_prediction_log:
        from company_reviewer.store.db import get_engine

        ref_log, cur_log = P.log_windows(get_engine(database_url), window_days=window_days)
        if len(ref_log) or len(cur_log):
            checks += prediction_checks(ref_log, cur_log, thresholds=thresholds)
    result = MonitorResult(checks, summary(checks, reference=reference, current=current,
                                           thresholds=asdict(thresholds)))
    if report_path:
        Path(report_path).write_text(to_html(checks, reference=reference, current=current), encoding="utf-8")
    return result


def notify_webhook(url: str, payload: dict[str, Any], timeout: float = 10.0) -> None:
    """POST the summary as JSON (Slack/Teams-style incoming webhooks accept a JSON body)."""
    import httpx

    body = {"text": f"company-reviewer drift: {', '.join(payload['drifted'])}", **payload}
    response = httpx.post(url, content=json.dumps(body), headers={"Content-Type": "application/json"},
                          timeout=timeout)
    response.raise_for_status()
