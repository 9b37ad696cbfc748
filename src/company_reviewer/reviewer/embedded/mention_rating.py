"""Ratings for dimensions without star labels, from how reviewers talk about them.

Glassdoor rates six dimensions; learning, colleagues, working conditions, job security and
communication have no stars anywhere. For those the rating is the company's predicted overall
rating moved by the balance of positive and negative mentions, shrunk towards the overall rating
when few reviews mention the dimension:

    rating = base + slope * balance * m / (m + k) + intercept

``slope``, ``intercept`` and the prior strength ``k`` are fitted on the six labelled dimensions of
the training companies, where the true mean sub-rating is known, and then transferred.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np


class MentionRatingModel:
    def __init__(self, prior_grid: tuple[float, ...] = (0.5, 1, 2, 4, 8, 16, 32)):
        self.prior_grid = prior_grid

    @staticmethod
    def _shrunk(balance, mentions, k: float) -> np.ndarray:
        mentions = np.asarray(mentions, dtype=float)
        return np.asarray(balance, dtype=float) * mentions / (mentions + k)

    def fit(self, balance, mentions, base, target) -> "MentionRatingModel":
        balance, mentions = np.asarray(balance, float), np.asarray(mentions, float)
        residual = np.asarray(target, float) - np.asarray(base, float)
        best = None
        for k in self.prior_grid:
            x = self._shrunk(balance, mentions, k)
            design = np.column_stack([x, np.ones_like(x)])
            coef, *_ = np.linalg.lstsq(design, residual, rcond=None)
            error = float(np.mean(np.abs(design @ coef - residual)))
            if best is None or error < best[0]:
                best = (error, k, coef, float(np.std(design @ coef - residual)))
        _, self.prior_strength_, (self.slope_, self.intercept_), self.resid_sd_ = best
        self.train_mae_ = best[0]
        return self

    def signal(self, balance, mentions) -> np.ndarray:
        """The mention balance shrunk by the fitted prior strength: ``balance * m / (m + k)``."""
        return self._shrunk(balance, mentions, self.prior_strength_)

    def predict(self, balance, mentions, base) -> np.ndarray:
        x = self.signal(balance, mentions)
        return np.clip(np.asarray(base, float) + self.slope_ * x + self.intercept_, 1.0, 5.0)

    def to_dict(self) -> dict:
        return {"prior_strength": float(self.prior_strength_), "slope": float(self.slope_),
                "intercept": float(self.intercept_), "train_mae": float(self.train_mae_),
                "resid_sd": float(self.resid_sd_)}

    @classmethod
    def from_dict(cls, data: dict) -> "MentionRatingModel":
        model = cls()
        model.prior_strength_, model.slope_ = data["prior_strength"], data["slope"]
        model.intercept_, model.train_mae_ = data["intercept"], data["train_mae"]
        model.resid_sd_ = data.get("resid_sd", 1.25 * data["train_mae"])
        return model

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=2))

    @classmethod
    def load(cls, path: str | Path) -> "MentionRatingModel":
        return cls.from_dict(json.loads(Path(path).read_text()))
