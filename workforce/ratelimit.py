"""Failure windows: how many times a key (a client address, an email) failed recently.

Used to slow down guessing (API tokens, portal passwords): after ``limit`` failures within
the window the caller answers 429 with ``Retry-After``; the oldest failure ageing out of the
window lets the key try again, so there is never a permanent lock-out. Counts live in the
process (one window per app and purpose), which is enough to make guessing impractical.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque

from flask import Flask, current_app


class FailureWindow:
    """Failures per key within the last ``seconds`` seconds (thread-safe, per process)."""

    #: Past this many keys, keys whose failures have all aged out are dropped.
    PRUNE_AT = 10_000

    def __init__(self, seconds: float = 60.0) -> None:
        self.seconds = seconds
        self._lock = threading.Lock()
        self._hits: dict[str, deque[float]] = defaultdict(deque)

    def retry_after(self, key: str, limit: int) -> int:
        """Seconds until ``key`` may try again, 0 while it is under ``limit``."""
        now = time.monotonic()
        with self._lock:
            hits = self._hits.get(key)
            if not hits:
                return 0
            while hits and hits[0] <= now - self.seconds:
                hits.popleft()
            if not hits:
                del self._hits[key]
                return 0
            return int(hits[0] + self.seconds - now) + 1 if len(hits) >= limit else 0

    def fail(self, key: str) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._hits) >= self.PRUNE_AT:
                stale = [k for k, h in self._hits.items() if not h or h[-1] <= now - self.seconds]
                for k in stale:
                    del self._hits[k]
            self._hits[key].append(now)

    def clear(self, key: str) -> None:
        """Forget the failures of ``key`` (after it succeeded)."""
        with self._lock:
            self._hits.pop(key, None)


def failure_window(name: str, seconds: float = 60.0, app: Flask | None = None) -> FailureWindow:
    """The app's window called ``name``, created on first use."""
    extensions = (app or current_app).extensions
    key = f"workforce.failures.{name}"
    window: FailureWindow = extensions.setdefault(key, FailureWindow(seconds))
    return window
