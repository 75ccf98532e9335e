"""The notifications page lets a contractor choose their emails; safety-critical ones stay on."""

from __future__ import annotations

from tests.portal.conftest import post_form, text_of
from workforce import db
from workforce.notifications.email import muted
from workforce.notifications.preferences import EMAIL_KINDS


def test_the_page_turns_emails_off_except_the_safety_critical_ones(app, portal_user) -> None:
    user = portal_user(locale="es_CO", country="CO")
    page = user.client.get("/portal/notifications").get_data(as_text=True)
    assert "Tu turno fue cancelado" in text_of(page)  # the choices, in the reader's language
    assert page.count('type="checkbox"') == len(EMAIL_KINDS)
    # only the reminder stays ticked; a forged "rotation.started" untick is ignored
    answer = post_form(
        user.client, "/portal/notifications", {"preferences": "1", "email": "checkin.reminder"}
    )
    assert answer.status_code == 303
    with db.transaction(app) as session:
        off = set(muted(session, user.id))
    assert "checkin.reminder" not in off and "shift.cancelled" in off
    assert not off & {"rotation.started", "rotation.ended", "portal.invite"}
