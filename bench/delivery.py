"""API write latency while the outbox is sent to a webhook that never answers.

    python bench/delivery.py [--writes N] [--database-url URL]

Issue 18 measured 15.4 s for ``PATCH /contractors/8`` behind a hanging listener, because
delivery posted inside its transaction. Here a delivery thread keeps sending a queue of ops
notifications (to nowhere, then to a listener that accepts and never answers) while the
Flask test client makes N writes; prints the write p99 of both runs and their ratio
(target <= 1.2: sending holds no transaction, so the listener cannot slow a write).
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import threading
import time
from typing import Any

from common import database_url, fresh_app, percentile

from workforce import db
from workforce.contractors.services import create_contractor
from workforce.identity import access as auth
from workforce.notifications.delivery import deliver_due
from workforce.notifications.services import notify_once


def hanging_listener() -> tuple[socket.socket, str]:
    """A TCP listener that accepts (the kernel does) and never reads or answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1024)
    return server, f"http://127.0.0.1:{server.getsockname()[1]}/hook"


def measure(app: Any, token: str, contractor: int, writes: int, webhooks: str) -> list[float]:
    app.config.update(WEBHOOKS=webhooks, DELIVERY_READ_TIMEOUT_SECONDS=3)
    with app.app_context(), db.transaction(app) as session:
        for n in range(200):
            notify_once(
                session,
                kind="bench",
                audience="ops",
                dedupe_key=f"bench:{webhooks}:{n}",
                payload={"n": n},
            )
    stop = threading.Event()

    def deliver() -> None:
        while not stop.is_set():
            with app.app_context():
                deliver_due(app, db.utcnow())
            time.sleep(0.05)

    sender = threading.Thread(target=deliver, daemon=True)
    sender.start()
    time.sleep(0.5)  # the first run has leased its batch and is sending
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    latencies = []
    for n in range(writes):
        started = time.perf_counter()
        answer = client.patch(
            f"/api/v1/contractors/{contractor}", json={"full_name": f"N{n}"}, headers=headers
        )
        latencies.append(time.perf_counter() - started)
        assert answer.status_code == 200, answer.json
    stop.set()
    return latencies


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--writes", type=int, default=300)
    parser.add_argument("--database-url")
    args = parser.parse_args(argv)
    url, label = database_url(args.database_url)
    app = fresh_app(url)
    with app.app_context(), db.transaction(app) as session:
        contractor = create_contractor(
            session,
            {"full_name": "B", "email": "b@example.org", "country": "KE", "timezone": "UTC"},
        ).id
        _token, raw = auth.create_token(session, name="bench", role="admin")
    listener, hook = hanging_listener()
    baseline = measure(app, raw, contractor, args.writes, "")
    hanging = measure(
        app, raw, contractor, args.writes, json.dumps({"ops": [{"url": hook, "secret": "s" * 32}]})
    )
    listener.close()
    result = {
        "writes": args.writes,
        "p50_ms_no_webhook": round(percentile(baseline, 50) * 1000, 2),
        "p50_ms_hanging_webhook": round(percentile(hanging, 50) * 1000, 2),
        "p99_ms_no_webhook": round(percentile(baseline, 99) * 1000, 2),
        "p99_ms_hanging_webhook": round(percentile(hanging, 99) * 1000, 2),
    }
    result["ratio"] = round(result["p99_ms_hanging_webhook"] / result["p99_ms_no_webhook"], 2)
    print(f"{label}: {json.dumps(result)}")
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
