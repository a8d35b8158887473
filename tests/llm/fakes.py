"""A scripted OpenAI-protocol server for fault tests: real sockets, no model, exact failures."""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

MODES = ("ok", "429", "500", "400", "slow", "malformed", "drop", "cut", "truncated", "garbage")


class FakeOpenAIServer:
    """`/v1/chat/completions` on 127.0.0.1 that misbehaves on cue.

    `script` holds one mode per request, in order; the last one repeats. Modes:
    ok (JSON or SSE, as asked), 429, 500, 400, slow (sleeps `slow_seconds`, then ok),
    malformed (SSE whose first event is broken JSON), drop (SSE: one delta, then the
    connection is cut mid-body), cut (SSE headers, then cut before any event),
    truncated (SSE deltas, then a clean end with no finish_reason and no [DONE]),
    garbage (200 with a non-JSON body).
    """

    def __init__(
        self, *script: str, reply: str = "Hello from the fake.", slow_seconds: float = 1.0
    ) -> None:
        for mode in script:
            if mode not in MODES:
                raise ValueError(f"unknown mode {mode!r}; choose from {MODES}")
        self.script = list(script or ["ok"])
        self.reply = reply
        self.slow_seconds = slow_seconds
        self.requests = 0
        self.bodies: list[dict[str, Any]] = []
        self.auth: list[str] = []  # Authorization header of each request
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def next_mode(self, body: dict[str, Any], auth: str) -> str:
        with self._lock:
            index = min(self.requests, len(self.script) - 1)
            self.requests += 1
            self.bodies.append(body)
            self.auth.append(auth)
            return self.script[index]

    def __enter__(self) -> FakeOpenAIServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


def _handler_for(fake: FakeOpenAIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # chunked bodies, so a cut is a protocol error

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
            pass

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            body = json.loads(raw or b"{}")
            mode = fake.next_mode(body, self.headers.get("Authorization", ""))
            try:
                self._respond(mode, body)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client gave up (timeout test)

        def _respond(self, mode: str, body: dict[str, Any]) -> None:
            stream = bool(body.get("stream"))
            if mode == "slow":
                time.sleep(fake.slow_seconds)
                mode = "ok"
            if mode in ("429", "500", "400"):
                message = {"429": "slow down", "500": "boom", "400": "bad request"}[mode]
                self._json(int(mode), {"error": {"message": message, "type": "fake"}})
            elif mode == "garbage":
                self._send_body(200, b"<html>not json</html>", "application/json")
            elif not stream:
                self._json(200, _completion(fake.reply, body))
            elif mode == "ok":
                self._sse(
                    [_chunk(w, None, body) for w in _words(fake.reply)] + [_chunk("", "stop", body)]
                )
            elif mode == "malformed":
                self._sse(['{"choices": [{"delta": {"content": "Hel'], done=True)
            elif mode == "truncated":
                self._sse([_chunk(w, None, body) for w in _words(fake.reply)], done=False)
            elif mode in ("drop", "cut"):
                self._start_sse()
                if mode == "drop":
                    self._write_chunk(f"data: {_chunk('Hel', None, body)}\n\n".encode())
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)

        def _json(self, status: int, payload: dict[str, Any]) -> None:
            self._send_body(status, json.dumps(payload).encode(), "application/json")

        def _send_body(self, status: int, data: bytes, ctype: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _start_sse(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()

        def _write_chunk(self, data: bytes) -> None:
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")

        def _sse(self, events: list[str], *, done: bool = True) -> None:
            self._start_sse()
            for event in events + (["[DONE]"] if done else []):
                self._write_chunk(f"data: {event}\n\n".encode())
            self.wfile.write(b"0\r\n\r\n")

    return Handler


def _words(text: str) -> list[str]:
    words = text.split(" ")
    return [w if i == 0 else " " + w for i, w in enumerate(words)]


def _completion(text: str, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "fake-1",
        "object": "chat.completion",
        "created": 0,
        "model": body.get("model", "fake"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
        ],
    }


def _chunk(text: str, finish: str | None, body: dict[str, Any]) -> str:
    delta = {"content": text} if text else {}
    return json.dumps(
        {
            "id": "fake-1",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": body.get("model", "fake"),
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
    )


def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
