"""Time to render one contractor's calendar feed (.ics), built with ``icalendar``.

    python bench/calendar_feed.py [--events N] [--repeat R]

No database: ``render_calendar`` on ``N`` shifts (the default, 230, is a shift every other
day across the feed's whole window, 62 days back to 400 ahead: a heavy feed) in a zone with
DST and one without. Prints the median and p95 per render, and the time per event.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from workforce.scheduling.calendar import CalendarEvent, render_calendar  # noqa: E402

ZONES = ("America/New_York", "Africa/Nairobi")


def main(argv: list[str] | None = None) -> dict[str, dict[str, float]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=230)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args(argv)
    now = dt.datetime(2026, 12, 5, 8, tzinfo=dt.UTC)
    events = [
        CalendarEvent(
            uid=f"shift-{n}@workforce",
            start=now + dt.timedelta(days=2 * n - 62, hours=n % 5),
            end=now + dt.timedelta(days=2 * n - 62, hours=n % 5 + 8),
            summary="General labelling",
            description=f"General labelling (general), Workforce shift {n}\nPublic holiday: x",
            sequence=n % 3,
            cancelled=n % 7 == 0,
            last_modified=now,
        )
        for n in range(args.events)
    ]
    results = {}
    for zone in ZONES:
        render_calendar("Workforce shifts", zone, events, now)  # warm up
        times = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            render_calendar("Workforce shifts", zone, events, now)
            times.append(time.perf_counter() - started)
        median = statistics.median(times)
        p95 = statistics.quantiles(times, n=20)[-1] if len(times) > 1 else times[0]
        results[zone] = {"median_ms": median * 1000, "p95_ms": p95 * 1000}
        print(
            f"{zone:18} {args.events} events: median {median * 1000:.1f} ms, "
            f"p95 {p95 * 1000:.1f} ms, {median * 1e6 / max(args.events, 1):.0f} µs/event"
        )
    return results


if __name__ == "__main__":
    main()
