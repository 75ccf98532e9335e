"""The audit log is a hash chain: editing, deleting or reordering a row is detected."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select, text, update

from workforce import audit, create_app, db
from workforce.audit import AuditEvent

_PEOPLE = itertools.count()


def _make_history(client, admin, n: int = 4) -> None:
    for _ in range(n):
        i = next(_PEOPLE)
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


# --- the keyed chain and its signed checkpoints -------------------------------------------


def _checkpoint(app) -> None:
    result = app.test_cli_runner().invoke(args=["audit", "checkpoint"])
    assert result.exit_code == 0, result.output


def _cli_verify(app):
    return app.test_cli_runner().invoke(args=["audit", "verify"])


def test_untouched_chain_with_checkpoints_verifies(app, client, admin) -> None:
    _make_history(client, admin)
    _checkpoint(app)
    _make_history(client, admin, 1)  # rows after the newest checkpoint are fine
    result = _cli_verify(app)
    assert result.exit_code == 0 and "1 checkpoints" in result.output
    listed = client.get("/api/v1/audit-checkpoints", headers=admin).json
    assert listed["total"] == 1 and listed["items"][0]["head_id"] == 5


def test_deleting_the_newest_rows_is_detected(app, client, admin) -> None:
    _make_history(client, admin)
    _checkpoint(app)
    with db.transaction(app) as session:
        session.execute(text("DELETE FROM audit_events WHERE id >= 4"))
    result = _cli_verify(app)
    assert result.exit_code == 1
    assert "tail was lost or deleted" in result.output and "event 5" in result.output


def test_deleting_the_tail_and_the_checkpoint_rows_is_caught_by_the_file(
    app, client, admin
) -> None:
    _make_history(client, admin)
    _checkpoint(app)
    with db.transaction(app) as session:
        session.execute(text("DELETE FROM audit_events WHERE id >= 4"))
        session.execute(text("DELETE FROM audit_checkpoints"))
    result = _cli_verify(app)
    assert result.exit_code == 1 and "tail was lost or deleted" in result.output


def test_deleting_a_row_and_rehashing_without_the_key_is_detected(app, client, admin) -> None:
    """The attack on the old unkeyed chain: delete row 2, renumber, recompute SHA-256."""
    _make_history(client, admin)
    with db.transaction(app) as session:
        session.execute(text("DELETE FROM audit_events WHERE id = 2"))
        rows = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        prev = audit.GENESIS_HASH
        for new_id, row in enumerate(rows, start=1):
            session.execute(update(AuditEvent).where(AuditEvent.id == row.id).values(id=new_id))
            row = session.get(AuditEvent, new_id, populate_existing=True)
            row.prev_hash, row.hash = prev, audit.legacy_hash(prev, row)
            session.flush()
            prev = row.hash
    report = _verify(app)
    assert not report.ok and report.first_broken_id == 1
    assert _cli_verify(app).exit_code == 1


def test_an_unreadable_checkpoint_file_is_reported(app, client, admin) -> None:
    _make_history(client, admin, 1)
    _checkpoint(app)
    path = audit.checkpoint_file(app.config)
    path.write_text(path.read_text()[:40] + "\n")  # a line cut short
    result = _cli_verify(app)
    assert result.exit_code == 1
    assert result.output.startswith("audit chain not verified: line 1 of")


def test_a_checkpoint_with_a_forged_head_is_detected(app, client, admin) -> None:
    _make_history(client, admin)
    _checkpoint(app)
    with db.transaction(app) as session:
        session.execute(update(audit.AuditCheckpoint).values(head_id=3, event_count=3))
    result = _cli_verify(app)
    assert result.exit_code == 1 and "bad signature" in result.output


def test_the_key_is_not_in_the_database(app, client, admin, database_url, tmp_path) -> None:
    """Another key (another deployment's secret) cannot verify, so cannot forge, the chain."""
    _make_history(client, admin, 1)
    other = create_app(
        {
            "DATABASE_URL": database_url,
            "AUDIT_KEY": "k" * 32,
            "AUDIT_CHECKPOINT_FILE": str(tmp_path / "other.jsonl"),
        }
    )
    try:
        with db.get_db(other).reader() as session:
            assert not audit.verify_chain(session).ok
    finally:
        db.get_db(other).dispose()


def test_a_short_or_missing_audit_key_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="WORKFORCE_AUDIT_KEY"):
        audit.chain_key({"AUDIT_KEY": "short", "SECRET_KEY": "x"})
    with pytest.raises(ValueError, match="WORKFORCE_SECRET_KEY"):
        audit.chain_key({"AUDIT_KEY": "", "SECRET_KEY": ""})


