"""End to end in a real browser: Debian's Chromium driven by Playwright against a live server.

invite -> set a password -> sign in -> switch to Kiswahili -> see the week -> submit a
check-in -> ask for a review of a rotation -> consent and opt-outs -> submit a credential ->
sign out. Screenshots of every step go to ``test-artifacts/portal/``; its ``portal.png`` (the
schedule at 360 px) is what ``docs/portal.png`` (in the README) is a copy of.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from babel.dates import format_date
from flask import Flask
from playwright.sync_api import BrowserContext, Page, expect, sync_playwright
from sqlalchemy import select
from werkzeug.serving import make_server

from tests.factories import make_queue, make_shift
from tests.portal.conftest import sent_link
from workforce import db
from workforce.contractors.models import Contractor, Credential
from workforce.rotations.models import Rotation
from workforce.rotations.services import start_rotation
from workforce.timeutil import load_zone, local_date
from workforce.wellbeing.models import CheckIn

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "portal"
PHONE = {"width": 390, "height": 844}
NARROW = {"width": 320, "height": 640}
#: docs/portal.png: the schedule on a small phone.
README_SHOT = {"width": 360, "height": 760}


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The app on 127.0.0.1 at a free port, in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    app.config["BASE_URL"] = base
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield base
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[BrowserContext]:
    """Chromium with a fresh profile (``make browser`` installs it when missing)."""
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium: run `make browser` (make test does)")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            headless=True,
            locale="en-US",
            viewport=PHONE,
        )
        try:
            yield context
        finally:
            context.close()


def shoot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def readme_shot(page: Page) -> None:
    """The top of the page at 360 px: ``docs/portal.png`` is a copy of it."""
    page.set_viewport_size(README_SHOT)
    page.screenshot(path=str(ARTIFACTS / "portal.png"))


def work_for(app: Flask, contractor_id: int) -> dt.date:
    """Two shifts today (Nairobi) and an automatic rotation to contest; returns today."""
    now = db.utcnow()
    nairobi = load_zone("Africa/Nairobi")
    today = local_date(now, nairobi)
    with app.test_request_context(), db.transaction(app) as session:
        ads = make_queue(session, slug="ads", name="Matangazo")
        for start, hours in ((7, 4), (13, 5)):
            begins = dt.datetime.combine(today, dt.time(start), nairobi)
            make_shift(session, contractor_id, ads, begins, hours=hours)
        start_rotation(
            session,
            contractor_id=contractor_id,
            reason="daily_limit",
            started_at=now,
            ends_at=now + dt.timedelta(hours=48),
            explanation={
                "rule": "daily_limit",
                "tier": 3,
                "policy_version": 1,
                "measured": 250,
                "limit": 240,
                "unit": "minutes",
            },
        )
    return today


def fits_the_screen(page: Page) -> bool:
    """Nothing sticks out sideways (no horizontal scrolling)."""
    return bool(
        page.evaluate(
            "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        )
    )


def test_invite_to_sign_out_in_kiswahili(app, client, ops, new_contractor, live_server, browser):
    cid = new_contractor(full_name="Grace Wambui", email="grace@example.org", country="KE")
    today = work_for(app, cid)
    response = client.post(f"/api/v1/contractors/{cid}/portal-invite", headers=ops)
    assert response.status_code == 201 and "url" not in response.json  # ops never see it
    kind, path = sent_link(app, cid)  # the link in Grace's email (the outbox row)
    assert kind == "portal.invite" and path.startswith("/portal/invite/")
    invite_url = live_server + path

    page = browser.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))

    # The invite speaks the contractor's language (sw_KE), whatever the browser says.
    page.goto(invite_url)
    expect(page.locator("html")).to_have_attribute("lang", "sw")
    expect(page.get_by_role("heading", level=1)).to_have_text("Chagua nenosiri lako")
    shoot(page, "01-invite-sw")

    # Switch to English for a moment, set the password.
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose your password")
    page.get_by_label("New password").fill("mwezi wa tisa 2026")
    page.get_by_label("Type the password again").fill("mwezi wa tisa 2026")
    page.get_by_role("button", name="Save my password").click()

    # Sign in: the email is filled in already.
    expect(page).to_have_url(live_server + "/portal/sign-in")
    expect(page.get_by_role("status")).to_contain_text("Your password is set.")
    expect(page.get_by_label("Email address")).to_have_value("grace@example.org")
    page.get_by_label("Password").fill("mwezi wa tisa 2026")
    shoot(page, "02-sign-in-en")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Grace Wambui")

    # Back to Kiswahili: the page, its dates and its menu.
    page.get_by_role("link", name="Kiswahili").click()
    expect(page.locator("html")).to_have_attribute("lang", "sw")
    expect(page.get_by_role("heading", level=1)).to_have_text("Habari, Grace Wambui")
    expect(page.get_by_text("Leo ni ")).to_be_visible()
    body_background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert body_background == "rgb(246, 247, 245)"  # the stylesheet loaded under the CSP
    shoot(page, "03-home-sw")
    page.set_viewport_size(NARROW)
    assert fits_the_screen(page)
    shoot(page, "04-home-sw-320px")
    menu = page.get_by_role("navigation", name="Menyu kuu")

    # The week, in Kiswahili and Nairobi time.
    menu.get_by_role("link", name="Ratiba yangu").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ratiba yangu")
    expect(page.get_by_role("heading", level=2).first).to_contain_text("Wiki hii")
    day = page.locator("li.day.today")
    expect(day).to_contain_text(format_date(today, "full", locale="sw_KE"))
    expect(day).to_contain_text("Leo")
    expect(day).to_contain_text("07:00–11:00")
    expect(day).to_contain_text("13:00–18:00")
    assert fits_the_screen(page)
    shoot(page, "05-schedule-sw-320px")
    readme_shot(page)
    page.set_viewport_size(NARROW)

    # A WHO-5 check-in: five questions, one answer each, then the result (hers alone).
    menu.get_by_role("link", name="Kujipima ustawi").click()
    page.get_by_role("link", name="WHO-5").click()
    questions = page.locator("fieldset.question")
    expect(questions).to_have_count(5)
    for i in range(5):
        questions.nth(i).get_by_label("Most of the time").check()
    assert fits_the_screen(page)
    shoot(page, "06-checkin-form-sw-320px")
    page.get_by_role("button", name="Tuma majibu yangu").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Asante kwa kujipima")
    expect(page.locator("dl.details")).to_contain_text("80 (kati ya 0 na 100)")
    shoot(page, "07-checkin-result-sw-320px")

    # The rotation: why, in Kiswahili, and a request for a person to review it.
    menu.get_by_role("link", name="Mizunguko").click()
    expect(page.locator("#main")).to_contain_text("Mfiduo wako wa leo wa daraja 3 umefikia 250")
    page.get_by_label("Kwa nini mtu akague uamuzi huu?").fill("Nilipumzika kati ya kazi.")
    shoot(page, "08-rotation-sw-320px")
    page.get_by_role("button", name="Omba ukaguzi").click()
    expect(page.get_by_role("status").first).to_have_text(
        "Asante. Mtu wa timu ya uendeshaji atakagua mzunguko huu."
    )
    expect(page.locator("#main")).to_contain_text("Ukaguzi umeombwa")
    assert fits_the_screen(page)
    shoot(page, "09-rotation-review-requested-sw-320px")

    # The other new pages fit a 320 px screen too.
    for link, name in (
        ("Kiwango cha mfiduo", "exposure"),
        ("Malipo", "pay"),
        ("Arifa", "notifications"),
        ("Usajili wa kalenda", "calendar"),
    ):
        menu.get_by_role("link", name=link).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(link)
        assert fits_the_screen(page), name
        shoot(page, f"09-{name}-sw-320px")

    # Consent and an opt-out.
    page.get_by_role("navigation", name="Menyu kuu").get_by_role(
        "link", name="Wasifu na machaguo"
    ).click()
    page.get_by_label("Ndiyo, nakubali").check()
    page.get_by_role("button", name="Hifadhi jibu langu").click()
    expect(page.get_by_role("status")).to_have_text("Umekubali kazi nyeti.")
    page.get_by_label("Kujidhuru na kujiua").check()
    page.get_by_role("button", name="Hifadhi machaguo yangu").click()
    expect(page.get_by_role("status")).to_contain_text("Machaguo yako yamehifadhiwa.")
    expect(page.get_by_label("Kujidhuru na kujiua")).to_be_checked()
    assert fits_the_screen(page)
    shoot(page, "10-profile-sw-320px")

    # A credential, sent for review.
    page.get_by_role("navigation", name="Menyu kuu").get_by_role(
        "link", name="Sifa na vyeti"
    ).click()
    page.get_by_label("Aina").select_option(label="Leseni ya kitaaluma")
    page.get_by_label("Msimbo").fill("rn")
    page.get_by_label("Fani (si lazima)").fill("Uuguzi")
    page.get_by_label("Kimetolewa na (si lazima)").fill("Baraza la Wauguzi la Kenya")
    page.get_by_label("Tarehe ya kutolewa (si lazima)").fill("2021-03-01")
    page.get_by_label("Tarehe ya kuisha (si lazima)").fill("2027-02-28")
    page.get_by_role("button", name="Tuma ikaguliwe").click()
    expect(page.get_by_role("status")).to_have_text("Asante. Sifa yako inasubiri kukaguliwa.")
    item = page.locator(".items > li").first
    expect(item).to_contain_text("Leseni ya kitaaluma: Muuguzi aliyesajiliwa (RN)")
    expect(item).to_contain_text("Inasubiri kukaguliwa")
    expect(item).to_contain_text("28 Feb 2027")
    assert fits_the_screen(page)
    shoot(page, "11-credentials-sw-320px")

    # Sign out; the pages are closed again.
    page.set_viewport_size(PHONE)
    page.get_by_role("button", name="Toka").click()
    expect(page.get_by_role("status")).to_have_text("Umetoka.")
    shoot(page, "12-signed-out-sw")
    page.goto(live_server + "/portal/profile")
    assert urlsplit(page.url).path == "/portal/sign-in"

    assert problems == [], problems
    with db.transaction(app) as session:
        grace = session.get(Contractor, cid)
        assert grace is not None
        assert grace.sensitive_consent_at is not None
        assert grace.opt_outs == ["self_harm"]
        check_in = session.scalars(select(CheckIn)).one()
        assert (check_in.contractor_id, check_in.instrument, check_in.score) == (cid, "who5", 80)
        rotation = session.scalars(select(Rotation)).one()
        assert (rotation.review_status, rotation.review_comment) == (
            "requested",
            "Nilipumzika kati ya kazi.",
        )
        credential = session.scalars(select(Credential)).one()
        assert (credential.contractor_id, credential.code, credential.status) == (
            cid,
            "RN",
            "pending",
        )
