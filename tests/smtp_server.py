"""A real SMTP server on 127.0.0.1 (aiosmtpd in a thread) with STARTTLS or implicit TLS
and a password, for email delivery tests; messages are parsed with the ``email`` package."""

from __future__ import annotations

import asyncio
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

USER, PASSWORD = "mailer", "p@ss word"


@dataclass
class Mailbox:
    url: str
    ca_file: str
    messages: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)


def self_signed(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    if not cert.exists():
        subprocess.run(
            [
                *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
                *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"),
                *("-addext", "subjectAltName=IP:127.0.0.1"),
            ],
            check=True,
            capture_output=True,
        )
    return cert, key


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _LingeringSMTP(SMTP):
    """Says goodbye to QUIT but closes its side of the connection a while later, as a busy
    server may: a client must not need the server's TLS close to free its own socket."""

    linger = 0.5

    async def smtp_QUIT(self, arg: str) -> None:
        await self.push("221 Bye")
        await asyncio.sleep(self.linger)
        if self._handler_coroutine is not None:
            self._handler_coroutine.cancel()
        if self.transport is not None:
            self.transport.close()


class _LingeringController(Controller):
    def factory(self) -> SMTP:
        return _LingeringSMTP(self.handler, **self.SMTP_kwargs)


@contextmanager
def smtp_server(
    directory: Path, *, implicit_tls: bool = False, lingering: bool = False
) -> Iterator[Mailbox]:
    cert, key = self_signed(directory)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    port = _free_port()
    mailbox = Mailbox(
        url=f"{'smtps' if implicit_tls else 'smtp'}://{USER}:p%40ss%20word@127.0.0.1:{port}",
        ca_file=str(cert),
    )

    class Handler:
        async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
            parsed = BytesParser(policy=policy.default).parsebytes(envelope.content)
            mailbox.messages.append(parsed)  # type: ignore[arg-type]
            mailbox.recipients.append(list(envelope.rcpt_tos))
            return "250 OK"

    def authenticate(
        _server: Any, _session: Any, _envelope: Any, _mechanism: str, auth: Any
    ) -> AuthResult:
        ok = isinstance(auth, LoginPassword) and (auth.login, auth.password) == (
            USER.encode(),
            PASSWORD.encode(),
        )
        return AuthResult(success=ok)

    tls: dict[str, Any] = (
        # aiosmtpd cannot tell that an implicit-TLS session is encrypted: let it offer AUTH
        # (our client logs in all the same, and a wrong password still fails).
        {"ssl_context": context, "auth_require_tls": False, "auth_required": False}
        if implicit_tls
        else {"tls_context": context, "require_starttls": True, "auth_required": True}
    )
    controller = (_LingeringController if lingering else Controller)(
        Handler(),
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticate,
        **tls,
    )
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()


@contextmanager
def trickling_smtp_server(every: float, for_seconds: float = 8.0) -> Iterator[str]:
    """An SMTP URL whose server greets one byte every ``every`` seconds (for
    ``for_seconds``, then hangs up): a server no per-read timeout catches."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.sendall(b"220")
                until = time.monotonic() + for_seconds
                while time.monotonic() < until and not stop.wait(every):
                    conn.sendall(b" ")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"smtp://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()
