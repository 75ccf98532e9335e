"""Set up a load-test database: a consenting contractor on a tier-2 queue with a week of
shifts, and tokens for an admin, the contractor and an ingest platform. Prints the tokens
and ids as shell assignments for bench/load.sh."""

from __future__ import annotations

import datetime as dt

from workforce import create_app, db
from workforce.cli import upgrade
from workforce.contractors.services import create_contractor, set_consent
from workforce.identity import access as auth
from workforce.queues.services import create_queue
from workforce.scheduling.planning import create_shift


def main() -> None:
    app = create_app()
    upgrade(app)
    with app.test_request_context(), db.transaction(app) as session:
        person = create_contractor(
            session, {"full_name": "Load Test", "email": "load@example.org", "country": "KE"}
        )
        set_consent(session, person.id, True)
        create_queue(
            session, {"slug": "hate", "name": "Hate", "tier": 2, "categories": ["hate_extremism"]}
        )
        queue = create_queue(session, {"slug": "safe", "name": "Safe", "tier": 0})
        monday = db.utcnow().date() - dt.timedelta(days=db.utcnow().weekday())
        for day in range(5):
            start = dt.datetime.combine(monday + dt.timedelta(days=day), dt.time(6), dt.UTC)
            create_shift(
                session,
                {
                    "contractor_id": person.id,
                    "queue_id": queue.id,
                    "starts_at": start,
                    "ends_at": start + dt.timedelta(hours=8),
                },
            )
        _t, contractor_token = auth.create_token(
            session, name="load contractor", role="contractor", contractor_id=person.id
        )
        _t, ingest_token = auth.create_token(session, name="load ingest", role="ingest")
        print(f"CONTRACTOR_ID={person.id}")
        print(f"CONTRACTOR_TOKEN={contractor_token}")
        print(f"INGEST_TOKEN={ingest_token}")


if __name__ == "__main__":
    main()
