"""``/api/v1/docs``: Swagger UI over ``/api/v1/openapi.json``, served by the service itself.

The UI's files come from the pinned ``flask-swagger-ui`` package (requirements.txt), which
ships the Swagger UI distribution; we use its files, not its blueprint. The page loads
nothing from another origin and runs no inline script, so its Content-Security-Policy
(:data:`DOCS_CSP`) allows only this origin: the docs work offline and a CDN cannot change
what runs next to an admin's token.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

import flask_swagger_ui
from flask import Blueprint, Response, abort, render_template, url_for

#: The Swagger UI distribution inside the pinned package.
SWAGGER_UI_DIR = Path(flask_swagger_ui.__file__).resolve().parent / "dist"
OWN_DIR = Path(__file__).resolve().parent / "static"
#: Every file the page may load, and where it lives: nothing else under /docs/ is served.
ASSETS = {
    "swagger-ui.css": SWAGGER_UI_DIR,
    "swagger-ui-bundle.js": SWAGGER_UI_DIR,
    "favicon-32x32.png": SWAGGER_UI_DIR,
    "favicon-16x16.png": SWAGGER_UI_DIR,
    "docs-init.js": OWN_DIR,
}
#: Scripts, styles and the document from this origin only; images may also be data: URIs
#: (Swagger UI's icons are inlined in its stylesheet).
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

blp = Blueprint("api_docs", __name__, url_prefix="/api/v1/docs", template_folder="templates")


def swagger_ui_version() -> str:
    """The Swagger UI version the package ships (e.g. ``v5.32.0``)."""
    return (SWAGGER_UI_DIR / "VERSION").read_text().strip()


@blp.get("")
def page() -> Response:
    html = render_template(
        "api_docs.html",
        title="Workforce",
        spec_url=url_for("api-docs.openapi_json"),
    )
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = DOCS_CSP
    return response


@blp.get("/<path:filename>")
def asset(filename: str) -> Response:
    folder = ASSETS.get(filename)
    if folder is None:
        abort(404)
    # Read whole (the largest is under 2 MB): no file handle outlives the request.
    mimetype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    response = Response((folder / filename).read_bytes(), mimetype=mimetype)
    response.headers["Content-Security-Policy"] = DOCS_CSP
    return response
