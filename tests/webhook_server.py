"""A real HTTP server on 127.0.0.1 that records webhook calls (for delivery tests)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Receiver:
    url: str
    calls: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    #: Status codes to answer, in order; 200 once they run out.
    script: list[int] = field(default_factory=list)
    #: Never answer (until the receiver closes): a listener that hangs.
    hang: bool = False
    #: Answer one byte of a header every ``trickle`` seconds for 8 s, then 200: a listener
    #: no read timeout catches.
    trickle: float = 0.0
    released: threading.Event = field(default_factory=threading.Event)


class _JoiningServer(ThreadingHTTPServer):
    # Join request threads on close, so no half-read socket outlives the test.
    daemon_threads = False


@contextmanager
def webhook_receiver() -> Iterator[Receiver]:
    receiver = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            receiver.calls.append((dict(self.headers), body))
            if receiver.hang:
                receiver.released.wait()
                return
            if receiver.trickle:
                self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
                until = time.monotonic() + 8
                while time.monotonic() < until and not receiver.released.wait(receiver.trickle):
                    self.wfile.write(b"a")
                    self.wfile.flush()
                self.wfile.write(b"\r\nContent-Length: 0\r\n\r\n")
                return
            status = receiver.script.pop(0) if receiver.script else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = _JoiningServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.released.set()
        server.shutdown()
        server.server_close()