def test_a_rolled_back_checkpoint_leaves_no_line_in_the_file(app, client, admin) -> None:
    _make_history(client, admin, 1)
    path = audit.checkpoint_file(app.config)

    def failing_job() -> None:
        with db.transaction(app) as session:
            audit.write_checkpoint(session, db.utcnow(), path=path)
            raise RuntimeError("the job failed after signing")

    with pytest.raises(RuntimeError):
        failing_job()
    assert not path.exists()
    _checkpoint(app)
    assert len(path.read_text().splitlines()) == 1


def test_an_unkeyed_chain_is_rekeyed_once(app, client, admin, monkeypatch) -> None:
    """Revision 0141's upgrade path: a chain hashed with plain SHA-256 is reported, refused a
    checkpoint, and re-signed by `audit rekey`, which records the legacy head."""
    monkeypatch.setattr(audit, "REKEY_BATCH", 3)  # 4 rows: two UPDATE batches
    _make_history(client, admin, 2)
    with db.transaction(app) as session:
        prev = audit.GENESIS_HASH
        for row in session.scalars(select(AuditEvent).order_by(AuditEvent.id)):
            row.prev_hash, row.hash = prev, audit.legacy_hash(prev, row)
            session.flush()
            prev = row.hash
    _make_history(client, admin, 1)  # appended after the upgrade: keyed on the legacy head
    with db.get_db(app).reader() as session:
        legacy_head = session.get(AuditEvent, 4).hash
    runner = app.test_cli_runner()
    unkeyed = runner.invoke(args=["audit", "verify"])
    assert unkeyed.exit_code == 1 and "audit rekey" in unkeyed.output
    assert runner.invoke(args=["audit", "checkpoint"]).exit_code == 1
    rekeyed = runner.invoke(args=["audit", "rekey"])
    assert rekeyed.exit_code == 0 and "rekeyed 4 events" in rekeyed.output
    assert _cli_verify(app).exit_code == 0
    note = client.get("/api/v1/audit-checkpoints", headers=admin).json["items"][0]["note"]
    assert note == f"rekeyed; legacy head 4:{legacy_head}"
    again = runner.invoke(args=["audit", "rekey"])
    assert again.exit_code == 1 and "never rewritten" in again.output


def test_the_scheduler_writes_a_checkpoint_every_15_minutes(app, client, admin) -> None:
    from workforce.jobs.definitions import all_jobs
    from workforce.jobs.runner import run_job

    job = next(j for j in all_jobs(app.config) if j.id == "audit-checkpoint")
    assert job.trigger == "interval" and job.trigger_args == {"minutes": 15}
    _make_history(client, admin, 1)
    assert run_job(app, job).effects == {"checkpoints": 1, "head_id": 2}
    assert _verify(app).checkpoints == 1


def test_only_audit_readers_list_checkpoints(client, as_role) -> None:
    for role in ("ops", "wellbeing", "ingest"):
        assert client.get("/api/v1/audit-checkpoints", headers=as_role(role)).status_code == 403
    assert client.get("/api/v1/audit-checkpoints", headers=as_role("compliance")).status_code == 200
