"""Shared plumbing for the HTTP fakes (ClickUp, Slack, Discourse, Neon): a real HTTP server on 127.0.0.1.

A fake subclasses ``FakeServer`` and implements ``_route(request) -> Response`` (called with the fake's
lock held, unless ``route_with_lock`` is False) and ``_error_body(status)`` (the default body of an
injected failure). ``json_content_type`` sets the Content-Type of injected failures. The base class gives:

- ``start()`` / ``stop()`` / context manager, and ``base_url`` (``http://127.0.0.1:<port>``);
- ``requests``: every request as received (``RecordedRequest``), injected failures included;
- ``fail_next(path_prefix, status, *, times=1, body=None, headers=None)``: answer the next matching
  requests with an error, before any other check (auth, rate limits);
- ``delay_next(path_prefix, seconds, times=1, method=None)``: hold the next matching requests before answering
  (for client timeouts); ``stop()`` cuts pending delays short;
- ``settle()``: wait until every request received so far has been handled (a delayed one landed).

A ``ThreadingHTTPServer`` in a daemon thread, HTTP/1.1 keep-alive, TCP_NODELAY, and idle keep-alive
connections are shut down on ``stop()``.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, ClassVar, Self, TypeVar, cast
from urllib.parse import parse_qs, urlsplit

JSON_UTF8 = "application/json; charset=utf-8"


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the fake received it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, list[str]]:
        return parse_qs(self.body.decode(), keep_blank_values=True)

    @property
    def content_type(self) -> str:
        """The media type without parameters, lower-case (``""`` when absent)."""
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = JSON_UTF8
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Failure:
    prefix: str
    status: int
    remaining: int
    body: object
    headers: dict[str, str]


@dataclass
class _Delay:
    prefix: str
    seconds: float
    remaining: int
    method: str | None = None  # None: any method


_P = TypeVar("_P", _Failure, _Delay)


def json_response(
    status: int, payload: object, headers: dict[str, str] | None = None, *, content_type: str = JSON_UTF8
) -> Response:
    return Response(status, json.dumps(payload).encode(), content_type, dict(headers or {}))


def reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes: avoid delayed-ACK stalls

    @property
    def fake(self) -> FakeServer:
        return cast(_Server, self.server).fake

    @property
    def server_version(self) -> str:  # type: ignore[override]
        return f"{type(self.fake).__name__}/1.0"

    def setup(self) -> None:
        super().setup()
        self.fake._track_connection(self.connection, open_=True)

    def finish(self) -> None:
        try:
            with contextlib.suppress(OSError):  # the client may have given up (timeouts)
                super().finish()
        finally:
            self.fake._track_connection(self.connection, open_=False)

    def _dispatch(self) -> None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            self._write(Response(411, b"Length Required", content_type="text/plain; charset=utf-8"))
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            key = name.lower()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        url = urlsplit(self.path)
        request = RecordedRequest(
            method=self.command,
            path=url.path,
            query=parse_qs(url.query, keep_blank_values=True),
            headers=headers,
            body=body,
        )
        self._write(self.fake._handle(request))

    def _write(self, response: Response) -> None:
        try:
            self.send_response(response.status)
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)
        except OSError:  # the client hung up (e.g. it timed out during delay_next)
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _dispatch

    def log_message(self, format: str, *args: Any) -> None:
        pass


class FakeServer:
    """Lifecycle, recording and fault injection shared by the fakes."""

    thread_name: ClassVar[str] = "fake-server"
    # Content-Type of injected failures (and of the default ``_crash`` answer).
    json_content_type: ClassVar[str] = JSON_UTF8
    # False: ``_route`` runs without the lock and takes it where needed, so that a slow request (e.g. one
    # that models a server-side limit on concurrent requests) does not hold up the others.
    route_with_lock: ClassVar[bool] = True

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self._lock = threading.RLock()
        self._settled = threading.Condition(self._lock)
        self._in_flight = 0  # requests received and not yet answered (a delayed one included)
        self._failures: list[_Failure] = []
        self._delays: list[_Delay] = []
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> Self:
        if self._server is not None:
            raise RuntimeError(f"{type(self).__name__} is already running")
        self._stopping.clear()
        server = _Server(("127.0.0.1", 0), _Handler)
        server.fake = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.005}, name=self.thread_name, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()  # wakes requests held by delay_next
        server.shutdown()
        server.server_close()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:  # idle keep-alive connections would otherwise linger
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        if thread is not None:
            thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError(f"{type(self).__name__} is not running; call start() first")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # -- fault injection ---------------------------------------------------------------------------

    def fail_next(
        self,
        path_prefix: str,
        status: int,
        *,
        times: int = 1,
        body: object | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer the next ``times`` requests whose path starts with ``path_prefix`` with an error."""
        if times < 1:
            raise ValueError("times must be at least 1")
        payload = body if body is not None else self._error_body(status)
        with self._lock:
            self._failures.append(_Failure(path_prefix, status, times, payload, dict(headers or {})))

    def delay_next(
        self, path_prefix: str, seconds: float, times: int = 1, *, method: str | None = None
    ) -> None:
        """Hold the next ``times`` requests whose path starts with ``path_prefix`` (and, when
        given, whose method is ``method``) for ``seconds``."""
        if times < 1:
            raise ValueError("times must be at least 1")
        if seconds < 0:
            raise ValueError("seconds must not be negative")
        with self._lock:
            self._delays.append(_Delay(path_prefix, seconds, times, method.upper() if method else None))

    # -- for subclasses ----------------------------------------------------------------------------

    def _error_body(self, status: int) -> object:
        """The body of an injected failure when ``fail_next`` gets none."""
        return {"error": reason(status)}

    def _route(self, request: RecordedRequest) -> Response:
        raise NotImplementedError

    def _crash(self, error: Exception) -> Response:
        """A bug in the fake: say so instead of dropping the connection."""
        return json_response(
            500, {"error": f"{type(self).__name__} failed: {error!r}"}, content_type=self.json_content_type
        )

    # -- request handling --------------------------------------------------------------------------

    def _track_connection(self, connection: socket.socket, *, open_: bool) -> None:
        with self._lock:
            if open_:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def settle(self, timeout: float = 10.0) -> None:
        """Wait until every request received so far has been handled, e.g. one held by
        ``delay_next`` after its client gave up has landed (done what it does)."""
        with self._settled:
            if not self._settled.wait_for(lambda: self._in_flight == 0, timeout=timeout):
                raise TimeoutError(f"{type(self).__name__}: {self._in_flight} request(s) still in flight")

    def _handle(self, request: RecordedRequest) -> Response:
        with self._lock:
            self._in_flight += 1
        try:
            return self._handle_counted(request)
        finally:
            with self._settled:
                self._in_flight -= 1
                self._settled.notify_all()

    def _handle_counted(self, request: RecordedRequest) -> Response:
        with self._lock:
            self.requests.append(request)
            delay = self._take(self._delays, request.path, request.method)
        if delay is not None and delay.seconds > 0:
            self._stopping.wait(delay.seconds)
        with self._lock:
            failure = self._take(self._failures, request.path)
            if failure is not None:
                return json_response(
                    failure.status, failure.body, failure.headers, content_type=self.json_content_type
                )
            if self.route_with_lock:
                return self._route_or_crash(request)
        return self._route_or_crash(request)

    def _route_or_crash(self, request: RecordedRequest) -> Response:
        try:
            return self._route(request)
        except Exception as error:
            return self._crash(error)

    @staticmethod
    def _take(pending: list[_P], path: str, method: str | None = None) -> _P | None:
        for item in pending:
            wanted = getattr(item, "method", None)
            if path.startswith(item.prefix) and (wanted is None or wanted == method):
                item.remaining -= 1
                if item.remaining == 0:
                    pending.remove(item)
                return item
        return None
