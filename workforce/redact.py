"""Secrets and health data kept out of every log line the service writes.

A request line can carry a secret (``/portal/invite/<secret>``, ``/calendar/<secret>.ics``,
a ``wf_`` token pasted into a query) or say which screening someone took
(``POST /portal/checkins/phq9``, ``?instrument=gad7``): either is enough to act as, or learn
about, a person. :func:`mask` replaces them with ``***``; :class:`MaskSecrets` applies it
to log records (the app's, Flask's and werkzeug's loggers: :func:`init_app`), and
:mod:`workforce.gunicorn_conf` to gunicorn's access and error logs.
"""

from __future__ import annotations

import logging
import re

from flask import Flask
from flask.logging import default_handler

from workforce.wellbeing.instruments import INSTRUMENTS

MASK = "***"

#: A path separator, as is or percent-encoded (a path inside ``?next=``).
_SEP = r"(?:/|%2[Ff])"
#: One path segment: up to the next separator, query, fragment, space or quote.
_SEGMENT = r"(?:(?!%2[Ff])[^/?#&\s\"])+"

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # invite links and calendar feeds: the secret is the whole credential
    (re.compile(rf"({_SEP}portal{_SEP}invite{_SEP}){_SEGMENT}"), rf"\g<1>{MASK}"),
    (re.compile(rf"({_SEP}calendar{_SEP}){_SEGMENT}"), rf"\g<1>{MASK}"),
    # a questionnaire's page names it; results are by id, which names nothing
    (re.compile(rf"({_SEP}portal{_SEP}checkins{_SEP})(?!result{_SEP}){_SEGMENT}"), rf"\g<1>{MASK}"),
    # API tokens, wherever they turn up (a query string, a Referer)
    (re.compile(r"wf_[A-Za-z0-9_\-]+"), f"wf_{MASK}"),
    # any other mention of an instrument (?instrument=phq9), even inside a longer word:
    # masking too much in a log costs nothing
    (re.compile("|".join(map(re.escape, INSTRUMENTS)), re.IGNORECASE), MASK),
)


def mask(text: str) -> str:
    """``text`` with every secret and instrument name replaced by ``***``."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class MaskSecrets(logging.Filter):
    """Rewrites a record's message through :func:`mask` (formatted once, args dropped)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


#: Loggers that write request paths: werkzeug's request log (``flask run``) and the app's.
LOGGERS = ("werkzeug", "workforce", "apscheduler")


def install(*loggers: logging.Logger | logging.Handler) -> None:
    """Add the filter to these loggers or handlers once (setup may run more than once)."""
    for target in loggers:
        if not any(isinstance(f, MaskSecrets) for f in target.filters):
            target.addFilter(MaskSecrets())


def install_everywhere() -> None:
    """Mask on every handler of the root logger too: a logger's own filters miss the
    records of its children (``workforce.jobs.runner``, ``apscheduler.executors``),
    a handler's do not. Call again after adding handlers (the scheduler's ``basicConfig``).
    httpx logs each URL it posts to, and a webhook URL can itself be a secret: warnings only.
    """
    install(*logging.getLogger().handlers)
    for chatty in ("httpx", "httpcore"):
        logging.getLogger(chatty).setLevel(logging.WARNING)


def init_app(app: Flask) -> None:
    # Flask's handler sees records of child loggers too, which bypass the logger's filters.
    install(app.logger, default_handler, *(logging.getLogger(name) for name in LOGGERS))
    install_everywhere()
