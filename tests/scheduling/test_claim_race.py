""" "First valid claim wins" under real concurrency: threads, each with its own client and
database connection, claim at the same moment; exactly one is stored."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from tests.scheduling.conftest import API, soon
from workforce import db
from workforce.audit import AuditEvent
from workforce.errors import Conflict
from workforce.scheduling.planning import claim_shift
from workforce.shifts.models import Shift

CLAIMANTS = 6


def claim_all(app, shift_ids: list[int], tokens: list[dict[str, str]]) -> list[tuple[int, str]]:
    """Every token claims every shift in ``shift_ids`` at once; (status, code) per claim."""
    barrier = threading.Barrier(len(tokens) * len(shift_ids))

    def claim(headers: dict[str, str], shift_id: int) -> tuple[int, str]:
        client = app.test_client()
        barrier.wait()
        response = client.post(f"{API}/shifts/{shift_id}/claim", headers=headers)
        return response.status_code, (response.json or {}).get("code", "")

    jobs = [(h, s) for h in tokens for s in shift_ids]
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(lambda job: claim(*job), jobs))


def test_one_of_many_concurrent_claims_wins(app, as_role, new_contractor, plan) -> None:
    contractors = [new_contractor() for _ in range(CLAIMANTS)]
    tokens = [as_role("contractor", cid) for cid in contractors]
    shift = plan(None, soon(3)).json
    results = claim_all(app, [shift["id"]], tokens)
    assert sorted(status for status, _ in results) == [200] + [409] * (CLAIMANTS - 1)
    assert {code for status, code in results if status == 409} == {"shift_taken"}
    with db.get_db(app).reader() as session:
        stored = session.get(Shift, shift["id"])
        claims = session.scalars(select(AuditEvent).where(AuditEvent.action == "shift.claim")).all()
    assert stored is not None
    assert stored.contractor_id in contractors
    assert stored.sequence == 1
    assert [c.summary["contractor_id"] for c in claims] == [stored.contractor_id]


def test_one_person_cannot_win_two_overlapping_shifts_at_once(
    app, as_role, new_contractor, plan
) -> None:
    cid = new_contractor()
    start = soon(4)
    first = plan(None, start).json
    second = plan(None, start.replace(hour=start.hour + 2)).json
    tokens = [as_role("contractor", cid) for _ in range(3)]  # several devices
    results = claim_all(app, [first["id"], second["id"]], tokens)
    assert sorted(status for status, _ in results).count(200) == 1
    assert {code for status, code in results if status == 409} <= {"shift_taken", "overlap"}
    with db.get_db(app).reader() as session:
        held = session.scalars(select(Shift.id).where(Shift.contractor_id == cid)).all()
    assert len(held) == 1


def test_a_stale_read_cannot_overwrite_a_claim(app, as_role, new_contractor, plan) -> None:
    """The guarantee is the conditional UPDATE, not the read before it: a session whose
    copy of the shift still says "open" loses to a claim committed in between."""
    winner, loser = new_contractor(), new_contractor()
    shift = plan(None, soon(3)).json
    with app.app_context():
        stale = db.get_db(app).writer()
        # held here: the identity map keeps objects only while something references them
        cached = stale.get(Shift, shift["id"])
        assert cached is not None
        assert cached.contractor_id is None
        stale.commit()  # the copy outlives the transaction, never refreshed
        with db.transaction(app) as other:
            claim_shift(other, shift["id"], winner)
        with pytest.raises(Conflict) as lost:
            claim_shift(stale, shift["id"], loser)
        assert lost.value.code == "shift_taken"
        assert lost.value.detail == "another contractor claimed the shift first"
        stale.rollback()
        stale.close()
    with db.get_db(app).reader() as session:
        assert session.get(Shift, shift["id"]).contractor_id == winner
