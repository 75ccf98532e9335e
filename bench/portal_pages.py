"""Server time and weight of portal pages for one signed-in contractor.

    python bench/portal_pages.py [--requests N] [--database-url URL]

A Kenyan contractor with a shift a day over the fortnight, a rotation and a few check-ins,
signed in on Flask's test client (no network: this is the server's own time per page, the
part a slow phone cannot hide). Prints median and p95 per page, the HTML size and its
gzipped size (what crosses a slow connection).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import re
import statistics
import time

from common import database_url, fresh_app
from sqlalchemy import select

from workforce import db
from workforce.contractors.services import create_contractor
from workforce.identity import accounts as services
from workforce.notifications.models import Notification
from workforce.queues.services import create_queue
from workforce.rotations.services import start_rotation
from workforce.shifts.models import Shift
from workforce.wellbeing.checkins import record_check_in

PAGES = (
    "/portal/schedule?lang=sw",
    "/portal/exposure",
    "/portal/rotations",
    "/portal/checkins",
    "/portal/checkins/phq9",
    "/portal/notifications",
)
PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def main(argv: list[str] | None = None) -> dict[str, dict[str, float]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--database-url")
    args = parser.parse_args(argv)
    url, label = database_url(args.database_url)
    app = fresh_app(url)
    now = db.utcnow()
    with app.test_request_context(), db.transaction(app) as session:
        person = create_contractor(
            session,
            {"full_name": "Grace", "email": "g@example.org", "country": "KE", "external_ref": "g"},
        )
        ads = create_queue(session, {"slug": "ads", "name": "Ads", "tier": 0})
        for day in range(-2, 12):
            starts = now.replace(hour=6, minute=0, second=0, microsecond=0)
            starts += dt.timedelta(days=day)
            session.add(
                Shift(
                    contractor_id=person.id,
                    queue_id=ads.id,
                    starts_at=starts,
                    ends_at=starts + dt.timedelta(hours=8),
                    status="scheduled",
                )
            )
        start_rotation(
            session,
            contractor_id=person.id,
            reason="daily_limit",
            started_at=now,
            ends_at=now + dt.timedelta(hours=48),
            explanation={"rule": "daily_limit", "tier": 3, "measured": 250, "limit": 240},
        )
        for answers in ([1] * 9, [2] * 9, [0] * 9):
            record_check_in(session, person.id, "phq9", answers, pcl5_cutoff=33)
        services.send_portal_link(session, person.id)
        link = session.scalars(
            select(Notification.payload["url"].as_string()).where(
                Notification.kind == "portal.invite"
            )
        ).one()
    client = app.test_client()

    def token(path: str) -> str:
        found = CSRF.search(client.get(path).get_data(as_text=True))
        assert found
        return found.group(1)

    invite = "/portal/invite/" + link.rsplit("/", 1)[1]
    client.post(
        invite, data={"csrf_token": token(invite), "password": PASSWORD, "confirm": PASSWORD}
    )
    client.post(
        "/portal/sign-in",
        data={
            "csrf_token": token("/portal/sign-in"),
            "email": "g@example.org",
            "password": PASSWORD,
        },
    )
    results = {}
    print(f"portal pages on {label}, {args.requests} requests each")
    for page in PAGES:
        body = client.get(page).get_data()
        times = []
        for _ in range(args.requests):
            started = time.perf_counter()
            response = client.get(page)
            times.append(time.perf_counter() - started)
            assert response.status_code == 200, (page, response.status_code)
        times.sort()
        results[page] = {
            "median_ms": round(statistics.median(times) * 1000, 1),
            "p95_ms": round(times[int(len(times) * 0.95) - 1] * 1000, 1),
            "html_kib": round(len(body) / 1024, 1),
            "gzip_kib": round(len(gzip.compress(body)) / 1024, 1),
        }
        r = results[page]
        print(
            f"  {page:28} median {r['median_ms']:6.1f} ms  p95 {r['p95_ms']:6.1f} ms  "
            f"{r['html_kib']:5.1f} KiB ({r['gzip_kib']:.1f} KiB gzipped)"
        )
    return results


if __name__ == "__main__":
    main()
