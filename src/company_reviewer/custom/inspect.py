"""How a taxonomy is detected on a sample of reviews (``company-reviewer taxonomy show --sample``).

Per dimension: the share of sampled reviews with at least one detected unit, the number of units,
how many of them each signal found (seeds and meaning, the mapped default dimensions, a kununu
section), and a few example units quoted verbatim (cut at a word boundary with "…").
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from company_reviewer.taxonomy import Taxonomy

EXAMPLE_CHARS = 110


@dataclass(frozen=True)
class DimensionCoverage:
    id: str
    label: str
    reviews: int          # sampled reviews with a detected unit
    units: int            # detected units
    by_section: int       # of which a kununu section says so
    examples: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Coverage:
    n_reviews: int
    n_units: int
    dimensions: list[DimensionCoverage]

    def to_dict(self) -> dict:
        return {"n_reviews": self.n_reviews, "n_units": self.n_units,
                "dimensions": [vars(d) for d in self.dimensions]}


def truncate(text: str, limit: int = EXAMPLE_CHARS) -> str:
    """``text`` itself when short, else its start cut at a word boundary with "…" (a prefix of the
    unit, so what is shown is still the reviewer's words)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > limit // 2 else limit].rstrip(" ,;:") + "…"


def sample_reviews(path: str, n: int, preset: str | None = None, random_state: int = 0) -> pd.DataFrame:
    """Up to ``n`` reviews of the file, spread over its companies (deterministic)."""
    from company_reviewer.data.load import read_reviews

    reviews, _ = read_reviews(path, preset=preset)
    if len(reviews) > n:
        reviews = reviews.sample(n=n, random_state=random_state)
    return reviews.reset_index(drop=True)


def coverage(reviews: pd.DataFrame, taxonomy: Taxonomy, examples: int = 3, model: str | None = None) -> Coverage:
    """Detect ``taxonomy`` in the units of ``reviews`` and count it per dimension."""
    from company_reviewer.aspects.classify import load_aspect_classifier
    from company_reviewer.aspects.guard import strip_instructions
    from company_reviewer.custom.detect import detect
    from company_reviewer.custom.review import section_dimensions
    from company_reviewer.embedding import get_encoder
    from company_reviewer.units import split_frame

    reviews, _ = strip_instructions(reviews.reset_index(drop=True))
    keyed = reviews.assign(review_key=[str(i) for i in range(len(reviews))])
    units = split_frame(keyed)
    units["review_index"] = units["review_key"].astype(int)
    language = reviews["language"] if "language" in reviews.columns else pd.Series(["en"] * len(reviews))
    units["language"] = [language.iloc[i] if isinstance(language.iloc[i], str) and language.iloc[i] else "en"
                         for i in units["review_index"]]
    if units.empty:
        return Coverage(len(reviews), 0, [DimensionCoverage(d.id, d.label, 0, 0, 0) for d in taxonomy])
    vectors = get_encoder().encode(units["text"].tolist())
    aspect_labels = load_aspect_classifier(model).classify(units[["text", "field", "language"]],
                                                           minilm_vectors=vectors)
    sections = section_dimensions(units, reviews, taxonomy)
    labels = detect(units, taxonomy, aspect_labels, minilm_vectors=vectors, sections=sections)
    out = []
    for column, dimension in enumerate(taxonomy):
        hit = labels.mentions[:, column]
        rows = np.flatnonzero(hit & ~sections[:, column])
        # The examples a reader learns most from: the most confident units found by the text itself.
        rows = rows[np.argsort(-labels.proba[rows, column], kind="stable")]
        seen: set[str] = set()
        shown = []
        for row in rows:
            text = truncate(units["text"].iat[row])
            if text.lower() not in seen:
                seen.add(text.lower())
                shown.append(text)
            if len(shown) >= examples:
                break
        out.append(DimensionCoverage(
            dimension.id, dimension.label, int(units.loc[hit, "review_index"].nunique()), int(hit.sum()),
            int((hit & sections[:, column]).sum()), shown))
    return Coverage(len(reviews), len(units), out)
