"""Evaluation: any reviewer measured on the same companies against the platforms' own ratings.

``evaluate_model`` runs one model (``core``); ``compare_models`` runs several on the same companies
and writes a report (``compare``, ``report``). Ratings are checked against a *rating scheme* — how a
platform's categories map onto the 12 dimensions (``schemes``) — and the truth is the mean platform
sub-rating of the sampled reviews and of all the company's reviews (``truth``).
"""

from company_reviewer.evaluate.core import EvaluationResult, evaluate_model

__all__ = ["EvaluationResult", "evaluate_model"]
