"""``/api/v1/docs`` works offline: the page and every file it loads come from the app
itself (the pinned flask-swagger-ui package), under a CSP that allows only this origin."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from workforce.api.docs import ASSETS, DOCS_CSP


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        for name in ("src", "href"):
            if found.get(name):
                self.urls.append(str(found[name]))
        self._in_script = tag == "script" and not found.get("src")
        if "style" in found:
            self.inline_scripts += 1  # an inline style would be refused as well

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_scripts += 1

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False


def test_docs_and_every_asset_come_from_the_app(client) -> None:
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert response.headers["Content-Security-Policy"] == DOCS_CSP
    links = _Links()
    links.feed(response.get_data(as_text=True))
    assert links.inline_scripts == 0
    assert len(links.urls) >= 3
    for url in links.urls:
        # Same origin: an absolute path, never another host (no CDN, no protocol-relative).
        assert url.startswith("/api/v1/docs/") and not url.startswith("//"), url
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.data) > 0, url
    js = client.get("/api/v1/docs/docs-init.js")
    assert js.mimetype in {"text/javascript", "application/javascript"}
    assert b"SwaggerUIBundle(" in js.data
    bundle = client.get("/api/v1/docs/swagger-ui-bundle.js")
    assert b"SwaggerUIBundle" in bundle.data
    # The document the page points at is served by the app too.
    spec_url = re.search(r'data-spec-url="([^"]+)"', response.get_data(as_text=True))
    assert spec_url and spec_url.group(1) == "/api/v1/openapi.json"
    assert client.get(spec_url.group(1)).json["openapi"].startswith("3.")


def test_the_docs_csp_allows_this_origin_only() -> None:
    directives = dict(d.strip().split(" ", 1) for d in DOCS_CSP.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    for directive in ("script-src", "style-src", "connect-src"):
        assert directives[directive] == "'self'", directive
    assert "unsafe" not in DOCS_CSP
    assert "http" not in DOCS_CSP


def test_only_the_listed_assets_are_served(client) -> None:
    for name in ("../__init__.py", "index.template.html", "LICENSE", "swagger-ui.js.map", "x"):
        response = client.get(f"/api/v1/docs/{name}")
        assert response.status_code == 404, name
        assert response.mimetype == "application/problem+json"
    for name in ASSETS:
        assert client.get(f"/api/v1/docs/{name}").status_code == 200
