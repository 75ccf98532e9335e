"""Eligibility: every reason that applies, derived at the instant asked."""

from __future__ import annotations

import datetime as dt
import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import post_queue
from workforce import db
from workforce.contractors.models import Contractor, Credential
from workforce.contractors.services import set_consent, set_opt_outs
from workforce.eligibility import check as eligibility
from workforce.queues.models import Queue
from workforce.rotations.models import Rotation

NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)
EMAILS = itertools.count()


def test_reasons_through_the_api(app, client, ops, as_role, new_contractor) -> None:
    cid = new_contractor()
    post_queue(
        client,
        ops,
        slug="medical-gore",
        tier=3,
        categories=["violence_gore"],
        required_credentials=[{"kind": "license", "code": "RN"}],
    )
    answer = client.get(
        f"/api/v1/contractors/{cid}/eligibility?queue=medical-gore", headers=as_role("ingest")
    ).json
    assert answer["eligible"] is False
    assert sorted(answer["reasons"]) == ["missing_credential:RN", "no_consent"]
    me = as_role("contractor", cid)
    client.put("/api/v1/me/consent", json={"sensitive": True}, headers=me)
    client.put("/api/v1/me/opt-outs", json={"categories": ["violence_gore"]}, headers=me)
    cred = client.post(
        f"/api/v1/contractors/{cid}/credentials",
        json={"kind": "license", "code": "RN"},
        headers=ops,
    ).json["id"]
    client.post(f"/api/v1/credentials/{cred}/verify", headers=ops)
    answer = client.get("/api/v1/me/eligibility?queue=medical-gore", headers=me).json
    assert answer["reasons"] == ["opted_out:violence_gore"]
    client.put("/api/v1/me/opt-outs", json={"categories": []}, headers=me)
    answer = client.get("/api/v1/me/eligibility?queue=medical-gore", headers=me).json
    assert answer["eligible"] is True
    assert answer["reasons"] == []


def test_unknown_queue_and_bad_instant(client, ops, new_contractor) -> None:
    cid = new_contractor()
    unknown = client.get(f"/api/v1/contractors/{cid}/eligibility?queue=nope", headers=ops)
    assert unknown.status_code == 422
    assert "queue" in unknown.json["errors"]
    post_queue(client, ops, slug="qq")
    naive = client.get(
        f"/api/v1/contractors/{cid}/eligibility?queue=qq&at=2026-01-01T10:00:00", headers=ops
    )
    assert naive.status_code == 422
    assert "at" in naive.json["errors"]
    assert (
        client.get("/api/v1/contractors/99999/eligibility?queue=qq", headers=ops).status_code == 404
    )


def test_consent_withdrawal_and_suspension_apply_at_once(app, client, ops, new_contractor):
    cid = new_contractor()
    post_queue(client, ops, slug="hate", tier=1, categories=["hate_extremism"])
    with db.transaction(app) as session:
        set_consent(session, cid, True)
    url = f"/api/v1/contractors/{cid}/eligibility?queue=hate"
    assert client.get(url, headers=ops).json["eligible"] is True
    with db.transaction(app) as session:
        set_consent(session, cid, False)
    assert client.get(url, headers=ops).json["reasons"] == ["no_consent"]
    client.patch(f"/api/v1/contractors/{cid}", json={"status": "suspended"}, headers=ops)
    assert "inactive" in client.get(url, headers=ops).json["reasons"]


def test_an_active_rotation_keeps_people_off_tier_two_and_up(app, client, ops, new_contractor):
    cid = new_contractor()
    post_queue(client, ops, slug="safe", tier=0)
    post_queue(client, ops, slug="csam", tier=3, categories=["child_sexual_abuse"])
    with db.transaction(app) as session:
        set_consent(session, cid, True)
        session.add(
            Rotation(
                contractor_id=cid,
                reason="manual",
                status="active",
                started_at=db.utcnow() - dt.timedelta(hours=1),
                ends_at=db.utcnow() + dt.timedelta(days=1),
                explanation={},
            )
        )
    gated = client.get(f"/api/v1/contractors/{cid}/eligibility?queue=csam", headers=ops).json
    assert gated["reasons"] == ["rotation_active"]
    later = (db.utcnow() + dt.timedelta(days=2)).isoformat()
    after = client.get(
        f"/api/v1/contractors/{cid}/eligibility",
        query_string={"queue": "csam", "at": later},
        headers=ops,
    ).json
    assert after["eligible"] is True
    safe = client.get(f"/api/v1/contractors/{cid}/eligibility?queue=safe", headers=ops).json
    assert safe["eligible"] is True


