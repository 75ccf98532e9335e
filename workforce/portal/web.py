"""The portal's web machinery: the blueprint, sessions, CSRF, language, pages, errors.

A signed-in page is one view function and one template::

    @page("/schedule", nav=N_("My schedule"), summary=N_("This week and next"), order=20)
    def schedule(contractor: Contractor) -> ResponseReturnValue:
        return render("portal/schedule.html", week=...)

``page`` requires a valid session, hands the view the signed-in contractor (never any
other), and with ``nav`` adds the page to the menu and to the home page. The template
extends ``portal/base.html`` and fills ``{% block content %}``; every ``<form
method="post">`` includes ``{{ csrf_field() }}``.

Every route of the blueprint runs in the request's transaction, as an API view does
(``db.commit_request``: commit, retry on a serialisation failure), and every error it
raises is ``portal/error.html`` with the status and headers of the API's problem document.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import hmac
import secrets
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache, wraps
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import (
    Blueprint,
    Flask,
    Response,
    g,
    has_request_context,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from flask.typing import ResponseReturnValue, RouteCallable
from markupsafe import Markup

from workforce import db
from workforce import translation as i18n
from workforce.contractors.models import Contractor
from workforce.errors import TooManyRequests, WorkforceError, describe
from workforce.identity.access import Principal
from workforce.identity.accounts import portal_actor, session_contractor
from workforce.timeutil import load_zone
from workforce.translation import LANGUAGES, N_, gettext

STATIC_DIR = Path(__file__).resolve().parent / "static"
#: Portal pages are personal and server-rendered: nothing but our own stylesheet and
#: images may load, forms post only to us, no script runs, nobody may frame us.
PORTAL_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
#: Session keys: contractor id, issued at (ISO instant), the session's random id (what
#: sign-out revokes on the server), CSRF token, the language chosen on the page, and a hint
#: for pages before sign-in (the language an invite was accepted in).
CONTRACTOR, ISSUED_AT, SESSION_ID = "cid", "iat", "sid"
CSRF, LANG, HINT = "csrf", "lang", "hint"
#: Unicode categories refused in ``next``: control characters (C0, DEL, C1: CR/LF would
#: split the Location header) and the line and paragraph separators.
UNSAFE_CATEGORIES = frozenset({"Cc", "Zl", "Zp"})


class PortalBlueprint(Blueprint):
    """Every route runs in the request's transaction (:func:`_in_transaction`); static
    files are requested with a content hash (``?v=``): browsers keep them."""

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: RouteCallable | None = None,
        provide_automatic_options: bool | None = None,
        **options: Any,
    ) -> None:
        if view_func is not None:
            view_func = _in_transaction(view_func)
        super().add_url_rule(rule, endpoint, view_func, provide_automatic_options, **options)

    def get_send_file_max_age(self, filename: str | None) -> int | None:
        return 365 * 24 * 3600


bp = PortalBlueprint(
    "portal",
    __name__,
    url_prefix="/portal",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


class PortalSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session, marked ``Secure`` when configured or on HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        configured = bool(app.config["SESSION_COOKIE_SECURE"])
        return configured or (has_request_context() and request.is_secure)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        # An error answer never carries a cookie: whatever a failed request put in the
        # session (a sign-in that crashed after starting it, a refused form) is not kept.
        if response.status_code >= 400:
            return
        super().save_session(app, session, response)


# --- pages and the menu -------------------------------------------------------------------


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: str
    summary: str | None
    order: int


NAV: list[NavItem] = []


def page(
    rule: str,
    *,
    nav: str | None = None,
    summary: str | None = None,
    order: int = 100,
    methods: Iterable[str] = ("GET",),
) -> Callable[[Callable[..., ResponseReturnValue]], Callable[..., ResponseReturnValue]]:
    """Register a signed-in page at ``/portal<rule>``; the view receives the contractor.

    ``nav`` and ``summary`` are marked with ``N_`` and translated when shown; ``order``
    places the page in the menu. Visitors without a valid session go to the sign-in page
    and come back afterwards.
    """

    def decorate(view: Callable[..., ResponseReturnValue]) -> Callable[..., ResponseReturnValue]:
        @wraps(view)
        def wrapper(**kwargs: Any) -> ResponseReturnValue:
            contractor: Contractor | None = g.get("portal_contractor")
            if contractor is None:
                target = request.full_path if request.method == "GET" else request.path
                return redirect(url_for("portal.sign_in", next=target.rstrip("?")), 303)
            return view(contractor, **kwargs)

        bp.add_url_rule(rule, view.__name__, wrapper, methods=list(methods))
        if nav:
            NAV.append(NavItem(f"portal.{view.__name__}", nav, summary, order))
            NAV.sort(key=lambda item: item.order)
        return wrapper

    return decorate


def render(
    template: str, status: int = 200, headers: dict[str, str] | None = None, **context: Any
) -> ResponseReturnValue:
    return render_template(template, **context), status, headers or {}


class InvalidNext(WorkforceError):
    status = 400
    code = "invalid_next"
    title = "Bad request"


def check_next(target: str) -> None:
    """A ``next`` with a control character is an attack or a broken link: 400."""
    if any(unicodedata.category(char) in UNSAFE_CATEGORIES for char in target):
        raise InvalidNext("next contains a control character")


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path inside the portal, never another site."""
    if (
        target
        and target.startswith("/portal/")
        and not target.startswith("//")
        and "\\" not in target
        and not target.startswith("/portal/sign-")
    ):
        return target
    return url_for("portal.home")


