"""The check-in result page shows the crisis line of the contractor's country."""

from __future__ import annotations

import json

import pytest

from tests.portal.conftest import text_of
from workforce import db
from workforce.wellbeing.checkins import record_check_in
from workforce.wellbeing.crisis_lines import DATA, crisis_line

REQUIRED_COUNTRIES = ("KE", "PH", "IN", "CO", "US", "GB")


def test_every_required_country_has_a_cited_line_pending_clinical_review() -> None:
    raw = json.loads(DATA.read_text(encoding="utf-8"))
    for country in REQUIRED_COUNTRIES:
        line = crisis_line(country)
        assert line is not None, country
        assert line.source.startswith("https://") and line.phone
        assert line.review == "pending clinical review"
    assert set(REQUIRED_COUNTRIES) <= set(raw)


@pytest.mark.parametrize(
    ("country", "locale", "zone", "phone", "said"),
    [
        ("KE", "sw_KE", "Africa/Nairobi", "+254 722 178 177", "Unaweza kuzungumza na mtu sasa"),
        ("US", "en_US", "America/Chicago", "988", "You can talk to someone now"),
    ],
)
def test_an_urgent_result_shows_the_line_in_the_readers_language(
    app, portal_user, country, locale, zone, phone, said
) -> None:
    user = portal_user(country=country, locale=locale, timezone=zone)
    with db.transaction(app) as session:
        check_in = record_check_in(session, user.id, "phq9", [0] * 8 + [1], pcl5_cutoff=33)
    page = user.client.get(f"/portal/checkins/result/{check_in.id}").get_data(as_text=True)
    assert said in text_of(page) and phone in text_of(page)
    assert f'href="tel:{phone.replace(" ", "")}"' in page


def test_a_country_without_a_listed_line_still_gets_the_emergency_advice(app, portal_user) -> None:
    user = portal_user(country="NG", locale="en_NG")
    with db.transaction(app) as session:
        check_in = record_check_in(session, user.id, "phq9", [0] * 8 + [1], pcl5_cutoff=33)
    text = text_of(user.client.get(f"/portal/checkins/result/{check_in.id}").get_data(as_text=True))
    assert "local emergency number" in text and "You can talk to someone now" not in text
