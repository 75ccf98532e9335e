"""Every portal page, in every portal language, at every common phone width and at 200 % text
size, measured in Debian's Chromium: no word broken across lines, nothing wider than the
screen or its container, and no serious or critical axe-core violation.

The pages are enumerated from the portal blueprint's routes (``app.url_map``), so a new page is
measured without touching this file; a new route that takes an argument must be given a sample
in :data:`ARGUMENTS` (the first test says so). Screenshots of every page, language and width
go to ``test-artifacts/portal/<lang>/<page>-<width>.png`` (``-390-text200`` for the large text).

200 % text is the reader's own font-size setting (Chrome's "Font size", Android's and iOS's
text size): Chromium's default font size is set to 32 px with the DevTools protocol
(``Page.setFontSizes``) on a 390 px phone. That doubles every ``rem`` and ``em`` and moves
``rem`` media queries as a real setting does, while the screen stays 390 CSS px wide. (Zooming
the whole page to 200 % instead is the same as a 195 px wide screen, narrower than any phone
and than the 320 px that WCAG 1.4.10 asks a page to reflow to.)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from weakref import WeakKeyDictionary

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask, url_for
from flask.testing import FlaskClient
from playwright.sync_api import Browser, CDPSession, Page, sync_playwright

from tests.factories import make_contractor, make_queue, make_shift, make_token
from tests.pay.conftest import PayData
from tests.portal.conftest import PASSWORD, PortalUser, post_form, sent_link
from tests.portal.test_browser import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    live_server,  # noqa: F401  (a fixture: the app served on a port)
    work_for,
)
from workforce import db
from workforce.contractors.services import set_consent
from workforce.exposure.ingest import ingest
from workforce.notifications.services import notify_once
from workforce.scheduling.offers import offer_shift
from workforce.translation import LANGUAGES

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WIDTHS = (320, 360, 375, 390, 412, 430)
HEIGHT = 800
#: 200 % text: the default font size doubled (16 -> 32 px; monospace 13 -> 26) at 390 px.
TEXT_200 = {"standard": 32, "fixed": 26}
TEXT_100 = {"standard": 16, "fixed": 13}
ZOOM_WIDTH = 390
#: axe-core impacts that fail the test.
FAILING_IMPACTS = {"serious", "critical"}

#: GET routes that are not HTML pages.
NOT_PAGES = {
    "portal.static": "stylesheet and icon",
    "portal.pay_slip": "a PDF download (its layout is the pay slip's tests')",
}


@dataclass
class Seeded:
    """What the pages show: one contractor's week, rotation, check-in, pay, offers..."""

    user: PortalUser
    invite_path: str
    check_in_id: int


#: For each route with arguments: its sample values, from the seeded data.
ARGUMENTS: dict[str, Callable[[Seeded], dict[str, Any]]] = {
    "portal.checkin_form": lambda s: {"key": "who5"},
    "portal.checkin_result": lambda s: {"check_in_id": s.check_in_id},
    "portal.invite": lambda s: {"secret": s.invite_path.rsplit("/", 1)[1]},
}


@dataclass(frozen=True)
class PortalPage:
    name: str
    path: str


def portal_pages(app: Flask, seeded: Seeded | None) -> list[PortalPage]:
    """Every GET page of the portal blueprint, its arguments filled from ``seeded``."""
    pages = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.endpoint.startswith("portal.") or "GET" not in (rule.methods or ()):
            continue
        if rule.endpoint in NOT_PAGES:
            continue
        values: dict[str, Any] = {}
        if rule.arguments:
            assert rule.endpoint in ARGUMENTS, (
                f"{rule.rule} takes arguments: give it a sample in ARGUMENTS (or, if it is not "
                "an HTML page, a reason in NOT_PAGES)"
            )
            if seeded is None:
                continue
            values = ARGUMENTS[rule.endpoint](seeded)
        with app.test_request_context():
            path = url_for(rule.endpoint, **values)
        name = rule.endpoint.removeprefix("portal.")
        pages.append(PortalPage(name, path))
    return pages


def test_every_page_with_arguments_has_a_sample(app: Flask) -> None:
    names = {p.name for p in portal_pages(app, None)}
    assert {"sign_in", "schedule", "exposure", "pay", "checkins"} <= names