# --- CSRF -------------------------------------------------------------------------------


class CsrfFailed(WorkforceError):
    status = 400
    code = "csrf_failed"
    title = "Bad request"


def csrf_token() -> str:
    """This session's CSRF token (created on first use)."""
    token = session.get(CSRF)
    if not isinstance(token, str):
        token = session[CSRF] = secrets.token_urlsafe(32)
    return token


def csrf_field() -> Markup:
    return Markup('<input type="hidden" name="csrf_token" value="{}">').format(csrf_token())


def _check_csrf() -> None:
    expected = session.get(CSRF)
    given = request.form.get("csrf_token", "")
    if not isinstance(expected, str) or not hmac.compare_digest(expected.encode(), given.encode()):
        raise CsrfFailed("the form is out of date")


# --- the signed-in contractor and the language -----------------------------------------------


def _keep_languages() -> None:
    kept = {key: session.get(key) for key in (LANG, HINT)}
    session.clear()
    session.update({key: value for key, value in kept.items() if value in LANGUAGES})


def start_session(contractor: Contractor) -> None:
    """A fresh session for a contractor who just signed in (no fixation: all new)."""
    _keep_languages()
    session[CONTRACTOR] = contractor.id
    session[ISSUED_AT] = db.utcnow().isoformat()
    session[SESSION_ID] = secrets.token_urlsafe(32)
    session[CSRF] = secrets.token_urlsafe(32)
    session.permanent = True


def end_session() -> None:
    """Forget who is signed in (the language choice stays)."""
    _keep_languages()


def signed_in_session_id() -> str | None:
    """The random id of this request's signed-in session, if it has one."""
    value = session.get(SESSION_ID)
    return value if isinstance(value, str) else None


def _load_contractor() -> Contractor | None:
    contractor_id, issued = session.get(CONTRACTOR), session.get(ISSUED_AT)
    session_id = signed_in_session_id()
    if not isinstance(contractor_id, int) or not isinstance(issued, str) or session_id is None:
        return None
    try:
        issued_at = dt.datetime.fromisoformat(issued)
    except ValueError:
        return None
    if issued_at.tzinfo is None:
        return None
    contractor = session_contractor(db.session(), contractor_id, issued_at, session_id)
    if contractor is None:
        end_session()
    return contractor


def use_language(language: str, contractor: Contractor | None) -> None:
    """Render the rest of this request in ``language``."""
    g.portal_lang = language
    g.portal_locale = i18n.formatting_locale(
        language,
        contractor.locale if contractor else None,
        contractor.country if contractor else None,
    )
    g.portal_zone = load_zone(contractor.timezone) if contractor else load_zone("UTC")


def choose_language(contractor: Contractor | None) -> str:
    """The choice made on the page, the contractor's locale, the hint, the browser's."""
    chosen = session.get(LANG)
    if chosen in LANGUAGES:
        return str(chosen)
    for candidate in (contractor.locale if contractor else None, session.get(HINT)):
        language = i18n.supported_language(candidate)
        if language:
            return language
    return request.accept_languages.best_match(list(LANGUAGES)) or i18n.DEFAULT_LANGUAGE


