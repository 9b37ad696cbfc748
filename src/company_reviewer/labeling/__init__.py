"""Weak supervision for opinion units: which dimensions a unit talks about, and its polarity.

Snorkel's shape: labeling functions (:mod:`.functions`, cue data in :mod:`.patterns`) vote on
each unit or abstain; the applier (:mod:`.applier`, backends in :mod:`.backends`) turns a frame
of units into a label matrix and counts LF failures; a label model (:mod:`.label_model`, snorkel
or majority vote) turns votes into probabilities; :mod:`.labeler` ties them together
(:func:`label_units`). :mod:`.gold` holds the gold sets, :mod:`.evaluation` and :mod:`.report`
the LF report. Nothing is imported until used.
"""

from __future__ import annotations

from typing import Any

_EXPORTS = {
    "label_units": "company_reviewer.labeling.labeler",
    "Labeler": "company_reviewer.labeling.labeler",
    "apply_lfs": "company_reviewer.labeling.applier",
    "ABSTAIN": "company_reviewer.labeling.functions",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
