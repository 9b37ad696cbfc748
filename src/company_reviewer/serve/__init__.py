"""Serving: the REST API (under ``/v1``), the web UI (at ``/``), API keys, caching and batch jobs.

``create_app`` in :mod:`company_reviewer.serve.app` builds the ASGI app; ``company-reviewer serve``
runs it with uvicorn. FastAPI is imported only by the modules that need it.
"""
