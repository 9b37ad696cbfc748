"""The checks ``company-reviewer monitor`` runs, each with a documented threshold.

Thresholds (effect sizes, chosen on real shifts; see README "Monitoring"): a random split of one
period stays far below all of them (text-length KS 0.01, PSIs under 0.01, mention difference 0.05,
embedding AUC 0.51 on the shared Glassdoor data) while Glassdoor 2008-2015 against 2024-2025 and
German kununu against English Glassdoor cross several (KS 0.32 and 0.44; AUC 0.90 and 1.00).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from company_reviewer.monitor import features as F
from company_reviewer.monitor import stats as S


@dataclass(frozen=True)
class Thresholds:
    text_length_ks: float = 0.10          # KS distance of review length (characters)
    language_psi: float = 0.20            # PSI of the language mix (0.1 moderate, 0.2+ major shift)
    stars_psi: float = 0.20               # PSI of each star-rating distribution
    mention_share_diff: float = 0.10      # largest change in the share of reviews mentioning a dimension
    embedding_auc: float = 0.65           # a classifier tells current from reference embeddings this well
    rating_ks: float = 0.20               # KS distance of predicted ratings per dimension
    null_share_increase: float = 0.10     # rise in the share of null ratings per dimension
    fallback_share: float = 0.20          # LLM outputs that fell back to the embedded writer
    grounding_drop_share: float = 0.30    # LLM sentences dropped by the grounding check
    latency_p95_ratio: float = 2.0        # current p95 latency over the reference p95
    error_share: float = 0.05             # failed requests in the prediction log
    min_samples: int = 30                 # fewer values on a side: reported, never flagged


@dataclass
class Check:
    name: str
    kind: str                     # data | prediction | health
    statistic: str
    value: float
    threshold: float
    drifted: bool
    n_reference: int
    n_current: int
    detail: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _enough(n_ref: int, n_cur: int, thresholds: Thresholds) -> bool:
    return n_ref >= thresholds.min_samples and n_cur >= thresholds.min_samples


def data_checks(reference: pd.DataFrame, current: pd.DataFrame, *, thresholds: Thresholds = Thresholds(),
                sample_size: int = 1000, random_state: int = 0, embed: bool = True) -> list[Check]:
    t = thresholds
    checks: list[Check] = []
    ref_len, cur_len = F.text_lengths(reference), F.text_lengths(current)
    d, p = S.ks(ref_len, cur_len)
    checks.append(Check("text_length", "data", "ks", d, t.text_length_ks,
                        _enough(len(ref_len), len(cur_len), t) and d >= t.text_length_ks and p < 0.01,
                        len(ref_len), len(cur_len),
                        {"p_value": p, "psi": S.psi_numeric(ref_len, cur_len),
                         "reference_median": float(np.median(ref_len)), "current_median": float(np.median(cur_len)),
                         "reference_values": ref_len.tolist(), "current_values": cur_len.tolist()}))

    ref_lang, cur_lang = F.languages(reference), F.languages(current)
    categories, p_ref, p_cur = S.categorical_shares(ref_lang, cur_lang)
    value = S.psi_from_shares(p_ref, p_cur)
    checks.append(Check("language_mix", "data", "psi", value, t.language_psi,
                        _enough(len(ref_lang), len(cur_lang), t) and value >= t.language_psi,
                        len(ref_lang), len(cur_lang),
                        {"categories": [str(c) for c in categories], "reference": p_ref.tolist(),
                         "current": p_cur.tolist(), "chi2_p_value": S.chi_squared(ref_lang, cur_lang)[1]}))

    ref_stars, cur_stars = F.star_ratings(reference), F.star_ratings(current)
    for name in sorted(set(ref_stars) & set(cur_stars)):
        a, b = ref_stars[name], cur_stars[name]
        stars, p_ref, p_cur = S.categorical_shares(a, b)
        value = S.psi_from_shares(p_ref, p_cur) if len(a) and len(b) else 0.0
        checks.append(Check(f"stars_{name}", "data", "psi", value, t.stars_psi,
                            _enough(len(a), len(b), t) and value >= t.stars_psi, len(a), len(b),
                            {"categories": [float(s) for s in stars], "reference": p_ref.tolist(),
                             "current": p_cur.tolist(),
                             "reference_mean": float(a.mean()) if len(a) else None,
                             "current_mean": float(b.mean()) if len(b) else None}))

    ref_sample = _sample(reference, sample_size, random_state)
    cur_sample = _sample(current, sample_size, random_state)
    ref_m, cur_m = F.dimension_mentions(ref_sample), F.dimension_mentions(cur_sample)
    diff = (cur_m.mean() - ref_m.mean())
    value = float(diff.abs().max()) if len(diff) else 0.0
    checks.append(Check("dimension_mentions", "data", "max_share_diff", value, t.mention_share_diff,
                        _enough(len(ref_m), len(cur_m), t) and value >= t.mention_share_diff,
                        len(ref_m), len(cur_m),
                        {"categories": list(ref_m.columns), "reference": ref_m.mean().tolist(),
                         "current": cur_m.mean().tolist(),
                         "psi": S.psi_from_shares(ref_m.sum().to_numpy() + 1, cur_m.sum().to_numpy() + 1),
                         "largest": str(diff.abs().idxmax()) if len(diff) else None}))

    if embed:
        auc = S.domain_classifier_auc(F.embeddings(ref_sample), F.embeddings(cur_sample), random_state=random_state)
        checks.append(Check("embedding", "data", "domain_auc", auc, t.embedding_auc,
                            _enough(len(ref_sample), len(cur_sample), t) and auc >= t.embedding_auc,
                            len(ref_sample), len(cur_sample), {}))
    return checks


def _sample(frame: pd.DataFrame, size: int, random_state: int) -> pd.DataFrame:
    if len(frame) <= size:
        return frame.reset_index(drop=True)
    return frame.sample(size, random_state=random_state).reset_index(drop=True)


def prediction_checks(reference: pd.DataFrame, current: pd.DataFrame, *,
                      thresholds: Thresholds = Thresholds()) -> list[Check]:
    """Prediction drift and silent-failure signals from two sets of served outputs.

    Each frame has an ``output`` column (the company-review JSON as a dict) and optionally
    ``latency_ms`` and ``status`` (the prediction log's columns).
    """
    t = thresholds
    checks: list[Check] = []
    ref_ratings, cur_ratings = _ratings(reference), _ratings(current)
    for dimension in sorted(set(ref_ratings.columns) & set(cur_ratings.columns)):
        a, b = ref_ratings[dimension].dropna().to_numpy(), cur_ratings[dimension].dropna().to_numpy()
        d, p = S.ks(a, b)
        checks.append(Check(f"rating_{dimension}", "prediction", "ks", d, t.rating_ks,
                            _enough(len(a), len(b), t) and d >= t.rating_ks, len(a), len(b),
                            {"p_value": p, "reference_values": a.tolist(), "current_values": b.tolist(),
                             "reference_mean": float(a.mean()) if len(a) else None,
                             "current_mean": float(b.mean()) if len(b) else None}))
        null_ref = float(ref_ratings[dimension].isna().mean()) if len(ref_ratings) else 0.0
        null_cur = float(cur_ratings[dimension].isna().mean()) if len(cur_ratings) else 0.0
        rise = null_cur - null_ref
        checks.append(Check(f"null_rating_{dimension}", "health", "null_share_increase", rise,
                            t.null_share_increase,
                            _enough(len(ref_ratings), len(cur_ratings), t) and rise >= t.null_share_increase,
                            len(ref_ratings), len(cur_ratings), {"reference": null_ref, "current": null_cur}))
    checks.extend(_health(reference, current, t))
    return checks


def _ratings(frame: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for output in frame.get("output", pd.Series(dtype=object)):
        if not isinstance(output, dict):
            continue
        rows.append({d: (v or {}).get("rating") for d, v in (output.get("dimensions") or {}).items()})
    return pd.DataFrame(rows, dtype=float)


def _llm_shares(frame: pd.DataFrame) -> tuple[float, float, int]:
    """(share of outputs with a fallback, share of LLM sentences dropped, outputs that used an LLM)."""
    fallbacks, used, kept, dropped = 0, 0, 0, 0
    for output in frame.get("output", pd.Series(dtype=object)):
        usage = (output or {}).get("usage") if isinstance(output, dict) else None
        if not usage or not usage.get("llm_calls"):
            continue
        used += 1
        fallbacks += bool(usage.get("fallbacks"))
        for dimension in (output.get("dimensions") or {}).values():
            generation = (dimension or {}).get("generation") or {}
            kept += len(generation.get("kept") or [])
            dropped += len(generation.get("dropped") or [])
    return (fallbacks / used if used else 0.0), (dropped / (kept + dropped) if kept + dropped else 0.0), used


def _health(reference: pd.DataFrame, current: pd.DataFrame, t: Thresholds) -> list[Check]:
    checks = []
    fallback, dropped, used = _llm_shares(current)
    if used:
        checks.append(Check("llm_fallbacks", "health", "share", fallback, t.fallback_share,
                            used >= t.min_samples and fallback >= t.fallback_share, 0, used, {}))
        checks.append(Check("grounding_failures", "health", "share", dropped, t.grounding_drop_share,
                            used >= t.min_samples and dropped >= t.grounding_drop_share, 0, used, {}))
    if "latency_ms" in current.columns and "latency_ms" in reference.columns:
        a = pd.to_numeric(reference["latency_ms"], errors="coerce").dropna()
        b = pd.to_numeric(current["latency_ms"], errors="coerce").dropna()
        if len(a) and len(b):
            ratio = float(np.percentile(b, 95) / max(np.percentile(a, 95), 1e-9))
            checks.append(Check("latency_p95", "health", "ratio", ratio, t.latency_p95_ratio,
                                _enough(len(a), len(b), t) and ratio >= t.latency_p95_ratio, len(a), len(b),
                                {"reference_p95_ms": float(np.percentile(a, 95)),
                                 "current_p95_ms": float(np.percentile(b, 95))}))
    if "status" in current.columns and len(current):
        errors = float((current["status"].astype(str) == "error").mean())
        checks.append(Check("errors", "health", "share", errors, t.error_share,
                            len(current) >= t.min_samples and errors >= t.error_share, len(reference),
                            len(current), {}))
    return checks
