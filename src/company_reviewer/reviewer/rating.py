"""Star ratings of a company from its reviews' text: per-review heads + company calibration.

How it works (each step fitted on training companies only):

1. Split each review into opinion units (the segmentation the detector and the quotes use) and
   encode them with the shared :class:`~company_reviewer.embedding.Encoder`.
2. :class:`~company_reviewer.reviewer.unit_attention.UnitAttentionHeads` reads a review's units
   with per-target attention and predicts its sub-ratings, fitted on the reviews that have them.
3. A company's raw score is the trimmed mean of its reviews' predictions. Regression shrinks
   towards the global mean, so raw company scores are compressed; a per-target linear calibration
   maps them back. It is fitted on out-of-fold review predictions (inner group folds by company)
   of random 50-review draws of each training company, i.e. on exactly what prediction sees.
4. Optional (``company_alpha``, off by default): a company-level ridge on the draw's mean
   per-field unit embeddings for what the calibrated score still misses. In company
   cross-validation it gained about 0.003 MAE, but it made ratings fragile: one off-topic sentence
   appended to every pros and cons moved senior management by 0.28 stars through it (0.01 without).
5. Intervals: bootstrap over reviews of the final score, widened by the calibration's residual
   spread (scaled up by sqrt(50 / n) for companies with fewer reviews), clipped to [1, 5].
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from company_reviewer.reviewer.rating_features import (
    TARGETS,
    company_folds,
    company_view,
    review_units,
    target_frame,
)
from company_reviewer.reviewer.unit_attention import ASIDES, ReviewUnits, UnitAttentionHeads

# Which product dimension is scored by which Glassdoor target; salary and benefits share one.
DIMENSION_TARGETS: dict[str, str] = {
    "salary": "comp_benefits",
    "benefits": "comp_benefits",
    "work_life_balance": "work_life_balance",
    "culture": "culture_values",
    "diversity_inclusion": "diversity_inclusion",
    "career_growth": "career_opportunities",
    "management": "senior_management",
    "overall": "overall",
}
_FORMAT_VERSION = 2


@dataclass(frozen=True)
class RatingEstimate:
    """A company's predicted mean star rating on one target with a bootstrap interval."""

    rating: float | None
    low: float | None
    high: float | None
    n_signal: int


def _trimmed_mean(values: np.ndarray, trim: float, axis: int = 0) -> np.ndarray:
    """Mean after dropping the ``trim`` share of values at each end (robust to odd reviews)."""
    if trim <= 0:
        return values.mean(axis=axis)
    from scipy.stats import trim_mean

    return np.asarray(trim_mean(values, trim, axis=axis))


