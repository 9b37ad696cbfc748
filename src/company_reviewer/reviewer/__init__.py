"""Reviewers: models that turn a company's employee reviews into a structured company review."""
