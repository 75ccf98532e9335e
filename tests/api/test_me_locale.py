"""``?locale=`` on every ``GET /me...`` answer: accepted, validated as on ``/me/schedule``
(an unknown locale is a 422 naming ``locale``), and where the answer explains something in
words (rotations, exposure, pay statements) the words change language."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.pay.conftest import PayData
from tests.wellbeing.test_rotations_api import automated
from workforce import db
from workforce.rotations.services import start_rotation

API = "/api/v1"
NAIROBI = ZoneInfo("Africa/Nairobi")


def me_get_paths(spec: dict[str, Any]) -> list[str]:
    paths = [path for path, operations in spec["paths"].items() if "get" in operations]
    return sorted(path for path in paths if path == f"{API}/me" or path.startswith(f"{API}/me/"))


@pytest.fixture
def kenyan(app, client, ops, new_contractor) -> dict[str, Any]:
    """A Swahili-speaking Kenyan with a rotation and a final pay statement."""
    pay = PayData(app)
    pay.example_wages()
    cid = new_contractor(country="KE", locale="sw_KE")
    queue = pay.queue(tier=1)
    start = dt.datetime(2026, 10, 19, 20, tzinfo=NAIROBI)
    pay.shift(cid, queue, start, start + dt.timedelta(hours=8))
    statement = client.post(
        f"{API}/contractors/{cid}/pay-statements",
        json={"period_start": "2026-10-01", "period_end": "2026-10-31"},
        headers=ops,
    ).json
    client.post(f"{API}/pay-statements/{statement['id']}/finalize", headers=ops)
    automated(app, cid)
    slug = client.get(f"{API}/queues/{queue}", headers=ops).json["slug"]
    return {"contractor": cid, "statement_id": statement["id"], "queue": slug}


def test_every_me_answer_takes_a_locale(client, as_role, kenyan) -> None:
    mine = as_role("contractor", kenyan["contractor"])
    spec = client.get(f"{API}/openapi.json").json
    paths = me_get_paths(spec)
    assert f"{API}/me/rotations" in paths and f"{API}/me/schedule" in paths  # the walk walks
    # the values of required path and query parameters, by name
    needed = {"statement_id": kenyan["statement_id"], "queue": kenyan["queue"]}
    for template in paths:
        path = template.replace("{statement_id}", str(needed["statement_id"]))
        assert "{" not in path, f"{template}: give the test an id for it"
        required = "".join(
            f"&{parameter['name']}={needed[parameter['name']]}"
            for parameter in spec["paths"][template]["get"].get("parameters", [])
            if parameter["in"] == "query" and parameter.get("required")
        )
        good = client.get(f"{path}?locale=sw_KE{required}", headers=mine)
        assert good.status_code == 200, (template, good.json)
        for bogus in ("xx_bogus", "x", "sw_KE" * 20):
            bad = client.get(f"{path}?locale={bogus}{required}", headers=mine)
            assert bad.status_code == 422, (template, bogus, bad.status_code)
            assert bad.content_type == "application/problem+json"
            assert list(bad.json["errors"]) == ["locale"], (template, bad.json)


def test_a_locale_is_validated_the_same_everywhere(client, as_role, kenyan) -> None:
    """The same message for the same bad locale on /me/schedule and /me/rotations."""
    mine = as_role("contractor", kenyan["contractor"])
    answers = [
        client.get(f"{API}/me/{name}?locale=xx_bogus", headers=mine).json["errors"]["locale"]
        for name in ("schedule", "rotations", "exposure", "profile")
    ]
    assert answers[0] == ["'xx_bogus' is not a known CLDR locale"]
    assert all(answer == answers[0] for answer in answers)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    value=st.one_of(
        st.text(max_size=50),
        st.sampled_from(["sw_KE", "sw-KE", "fil", "tl_PH", "es_419", "zh_Hant_TW", "en", "xx"]),
    )
)
def test_any_locale_is_an_answer_or_a_422_naming_it(client, as_role, new_contractor, value):
    """Whatever ``locale`` holds: 200 with the canonical locale, or a 422 naming ``locale``;
    never a 500, and the same verdict as on /me/schedule."""
    mine = as_role("contractor", new_contractor(country="KE", locale="sw_KE"))
    verdicts = []
    for name in ("schedule", "rotations", "exposure"):
        answer = client.get(f"{API}/me/{name}", query_string={"locale": value}, headers=mine)
        assert answer.status_code in (200, 422), (name, value, answer.status_code)
        if answer.status_code == 422:
            assert list(answer.json["errors"]) == ["locale"]
        verdicts.append(answer.status_code)
    assert len(set(verdicts)) == 1, (value, verdicts)


def test_explanations_change_language(client, as_role, kenyan) -> None:
    mine = as_role("contractor", kenyan["contractor"])

    def get(path: str, locale: str) -> Any:
        answer = client.get(f"{API}/me/{path}?locale={locale}", headers=mine)
        assert answer.status_code == 200, answer.json
        return answer.json

    own = get("rotations", "sw_KE")["items"][0]["summary"]
    assert own.startswith("Mfiduo wako wa leo")
    assert client.get(f"{API}/me/rotations", headers=mine).json["items"][0]["summary"] == own
    assert get("rotations", "es_ES")["items"][0]["summary"].startswith("Tu exposición de hoy")
    assert get("rotations", "fil_PH")["items"][0]["summary"].startswith("Ang exposure mo")
    assert get("rotations", "en_KE")["items"][0]["summary"].startswith("Today's exposure")

    swahili, spanish = get("exposure", "sw_KE"), get("exposure", "es_ES")
    assert (swahili["locale"], spanish["locale"]) == ("sw_KE", "es_ES")
    assert swahili["display"]["today"] != spanish["display"]["today"]

    url = f"pay-statements/{kenyan['statement_id']}"
    assert get(url, "sw_KE")["lines"][0]["label"] == "Malipo ya msingi"
    assert get(url, "en_KE")["lines"][0]["label"] != "Malipo ya msingi"
    assert get(url, "es-CO")["locale"] == "es_CO"  # a BCP 47 tag is read as CLDR


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("en_KE", "You are off sensitive queues until"),
        ("sw_KE", "Hutafanya kazi kwenye foleni nyeti hadi"),
        ("es_ES", "fuera de las colas sensibles hasta"),
        ("fil_PH", "Wala ka sa mga sensitibong queue hanggang"),
    ],
)
def test_a_rotation_without_a_policy_version_says_no_dash(
    app, client, as_role, new_contractor, locale, expected
) -> None:
    """A self-requested or manual rotation has no policy version: the sentence leaves it
    out instead of printing "(policy version -)"."""
    cid = new_contractor(country="KE", locale=locale)
    now = db.utcnow()
    with app.test_request_context(), db.transaction(app) as session:
        start_rotation(
            session,
            contractor_id=cid,
            reason="manual",
            started_at=now,
            ends_at=now + dt.timedelta(hours=48),
            explanation={"rule": "manual", "note": "asked by lead"},
        )
    answer = client.get(f"{API}/me/rotations", headers=as_role("contractor", cid))
    (item,) = answer.json["items"]
    assert expected in item["summary"]
    assert "-)" not in item["summary"] and "None" not in item["summary"]
    assert item["summary"].endswith(".") and ".." not in item["summary"]
