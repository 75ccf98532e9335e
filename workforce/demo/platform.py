"""``flask demo-platform``: a simulated moderation platform for the living demo (issue 21).

It is a client of the real HTTP API, as a platform would be. Each tick it reads who is on
shift now (``GET /shifts``, with a read-only roster token), asks ``GET
/contractors/{id}/eligibility`` before handing anyone an item, as a real platform must, and
posts the exposure of the items it handed out (``POST /exposure-events``, with its own
ingest token). A person the answer holds back (a break due, a cap reached, a rotation) gets
nothing until eligibility says yes again; the log says why.

``speed`` is how many minutes of exposure one real minute of the demo stands for (1 is
real time; ``make run`` uses a brisker pace so that caps and breaks show within minutes).
"""

from __future__ import annotations

import datetime as dt
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: The exposure one event may carry (ingestion's own limit is 4 hours).
MAX_EVENT_SECONDS = 4 * 3600
MODALITIES: tuple[tuple[str, list[str]], ...] = (
    ("text", []),
    ("image", ["greyscale"]),
    ("video", ["blurred", "muted"]),
)


@dataclass
class Platform:
    base_url: str
    ingest_token: str
    roster_token: str
    speed: float = 1.0
    log: Callable[[str], None] = print
    sent: int = 0
    held: dict[int, list[str]] = field(default_factory=dict)
    _last: float | None = None
    _ticks: int = 0

    def _call(self, method: str, path: str, token: str, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.base_url}/api/v1{path}",
            data=data,
            method=method,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.loads(answer.read())

    def on_shift(self, now: dt.datetime) -> list[dict[str, Any]]:
        """Assigned shifts that cover ``now``, scheduled or clocked in."""
        stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
        later = (now + dt.timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        query = urllib.parse.urlencode({"from": stamp, "to": later, "page_size": 500})
        items = self._call("GET", f"/shifts?{query}", self.roster_token)["items"]
        return [
            s
            for s in items
            if s["contractor_id"] is not None and s["status"] in ("scheduled", "in_progress")
        ]

    def queues(self) -> dict[int, dict[str, Any]]:
        items = self._call("GET", "/queues?page_size=500", self.ingest_token)["items"]
        return {q["id"]: q for q in items}

    def tick(self, now: dt.datetime | None = None) -> int:
        """Hand out the items of the time since the last tick; returns the events posted."""
        now = now or dt.datetime.now(dt.UTC)
        clock = time.monotonic()
        elapsed = 10.0 if self._last is None else clock - self._last
        self._last = clock
        self._ticks += 1
        seconds = int(min(max(elapsed * self.speed, 1), MAX_EVENT_SECONDS))
        queues = self.queues()
        events = []
        for shift in self.on_shift(now):
            queue = queues.get(shift["queue_id"])
            if queue is None or not queue["categories"]:
                continue  # tier 0: nothing harmful to count
            cid = shift["contractor_id"]
            query = urllib.parse.urlencode({"queue": queue["slug"]})
            verdict = self._call(
                "GET", f"/contractors/{cid}/eligibility?{query}", self.ingest_token
            )
            if not verdict["eligible"]:
                if self.held.get(cid) != verdict["reasons"]:
                    self.log(
                        f"holding back contractor {cid} on {queue['slug']}: "
                        f"{', '.join(verdict['reasons'])}"
                    )
                self.held[cid] = verdict["reasons"]
                continue
            if self.held.pop(cid, None) is not None:
                self.log(f"contractor {cid} may work on {queue['slug']} again")
            n = self._ticks + cid
            modality, mitigations = MODALITIES[n % len(MODALITIES)]
            events.append(
                {
                    "event_id": f"demo-platform-{cid}-{now.strftime('%Y%m%d%H%M%S%f')}",
                    "contractor_id": cid,
                    "queue": queue["slug"],
                    "category": queue["categories"][n % len(queue["categories"])],
                    "started_at": (now - dt.timedelta(seconds=seconds)).isoformat(),
                    "duration_seconds": seconds,
                    "items": max(1, seconds // 40),
                    "modality": modality,
                    "mitigations": mitigations,
                }
            )
        if events:
            answer = self._call("POST", "/exposure-events", self.ingest_token, {"events": events})
            self.sent += int(answer["accepted"])
        self.log(
            f"{now:%H:%M:%S} handed out work to {len(events)} people "
            f"({seconds} s of exposure each), {len(self.held)} held back"
        )
        return len(events)

    def run(self, interval: float, duration: float | None = None) -> None:
        """Tick every ``interval`` seconds, for ``duration`` seconds or until stopped. An
        API that does not answer for a moment is waited for, not fatal."""
        started = time.monotonic()
        while duration is None or time.monotonic() - started < duration:
            try:
                self.tick()
            except (urllib.error.URLError, OSError) as error:
                self.log(f"the API did not answer ({error}); trying again")
            time.sleep(interval)