class RatingModel:
    """Predict a company's mean star rating per target from review text.

    Parameters
    ----------
    hidden : width of the per-review heads' unit layer.
    epochs : training epochs of the per-review heads.
    trim : share trimmed at each end when averaging review predictions into a company score.
    sample_size : reviews per company draw when fitting the calibration (as at prediction).
    n_draws : draws per training company for the calibration.
    inner_folds : company folds for the out-of-fold predictions the calibration is fitted on.
    use_star_ratings : blend reviews' own ``rating_overall`` into predictions when present.
    company_alpha : ridge penalty of the optional company-level correction on mean review
        features; ``None`` (default) turns it off (see step 4 above).
    interval : central coverage of the intervals.
    random_state : seeds the inner folds and the draws.
    encoder : the text encoder; default the process-wide one.
    """

    def __init__(
        self,
        hidden: int = 256,
        epochs: int = 6,
        trim: float = 0.1,
        sample_size: int = 50,
        n_draws: int = 4,
        inner_folds: int = 5,
        use_star_ratings: bool = False,
        company_alpha: float | None = None,
        interval: float = 0.9,
        random_state: int = 0,
        encoder: Any = None,
    ) -> None:
        self.hidden = hidden
        self.epochs = epochs
        self.trim = trim
        self.sample_size = sample_size
        self.n_draws = n_draws
        self.inner_folds = inner_folds
        self.use_star_ratings = use_star_ratings
        self.company_alpha = company_alpha
        self.interval = interval
        self.random_state = random_state
        self.encoder = encoder

    # -- fitting --------------------------------------------------------------------------
    def fit(
        self,
        reviews: pd.DataFrame,
        targets: pd.DataFrame | None = None,
        companies: Sequence[str] | None = None,
    ) -> "RatingModel":
        """Fit the heads and, when ``companies`` is given, the calibration (and the optional
        company-level correction) on out-of-fold predictions.

        ``targets`` holds one column per target (``overall``, ``comp_benefits``, ... or the
        ``rating_*`` names); by default they are read from ``reviews``' ``rating_*`` columns.
        Without ``companies`` there is no calibration: a company's rating is the raw trimmed mean
        of its review predictions.
        """
        units = review_units(reviews, self._encoder()).structured_first()
        y = target_frame(targets if targets is not None else reviews)
        values = y[list(TARGETS)].to_numpy(dtype=float)
        groups = None if companies is None else np.asarray(list(companies), dtype=object)
        if groups is not None and len(groups) != len(reviews):
            raise ValueError("companies must have one key per review row")
        n_folds = min(self.inner_folds, len(pd.unique(groups))) if groups is not None else 0
        from tqdm import tqdm

        progress = tqdm(total=1 + (n_folds if n_folds >= 2 else 0), desc="fitting rating heads",
                        unit=" fit", leave=False, disable=None)
        asides = self._encoder().encode(list(ASIDES))
        self.heads_ = self._new_heads().fit(units, values, asides=asides)
        progress.update()
        n_t = len(TARGETS)
        x, structured = company_view(units)
        self.targets_ = list(TARGETS)
        self.calib_ = np.tile(np.array([0.0, 1.0]), (n_t, 1))
        self.company_coef_ = np.zeros((n_t, x.shape[1]))
        self.company_intercept_ = np.zeros(n_t)
        self.resid_sd_ = np.zeros(n_t)
        self.star_beta_ = np.zeros(n_t)
        if n_folds >= 2:
            fold = company_folds(groups, n_folds, self.random_state)
            oof = np.full(values.shape, np.nan)
            for f in range(n_folds):
                held = np.flatnonzero(fold == f)
                heads = self._new_heads().fit(units, values, rows=np.flatnonzero(fold != f), asides=asides)
                oof[held] = heads.predict(units, held)
                progress.update()
            stars = y["overall"].to_numpy(dtype=float)
            self.star_beta_ = _star_betas(oof, y, stars)
            blended = self._with_stars(oof, stars) if self.use_star_ratings else oof
            # With stars, the company stage is fitted on star-blended predictions: that is what
            # prediction will feed it.
            self._fit_company_stage(blended, y, groups, np.where(structured[:, None], x, np.nan))
        progress.close()
        return self

    def _new_heads(self) -> UnitAttentionHeads:
        return UnitAttentionHeads(hidden=self.hidden, epochs=self.epochs, random_state=self.random_state)

    def _draws(self, groups: np.ndarray) -> list[np.ndarray]:
        """Random ``sample_size``-review draws of each company, as prediction will see them."""
        rng = np.random.default_rng(self.random_state)
        draws: list[np.ndarray] = []
        for key in pd.unique(groups):
            rows = np.flatnonzero(groups == key)
            if len(rows) <= self.sample_size:
                draws.append(rows)
                continue
            draws.extend(rng.choice(rows, self.sample_size, replace=False) for _ in range(self.n_draws))
        return draws

    def _fit_company_stage(self, oof: np.ndarray, y: pd.DataFrame, groups: np.ndarray, x: np.ndarray) -> None:
        """Calibration ``true = a + b * raw`` per target, then a ridge on the draw's mean features
        for what the calibrated score still misses (company-level effects that the per-review
        heads, fitted mostly on within-company variation, do not carry)."""
        values = y.to_numpy(dtype=float)
        draws = self._draws(groups)
        raw = np.vstack([_trimmed_mean(oof[pick], self.trim) for pick in draws])
        xmean = np.vstack([_nanmean_rows(x[pick]) for pick in draws]).astype(np.float64)
        true = np.vstack([_sample_means(values[pick]) for pick in draws])
        for j in range(len(TARGETS)):
            ok = ~np.isnan(true[:, j]) & ~np.isnan(raw[:, j]) & ~np.isnan(xmean).any(axis=1)
            if ok.sum() < 5:
                continue
            slope, icpt = np.polyfit(raw[ok, j], true[ok, j], 1)
            self.calib_[j] = (icpt, slope)
            resid = true[ok, j] - (icpt + slope * raw[ok, j])
            # The spread before the residual ridge: an in-sample residual after it would be
            # optimistic, and it only feeds the interval width.
            self.resid_sd_[j] = float(np.std(resid))
            if self.company_alpha is not None and ok.sum() >= 20:
                xs = xmean[ok]
                mu = xs.mean(axis=0)
                xc = xs - mu
                gram = xc.T @ xc
                gram[np.diag_indices_from(gram)] += self.company_alpha
                w = np.linalg.solve(gram, xc.T @ (resid - resid.mean()))
                self.company_coef_[j] = w
                self.company_intercept_[j] = resid.mean() - mu @ w

    # -- prediction -----------------------------------------------------------------------
    def predict_reviews(self, reviews: pd.DataFrame, units: ReviewUnits | None = None) -> pd.DataFrame:
        """Per-review predicted stars, one column per target (before the company stage, so not
        clipped; NaN for a review without text). ``units``: the reviews' units, if already encoded."""
        self._check_fitted()
        units = units if units is not None else review_units(reviews, self._encoder())
        return pd.DataFrame(self._raw(units, reviews), columns=self.targets_, index=reviews.index)

    def _raw(self, units: ReviewUnits, reviews: pd.DataFrame) -> np.ndarray:
        out = self.heads_.predict(units.structured_first())
        if self.use_star_ratings and "rating_overall" in reviews.columns:
            stars = pd.to_numeric(reviews["rating_overall"], errors="coerce").to_numpy(dtype=float)
            out = self._with_stars(out, stars)
        return out

    def _with_stars(self, raw: np.ndarray, stars: np.ndarray) -> np.ndarray:
        """Blend reviews' own overall stars in: they replace the text estimate of overall and
        shift every sub-rating by ``beta * (stars - text estimate)``, beta fitted on training
        reviews (the residual regression of each sub-rating on the overall residual)."""
        out = raw.copy()
        has = ~np.isnan(stars) & ~np.isnan(raw[:, 0])
        delta = stars[has] - out[has, 0]
        out[has] += np.outer(delta, self.star_beta_)
        out[has, 0] = stars[has]
        return out

    def _company_score(self, raw: np.ndarray, correction: np.ndarray) -> np.ndarray:
        """Calibrated and corrected company score(s); inputs may carry a leading batch axis."""
        score = self.calib_[:, 0] + self.calib_[:, 1] * raw
        score = score + np.where(np.isnan(correction), 0.0, correction + self.company_intercept_)
        return np.clip(score, 1.0, 5.0)

    def predict_company(
        self, reviews: pd.DataFrame, n_boot: int = 200, random_state: int = 0, units: ReviewUnits | None = None
    ) -> dict[str, RatingEstimate]:
        """The company's mean star rating per target, with a bootstrap interval over reviews.

        ``units``: the reviews' opinion units with embeddings when the caller already has them
        (the embedded reviewer does), so the text is not encoded twice."""
        self._check_fitted()
        units = units if units is not None else review_units(reviews, self._encoder())
        has_text = units.counts() > 0
        n_signal = int(has_text.sum())
        if n_signal == 0:
            return {t: RatingEstimate(None, None, None, 0) for t in self.targets_}
        use = np.flatnonzero(has_text)
        raw = self._raw(units, reviews)[use]
        # The company correction is linear in the mean per-field features, so it equals the mean
        # of per-review projections; free-text-only reviews (no pros/cons) do not count. Off by
        # default (all-zero coefficients): then there is nothing to compute.
        proj = np.zeros((len(use), len(self.targets_)))
        if np.any(self.company_coef_):
            x, structured = company_view(units)
            proj = np.where(structured[:, None], x @ self.company_coef_.T, np.nan)[use]
        point = self._company_score(_trimmed_mean(raw, self.trim), _nanmean_rows(proj))
        rng = np.random.default_rng(random_state)
        idx = rng.integers(0, len(use), (max(n_boot, 1), len(use)))
        boots = self._company_score(_trimmed_mean(raw[idx], self.trim, axis=1), _nanmean_rows(proj[idx], axis=1))
        tail = (1.0 - self.interval) / 2.0
        lo, hi = np.quantile(boots, [tail, 1.0 - tail], axis=0)
        # The bootstrap sees only sampling noise of the reviews; the calibration residual adds
        # the model's own error (normal quantile of the same coverage).
        from scipy.stats import norm

        z = float(norm.ppf(1.0 - tail))
        # resid_sd_ was measured on sample_size-review draws; fewer reviews mean more error
        # (roughly 1/sqrt(n)), which a bootstrap of a handful of reviews does not show.
        model_sd = self.resid_sd_ * np.sqrt(max(1.0, self.sample_size / n_signal))
        low = np.clip(point - np.sqrt(np.clip(point - lo, 0, None) ** 2 + (z * model_sd) ** 2), 1.0, 5.0)
        high = np.clip(point + np.sqrt(np.clip(hi - point, 0, None) ** 2 + (z * model_sd) ** 2), 1.0, 5.0)
        return {
            t: RatingEstimate(float(point[j]), float(low[j]), float(high[j]), n_signal)
            for j, t in enumerate(self.targets_)
        }

    def predict_dimensions(self, reviews: pd.DataFrame, n_boot: int = 200, random_state: int = 0,
                           units: ReviewUnits | None = None) -> dict[str, RatingEstimate]:
        """:meth:`predict_company` keyed by product dimension (salary and benefits share comp_benefits)."""
        by_target = self.predict_company(reviews, n_boot=n_boot, random_state=random_state, units=units)
        return {dim: by_target[t] for dim, t in DIMENSION_TARGETS.items()}

    # -- persistence ----------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write ``<path>/rating.npz`` (arrays) and ``<path>/rating.json`` (params, no code)."""
        self._check_fitted()
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        arrays = {"calib": self.calib_, "resid_sd": self.resid_sd_, "star_beta": self.star_beta_,
                  "company_coef": self.company_coef_,
                  "company_intercept": self.company_intercept_}
        arrays.update({f"heads__{name}": value for name, value in self.heads_.to_arrays().items()})
        np.savez_compressed(path / "rating.npz", **arrays)
        params = {k: v for k, v in self.get_params().items() if k != "encoder"}
        meta = {"format": _FORMAT_VERSION, "params": params, "heads": self.heads_.get_params(),
                "targets": self.targets_, "encoder": getattr(self._encoder(), "model_id", None)}
        (path / "rating.json").write_text(json.dumps(meta, indent=2))
        return path

    @classmethod
    def load(cls, path: str | Path, encoder: Any = None) -> "RatingModel":
        path = Path(path)
        meta = json.loads((path / "rating.json").read_text())
        if meta.get("format") != _FORMAT_VERSION:
            raise ValueError(f"rating artifact {path} has format {meta.get('format')!r}; this version reads format "
                             f"{_FORMAT_VERSION} (unit-attention heads). Retrain it with `company-reviewer train`.")
        model = cls(**meta["params"], encoder=encoder)
        with np.load(path / "rating.npz", allow_pickle=False) as data:
            model.calib_ = data["calib"]
            model.resid_sd_ = data["resid_sd"]
            model.star_beta_ = data["star_beta"]
            model.company_coef_ = data["company_coef"]
            model.company_intercept_ = data["company_intercept"]
            heads = {k.removeprefix("heads__"): data[k] for k in data.files if k.startswith("heads__")}
            model.heads_ = UnitAttentionHeads.from_arrays(meta["heads"], heads)
        model.targets_ = list(meta["targets"])
        return model

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {k: getattr(self, k) for k in (
            "hidden", "epochs", "trim", "sample_size", "n_draws", "inner_folds", "use_star_ratings",
            "company_alpha", "interval", "random_state", "encoder")}

    # -- helpers --------------------------------------------------------------------------
    def _encoder(self) -> Any:
        if self.encoder is not None:
            return self.encoder
        from company_reviewer.embedding import get_encoder

        return get_encoder()

    def _check_fitted(self) -> None:
        if not hasattr(self, "heads_"):
            raise RuntimeError("RatingModel is not fitted: call fit() or RatingModel.load()")


