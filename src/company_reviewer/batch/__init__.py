"""Batch review of many companies, checkpointed per company, on a local or a Ray engine."""
