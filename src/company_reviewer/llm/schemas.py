"""What the LLM is asked to return, as pydantic models, and the JSON schema sent to constrain it.

The schema carries ``maxLength`` on every string and ``maxItems`` on every list: a grammar without
them lets a small model keep a string open until ``max_tokens`` runs out, which is invalid JSON.
The pydantic models check the same limits, so a backend that ignores the schema is caught on
validation (and retried) rather than emitted.
"""

from __future__ import annotations

import copy
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from company_reviewer.taxonomy import DEFAULT_DIMENSION_IDS

# Defaults for strings and lists the models below do not bound themselves.
DEFAULT_MAX_LENGTH = 300
DEFAULT_MAX_ITEMS = 5

SUMMARY_CHARS = 400
BULLET_CHARS = 140
BULLETS = 3


Bullet = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=BULLET_CHARS)]


class _LLMOutput(BaseModel):
    model_config = ConfigDict(extra="ignore")


class DimensionParagraph(_LLMOutput):
    """Grounded mode: one dimension's paragraph and points, written from its evidence units only."""

    summary: str = Field(min_length=1, max_length=SUMMARY_CHARS)
    pros: list[Bullet] = Field(default_factory=list, max_length=BULLETS)
    cons: list[Bullet] = Field(default_factory=list, max_length=BULLETS)


class LLMDimension(_LLMOutput):
    dimension: str = Field(json_schema_extra={"enum": list(DEFAULT_DIMENSION_IDS)})
    rating: float | None = Field(default=None, ge=1, le=5)
    summary: str = Field(min_length=1, max_length=SUMMARY_CHARS)
    pros: list[Bullet] = Field(default_factory=list, max_length=BULLETS)
    cons: list[Bullet] = Field(default_factory=list, max_length=BULLETS)


class LLMCompanyReview(_LLMOutput):
    """Single mode: the whole review from all sampled reviews in one prompt."""

    overall_rating: float | None = Field(default=None, ge=1, le=5)
    verdict: str = Field(min_length=1, max_length=SUMMARY_CHARS)
    dimensions: list[LLMDimension] = Field(default_factory=list, max_length=len(DEFAULT_DIMENSION_IDS))


def json_schema_for(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema, self-contained (``$ref`` inlined: not every grammar converter
    follows them), with a ``maxLength`` on every string and ``maxItems`` on every array."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(item) for item in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            return walk(copy.deepcopy(defs[node["$ref"].rsplit("/", 1)[-1]]))
        out = {key: walk(value) for key, value in node.items() if key not in ("title", "default")}
        if out.get("type") == "string" and "enum" not in out:
            out.setdefault("maxLength", DEFAULT_MAX_LENGTH)
        if out.get("type") == "array":
            out.setdefault("maxItems", DEFAULT_MAX_ITEMS)
        if out.get("type") == "object" and "properties" in out:
            # Every property is required in the grammar so the model cannot end the object early.
            out["required"] = list(out["properties"])
            out.setdefault("additionalProperties", False)
        return out

    return walk(schema)
