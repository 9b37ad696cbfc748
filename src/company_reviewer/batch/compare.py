"""Compare two batch outputs: ratings must match byte for byte across engines; texts may not.

Why texts may differ: a Ray worker runs torch with one thread, the local engine with all cores, and
bf16 sums in another order change scores in the last digits. Ratings are rounded and do not move;
the choice between two near-identical quotes ("Pay" / "pay") can.
"""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True)
class OutputComparison:
    companies: int
    ratings_identical: bool
    companies_with_rating_differences: int
    companies_with_text_differences: int

    def __str__(self) -> str:
        return (f"{self.companies} companies; ratings and intervals byte-identical: {self.ratings_identical}; "
                f"companies whose wording or quotes differ: {self.companies_with_text_differences}")


def rating_view(review: dict) -> str:
    """The ratings of a company review (overall and per dimension, with intervals) as canonical JSON."""
    view = {"company": review["company"],
            "overall": [review["overall"].get("rating"), review["overall"].get("interval")],
            "dimensions": {d: [v.get("rating"), v.get("interval"), v.get("mentions")]
                           for d, v in sorted(review["dimensions"].items())}}
    return json.dumps(view, sort_keys=True)


def compare_outputs(a: bytes | str, b: bytes | str) -> OutputComparison:
    left = [json.loads(line) for line in _lines(a)]
    right = [json.loads(line) for line in _lines(b)]
    if [r["company"] for r in left] != [r["company"] for r in right]:
        raise ValueError("the two outputs cover different companies")
    rating_diffs = sum(rating_view(x) != rating_view(y) for x, y in zip(left, right))
    text_diffs = sum(x != y for x, y in zip(left, right))
    return OutputComparison(len(left), rating_diffs == 0, rating_diffs, text_diffs)


def _lines(data: bytes | str) -> list[str]:
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    return [line for line in text.splitlines() if line.strip()]
