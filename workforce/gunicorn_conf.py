"""gunicorn settings of ``make run`` (``gunicorn -c python:workforce.gunicorn_conf``).

Only logging lives here: the access log masks secrets and instrument names
(:mod:`workforce.redact`); workers, bind address and worker class stay on the command line.
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
