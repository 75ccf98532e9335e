"""Portal sign-in: emails in any spelling of their normal form, failures counted in the
store every worker shares."""

from __future__ import annotations

from tests.portal.conftest import accept, sign_in
from workforce import create_app, db


def test_any_spelling_of_the_address_signs_in(app, client, invite, new_contractor) -> None:
    cid = new_contractor(email="Grace@Bücher.example")
    assert accept(client, invite(cid)).status_code == 303
    for spelling in ("grace@xn--bcher-kva.example", "ＧＲＡＣＥ@BÜCHER.example"):
        assert sign_in(app.test_client(), spelling).status_code == 303, spelling


def test_failed_sign_ins_count_across_workers(app, client, invite, new_contractor) -> None:
    cid = new_contractor(email="ada@example.org")
    assert accept(client, invite(cid)).status_code == 303
    other = create_app({"DATABASE_URL": app.config["DATABASE_URL"], "TESTING": True})
    try:
        workers = [app, other]
        limit = app.config["PORTAL_SIGNIN_FAILURES_PER_EMAIL"]
        for n in range(limit):
            wrong = sign_in(workers[n % 2].test_client(), "ada@example.org", "wrong password!")
            assert wrong.status_code == 401
        # each worker alone saw fewer failures than the limit; together they reached it
        for worker in workers:
            assert sign_in(worker.test_client(), "ada@example.org").status_code == 429
    finally:
        db.get_db(other).dispose()
