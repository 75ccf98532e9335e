"""gunicorn settings of ``make run`` and production
(``gunicorn --config python:workforce.gunicorn_conf``): threaded workers, and logs that mask
secrets and instrument names (:mod:`workforce.redact`). The bind address and the number of
workers stay on the command line.

Threaded workers: a client that sends its request slowly holds one thread, not a whole
worker, so slow connections cannot stall every other request as they did with sync
workers. Production still puts nginx in front (deploy/nginx/workforce.conf), which reads
whole requests before passing them on.
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from workforce.redact import install, mask


class MaskingLogger(Logger):
    """gunicorn's logger with every access-log atom and error-log line masked."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        install(self.error_log, self.access_log)

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        return {k: mask(v) if isinstance(v, str) else v for k, v in atoms.items()}


logger_class = MaskingLogger

#: One thread per request in flight; a slow client ties up one of them at most.
worker_class = "gthread"
threads = 8
#: A worker silent this long is killed and replaced. Every database retry budget ends well
#: inside it (docs/operations.md, "Faults"): 3 attempts x SQLITE_BUSY_TIMEOUT_MS (5 s).
timeout = 30
graceful_timeout = 30
#: Idle keep-alive connections are closed after this many seconds.
keepalive = 5