def seed(app: Flask, client: FlaskClient, ops: dict[str, str], user: PortalUser) -> Seeded:
    """Enough of everything that no page shows only its empty state."""
    cid = user.id
    work_for(app, cid)  # two shifts today and a rotation to contest
    now = db.utcnow()
    with app.test_request_context(), db.transaction(app) as session:
        set_consent(session, cid, True)
        make_queue(session, slug="gore", name="Vurugu na damu", tier=3)
        token = make_token(session, "ingest", name="platform")
        ingest(
            session,
            token.id,
            [
                {
                    "event_id": "a",
                    "contractor_id": cid,
                    "queue": "gore",
                    "category": "violence_gore",
                    "started_at": (now - dt.timedelta(minutes=75)).isoformat(),
                    "duration_seconds": 70 * 60,
                }
            ],
            now=now,
        )
        queue = make_queue(session, slug="plain", name="Matangazo ya biashara")
        colleague = make_contractor(session, full_name="Juan Dela Cruz")
        mine = make_shift(session, cid, queue, now + dt.timedelta(days=3), hours=4)
        theirs = make_shift(session, colleague, queue, now + dt.timedelta(days=5), hours=6)
        offer_shift(session, colleague, theirs, reason="Harusi ya dada yangu")
        offer_shift(session, cid, mine, reason=None)
        for kind, payload in (
            ("checkin.reminder", {"interval_days": 14}),
            ("credential.expiring", {"code": "RN", "expires_on": "2027-01-05"}),
        ):
            notify_once(
                session,
                kind=kind,
                audience="contractor",
                dedupe_key=kind,
                payload=payload,
                contractor_id=cid,
            )
    pay = PayData(app)
    pay.example_wages()
    tier1 = pay.queue(tier=1)
    start = dt.datetime(2026, 10, 19, 20, tzinfo=dt.UTC)
    pay.shift(cid, tier1, start, start + dt.timedelta(hours=8))
    statement = client.post(
        f"/api/v1/contractors/{cid}/pay-statements",
        json={"period_start": "2026-10-01", "period_end": "2026-10-31"},
        headers=ops,
    )
    assert statement.status_code == 201, statement.json
    finalized = client.post(f"/api/v1/pay-statements/{statement.json['id']}/finalize", headers=ops)
    assert finalized.status_code < 300, finalized.json

    forms = {
        "/portal/time-off": {
            "starts_on": "2027-03-01",
            "ends_on": "2027-03-05",
            "kind": "wellbeing",
            "note": "Kupumzika baada ya wiki ngumu",
        },
        "/portal/availability": {"d0_0_start": "09:00", "d0_0_end": "13:00"},
        "/portal/tokens": {"form": "create", "name": "Kalenda ya simu yangu", "days": "90"},
        "/portal/credentials": {
            "kind": "license",
            "code": "rn",
            "field": "Uuguzi",
            "issuer": "Baraza la Wauguzi na Wakunga la Kenya",
            "issued_on": "2021-03-01",
            "expires_on": "2027-02-28",
        },
        "/portal/checkins/who5": {f"q{n}": "4" for n in range(1, 6)},
    }
    check_in_id = 0
    for path, data in forms.items():
        answer = post_form(user.client, path, data)
        assert answer.status_code in (201, 303), (path, answer.get_data(as_text=True)[:2000])
        if path.startswith("/portal/checkins/"):
            check_in_id = int(answer.headers["Location"].rsplit("/", 1)[1])

    other = make_contractor(app, full_name="Amani Otieno", locale="sw_KE", country="KE")
    invited = client.post(f"/api/v1/contractors/{other}/portal-invite", headers=ops)
    assert invited.status_code == 201
    return Seeded(user, sent_link(app, other)[1], check_in_id)


