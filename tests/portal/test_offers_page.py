"""The portal's shift offers page: offer a shift, take a colleague's, withdraw one's own;
each calls the service its /api/v1/me/... twin calls."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from tests.factories import make_contractor, make_queue, make_shift
from tests.portal.conftest import post_form, text_of
from workforce import db
from workforce.api.offers import MOVE_RULE_CODES
from workforce.portal.work import OFFER_PROBLEMS
from workforce.scheduling.models import ShiftOffer
from workforce.scheduling.offers import offer_shift


def offers(app) -> dict[int, tuple[str, int | None]]:
    with db.get_db(app).reader() as session:
        return {o.id: (o.status, o.taker_id) for o in session.scalars(select(ShiftOffer))}


def test_offer_take_and_withdraw_from_the_page(app, portal_user) -> None:
    user = portal_user(locale="en_KE")
    now = db.utcnow()
    with app.test_request_context(), db.transaction(app) as session:
        queue = make_queue(session, slug="plain", name="Plain queue")
        colleague = make_contractor(session)
        mine = make_shift(session, user.id, queue, now + dt.timedelta(days=3), hours=2)
        theirs = make_shift(session, colleague, queue, now + dt.timedelta(days=5), hours=2)
        offered = offer_shift(session, colleague, theirs, reason="wedding").id
    page = text_of(user.client.get("/portal/offers").get_data(True))
    assert "Plain queue" in page and "wedding" in page

    taken = post_form(user.client, "/portal/offers", {"action": "accept", "offer": str(offered)})
    assert taken.status_code == 303
    assert offers(app)[offered] == ("accepted", user.id)
    again = post_form(user.client, "/portal/offers", {"action": "accept", "offer": str(offered)})
    assert "Someone else took this shift first." in text_of(
        user.client.get(again.headers["Location"]).get_data(True)
    )

    made = post_form(user.client, "/portal/offers", {"action": "offer", "shift": str(mine)})
    assert made.status_code == 303
    [own] = [i for i, (status, _) in offers(app).items() if i != offered]
    assert offers(app)[own] == ("open", None)
    gone = post_form(user.client, "/portal/offers", {"action": "withdraw", "offer": str(own)})
    assert gone.status_code == 303
    assert offers(app)[own] == ("withdrawn", None)
    bad = post_form(user.client, "/portal/offers", {"action": "steal", "offer": "1"})
    assert bad.status_code == 303


def test_every_rule_that_refuses_a_move_is_told_in_the_persons_words() -> None:
    assert set(MOVE_RULE_CODES) <= set(OFFER_PROBLEMS)


def test_a_refused_taker_reads_which_rule_in_their_language(app, portal_user) -> None:
    user = portal_user(locale="sw_KE")
    start = db.utcnow() + dt.timedelta(days=4)
    with app.test_request_context(), db.transaction(app) as session:
        queue = make_queue(session, slug="plain", name="Plain queue")
        colleague = make_contractor(session)
        make_shift(session, user.id, queue, start, hours=4)  # already working then
        theirs = make_shift(session, colleague, queue, start + dt.timedelta(hours=1), hours=2)
        offered = offer_shift(session, colleague, theirs).id
    refused = post_form(user.client, "/portal/offers", {"action": "accept", "offer": str(offered)})
    page = text_of(user.client.get(refused.headers["Location"]).get_data(True))
    assert "Huwezi kuchukua zamu hii: inagongana na zamu yako nyingine." in page
    assert offers(app)[offered] == ("open", None)
