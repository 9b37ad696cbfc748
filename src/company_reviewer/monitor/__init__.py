"""Monitoring: data drift, prediction drift and silent-failure signals against a reference."""