#: Measured in the page: returns what is wrong, one sentence each.
MEASURE = """
() => {
  const problems = [];
  const viewport = document.documentElement.clientWidth;
  const scrolling = document.scrollingElement.scrollWidth;
  if (scrolling > viewport) problems.push(`the page scrolls sideways: ${scrolling} px`);
  const name = (el) => {
    const parts = [];
    for (let e = el; e && e !== document.body && parts.length < 4; e = e.parentElement) {
      let part = e.tagName.toLowerCase();
      if (e.id) part += '#' + e.id;
      if (e.classList.length) part += '.' + [...e.classList].join('.');
      parts.unshift(part);
    }
    return parts.join(' > ');
  };
  const shown = (el) => {
    const style = getComputedStyle(el);
    return style.visibility !== 'hidden' && el.getClientRects().length > 0;
  };
  const skipped = (el) => el.closest('.skip, script, style, head');
  const controls = new Set(['INPUT', 'SELECT', 'TEXTAREA', 'BUTTON']);
  for (const el of document.body.querySelectorAll('*')) {
    if (skipped(el) || !shown(el)) continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    if (box.left < -0.5 || box.right > viewport + 0.5) {
      const [left, right] = [Math.round(box.left), Math.round(box.right)];
      problems.push(`${name(el)} sticks out of the screen (${left} to ${right} px)`);
      continue;
    }
    const parent = el.parentElement;
    if (parent && parent !== document.body && getComputedStyle(el).position !== 'absolute') {
      const outer = parent.getBoundingClientRect();
      if (box.right > outer.right + 0.5 || box.left < outer.left - 0.5) {
        const [inner, around] = [Math.round(box.width), Math.round(outer.width)];
        problems.push(`${name(el)} is wider than its container (${inner} in ${around} px)`);
      }
    }
    if (!controls.has(el.tagName) && el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1) {
      const [wide, room] = [el.scrollWidth, el.clientWidth];
      const what = getComputedStyle(el).overflowX === 'visible'
        ? 'has content sticking out' : 'hides or scrolls what does not fit';
      problems.push(`${name(el)} ${what} (${wide} > ${room} px)`);
    }
  }
  // A word is broken when its Range has boxes on more than one line. Words end at spaces and
  // after the dashes and slashes where a line may break. Only a word wider than the page's
  // column (a long address or token, a long word at 200 % text) may break, where it must.
  const main = document.querySelector('main');
  const mainStyle = getComputedStyle(main);
  const column = main.clientWidth - parseFloat(mainStyle.paddingLeft)
    - parseFloat(mainStyle.paddingRight);
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  const word = /[^ \\t\\n\\r\\f\\-\\u2010\\u2013\\u2014\\/]+[\\-\\u2010\\u2013\\u2014\\/]?/g;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || skipped(el) || !shown(el)) continue;
    for (const match of node.data.matchAll(word)) {
      if (match[0].length < 2) continue;
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const boxes = [...range.getClientRects()].filter((r) => r.width > 0 && r.height > 0);
      const lines = [];
      for (const b of boxes) {
        if (!lines.some((top) => Math.abs(top - b.top) < b.height / 2)) lines.push(b.top);
      }
      const wide = boxes.reduce((sum, b) => sum + b.width, 0);
      if (lines.length > 1 && wide <= column) {
        problems.push(`"${match[0]}" is broken over ${lines.length} lines in ${name(el)}`);
      }
    }
  }
  return problems;
}
"""


@pytest.fixture
def chromium(tmp_path: Path) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium: run `make browser` (make test does)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


