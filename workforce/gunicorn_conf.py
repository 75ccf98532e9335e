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

import sys
from typing import Any

from gunicorn.glogging import Logger

from workforce import db
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


def on_starting(server: Any) -> None:
    """With ``--preload`` the app is built before this hook: a database that cannot be
    opened or is not migrated stops the master with one line and exit status 1, before
    any worker answers a request with a 500."""
    if not server.cfg.preload_app:
        return
    app = server.app.wsgi()
    if problem := db.schema_problem(app.config["DATABASE_URL"]):
        print(f"database error: {problem}", file=sys.stderr)
        sys.exit(1)
