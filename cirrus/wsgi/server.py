"""Serving: mount WSGI apps under path prefixes, in-process or on a cheroot socket."""

import contextvars
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any, cast

import httpx
from cheroot import wsgi as cheroot_wsgi

LOG = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class Mounts:
    """A WSGI app that routes by path prefix (``/compute``, ``/placement``, ...)."""

    def __init__(self, apps: Mapping[str, WSGIApp]) -> None:
        self._apps = sorted(apps.items(), key=lambda kv: -len(kv[0]))

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        """Dispatch to the app whose prefix matches, with SCRIPT_NAME set as WSGI expects."""
        path = environ.get("PATH_INFO", "") or "/"
        for prefix, app in self._apps:
            if path == prefix or path.startswith(prefix + "/"):
                environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + prefix
                environ["PATH_INFO"] = path[len(prefix) :] or "/"
                return app(environ, start_response)
        start_response("404 Not Found", [("Content-Type", "application/json")])
        return [b'{"itemNotFound": {"code": 404, "message": "The resource could not be found."}}']


KEEPALIVE_SECONDS = 60


class HTTPServer:
    """A threaded cheroot server on one address; ``stop()`` must be called."""

    def __init__(self, app: WSGIApp, host: str, port: int, threads: int) -> None:
        # Idle keep-alive connections stay open a minute (cheroot closes them after 10 s):
        # a client reusing one just as the server closes it gets "Remote end closed
        # connection without response", which keystoneauth does not retry.
        self._server = cheroot_wsgi.Server((host, port), app, numthreads=threads,
                                           timeout=KEEPALIVE_SECONDS)
        self._server.prepare()
        self.port: int = self._server.bind_addr[1]
        self._thread = threading.Thread(target=self._server.serve, name="http", daemon=True)

    def start(self) -> None:
        """Serve in a background thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and join the worker threads."""
        self._server.stop()
        if self._thread.is_alive():
            self._thread.join(timeout=10)


class _StreamInput:
    """``wsgi.input`` over a request body that is still being produced."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        # The current chunk and how far it was read: slicing from an offset copies only
        # what is returned (the store reads 64 KiB at a time from 1 MiB chunks).
        self._chunk = b""
        self._pos = 0
        self.error: BaseException | None = None

    def _next(self) -> bool:
        try:
            chunk = next(self._chunks, None)
        except BaseException as exc:
            # The app sees the failure (and drops what it got); the caller gets it
            # back as its own, as it would without a transport in between.
            self.error = exc
            raise
        if chunk is None:
            return False
        self._chunk, self._pos = chunk, 0
        return True

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes (all that is left when negative); b"" at the end."""
        parts: list[bytes] = []
        want = size
        while want != 0:
            if self._pos >= len(self._chunk) and not self._next():
                break
            take = len(self._chunk) - self._pos if want < 0 else min(
                want, len(self._chunk) - self._pos)
            parts.append(self._chunk[self._pos:self._pos + take])
            self._pos += take
            if want > 0:
                want -= take
        return parts[0] if len(parts) == 1 else b"".join(parts)


_BODY: contextvars.ContextVar[_StreamInput | None] = contextvars.ContextVar(
    "inprocess_body", default=None)


class StreamingWSGITransport(httpx.WSGITransport):
    """httpx's WSGI transport, except that a streamed request body stays streamed.

    httpx reads the whole body into memory before calling the app; a disk image
    uploaded in-process would then be held whole. A body given as an iterator is
    handed to the app as ``wsgi.input`` instead, read as the app consumes it.
    """

    def __init__(self, app: WSGIApp) -> None:
        def _with_body(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
            body = _BODY.get()
            if body is not None:
                environ["wsgi.input"] = body
            return app(environ, start_response)

        super().__init__(app=_with_body)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Call the app; a chunked (streamed) body goes to it unread."""
        if "chunked" not in request.headers.get("Transfer-Encoding", "").lower():
            return super().handle_request(request)
        stream = cast("Iterable[bytes]", request.stream)
        bare = httpx.Request(request.method, request.url, headers=request.headers,
                             stream=httpx.ByteStream(b""))
        body = _StreamInput(stream)
        token = _BODY.set(body)
        try:
            response = super().handle_request(bare)
        except BaseException:
            if body.error is not None:
                raise body.error from None
            raise
        finally:
            _BODY.reset(token)
        if body.error is not None:
            response.close()
            raise body.error
        return response


def inprocess_client(app: WSGIApp, base_url: str, **kwargs: Any) -> httpx.Client:
    """An HTTP client that calls ``app`` directly: the same code path, no socket."""
    return httpx.Client(transport=StreamingWSGITransport(app), base_url=base_url, **kwargs)
