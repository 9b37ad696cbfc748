"""The monitoring report: an HTML page with a plot per check, and a machine-readable summary."""

from __future__ import annotations

import base64
import html
import io
from typing import Any, Sequence

from company_reviewer.monitor.checks import Check

_PLOTTED_VALUES = ("reference_values", "current_values")


def summary(checks: Sequence[Check], *, reference: str, current: str, thresholds: dict[str, Any]) -> dict[str, Any]:
    """What ``--json`` prints: every check without its raw values, and the verdict."""
    def compact(check: Check) -> dict[str, Any]:
        data = check.to_dict()
        data["detail"] = {k: v for k, v in data["detail"].items() if k not in _PLOTTED_VALUES}
        return data

    drifted = [c.name for c in checks if c.drifted]
    return {"reference": reference, "current": current, "drift": bool(drifted), "drifted": drifted,
            "thresholds": thresholds, "checks": [compact(c) for c in checks]}


def _figure_png(check: Check) -> str | None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    detail = check.detail
    fig, ax = plt.subplots(figsize=(5.2, 2.6), dpi=90)
    try:
        if "reference_values" in detail and "current_values" in detail:
            a, b = np.asarray(detail["reference_values"]), np.asarray(detail["current_values"])
            if not len(a) or not len(b):
                return None
            top = np.percentile(np.r_[a, b], 99)
            bins = np.linspace(min(a.min(), b.min()), top if top > 0 else 1, 30)
            ax.hist(a, bins=bins, alpha=0.55, density=True, label="reference")
            ax.hist(b, bins=bins, alpha=0.55, density=True, label="current")
        elif "categories" in detail:
            labels = [str(c) for c in detail["categories"]]
            x = np.arange(len(labels))
            ax.bar(x - 0.2, detail["reference"], 0.4, label="reference")
            ax.bar(x + 0.2, detail["current"], 0.4, label="current")
            ax.set_xticks(x, labels, rotation=45 if len(labels) > 5 else 0, ha="right", fontsize=7)
            ax.set_ylabel("share")
        else:
            return None
        ax.legend(fontsize=7)
        ax.set_title(f"{check.name}: {check.statistic} {check.value:.3f}", fontsize=9)
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        return base64.b64encode(buffer.getvalue()).decode()
    finally:
        plt.close(fig)


def to_html(checks: Sequence[Check], *, reference: str, current: str) -> str:
    drifted = [c for c in checks if c.drifted]
    verdict = (f"<p class='bad'><b>Drift:</b> {len(drifted)} of {len(checks)} checks crossed their threshold "
               f"({html.escape(', '.join(c.name for c in drifted))}).</p>" if drifted
               else f"<p class='ok'><b>No drift:</b> all {len(checks)} checks are under their thresholds.</p>")
    rows = "".join(
        f"<tr class='{'bad' if c.drifted else ''}'><td>{html.escape(c.name)}</td><td>{c.kind}</td>"
        f"<td>{c.statistic}</td><td>{c.value:.3f}</td><td>{c.threshold:g}</td>"
        f"<td>{c.n_reference}</td><td>{c.n_current}</td><td>{'DRIFT' if c.drifted else 'ok'}</td></tr>"
        for c in checks)
    plots = []
    for check in checks:
        png = _figure_png(check)
        if png:
            plots.append(f"<figure><img alt='{html.escape(check.name)}' src='data:image/png;base64,{png}'>"
                         f"<figcaption>{html.escape(check.name)}</figcaption></figure>")
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>Drift report</title>
<style>body{{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:3px 8px;font-size:13px}}
tr.bad td{{background:#fde2e1}}.bad{{color:#a40000}}.ok{{color:#1a6b1a}}
figure{{display:inline-block;margin:6px}}figcaption{{font-size:12px;text-align:center}}</style></head><body>
<h1>Drift report</h1><p>Reference: <code>{html.escape(reference)}</code> &nbsp;\
 Current: <code>{html.escape(current)}</code></p>
{verdict}
<table><tr><th>check</th><th>kind</th><th>statistic</th><th>value</th><th>threshold</th>
<th>n reference</th><th>n current</th><th>result</th></tr>{rows}</table>
<h2>Distributions</h2>{''.join(plots)}
<p style="font-size:12px">Thresholds and their meaning: README, section "Monitoring".</p></body></html>"""
