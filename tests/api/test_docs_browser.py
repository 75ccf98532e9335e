"""Swagger UI at ``/api/v1/docs`` renders in a real browser with no network but the app's:
every request to another origin is aborted, and the page's CSP must not refuse anything."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, ConsoleMessage, Request, Route, expect

# The live server and Chromium of the portal's browser test (fixtures, used by name).
from tests.portal.test_browser import browser, live_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]
__all__ = ["browser", "live_server"]


def test_swagger_ui_renders_offline(live_server: str, browser: BrowserContext) -> None:
    outside: list[str] = []
    problems: list[str] = []

    def only_the_app(route: Route, request: Request) -> None:
        if request.url.startswith(live_server):
            route.continue_()
        else:
            outside.append(request.url)
            route.abort()

    def console(message: ConsoleMessage) -> None:
        if message.type == "error" or "Content Security Policy" in message.text:
            problems.append(message.text)

    browser.route("**/*", only_the_app)
    page = browser.new_page()
    page.on("console", console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server}/api/v1/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Workforce")
    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    # Swagger UI renders tags as they scroll into view (virtualised): open the first one.
    page.locator(".opblock-summary", has_text="/api/v1/health").first.click()
    expect(page.locator(".opblock-body").first).to_be_visible()
    assert outside == []
    assert problems == []