def _open_request() -> None:
    """Who is signed in, the language, and a form's CSRF check: the start of every route."""
    requested = request.args.get("lang")
    if requested in LANGUAGES:
        session[LANG] = requested
    # None until found: an error page must not show the contractor of a failed attempt.
    g.portal_contractor = None
    g.pop("principal", None)
    contractor = _load_contractor()
    g.portal_contractor = contractor
    if contractor is not None:
        # Audit rows written on this request name the contractor as the actor.
        actor = portal_actor(contractor.id)
        g.principal = Principal(actor.token_id, actor.role, actor.name, contractor.id)
    use_language(choose_language(contractor), contractor)
    if request.method == "POST":
        _check_csrf()


def _in_transaction(view: Callable[..., Any]) -> Callable[..., Response]:
    """``view`` as a portal route: the request's transaction boundary
    (:func:`workforce.db.commit_request`, as for the API) around the view and what it
    relies on (:func:`_open_request`), so that a retry starts the request afresh: from a
    fresh session, and from the cookie session it came with (a failed attempt's flash
    message or CSRF token is forgotten)."""

    @wraps(view)
    def route(**kwargs: Any) -> Response:
        arrived = copy.deepcopy(dict(session))

        def attempt() -> ResponseReturnValue:
            if session != arrived:  # a retry, after an attempt that changed the cookie
                session.clear()
                session.update(copy.deepcopy(arrived))
            _open_request()
            return view(**kwargs)

        return db.commit_request(attempt)

    return route


def portal_headers(response: Response) -> Response:
    """Every answer under /portal (pages, errors, even unknown paths) gets the portal CSP."""
    if request.path.startswith("/portal/") or request.path == "/portal":
        response.headers["Content-Security-Policy"] = PORTAL_CSP
        if request.endpoint != "portal.static":
            response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(Exception)
def _error(error: Exception) -> ResponseReturnValue:
    """Every error of a portal route as a page in the reader's language, with the status and
    headers (``Retry-After``) the API would send in its problem document."""
    found = describe(error)
    if "portal_lang" not in g:  # it failed before the contractor was found
        use_language(choose_language(None), None)
    if isinstance(error, CsrfFailed):
        message = gettext("This form has expired. Go back, reload the page and try again.")
    elif isinstance(error, TooManyRequests):
        message = gettext("Too many attempts. Please wait a few minutes and try again.")
    elif found.status == 404:
        message = gettext("This page does not exist.")
    else:
        message = gettext("Something went wrong. Please try again.")
    return render_template("portal/error.html", message=message), found.status, found.headers


# --- template helpers -------------------------------------------------------------------


@cache
def _static_version(filename: str) -> str:
    return hashlib.sha256((STATIC_DIR / filename).read_bytes()).hexdigest()[:12]


def static_url(filename: str) -> str:
    return url_for("portal.static", filename=filename, v=_static_version(filename))


def language_url(language: str) -> str:
    """This page in another language (pages that only take POSTs switch on the home page)."""
    rule = request.url_rule
    if rule is not None and rule.methods and "GET" in rule.methods:
        args = {k: v for k, v in request.args.items() if k != "lang"}
        args["lang"] = language
        return f"{request.path}?{urlencode(args)}"
    return url_for("portal.home", lang=language)


@bp.context_processor
def _context() -> dict[str, Any]:
    return {
        "contractor": g.get("portal_contractor"),
        "nav": NAV,
        "languages": LANGUAGES,
        "current_language": i18n.current_language(),
        "language_url": language_url,
        "csrf_field": csrf_field,
        "static_url": static_url,
        "N_": N_,
    }


def install_template_helpers(app: Flask) -> None:
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=i18n.raw_gettext, ngettext=i18n.raw_ngettext, newstyle=True
    )
    app.jinja_env.filters.update(
        {
            "date": i18n.format_date,
            "datetime": i18n.format_datetime,
            "time": i18n.format_time,
            "money": i18n.format_money,
            "number": i18n.format_number,
            "minutes": i18n.format_minutes,
            "country_name": i18n.country_name,
            "currency_name": i18n.currency_name,
            "locale_name": i18n.locale_name,
            "credential_name": i18n.credential_label,
        }
    )
