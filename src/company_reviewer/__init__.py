"""company-reviewer: structured company reviews from employee reviews."""

__version__ = "0.1.0"
