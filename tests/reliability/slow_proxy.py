"""A small HTTP proxy on 127.0.0.1 in front of DynamoDB Local that makes TransactWriteItems
answers late: the request reaches DynamoDB at once (so the transaction is applied) but the
answer is held longer than the client's read timeout, as under load in the cloud."""

from __future__ import annotations

import contextlib
import http.client
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

SLOW_TARGET = "DynamoDB_20120810.TransactWriteItems"


class SlowTransactionsProxy:
    """``delay`` seconds before each TransactWriteItems answer (only the first ``times`` when
    given); ``swallow=True`` never forwards them at all (the transaction is lost in transit);
    ``hold`` seconds before forwarding them (DynamoDB applies the transaction late, after the
    client has given up waiting: a loaded table still working on it)."""

    def __init__(
        self,
        upstream: str,
        *,
        delay: float = 0.0,
        times: int | None = None,
        swallow: bool = False,
        hold: float = 0.0,
    ):
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.delay, self.times, self.swallow, self.hold = delay, times, swallow, hold
        self.transactions = 0  # TransactWriteItems requests received
        self.delayed = 0
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # DynamoDB's API is POST only
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                slow = self.headers.get("X-Amz-Target") == SLOW_TARGET and proxy._take()
                if slow and proxy.swallow:
                    proxy._stopping.wait(proxy.delay)
                    self.close_connection = True
                    return
                if slow and proxy.hold:
                    proxy._stopping.wait(proxy.hold)
                conn = http.client.HTTPConnection(*proxy.upstream, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                conn.request("POST", self.path, body=body, headers=headers)
                answer = conn.getresponse()
                payload = answer.read()
                conn.close()
                if slow:
                    proxy._stopping.wait(proxy.delay)
                with contextlib.suppress(OSError):  # the client gave up waiting: fine
                    self.send_response(answer.status)
                    for name, value in answer.getheaders():
                        if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                            self.send_header(name, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True, name="slow-ddb")

    def _take(self) -> bool:
        with self._lock:
            self.transactions += 1
            if self.times is not None and self.delayed >= self.times:
                return False
            self.delayed += 1
            return True

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> SlowTransactionsProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        time.sleep(0)
