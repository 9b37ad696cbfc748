"""The embedded reviewer: offline, CPU-only, every statement grounded in quoted opinion units."""