# --- property: the service agrees with an independent statement of the rules -------------

KINDS_CODES = [
    ("degree", "PHD"),
    ("license", "RN"),
    ("training", "RESILIENCE_TRAINING"),
    ("language", "sw"),
]
credential_st = st.fixed_dictionaries(
    {
        "which": st.sampled_from(KINDS_CODES),
        "status": st.sampled_from(["pending", "verified", "rejected", "revoked"]),
        "expires_in_days": st.one_of(st.none(), st.integers(-40, 40)),
    }
)


def expected_reasons(creds, required, language, consent, opt_outs, tier, categories, day):
    reasons = []
    needs = list(required) + ([("language", language)] if language else [])
    for kind, code in needs:
        held = [c for c in creds if c["which"] == (kind, code)]
        valid = [
            c
            for c in held
            if c["status"] == "verified"
            and (c["expires_in_days"] is None or c["expires_in_days"] >= 0)
        ]
        if valid:
            continue
        expired = [c for c in held if c["status"] == "verified"]
        noun = "language" if kind == "language" else "credential"
        reasons.append(f"{noun}_expired:{code}" if expired else f"missing_{noun}:{code}")
    if tier >= 1:
        if not consent:
            reasons.append("no_consent")
        reasons += [f"opted_out:{c}" for c in categories if c in opt_outs]
    return reasons


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    creds=st.lists(credential_st, max_size=5),
    required=st.lists(st.sampled_from(KINDS_CODES[:3]), unique=True, max_size=3),
    language=st.sampled_from([None, "sw"]),
    consent=st.booleans(),
    opt_outs=st.lists(st.sampled_from(["self_harm", "violence_gore", "harassment"]), unique=True),
    tier=st.integers(0, 3),
    hour=st.integers(0, 23),
)
def test_eligibility_matches_the_rules(
    app, creds, required, language, consent, opt_outs, tier, hour
) -> None:
    categories = ["self_harm", "violence_gore"] if tier else []
    at = NOW.replace(hour=hour)
    with db.transaction(app) as session:
        contractor = Contractor(
            full_name="P",
            email=f"p{next(EMAILS)}@example.org",
            country="PH",
            timezone="Asia/Manila",
            locale="en_PH",
            currency="PHP",
            status="active",
            opt_outs=[],
        )
        session.add(contractor)
        session.flush()
        local_day = at.astimezone(dt.timezone(dt.timedelta(hours=8))).date()
        for c in creds:
            kind, code = c["which"]
            expires = (
                None
                if c["expires_in_days"] is None
                else local_day + dt.timedelta(days=c["expires_in_days"])
            )
            session.add(
                Credential(
                    contractor_id=contractor.id,
                    kind=kind,
                    code=code,
                    status=c["status"],
                    expires_on=expires,
                )
            )
        queue = Queue(
            slug=f"q{contractor.id}",
            name="Q",
            tier=tier,
            categories=categories,
            required_credentials=[{"kind": k, "code": c} for k, c in required],
            language=language,
            active=True,
        )
        session.add(queue)
        session.flush()
        if consent:
            contractor.sensitive_consent_at = at - dt.timedelta(days=1)
        set_opt_outs(session, contractor.id, opt_outs)
        answer = eligibility.check(session, contractor, queue, at)
    expected = expected_reasons(
        creds, required, language, consent, opt_outs, tier, categories, local_day
    )
    assert sorted(answer.reasons) == sorted(expected)
    assert answer.eligible is (not expected)
