"""No secret and no instrument name in any log line the service writes."""

from __future__ import annotations

import contextlib
import io
import logging
import secrets
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from flask import Flask
from hypothesis import given
from hypothesis import strategies as st

from tests.gunicorn_server import gunicorn
from workforce.redact import install_everywhere, mask
from workforce.wellbeing.instruments import INSTRUMENTS

#: What a secret in a URL is made of (``secrets.token_urlsafe``), plus the other unreserved
#: characters a guessed one may hold.
URLSAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
SECRET = st.text(alphabet=URLSAFE + ".~", min_size=1)


@given(secret=SECRET, token=st.text(alphabet=URLSAFE, min_size=1))
def test_secrets_are_masked_whatever_they_are(secret: str, token: str) -> None:
    assert mask(f"GET /portal/invite/{secret} HTTP/1.1") == "GET /portal/invite/*** HTTP/1.1"
    assert mask(f"POST /portal/invite/{secret}?lang=sw") == "POST /portal/invite/***?lang=sw"
    assert mask(f"GET /calendar/{secret}.ics HTTP/1.1") == "GET /calendar/*** HTTP/1.1"
    assert (
        mask(f"GET /api/v1/me?token=wf_{token} HTTP/1.1") == "GET /api/v1/me?token=wf_*** HTTP/1.1"
    )


@pytest.mark.parametrize("key", sorted(INSTRUMENTS))
def test_instrument_names_are_masked(key: str) -> None:
    assert mask(f"POST /portal/checkins/{key} HTTP/1.1") == "POST /portal/checkins/*** HTTP/1.1"
    assert key not in mask(f"GET /api/v1/me/checkins?instrument={key.upper()} HTTP/1.1").lower()
    assert mask(f"GET /portal/sign-in?next=%2Fportal%2Fcheckins%2F{key}") == (
        "GET /portal/sign-in?next=%2Fportal%2Fcheckins%2F***"
    )
    # a result is addressed by id, which names no instrument
    assert (
        mask("GET /portal/checkins/result/7 HTTP/1.1") == "GET /portal/checkins/result/7 HTTP/1.1"
    )


def test_the_apps_own_log_lines_are_masked(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        app.logger.warning("slow request %s", "/calendar/s3cret.ics")
        logging.getLogger("werkzeug").info('"%s" 200', "POST /portal/checkins/phq9 HTTP/1.1")
    text = caplog.text
    assert "s3cret" not in text and "phq9" not in text
    assert "/calendar/***" in text and "/portal/checkins/***" in text


def test_child_loggers_are_masked_through_the_root_handlers(app: Flask) -> None:
    """A logger's filters miss its children's records (the scheduler's runner, APScheduler's
    executors); the root handlers' filters do not."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)  # as the scheduler's basicConfig
    try:
        install_everywhere()  # as the scheduler does after logging.basicConfig
        logging.getLogger("workforce.jobs.runner").warning("sent %s", "/portal/invite/s3c")
        logging.getLogger("httpx").info("HTTP Request: POST https://hooks.example.org/T0K3N")
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    assert "s3c" not in stream.getvalue() and "/portal/invite/***" in stream.getvalue()
    assert "T0K3N" not in stream.getvalue()  # httpx's request lines are not logged at all


def _get(url: str, data: bytes | None = None) -> None:
    # the answer does not matter, only what the log says about the request
    with contextlib.suppress(urllib.error.HTTPError):
        urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=30).close()


@pytest.mark.slow
def test_gunicorn_logs_no_secret_and_no_instrument(app: Flask, tmp_path: Path) -> None:
    invite, feed = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    log = tmp_path / "gunicorn.log"
    with gunicorn(app.config["DATABASE_URL"], log) as base:
        _get(f"{base}/portal/invite/{invite}")
        _get(f"{base}/calendar/{feed}.ics")
        _get(f"{base}/portal/checkins/phq9", data=b"csrf_token=x&q1=3")
        _get(f"{base}/portal/checkins/gad7?lang=sw")
        _get(f"{base}/api/v1/me/checkins?instrument=pcl5")
    text = log.read_text()
    assert '"GET /portal/invite/*** HTTP/1.1"' in text
    assert "/calendar/***" in text and "POST /portal/checkins/***" in text
    assert invite not in text and feed not in text
    for key in INSTRUMENTS:
        assert key not in text.lower()
