"""The audit log is a hash chain: editing, deleting or reordering a row is detected."""

from __future__ import annotations

from sqlalchemy import select, text, update

from workforce import audit, db
from workforce.audit import AuditEvent


def _make_history(client, admin, n: int = 4) -> None:
    for i in range(n):
        response = client.post(
            "/api/v1/contractors",
            json={"full_name": f"P{i}", "email": f"p{i}@example.org", "country": "PH"},
            headers=admin,
        )
        assert response.status_code == 201


def _verify(app) -> audit.ChainReport:
    with db.get_db(app).reader() as session:
        return audit.verify_chain(session)


def test_every_write_is_audited_with_its_actor(client, admin) -> None:
    _make_history(client, admin, 2)
    events = client.get("/api/v1/audit-events?action=contractor.create", headers=admin).json
    assert events["total"] == 2
    event = events["items"][0]
    assert event["actor_role"] == "admin" and event["actor_token_id"]
    assert event["target_type"] == "contractor"
    # personal data stays out of the summary
    assert "p1@example.org" not in str(event["summary"])


def test_a_failed_request_writes_no_audit_row(client, admin) -> None:
    before = client.get("/api/v1/audit-events", headers=admin).json["total"]
    client.post(
        "/api/v1/contractors",
        json={"full_name": "x", "email": "x@x.org", "country": "US"},
        headers=admin,
    )  # 422: the US has many zones and none was given
    assert client.get("/api/v1/audit-events", headers=admin).json["total"] == before


def test_intact_chain_verifies(app, client, admin) -> None:
    _make_history(client, admin)
    report = client.get("/api/v1/audit-events/verify", headers=admin).json
    assert report["ok"] is True and report["checked"] >= 5


def test_editing_a_row_is_detected(app, client, admin) -> None:
    _make_history(client, admin)
    with db.transaction(app) as session:
        session.execute(
            update(AuditEvent).where(AuditEvent.id == 3).values(action="contractor.delete")
        )
    report = _verify(app)
    assert not report.ok and report.first_broken_id == 3


def test_deleting_a_row_is_detected(app, client, admin) -> None:
    _make_history(client, admin)
    with db.transaction(app) as session:
        session.execute(text("DELETE FROM audit_events WHERE id = 2"))
    report = _verify(app)
    assert not report.ok and report.first_broken_id == 3


def test_reordering_rows_is_detected(app, client, admin) -> None:
    _make_history(client, admin)
    with db.transaction(app) as session:
        rows = {
            r.id: r for r in session.scalars(select(AuditEvent).where(AuditEvent.id.in_([2, 3])))
        }
        a, b = rows[2], rows[3]
        swapped = {k: getattr(b, k) for k in ("occurred_at", "action", "target_id", "summary")}
        for key in swapped:
            setattr(b, key, getattr(a, key))
        for key, value in swapped.items():
            setattr(a, key, value)
    report = _verify(app)
    assert not report.ok and report.first_broken_id == 2


def test_cli_verify_exits_non_zero_on_tampering(app, client, admin) -> None:
    _make_history(client, admin)
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["audit", "verify"])
    assert ok.exit_code == 0 and "intact" in ok.output
    with db.transaction(app) as session:
        session.execute(
            update(AuditEvent).where(AuditEvent.id == 4).values(summary={"forged": True})
        )
    broken = runner.invoke(args=["audit", "verify"])
    assert broken.exit_code == 1 and "event 4" in broken.output


def test_only_admin_and_compliance_read_the_audit_log(client, as_role) -> None:
    for role in ("ops", "wellbeing", "ingest"):
        assert client.get("/api/v1/audit-events", headers=as_role(role)).status_code == 403
    assert client.get("/api/v1/audit-events", headers=as_role("compliance")).status_code == 200
