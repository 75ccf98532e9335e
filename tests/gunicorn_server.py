"""A real gunicorn serving the test database, configured as ``make run`` configures it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def gunicorn(
    database_url: str, log: Path, *options: str, env: dict[str, str] | None = None
) -> Iterator[str]:
    """Serve ``workforce:create_app()`` as ``scripts/run`` does (two workers,
    ``workforce.gunicorn_conf``, the access log on stdout) plus ``options``; both streams go
    to ``log``. Yields the base URL once the app answers."""
    port = free_port()
    environ = {
        **os.environ,
        "WORKFORCE_DATABASE_URL": database_url,
        "WORKFORCE_SECRET_KEY": "gunicorn-test-secret-key-of-at-least-32-chars",
        **(env or {}),
    }
    with log.open("wb") as out:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--preload",
                "--config",
                "python:workforce.gunicorn_conf",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--access-logfile",
                "-",
                *options,
                "workforce:create_app()",
            ],
            env=environ,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    urllib.request.urlopen(f"{base}/api/v1/health", timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise RuntimeError(log.read_text()) from None
                    time.sleep(0.2)
            yield base
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(timeout=10)
