"""Reviews sent to the API (canonical review objects) -> a validated frame, or what is wrong.

The same cleaning and validation as ``ingest`` and ``review INPUT`` (``data.clean``,
``data.validate.to_review``), so a review the API accepts is one the store would accept.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Iterable

import pandas as pd

from company_reviewer.data.records import CANONICAL_COLUMNS, Review

FIELDS = frozenset(Review.model_fields)
MAX_LISTED_PROBLEMS = 20


class InvalidReviews(ValueError):
    """The reviews cannot be used; ``problems`` says, per review, what is wrong."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = problems[:MAX_LISTED_PROBLEMS]
        more = f" (and {len(problems) - len(shown)} more)" if len(problems) > len(shown) else ""
        super().__init__("; ".join(shown) + more)


@dataclass(frozen=True)
class ValidReviews:
    frame: pd.DataFrame        # canonical columns, one row per distinct review
    content_hashes: list[str]  # one per row

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.content_hashes)


def fingerprint(content_hashes: Iterable[str]) -> str:
    """What identifies a set of reviews: order-free, changes when any review is added, edited or removed."""
    return hashlib.sha256("\n".join(sorted(content_hashes)).encode("ascii")).hexdigest()


def _flatten(index: int, item: Any, company: str, problems: list[str]) -> dict | None:
    where = f"reviews[{index}]"
    if not isinstance(item, dict):
        problems.append(f"{where}: must be an object with review fields, got {type(item).__name__}")
        return None
    unknown = sorted(set(item) - FIELDS)
    if unknown:
        problems.append(f"{where}: unknown field(s) {', '.join(map(repr, unknown))}; "
                        f"canonical fields are {', '.join(sorted(FIELDS))}")
        return None
    given = item.get("company")
    if given not in (None, "", company):
        problems.append(f"{where}: company {str(given)[:60]!r} differs from the request's {company[:60]!r}")
        return None
    row = {name: item.get(name) for name in CANONICAL_COLUMNS}
    row["company"] = company
    for name in ("sub_ratings", "attributes"):
        value = item.get(name) or {}
        if not isinstance(value, dict):
            problems.append(f"{where}.{name}: must be an object of name: value")
            return None
    for name, value in (item.get("sub_ratings") or {}).items():
        row[f"rating__{name}"] = value
    for name, value in (item.get("attributes") or {}).items():
        row[f"attr__{name}"] = value
    # Cleaning and validation read text cells, blank when missing (as a file's reader gives them).
    return {key: ("" if value is None else str(value)) for key, value in row.items()}


def validate_reviews(company: str, items: list[Any], max_text_chars: int = 5000) -> ValidReviews:
    """Canonical review objects for ``company`` -> cleaned, validated, de-duplicated reviews."""
    from company_reviewer.data.clean import clean_frame, fill_language
    from company_reviewer.data.load import reviews_to_frame
    from company_reviewer.data.validate import Accepted, to_review

    if not company.strip():
        raise InvalidReviews(["company: must not be empty"])
    if not items:
        raise InvalidReviews(["reviews: give at least one review"])
    problems: list[str] = []
    rows = [_flatten(i, item, company, problems) for i, item in enumerate(items)]
    if problems:
        raise InvalidReviews(problems)
    frame = fill_language(clean_frame(pd.DataFrame(rows).fillna(""), max_text_chars=max_text_chars))
    accepted: dict[str, Review] = {}
    for index, row in enumerate(frame.to_dict("records")):
        outcome = to_review(row)
        if isinstance(outcome, Accepted):
            accepted.setdefault(outcome.content_hash, outcome.review)
        else:
            problems.append(f"reviews[{index}]: {outcome.reason}")
    if problems:
        raise InvalidReviews(problems)
    return ValidReviews(reviews_to_frame(list(accepted.values())), list(accepted))
