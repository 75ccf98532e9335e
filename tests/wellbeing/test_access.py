"""The wellbeing access matrix, role by role, for every wellbeing endpoint.

Answers and scores reach the contractor they belong to and the ``wellbeing`` role; admin,
ops, compliance and ingest get 403 on individual data (admin too, by design). A contractor
asking for another contractor's check-in gets 404.
"""

from __future__ import annotations

import pytest

from tests.wellbeing.conftest import MODERATE_PHQ9
from workforce.identity.access import ROLES

API = "/api/v1"
EVERYONE = frozenset(ROLES)
CONTRACTOR = frozenset({"contractor"})
COUNSELLOR = frozenset({"wellbeing"})

#: (method, path) -> the roles that may call it; every other role gets 403.
MATRIX: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/instruments"): EVERYONE,
    ("GET", "/me/checkins"): CONTRACTOR,
    ("POST", "/me/checkins"): CONTRACTOR,
    ("GET", "/checkins"): COUNSELLOR,
    ("GET", "/checkins/{check_in}"): COUNSELLOR | CONTRACTOR,
    ("GET", "/referrals"): COUNSELLOR,
    ("GET", "/referrals/{referral}"): COUNSELLOR,
    ("POST", "/referrals/{referral}/follow-ups"): COUNSELLOR,
    ("POST", "/referrals/{referral}/acknowledge"): COUNSELLOR,
    ("POST", "/me/rotation-request"): CONTRACTOR,
    ("GET", "/wellbeing-rotations"): COUNSELLOR,
    ("POST", "/wellbeing-rotations"): COUNSELLOR,
}
WELLBEING_BLUEPRINTS = {"checkins", "referrals", "wellbeing_rotations"}


def body_for(method: str, path: str, contractor_id: int) -> dict | None:
    if method == "GET":
        return None
    return {
        "/me/checkins": {"instrument": "phq9", "answers": MODERATE_PHQ9},
        "/referrals/{referral}/follow-ups": {"contacted": True, "outcome": "talked; fine"},
        "/referrals/{referral}/acknowledge": None,
        "/me/rotation-request": {"days": 3},
        "/wellbeing-rotations": {"contractor_id": contractor_id, "days": 7, "details": "x"},
    }[path]


def test_the_matrix_names_every_wellbeing_endpoint_with_its_declared_roles(app) -> None:
    declared = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] not in WELLBEING_BLUEPRINTS:
            continue
        view_class = app.view_functions[rule.endpoint].view_class
        path = rule.rule.removeprefix(API)
        for name in ("check_in_id", "referral_id"):
            path = path.replace(f"<int:{name}>", "{" + name.removesuffix("_id") + "}")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            view = getattr(view_class, method.lower())
            declared[(method, path)] = view.allowed_roles
    assert declared == MATRIX


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(client, person, check_in, as_role, role) -> None:
    owner = person()
    flagged = check_in(owner, "phq9", MODERATE_PHQ9)
    ids = {"check_in": flagged["id"], "referral": flagged["referral"]["id"]}
    headers = owner.headers if role == "contractor" else as_role(role)

    for (method, path), allowed in MATRIX.items():
        url = API + path.format(**ids)
        response = client.open(
            url, method=method, json=body_for(method, path, owner.id), headers=headers
        )
        created = method == "POST" and not path.endswith("/acknowledge")
        expected = (201 if created else 200) if role in allowed else 403
        assert response.status_code == expected, (role, method, path, response.json)
        if expected == 403:
            text = response.get_data(as_text=True)
            assert "score" not in text and "answers" not in text


def test_a_contractor_never_reaches_another_contractors_check_in(client, person, check_in) -> None:
    owner, other = person(), person()
    flagged = check_in(owner, "phq9", MODERATE_PHQ9)
    response = client.get(f"{API}/checkins/{flagged['id']}", headers=other.headers)
    assert response.status_code == 404
    mine = client.get(f"{API}/me/checkins", headers=other.headers).json
    assert mine["total"] == 0


@pytest.mark.parametrize("role", ["admin", "ops", "compliance", "ingest"])
def test_staff_other_than_counsellors_get_403_on_every_individual_read(
    client, person, check_in, as_role, role
) -> None:
    flagged = check_in(person(), "phq9", MODERATE_PHQ9)
    headers = as_role(role)
    for url in (
        "/checkins",
        "/checkins?flagged=true",
        f"/checkins/{flagged['id']}",
        "/referrals",
        f"/referrals/{flagged['referral']['id']}",
        "/wellbeing-rotations",
        "/me/checkins",
    ):
        response = client.get(API + url, headers=headers)
        assert response.status_code == 403, (role, url)
