import json

import pytest

from company_reviewer.batch.compare import compare_outputs


def _review(company: str, rating: float, summary: str) -> str:
    return json.dumps({"company": company, "overall": {"rating": rating, "interval": [rating - 0.2, rating + 0.2]},
                       "dimensions": {"salary": {"rating": rating, "interval": None, "mentions": 3,
                                                 "summary": summary}}})


def test_text_differences_are_counted_but_do_not_break_rating_identity():
    a = "\n".join([_review("A", 3.5, "Pay is fine."), _review("B", 2.0, "x")])
    b = "\n".join([_review("A", 3.5, "pay is fine."), _review("B", 2.0, "x")])
    result = compare_outputs(a, b)
    assert result.ratings_identical and result.companies_with_text_differences == 1


def test_a_rating_difference_in_the_last_digit_is_caught():
    result = compare_outputs(_review("A", 3.51, "s"), _review("A", 3.5, "s"))
    assert not result.ratings_identical and result.companies_with_rating_differences == 1


def test_outputs_over_other_companies_are_an_error():
    with pytest.raises(ValueError, match="different companies"):
        compare_outputs(_review("A", 3, "s"), _review("B", 3, "s"))
