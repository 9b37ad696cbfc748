"""uvicorn's HTTP protocols with read deadlines: slow clients cannot hold connections open.

uvicorn closes an idle keep-alive connection after ``timeout_keep_alive``, but any byte received
resets that timer, a new connection has none, and there is no limit on how long headers or a body
may take: a client sending one byte every 2 s keeps its connection (and its slot) forever. These
protocols give every request two deadlines:

- its headers must be complete within ``header_timeout`` seconds of the connection's start (or of
  the previous response on a kept-alive connection); else the server answers 408 (when part of a
  request came) and closes the connection;
- its body must be complete within ``body_timeout`` seconds of its headers; else the connection is
  closed (the app sees the client as gone).

A request whose body has arrived is never cut off, however long the app takes to answer. The
timeouts come from ``COMPANY_REVIEWER_HEADER_TIMEOUT_SECONDS`` (10) and
``COMPANY_REVIEWER_BODY_TIMEOUT_SECONDS`` (60), read once per process; a subclass may set
``header_timeout`` / ``body_timeout`` itself. ``company-reviewer serve`` passes :func:`http_protocol`
to uvicorn as its ``http`` implementation. uvicorn's own 400 for an unparsable request is answered
as the API's other errors are, JSON ``{"detail"}``.
"""

from __future__ import annotations

import functools
import json
import time

from uvicorn.protocols.http.h11_impl import H11Protocol as _H11Protocol

REQUEST_TIMEOUT_BODY = json.dumps({"detail": "request timeout: the request did not arrive in time"}).encode()
LINGER_SECONDS = 2.0        # how long a closed connection still drains a request's unread bytes
LINGER_BYTES = 16_000_000   # and how many at most


class _LingeringTransport:
    """The transport as uvicorn sees it, with a lingering close: closing while the client is still
    sending (a body answered 413 before it was read, a request cut off by a deadline) sends the
    answer and a FIN, then drains what still comes for a moment before closing for real. A plain
    close there makes the kernel reset the connection, and the client loses the answer."""

    def __init__(self, transport, protocol) -> None:
        self._transport = transport
        self._protocol = protocol
        self.lingering = False
        self.drained = 0

    def __getattr__(self, name):
        return getattr(self._transport, name)

    def is_closing(self) -> bool:
        return self.lingering or self._transport.is_closing()

    def close(self) -> None:
        transport = self._transport
        if self.lingering or transport.is_closing():
            return
        if not self._protocol._client_still_sending() or not transport.can_write_eof():
            transport.close()
            return
        self.lingering = True
        transport.write_eof()  # after what is buffered: the answer goes out whole
        transport.resume_reading()
        self._protocol.loop.call_later(LINGER_SECONDS, transport.close)


@functools.lru_cache(maxsize=1)
def _env_timeouts() -> tuple[float, float]:
    from company_reviewer.config import env

    return float(env("HEADER_TIMEOUT_SECONDS", "10")), float(env("BODY_TIMEOUT_SECONDS", "60"))


class _Deadlines:
    header_timeout: float | None = None  # None: from the environment
    body_timeout: float | None = None

    def connection_made(self, transport) -> None:  # noqa: D401 - asyncio protocol interface
        header, body = _env_timeouts()
        self._header_timeout = header if self.header_timeout is None else self.header_timeout
        self._body_timeout = body if self.body_timeout is None else self.body_timeout
        self._deadline = None
        self._watched_cycle = None
        self._pending = False  # bytes of a request whose headers are not complete yet
        super().connection_made(_LingeringTransport(transport, self))
        self._arm(self._header_timeout)

    def _client_still_sending(self) -> bool:
        cycle = self.cycle
        return self._pending or (cycle is not None and cycle.more_body)

    # -- timers --------------------------------------------------------------------------
    def _arm(self, seconds: float) -> None:
        self._disarm()
        if seconds and seconds > 0:
            self._deadline = self.loop.call_later(seconds, self._deadline_passed)
            self._deadline_due = time.monotonic() + seconds

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _in_request(self) -> bool:
        cycle = self.cycle
        return cycle is not None and not cycle.response_complete

    def _follow(self) -> None:
        """After the parser ran: a new request's headers arm the body deadline; a complete body
        disarms it (the app may take its time to answer)."""
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete:
            if cycle is not self._watched_cycle:
                self._watched_cycle = cycle
                self._pending = False
                if cycle.more_body:
                    self._arm(self._body_timeout)
                else:
                    self._disarm()
            elif not cycle.more_body:
                self._disarm()

    def data_received(self, data: bytes) -> None:
        transport = self.transport
        if transport.lingering:  # answered and closing: what still comes is dropped
            transport.drained += len(data)
            if transport.drained > LINGER_BYTES:
                transport._transport.close()
            return
        if not self._in_request():
            self._pending = True
        super().data_received(data)
        self._follow()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._pending = False
            self._arm(self._header_timeout)
            self._follow()  # a pipelined request may have started

    def connection_lost(self, exc) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _deadline_passed(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete:
            if not cycle.more_body:
                return  # the request is complete: the app is answering
            # The body is late. Nothing has been answered yet: say so, then close; the app's
            # pending receive() sees the disconnect and its answer goes nowhere.
            if not cycle.response_started:
                self._write_408()
            cycle.disconnected = True
            cycle.message_event.set()
        elif self._pending:
            self._write_408()  # headers are late
        self.transport.close()

    def _write_408(self) -> None:
        self.transport.write(
            b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\n"
            b"content-length: " + str(len(REQUEST_TIMEOUT_BODY)).encode() + b"\r\nconnection: close\r\n\r\n"
            + REQUEST_TIMEOUT_BODY)

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to an unparsable request, as JSON ``{"detail"}`` like every other error."""
        body = json.dumps({"detail": f"{msg.rstrip('.')}: malformed HTTP request"}).encode()
        if self._deadline is not None:
            self._disarm()
        self.transport.write(b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\n"
                             b"content-length: " + str(len(body)).encode() + b"\r\nconnection: close\r\n\r\n" + body)
        self.transport.close()


class H11Protocol(_Deadlines, _H11Protocol):
    """uvicorn's pure-Python HTTP/1.1 protocol with read deadlines."""


try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _HttpToolsProtocol
except ImportError:  # httptools is optional (uvicorn[standard] installs it)
    HttpToolsProtocol = None
else:
    class HttpToolsProtocol(_Deadlines, _HttpToolsProtocol):  # type: ignore[no-redef]
        """uvicorn's httptools (C parser) protocol with read deadlines."""


def http_protocol():
    """The protocol class ``serve`` runs: httptools when installed (uvicorn's "auto"), else h11."""
    return HttpToolsProtocol or H11Protocol
