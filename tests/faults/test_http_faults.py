"""Faults at the HTTP edge, against real servers: a chunked body over the limit, slow
clients, and nginx (deploy/nginx/workforce.conf) in front of gunicorn."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import bearer
from tests.faults.helpers import ROOT, gunicorn, slow_clients, wait_for_http
from tests.gunicorn_server import free_port

pytestmark = pytest.mark.slow

NGINX = "/usr/sbin/nginx"


def post(
    port: int, path: str, body: bytes, headers: dict[str, str], *, chunked: bool
) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        if chunked:  # 16 KiB chunks (a small body: 32 bytes) and no Content-Length
            size = 32 if len(body) < 1024 else 16384
            parts = iter([body[i : i + size] for i in range(0, len(body), size)])
            conn.request("POST", path, body=parts, headers=headers, encode_chunked=True)
        else:
            conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        return response.status, json.loads(data) if data.startswith(b"{") else {}
    finally:
        conn.close()


def contractor(padding: int = 0) -> bytes:
    """A contractor's JSON body, valid without ``padding``; past the size limit with it."""
    body = {"full_name": "Ann Lee", "email": "ann@example.org", "country": "KE"}
    if padding:
        body["external_ref"] = "x" * padding
    return json.dumps(body).encode()


def test_a_chunked_body_over_the_limit_is_413_like_a_declared_one(
    app, make_token, tmp_path
) -> None:
    headers = {"Content-Type": "application/json", **bearer(make_token("ops"))}
    big = contractor(5000)
    with gunicorn(app, tmp_path / "gunicorn.log", MAX_CONTENT_LENGTH="2000") as port:
        declared = post(port, "/api/v1/contractors", big, headers, chunked=False)
        chunked = post(port, "/api/v1/contractors", big, headers, chunked=True)
        # under the limit, a chunked body is read whole
        small = post(port, "/api/v1/contractors", contractor(), headers, chunked=True)
    assert declared[0] == 413
    assert chunked == declared, chunked
    assert small[0] == 201, small


def health_seconds(port: int, times: int = 4) -> list[float]:
    """How long ``GET /api/v1/health`` took, ``times`` times in a row (10 s at most each)."""
    took = []
    for _ in range(times):
        started = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            conn.request("GET", "/api/v1/health")
            assert conn.getresponse().status == 200
        except TimeoutError:
            pass
        finally:
            conn.close()
        took.append(time.monotonic() - started)
        time.sleep(0.3)
    return took


def test_two_slow_clients_do_not_stall_gunicorn(app, tmp_path) -> None:
    """Two connections sending a header line a second held both sync workers of
    ``make run`` for as long as they kept going; now each holds one thread."""
    with gunicorn(app, tmp_path / "gunicorn.log") as port, slow_clients(port, 2):
        took = health_seconds(port)
    assert max(took) < 1, took


@contextmanager
def nginx(upstream: int, tmp_path: Path) -> Iterator[int]:
    """Debian's nginx running deploy/nginx/workforce.conf, as shipped except for its two
    addresses, in front of gunicorn on ``upstream``; yields nginx's port."""
    if not os.path.exists(NGINX) and subprocess.run([ROOT / "scripts/ensure-nginx"]).returncode:
        if shutil.which("apt-get") is None:
            pytest.skip("nginx is missing and apt-get cannot install it here")
        raise AssertionError("scripts/ensure-nginx failed")
    port = free_port()
    (tmp_path / "logs").mkdir(parents=True)
    site = (ROOT / "deploy/nginx/workforce.conf").read_text()
    assert "server 127.0.0.1:8000;" in site and "listen 80;" in site
    site = site.replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream};")
    (tmp_path / "workforce.conf").write_text(site.replace("listen 80;", f"listen {port};"))
    (tmp_path / "nginx.conf").write_text(
        f"""
        user root;
        daemon off;
        pid {tmp_path}/nginx.pid;
        error_log {tmp_path}/logs/error.log;
        events {{}}
        http {{
            access_log {tmp_path}/logs/access.log;
            client_body_temp_path {tmp_path}/body;
            proxy_temp_path {tmp_path}/proxy;
            fastcgi_temp_path {tmp_path}/fastcgi;
            uwsgi_temp_path {tmp_path}/uwsgi;
            scgi_temp_path {tmp_path}/scgi;
            include {tmp_path}/workforce.conf;
        }}
        """
    )
    with (tmp_path / "logs/nginx.out").open("wb") as out:
        server = subprocess.Popen(
            [NGINX, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
            stderr=subprocess.STDOUT,
            stdout=out,
        )
        try:
            wait_for_http(f"http://127.0.0.1:{port}/api/v1/health", 15)
            yield port
        finally:
            server.send_signal(signal.SIGQUIT)
            server.wait(timeout=20)


def test_nginx_in_front_passes_requests_and_absorbs_slow_clients(app, make_token, tmp_path) -> None:
    headers = {"Content-Type": "application/json", **bearer(make_token("ops"))}
    with (
        gunicorn(app, tmp_path / "gunicorn.log") as upstream,
        nginx(upstream, tmp_path / "nginx") as port,
    ):
        created = post(port, "/api/v1/contractors", contractor(), headers, chunked=True)
        # more slow clients than gunicorn has threads (2 workers x 8): nginx holds them
        with slow_clients(port, 24):
            took = health_seconds(port)
        too_big = post(port, "/api/v1/contractors", contractor(9 * 2**20), headers, chunked=True)
    assert created[0] == 201, created
    assert max(took) < 1, took
    assert too_big[0] == 413
