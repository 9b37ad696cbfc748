"""The reviewer plugin interface.

A reviewer turns one company's reviews into a :class:`CompanyReview`. Every model family (the
embedded default, the baselines, LLM backends) is a plugin behind this one abstract method; the
built-in ones register through the same entry-point group a third-party package would use
(``company_reviewer.reviewers`` in ``pyproject.toml``, read by :mod:`company_reviewer.registry`).
"""

from __future__ import annotations

import abc
from typing import Any, ClassVar

import pandas as pd
from pydantic import BaseModel, ConfigDict

from company_reviewer import registry
from company_reviewer.reviewer.schema import CompanyReview

DEFAULT_MODEL = "embedded"
REGISTRY_ALIASES = ("champion", "challenger")  # ``--model champion`` means the registry's champion
REGISTRY_PREFIX = "registry:"  # ``registry:<alias or version>``


class ReviewerOptions(BaseModel):
    """Options a reviewer accepts; unknown options are an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Reviewer(abc.ABC):
    """Base class: subclasses set ``name``/``version`` and implement :meth:`review_company`."""

    name: ClassVar[str]
    version: ClassVar[str] = "0"
    Options: ClassVar[type[ReviewerOptions]] = ReviewerOptions

    def __init__(self, options: ReviewerOptions | dict[str, Any] | None = None, model: str | None = None):
        self.options = options if isinstance(options, ReviewerOptions) else self.Options(**(options or {}))
        self.model = model

    @abc.abstractmethod
    def review_company(self, company: str, reviews: pd.DataFrame) -> CompanyReview:
        """Review one company from its reviews (a frame of canonical columns, already sampled)."""


class UnknownModelError(ValueError):
    pass


def available_models() -> list[str]:
    return sorted(registry.reviewers.names())


def get_reviewer(spec: str | None = None, options: dict[str, Any] | None = None) -> Reviewer:
    """Resolve a ``--model`` value: ``embedded``, ``baseline:tfidf``, ``llm:llamacpp[:path]`` ...

    The part before the first ``:`` names the plugin family when the whole spec is not registered;
    the rest is handed to the plugin as ``model``. ``champion``, ``challenger`` and
    ``registry:<alias or version>`` are embedded bundles from the model registry.
    """
    spec = spec or DEFAULT_MODEL
    if spec not in registry.reviewers and (spec in REGISTRY_ALIASES or spec.startswith(REGISTRY_PREFIX)):
        return _registered_reviewer(spec, options)
    cls = reviewer_class(spec)
    if cls is None:
        raise UnknownModelError(f"unknown model {spec!r}; available: {', '.join(available_models())}")
    model = None if spec in registry.reviewers else spec.partition(":")[2]
    return cls(options=options, model=model or None)


def reviewer_class(spec: str | None = None) -> type[Reviewer] | None:
    """The reviewer class ``spec`` names: the whole spec when registered, else its family (the part
    before the first ``:``); registry aliases are embedded bundles. None when nothing is registered."""
    spec = spec or DEFAULT_MODEL
    if spec not in registry.reviewers and (spec in REGISTRY_ALIASES or spec.startswith(REGISTRY_PREFIX)):
        spec = DEFAULT_MODEL
    family = spec if spec in registry.reviewers else spec.partition(":")[0]
    return registry.reviewers.get(family) if family in registry.reviewers else None


def _registered_reviewer(spec: str, options: dict[str, Any] | None) -> Reviewer:
    """The embedded reviewer on the bundle a registry alias or version names."""
    from company_reviewer.tracking import RegistryError, model_path_for_alias

    name = spec[len(REGISTRY_PREFIX):] if spec.startswith(REGISTRY_PREFIX) else spec
    try:
        path = model_path_for_alias(name)
    except RegistryError as exc:
        raise UnknownModelError(str(exc)) from exc
    cls = registry.reviewers.get(DEFAULT_MODEL)
    return cls(options={**(options or {}), "artifact": str(path)}, model=None)
