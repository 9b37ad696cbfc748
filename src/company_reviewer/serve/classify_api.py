"""``POST /v1/classify``: dimensions and sentiment of opinion units (the `classify` contract)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from company_reviewer.serve.api import authenticate

MAX_UNITS = 5_000
router = APIRouter(prefix="/v1", dependencies=[Depends(authenticate)])


class UnitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=200)
    text: str = Field(max_length=20_000)
    field: str = Field("text", pattern="^(pros|cons|advice|headline|text)$")
    language: str | None = Field(None, max_length=16)


class ClassifyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    units: list[UnitIn] = Field(max_length=MAX_UNITS, description="Opinion units to classify.")
    taxonomy: str | dict | None = Field(None, description="A built-in taxonomy's name (GET /v1/taxonomies) or an "
                                        "inline taxonomy object: label with its dimensions instead of the default 12.")


@router.post("/classify", summary="Dimensions and sentiment of opinion units")
async def classify(body: ClassifyRequest) -> list[dict]:
    """One ``{"id", "text", "dimensions": {dimension: {"sentiment", "confidence"}}}`` per unit,
    with only the detected dimensions (the same output as ``company-reviewer classify``)."""
    import pandas as pd

    from company_reviewer.aspects.classify import _guess, classify_frame

    frame = pd.DataFrame([u.model_dump() for u in body.units], columns=["id", "text", "field", "language"])
    if len(frame):
        missing = frame["language"].isna() | (frame["language"] == "")
        if missing.any():
            frame.loc[missing, "language"] = _guess(frame.loc[missing, "text"])
    from company_reviewer.serve.taxonomy_api import request_taxonomy

    taxonomy = request_taxonomy(body.taxonomy)
    try:
        if taxonomy is not None:
            from company_reviewer.custom.review import classify_with_taxonomy

            return await run_in_threadpool(classify_with_taxonomy, frame, taxonomy)
        return await run_in_threadpool(classify_frame, frame)
    except FileNotFoundError as exc:
        raise HTTPException(503, "the classifier is not installed on this server; the operator runs "
                                 "`company-reviewer train --install`") from exc
