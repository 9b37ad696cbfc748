"""Running the app under uvicorn with a settings object: no hand-off through the environment.

uvicorn gets a factory bound to the :class:`ServeSettings` (``functools.partial(create_app,
settings)``). With several workers uvicorn starts each by pickling its config, factory and
settings included, into a fresh process (``spawn``), so every worker builds the same app from the
same settings.
"""

from __future__ import annotations

import functools

from company_reviewer.serve.config import ServeSettings


def uvicorn_config(settings: ServeSettings, *, host: str, port: int, workers: int = 1, access_log: bool = True):
    import uvicorn

    from company_reviewer.serve.app import create_app
    from company_reviewer.serve.protocol import http_protocol

    # loop/http "auto" pick uvloop and httptools (installed with uvicorn[standard]) when importable.
    # The protocol is uvicorn's (httptools when installed) with read deadlines: a request's headers
    # and body must arrive within COMPANY_REVIEWER_HEADER/BODY_TIMEOUT_SECONDS (serve.protocol).
    return uvicorn.Config(functools.partial(create_app, settings), factory=True, host=host, port=port,
                          log_level="info", access_log=access_log, workers=workers, http=http_protocol())


def run_server(settings: ServeSettings, *, host: str, port: int, workers: int = 1, access_log: bool = True) -> None:
    """Serve until interrupted; what ``uvicorn.run`` does, minus its rule that several workers need
    the app as an import string (a picklable factory serves as well)."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    config = uvicorn_config(settings, host=host, port=port, workers=workers, access_log=access_log)
    server = uvicorn.Server(config)
    if workers > 1:
        Multiprocess(config, target=server.run, sockets=[config.bind_socket()]).run()
    else:
        server.run()
