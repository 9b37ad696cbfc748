"""Baselines every comparison includes: TF-IDF + ridge, and a constant training mean.

Both predict the six Glassdoor-rated dimensions and overall from text alone, write no prose and
quote nothing; they exist to show what the embedded model adds.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import Field

from company_reviewer.reviewer.base import Reviewer, ReviewerOptions
from company_reviewer.reviewer.rating import DIMENSION_TARGETS
from company_reviewer.reviewer.rating_features import TARGETS, target_frame
from company_reviewer.reviewer.schema import CompanyReview, DimensionReview, ModelInfo, OverallReview

TEXT_FIELDS = ("headline", "pros", "cons", "advice", "text")


def review_documents(reviews: pd.DataFrame) -> list[str]:
    columns = [c for c in TEXT_FIELDS if c in reviews.columns]
    return [" \n".join(str(v) for v in row if isinstance(v, str) and v)
            for row in reviews[columns].itertuples(index=False)]


class TfidfRidgeBaseline:
    """TF-IDF (word 1-2 grams, sublinear tf) + one ridge per target, trained per review; a company's
    rating is the plain mean of its reviews' predictions (no company-level calibration)."""

    def __init__(self, alpha: float = 3.0, max_features: int = 20_000, min_df: int = 2):
        self.alpha = alpha
        self.max_features = max_features
        self.min_df = min_df

    def fit(self, reviews: pd.DataFrame, targets: pd.DataFrame | None = None) -> "TfidfRidgeBaseline":
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import Ridge

        self.vectorizer_ = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=self.min_df,
                                           max_features=self.max_features, dtype=np.float32)
        X = self.vectorizer_.fit_transform(review_documents(reviews))
        y = target_frame(targets if targets is not None else reviews)
        self.coef_ = np.zeros((len(TARGETS), X.shape[1]), np.float32)
        self.intercept_ = np.full(len(TARGETS), np.nan)
        for j, target in enumerate(TARGETS):
            ok = y[target].notna().to_numpy()
            if ok.sum() >= 10:
                head = Ridge(alpha=self.alpha).fit(X[ok], y[target].to_numpy()[ok])
                self.coef_[j], self.intercept_[j] = head.coef_, head.intercept_
        return self

    def predict_company(self, reviews: pd.DataFrame) -> dict[str, float | None]:
        X = self.vectorizer_.transform(review_documents(reviews))
        preds = np.clip(X @ self.coef_.T + self.intercept_, 1, 5).mean(axis=0)
        return {t: (None if np.isnan(p) else float(p)) for t, p in zip(TARGETS, preds)}

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        vocabulary = {term: int(i) for term, i in self.vectorizer_.vocabulary_.items()}
        (folder / "tfidf.json").write_text(json.dumps({"params": {"alpha": self.alpha,
                                                                  "max_features": self.max_features,
                                                                  "min_df": self.min_df}, "vocabulary": vocabulary}))
        np.savez_compressed(folder / "tfidf.npz", idf=self.vectorizer_.idf_, coef=self.coef_, intercept=self.intercept_)

    @classmethod
    def load(cls, folder: Path) -> "TfidfRidgeBaseline":
        from sklearn.feature_extraction.text import TfidfVectorizer

        meta = json.loads((folder / "tfidf.json").read_text())
        arrays = np.load(folder / "tfidf.npz")
        model = cls(**meta["params"])
        model.vectorizer_ = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, dtype=np.float32,
                                            vocabulary=meta["vocabulary"])
        model.vectorizer_.idf_ = arrays["idf"]
        model.coef_, model.intercept_ = arrays["coef"], arrays["intercept"]
        return model


class MeanBaseline:
    """Predicts the training mean of every target for every company."""

    def fit(self, reviews: pd.DataFrame, targets: pd.DataFrame | None = None) -> "MeanBaseline":
        y = target_frame(targets if targets is not None else reviews)
        self.means_ = {t: float(y[t].mean()) for t in TARGETS}
        return self

    def predict_company(self, reviews: pd.DataFrame) -> dict[str, float | None]:
        return dict(self.means_) if len(reviews) else {t: None for t in TARGETS}

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "mean.json").write_text(json.dumps(self.means_))

    @classmethod
    def load(cls, folder: Path) -> "MeanBaseline":
        model = cls()
        model.means_ = json.loads((folder / "mean.json").read_text())
        return model


class BaselineOptions(ReviewerOptions):
    artifact: str | None = Field(None, description="Folder of trained baselines; default: shipped with the package.")


class BaselineReviewer(Reviewer):
    """``baseline:tfidf`` or ``baseline:mean``: ratings only, for comparisons."""

    name = "baseline"
    Options = BaselineOptions

    def _folder(self) -> Path:
        from company_reviewer.reviewer.embedded.bundle import default_artifact_path

        return Path(self.options.artifact) if self.options.artifact else default_artifact_path() / "baselines"

    @property
    def version(self) -> str:  # type: ignore[override]
        """"1" plus the content hash of this baseline's files, so retrained baselines are a new version."""
        kind = self.model or "tfidf"
        return f"1+{_files_hash(self._folder(), kind)[:12]}"

    def review_company(self, company: str, reviews: pd.DataFrame) -> CompanyReview:
        from company_reviewer.taxonomy import load_taxonomy

        kind = self.model or "tfidf"
        loaders = {"tfidf": TfidfRidgeBaseline, "mean": MeanBaseline}
        if kind not in loaders:
            raise ValueError(f"unknown baseline {kind!r}; use baseline:tfidf or baseline:mean")
        predicted = loaders[kind].load(self._folder()).predict_company(reviews)
        dimensions = {}
        for dimension in load_taxonomy():
            target = DIMENSION_TARGETS.get(dimension.id)
            rating = predicted.get(target) if target else None
            dimensions[dimension.id] = DimensionReview(
                label=dimension.label, rating=None if rating is None else round(rating, 2), interval=None,
                mentions=0,
                summary="Baseline: rating only, no text analysis." if rating else "Not rated by this baseline.",
            )
        overall = predicted.get("overall")
        return CompanyReview(
            company=company, n_reviews_used=len(reviews),
            model=ModelInfo(name=f"baseline:{kind}", version=self.version),
            overall=OverallReview(rating=None if overall is None else round(overall, 2), interval=None,
                                  verdict=f"Baseline ({kind}) rating only."),
            dimensions=dimensions,
        )


_HASHES: dict[tuple, str] = {}


def _files_hash(folder: Path, kind: str) -> str:
    """sha256 of a baseline's files, read again only when their sizes or times change."""
    from company_reviewer.reviewer.embedded.bundle import content_hash, stat_signature

    others = tuple(p.name for p in folder.glob("*") if not p.name.startswith(f"{kind}."))
    key = (str(folder), kind, stat_signature(folder, others))
    if key not in _HASHES:
        _HASHES[key] = content_hash(folder, others)
    return _HASHES[key]
