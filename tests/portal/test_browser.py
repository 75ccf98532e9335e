"""End to end in a real browser: Debian's Chromium driven by Playwright against a live server.

invite -> set a password -> sign in -> switch to Kiswahili -> consent and opt-outs ->
submit a credential -> sign out. Screenshots go to ``test-artifacts/portal/``; its
``portal.png`` overview is what ``docs/portal.png`` (in the README) is a copy of.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from playwright.sync_api import BrowserContext, Page, expect, sync_playwright
from sqlalchemy import select
from werkzeug.serving import make_server

from workforce import db
from workforce.contractors.models import Contractor, Credential

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


def overview(names: list[str], out: str = "portal.png") -> None:
    """The top of three narrow screenshots side by side (docs/portal.png is a copy)."""
    from PIL import Image  # matplotlib's dependency

    width, height, gap = NARROW["width"], NARROW["height"], 24
    sheet = Image.new("RGB", (3 * width + 4 * gap, height + 2 * gap), (214, 222, 218))
    for i, name in enumerate(names):
        with Image.open(ARTIFACTS / f"{name}.png") as shot:
            sheet.paste(
                shot.convert("RGB").crop((0, 0, width, height)), (gap + i * (width + gap), gap)
            )
    sheet.save(ARTIFACTS / out, optimize=True)


def fits_the_screen(page: Page) -> bool:
    """Nothing sticks out sideways (no horizontal scrolling)."""
    return bool(
        page.evaluate(
            "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        )
    )


def test_invite_to_sign_out_in_kiswahili(app, client, ops, new_contractor, live_server, browser):
    cid = new_contractor(full_name="Grace Wambui", email="grace@example.org", country="KE")
    response = client.post(f"/api/v1/contractors/{cid}/portal-invite", headers=ops)
    invite_url = response.json["url"]
    assert invite_url.startswith(live_server + "/portal/invite/")

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
    shoot(page, "05-profile-sw-320px")

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
    expect(item).to_contain_text("Leseni ya kitaaluma: RN")
    expect(item).to_contain_text("Inasubiri kukaguliwa")
    expect(item).to_contain_text("28 Feb 2027")
    assert fits_the_screen(page)
    shoot(page, "06-credentials-sw-320px")

    # Sign out; the pages are closed again.
    page.set_viewport_size(PHONE)
    page.get_by_role("button", name="Toka").click()
    expect(page.get_by_role("status")).to_have_text("Umetoka.")
    shoot(page, "07-signed-out-sw")
    page.goto(live_server + "/portal/profile")
    assert urlsplit(page.url).path == "/portal/sign-in"

    assert problems == [], problems
    overview(["04-home-sw-320px", "05-profile-sw-320px", "06-credentials-sw-320px"])
    with db.transaction(app) as session:
        grace = session.get(Contractor, cid)
        assert grace is not None
        assert grace.sensitive_consent_at is not None
        assert grace.opt_outs == ["self_harm"]
        credential = session.scalars(select(Credential)).one()
        assert (credential.contractor_id, credential.code, credential.status) == (
            cid,
            "RN",
            "pending",
        )