def serious_violations(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page, one sentence each."""
    found = []
    for violation in Axe().run(page).response["violations"]:
        if violation["impact"] in FAILING_IMPACTS:
            targets = [node["target"] for node in violation["nodes"]][:3]
            found.append(
                f"axe {violation['impact']} {violation['id']}: {violation['help']} {targets}"
            )
    return found


#: One DevTools session per page, kept while the page lives.
SESSIONS: WeakKeyDictionary[Page, CDPSession] = WeakKeyDictionary()


def font_sizes(page: Page, sizes: dict[str, int]) -> None:
    """Chromium's default font sizes (what the reader's font-size setting changes)."""
    if page not in SESSIONS:
        SESSIONS[page] = page.context.new_cdp_session(page)
    SESSIONS[page].send("Page.setFontSizes", {"fontSizes": sizes})


def check(
    page: Page, where: str, width: int, sizes: dict[str, int], shot: Path, problems: list[str]
) -> None:
    """Measure the page at ``width`` px with the default font ``sizes``, then photograph it.
    (A full-page screenshot resets the font sizes, so the screenshot is taken with a window
    as tall as the page instead.)"""
    page.set_viewport_size({"width": width, "height": HEIGHT})
    font_sizes(page, sizes)
    root = page.evaluate("getComputedStyle(document.documentElement).fontSize")
    assert root == f"{sizes['standard']}px", (where, root)
    found = page.evaluate(MEASURE)
    problems.extend(f"{where}: {problem}" for problem in found)
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": width, "height": max(HEIGHT, height)})
    font_sizes(page, sizes)
    shot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shot))


def sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/portal/sign-in?lang=en")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/portal/")


def measure(page: Page, base: str, language: str, target: PortalPage, problems: list[str]) -> None:
    """Axe at 390 px, then every width, then 200 % text: what is wrong goes to ``problems``."""
    separator = "&" if "?" in target.path else "?"
    page.set_viewport_size({"width": ZOOM_WIDTH, "height": HEIGHT})
    font_sizes(page, TEXT_100)
    page.goto(f"{base}{target.path}{separator}lang={language}")
    where = f"{language} {target.path}"
    assert urlsplit(page.url).path == urlsplit(base + target.path).path, where
    assert page.locator("html").get_attribute("lang") == language, where
    problems.extend(f"{where}: {problem}" for problem in serious_violations(page))
    folder = ARTIFACTS / language
    for width in WIDTHS:
        shot = folder / f"{target.name}-{width}.png"
        check(page, f"{where} at {width} px", width, TEXT_100, shot, problems)
    shot = folder / f"{target.name}-{ZOOM_WIDTH}-text200.png"
    check(page, f"{where} at {ZOOM_WIDTH} px with 200 % text", ZOOM_WIDTH, TEXT_200, shot, problems)
    font_sizes(page, TEXT_100)


@pytest.mark.usefixtures("live_server")
def test_every_page_every_language_every_width(app, client, ops, portal_user, chromium) -> None:
    base = app.config["BASE_URL"]
    user = portal_user(
        full_name="Maria Clara Wanjiru Dela Cruz",
        email="maria.wanjiru@example.org",
        locale="sw_KE",
        country="KE",
    )
    seeded = seed(app, client, ops, user)
    pages = portal_pages(app, seeded)
    # Pages a visitor sees (sign-in, password reset, invite) and pages behind sign-in.
    anonymous = app.test_client()
    public = [p for p in pages if "/portal/sign-in" not in (anonymous.get(p.path).location or "")]
    private = [p for p in pages if p not in public]
    assert {p.name for p in public} >= {"sign_in", "forgot_password", "invite"}
    assert {p.name for p in private} >= {"home", "schedule", "exposure", "pay", "rotations"}

    context = chromium.new_context(locale="en-US", viewport={"width": ZOOM_WIDTH, "height": HEIGHT})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    problems: list[str] = []
    for language in LANGUAGES:
        for target in public:
            measure(page, base, language, target, problems)
    sign_in(page, base, user.email)
    for language in LANGUAGES:
        for target in private:
            measure(page, base, language, target, problems)
    context.close()
    assert errors == [], errors
    assert problems == [], f"{len(problems)} problems:\n" + "\n".join(problems)


# --- the measurements themselves ---------------------------------------------------------------

#: The exposure page's values as the old stylesheet laid them out: ``overflow-wrap: anywhere``
#: in a grid whose label column grows to its longest label, at 360 px.
SQUEEZED = """<!doctype html><html lang="en"><head><title>t</title><style>
body { margin: 0; font: 16px/1.5 sans-serif; overflow-wrap: anywhere; }
main { padding: 0 1rem; }
dl { display: grid; grid-template-columns: minmax(6rem, auto) 1fr; gap: 0.2rem 0.75rem; }
</style></head><body><main><h1>Exposure budget</h1><dl>
<dt>Days in a row with disturbing content</dt><dd>dakika 70</dd></dl></main></body></html>"""


#: The same with the new rules: break only a word wider than the line, fixed column shares.
FIXED = SQUEEZED.replace("minmax(6rem, auto) 1fr", "minmax(0, 2fr) minmax(0, 3fr)").replace(
    "anywhere", "break-word"
)
LONG = "Exposure budget for the days in a row with disturbing content"


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        (SQUEEZED, ['"dakika" is broken over', '"70" is broken over']),
        (FIXED, []),
        (
            FIXED.replace("<h1>", '<h1 style="overflow: hidden; white-space: nowrap">').replace(
                "Exposure budget", LONG
            ),
            ["main > h1 hides or scrolls what does not fit"],
        ),
        (
            FIXED.replace("<h1>", '<h1 style="white-space: nowrap">').replace(
                "Exposure budget", LONG
            ),
            ["the page scrolls sideways", "main > h1 has content sticking out"],
        ),
        (
            FIXED.replace("<dt>", '<dt><span style="display: inline-block; width: 10rem">'),
            ["dt > span is wider than its container", "dl > dt has content sticking out"],
        ),
        (
            FIXED.replace("<dd>", '<dd><span style="display: inline-block; width: 30rem">'),
            ["the page scrolls sideways", "dd > span sticks out of the screen"],
        ),
        # A token wider than the column may break, and must.
        (FIXED.replace("Exposure budget", "x" * 80), []),
    ],
)
def test_the_measure_finds_broken_words_and_overflow(
    chromium: Browser, html: str, expected: list[str]
) -> None:
    page = chromium.new_page(viewport={"width": 360, "height": HEIGHT})
    page.set_content(html)
    found = page.evaluate(MEASURE)
    page.close()
    for problem in expected:
        assert any(problem in line for line in found), (problem, found)
    if not expected:
        assert found == []
    assert not any("xxxx" in line for line in found), found


def test_axe_reports_a_serious_violation(chromium: Browser) -> None:
    page = chromium.new_page()
    page.set_content(
        "<!doctype html><html><head><title>t</title></head><body><main><form>"
        '<input type="text" name="email"></form></main></body></html>'
    )
    found = serious_violations(page)
    page.close()
    assert any("html-has-lang" in line for line in found), found
    assert any("label" in line for line in found), found