def artifact_path() -> Path:
    """Where the shipped, fully trained rating heads live: the embedded reviewer's bundle."""
    from company_reviewer.reviewer.embedded.bundle import default_artifact_path

    return default_artifact_path() / "rating"


def load_default(encoder: Any = None) -> RatingModel:
    """The shipped model (rebuilt by ``company-reviewer train`` or ``bench/rating_accuracy.py --save``)."""
    path = artifact_path()
    if not (path / "rating.json").is_file():
        raise FileNotFoundError(f"no shipped rating model at {path}; run `company-reviewer train`")
    return RatingModel.load(path, encoder=encoder)


def _nanmean_rows(values: np.ndarray, axis: int = 0) -> np.ndarray:
    """Mean over reviews ignoring NaN rows; NaN where no review has a value."""
    n = np.sum(~np.isnan(values), axis=axis)
    total = np.nansum(values, axis=axis)
    return np.where(n > 0, total / np.maximum(n, 1), np.nan)


def _sample_means(obs: np.ndarray, min_rated: int = 10) -> np.ndarray:
    """Per-target mean of the non-missing ratings; NaN where fewer than ``min_rated`` rated."""
    n_obs = np.sum(~np.isnan(obs), axis=0)
    sums = np.nansum(obs, axis=0)
    return np.where(n_obs >= min_rated, sums / np.maximum(n_obs, 1), np.nan)


def _star_betas(oof: np.ndarray, y: pd.DataFrame, stars: np.ndarray) -> np.ndarray:
    """Least-squares slope of each target's residual on the overall residual (stars - text)."""
    betas = np.zeros(oof.shape[1])
    d = stars - oof[:, 0]
    for j, t in enumerate(TARGETS):
        yt = y[t].to_numpy(dtype=float)
        ok = ~np.isnan(yt) & ~np.isnan(d)
        if j == 0 or ok.sum() < 10:
            betas[j] = 1.0 if j == 0 else 0.0
            continue
        r = yt[ok] - oof[ok, j]
        betas[j] = float(np.dot(d[ok], r) / max(np.dot(d[ok], d[ok]), 1e-9))
    return betas
