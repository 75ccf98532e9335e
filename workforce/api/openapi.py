"""What the OpenAPI document says beyond the schemas: who may call each operation, the
problem ``code`` values it can answer, and an example of every body.

Three sources, none typed into the document by hand:

- the view's docstring: first paragraph the summary, the rest the description
  (flask-smorest);
- the view's ``@roles(...)`` and ``@problems(...)`` decorators: :class:`DocumentationPlugin`
  adds "Who may call" and one response per problem status to the description and the
  responses, each code with an example problem document, from the table
  :data:`PROBLEM_CODES` (``tests/api/test_openapi_docs.py`` checks that every code the
  code base raises is in it);
- the schemas: :func:`example_of` builds a request and response example from a schema in
  the document, field by field (a field's own ``metadata={"example": ...}`` first, then
  :data:`EXAMPLE_VALUES` by field name, then its type and format).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from apispec import APISpec, BasePlugin
from flask import Flask
from werkzeug.routing import Rule

from workforce.errors import PROBLEM_MIMETYPE
from workforce.identity.access import ROLES

F = TypeVar("F", bound=Callable[..., Any])

#: Every problem ``code`` a client can be answered, with its status and what it means.
#: The generic ones (401, 403, 404, 422, 429, 503) are added to operations by rule; the
#: others are listed per view with :func:`problems`.
PROBLEM_CODES: dict[str, tuple[int, str]] = {
    # generic, added by rule
    "missing_token": (401, "no bearer token was sent"),
    "invalid_token": (401, "the token is unknown, expired or revoked"),
    "role_not_allowed": (403, "the token's role may not call this operation"),
    "not_a_contractor": (403, "a /me path needs a contractor token"),
    "not_found": (404, "the object in the path does not exist (or is not yours)"),
    "validation_error": (422, "a field is wrong; `errors` names it"),
    "rate_limited": (429, "too many failures; retry after `Retry-After` seconds"),
    "database_busy": (503, "the database stayed busy; retry soon"),
    "integrity_conflict": (409, "the change conflicts with data written at the same time"),
    "slip_fonts_missing": (503, "the PDF slip's fonts are not installed on the server"),
    # identity
    "contractor_tokens_are_personal": (403, "a contractor creates their own tokens"),
    "email_recently_changed": (409, "the email changed too recently to send an invite"),
    "contractor_offboarded": (409, "the contractor is offboarded"),
    # contractors and credentials
    "duplicate_email": (409, "another contractor already has this email"),
    "duplicate_external_ref": (409, "another contractor already has this external_ref"),
    "confusable_email": (409, "another contractor's email looks the same as this one"),
    "already_offboarded": (409, "the contractor is already offboarded"),
    "use_offboard_endpoint": (409, "status offboarded is set by POST .../offboard only"),
    "import_too_large": (413, "the import is larger than it may be (bytes or rows); split it"),
    "unsupported_media_type": (415, "the body is neither text/csv nor an XLSX workbook"),
    "credential_decided": (409, "the credential was already verified or rejected"),
    "invalid_transition": (409, "the credential's status does not allow this change"),
    # queues
    "duplicate_slug": (409, "another queue has this slug"),
    "fallback_in_use": (409, "the queue is another queue's fallback"),
    # exposure
    "policy_out_of_order": (409, "a policy version must take effect after the current one"),
    # rotations
    "rotation_active": (409, "the contractor already has an active rotation"),
    "rotation_ended": (409, "the rotation has already ended"),
    "rotation_not_reviewable": (409, "this rotation cannot be reviewed"),
    "review_exists": (409, "a review was already requested"),
    "no_review_pending": (409, "no review was requested for this rotation"),
    # scheduling
    "not_eligible": (409, "the contractor may not work on this queue then; `reasons` says why"),
    "overlap": (409, "the shift overlaps another shift of the contractor"),
    "rest_too_short": (409, "too little rest before or after another shift"),
    "shift_too_long": (409, "the shift is longer than the country's limit"),
    "weekly_hours_exceeded": (409, "the week's hours would exceed the country's limit"),
    "queue_inactive": (409, "the queue no longer takes shifts"),
    "on_leave": (409, "the contractor has approved time off then; not overridable"),
    "outside_availability": (
        409,
        "the shift lies outside the contractor's weekly availability; ops may override",
    ),
    "time_off_overlap": (409, "the dates overlap another pending or approved request"),
    "time_off_not_pending": (409, "the time-off request was already decided or cancelled"),
    "shift_not_editable": (409, "the shift has started or ended and cannot be changed"),
    "shift_not_cancellable": (409, "the shift can no longer be cancelled"),
    "shift_started": (409, "the shift has already started"),
    "shift_not_open": (409, "the shift is not open (assigned, cancelled or over)"),
    "shift_taken": (409, "someone claimed the shift first"),
    "pattern_deleted": (409, "the shift pattern was deleted and cannot change"),
    "shift_unassigned": (409, "the shift has no contractor"),
    "shift_over": (409, "the shift is over"),
    "already_clocked_in": (409, "the contractor already clocked in"),
    "clock_in_too_early": (409, "too early to clock in to this shift"),
    "not_clocked_in": (409, "the contractor has not clocked in"),
    # shift offers
    "daily_limit": (409, "the shift would take the taker past a daily exposure cap"),
    "offer_exists": (409, "the shift is already on offer"),
    "own_offer": (409, "a contractor cannot take their own offer"),
    "offer_taken": (409, "another contractor took the offer (or the shift) first"),
    "offer_stale": (409, "the shift changed hands or status since it was offered"),
    "offer_not_accepted": (409, "only an open or accepted offer can be decided"),
    "offer_not_live": (409, "the offer was already approved, rejected or withdrawn"),
    # wellbeing
    "referral_closed": (409, "the referral is closed"),
    # pay
    "duplicate_wage_distribution": (409, "a distribution for this place and year exists"),
    "no_wage_distribution": (409, "no wage distribution for the contractor's place"),
    "no_exchange_rate": (409, "no exchange rate for the currencies and day"),
    "floor_currency_mismatch": (409, "the policy's floor is in another currency"),
    "percentile_out_of_range": (409, "the percentile lies outside the distribution"),
    "currency_mismatch": (409, "the shifts' pay is in different currencies"),
    "shifts_in_progress": (409, "a shift of the period is still in progress"),
    "shifts_not_clocked": (409, "a shift of the period was not clocked in and out"),
    "invalid_shift_times": (409, "a shift's clock times are inconsistent"),
    "overlapping_shifts": (409, "two clocked shifts of the period overlap"),
    "period_not_ended": (409, "the period has not ended"),
    "statement_final": (409, "the statement is final and cannot change"),
    "statement_not_final": (409, "the statement is not final yet"),
    "statement_overlaps": (409, "a statement already covers part of this period"),
    "statement_stale": (409, "the shifts changed since the draft; recalculate it"),
    "adjust_the_original": (409, "adjust the original statement, not an adjustment"),
    "adjustment_pending": (409, "a draft adjustment exists already"),
    "nothing_to_adjust": (409, "recalculating changes nothing"),
    "currency_changed": (409, "the contractor's currency changed since the statement"),
    # reports
    "period_not_aligned": (422, "a wellbeing period starts and ends on a month's boundary"),
    "period_not_closed": (409, "the period is not over yet"),
}

#: What any check of a shift's rules can answer (scheduling/enforcement.py, rules.py).
SHIFT_RULE_CODES = (
    "not_eligible",
    "overlap",
    "rest_too_short",
    "shift_too_long",
    "weekly_hours_exceeded",
    "on_leave",
    "outside_availability",
)
#: What computing a pay statement's lines can answer (pay/statement_basis.py, rates.py).
STATEMENT_BASIS_CODES = (
    "currency_mismatch",
    "shifts_in_progress",
    "shifts_not_clocked",
    "invalid_shift_times",
    "overlapping_shifts",
    "no_wage_distribution",
    "floor_currency_mismatch",
    "percentile_out_of_range",
    "no_exchange_rate",
)

_STATUS_TITLES = {
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Unprocessable entity",
    429: "Too many requests",
    503: "Service unavailable",
}


def problems(*codes: str) -> Callable[[F], F]:
    """The problem codes this view answers besides the generic ones: listed in its
    description, and one response per status with an example of each code."""
    unknown = [code for code in codes if code not in PROBLEM_CODES]
    if unknown:
        raise ValueError(f"codes missing from PROBLEM_CODES: {unknown}")

    def decorate(view: F) -> F:
        view.problem_codes = tuple(codes)  # type: ignore[attr-defined]
        return view

    return decorate


#: Example values by field name, for fields whose type alone says too little.
EXAMPLE_VALUES: dict[str, Any] = {
    "full_name": "Jordan Lee",
    "name": "Violent content",
    "short_name": "Violence",
    "slug": "violent-content",
    "queue": "violent-content",
    "queue_slug": "violent-content",
    "country": "KE",
    "subdivision": "KE-30",
    "timezone": "Africa/Nairobi",
    "locale": "sw_KE",
    "language": "sw",
    "currency": "KES",
    "reporting_currency": "USD",
    "base": "USD",
    "external_ref": "KE-0042",
    "contractor_ref": "KE-0042",
    "event_id": "evt-2026-03-02-000123",
    "email": "jordan.lee@example.com",
    "code": "RN",
    "field": "Nursing",
    "issuer": "Nursing Council of Kenya",
    "reason": "covering a colleague's leave",
    "cancel_reason": "the queue is paused",
    "correction_reason": "forgot to clock out",
    "override_reason": "agreed with the contractor",
    "status_reason": "documents checked",
    "end_reason": "back after the cooldown",
    "comment": "I was on a training day, not on the queue",
    "review_comment": "the events were counted twice",
    "note": "starting point; see docs/exposure.md",
    "source": "National Bureau of Statistics, 2025 wage survey",
    "evidence_ref": "ticket-1234",
    "description": "Graphic violence, reported by users",
    "label": "wf-ingest-1",
    "token": "wf_3q2-example-secret-shown-once",
    "url": "https://hooks.example.com/workforce",
    "webcal_url": "webcal://workforce.example.com/calendar/SECRET.ics",
    "hash": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "head_hash": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "prev_hash": "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752",
    "signature": "3c6e0b8a9c15224a8228b9a98ca1531d",
    "hourly_rate": "412.50",
    "base_hourly_rate": "375.00",
    "rate": "129.35",
    "amount": "3300.00",
    "total": "52800.00",
    "reporting_total": "408.20",
    "percentile": "p50",
    "period": "hour",
    "hours": "8.00",
    "detail": "the contractor already has an active rotation",
    "title": "Conflict",
    "summary": "rotation started: daily limit",
    "display": "Mon 2 Mar, 08:00–16:00",
    "formatted": "KSh 412.50",
    "target_type": "contractor",
    "action": "contractor.create",
    "actor_role": "ops",
    "actor_name": "ops-token-1",
}
_FORMATS: dict[str, Any] = {
    "date-time": "2026-03-02T08:00:00+00:00",
    "date": "2026-03-02",
    "email": "jordan.lee@example.com",
    "decimal": "18.50",
    "uri": "https://workforce.example.com/",
    "binary": None,
}
_REF = "#/components/schemas/"


def example_of(
    schema: Mapping[str, Any],
    components: Mapping[str, Any],
    name: str = "",
    seen: frozenset[str] = frozenset(),
) -> Any:
    """An example value of ``schema`` (an OpenAPI schema object of this document)."""
    if "example" in schema:
        return schema["example"]
    if "$ref" in schema:
        ref = schema["$ref"].removeprefix(_REF)
        if ref in seen or ref not in components:
            return {}
        return example_of(components[ref], components, name, seen | {ref})
    for combined in ("allOf", "oneOf", "anyOf"):
        if schema.get(combined):
            return example_of(schema[combined][0], components, name, seen)
    if schema.get("enum"):
        return next((v for v in schema["enum"] if v is not None), None)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind == "object" or "properties" in schema:
        example = {
            key: example_of(value, components, key, seen)
            for key, value in schema.get("properties", {}).items()
        }
        extra = schema.get("additionalProperties")
        if not example and isinstance(extra, dict):
            example = {"key": example_of(extra, components, "", seen)}
        return example
    if kind == "array":
        return [example_of(schema.get("items", {}), components, _singular(name), seen)]
    if name in EXAMPLE_VALUES and kind in (None, "string"):
        return EXAMPLE_VALUES[name]
    if kind == "integer":
        return max(1, int(schema.get("minimum", 1)))
    if kind == "number":
        return max(1.5, float(schema.get("minimum", 1.5)))
    if kind == "boolean":
        return True
    if kind == "string":
        if schema.get("format") in _FORMATS:
            return _FORMATS[schema["format"]]
        return name.replace("_", " ") or "text"
    return EXAMPLE_VALUES.get(name, {})


def _singular(name: str) -> str:
    return name[:-1] if name.endswith("s") and not name.endswith("ss") else name


def problem_example(code: str) -> dict[str, Any]:
    status, meaning = PROBLEM_CODES[code]
    example: dict[str, Any] = {
        "status": status,
        "title": _STATUS_TITLES[status],
        "detail": meaning.replace("`", ""),
        "code": code,
    }
    if status == 422:
        example["errors"] = {"field": ["what is wrong with it"]}
    return example


class DocumentationPlugin(BasePlugin):
    """Completes each operation as flask-smorest adds it to the document (see the module's
    docstring). Runs after the marshmallow plugin, so schemas are references by then."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.spec: APISpec | None = None

    def init_spec(self, spec: APISpec) -> None:
        self.spec = spec

    def operation_helper(
        self,
        path: str | None = None,
        operations: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        rule = kwargs.get("rule")
        if not isinstance(rule, Rule) or not operations or self.spec is None:
            return
        view_function = self.app.view_functions[rule.endpoint]
        view_class = getattr(view_function, "view_class", None)
        components = self.spec.components.schemas
        for method, operation in operations.items():
            view = getattr(view_class, method, view_function)
            allowed = getattr(view, "allowed_roles", None)
            declared = getattr(view, "problem_codes", ())
            codes = self._codes(operation, method, rule, allowed, declared)
            operation["description"] = _description(operation, allowed, codes)
            self._add_examples(operation, components)
            self._add_problems(operation, codes)

    @staticmethod
    def _codes(
        operation: Mapping[str, Any],
        method: str,
        rule: Rule,
        allowed: Any,
        declared: tuple[str, ...],
    ) -> list[str]:
        """The generic codes by rule (a token, a path id, input, a write), then the view's."""
        codes: list[str] = []
        if allowed is not None:
            # Through the request boundary (identity.access.roles, db.commit_request).
            codes += ["missing_token", "invalid_token", "rate_limited", "database_busy"]
            if method != "get":
                codes.append("integrity_conflict")
            if set(allowed) != set(ROLES):
                codes.append("role_not_allowed")
            if "/me/" in rule.rule or rule.rule.endswith("/me"):
                codes.append("not_a_contractor")
        if "<" in rule.rule:
            codes.append("not_found")
        if "requestBody" in operation or operation.get("parameters") or "<" in rule.rule:
            codes.append("validation_error")
        return codes + [code for code in declared if code not in codes]

    @staticmethod
    def _add_examples(operation: dict[str, Any], components: Mapping[str, Any]) -> None:
        bodies = [operation.get("requestBody", {})]
        bodies += [r for r in operation.get("responses", {}).values() if isinstance(r, dict)]
        for body in bodies:
            for media in body.get("content", {}).values():
                schema = media.get("schema")
                if isinstance(schema, dict) and "example" not in media and "examples" not in media:
                    value = example_of(schema, components)
                    if value is not None:
                        media["example"] = value

    @staticmethod
    def _add_problems(operation: dict[str, Any], codes: list[str]) -> None:
        responses = operation.setdefault("responses", {})
        by_status: dict[int, list[str]] = {}
        for code in codes:
            by_status.setdefault(PROBLEM_CODES[code][0], []).append(code)
        for status, status_codes in sorted(by_status.items()):
            listed = "; ".join(f"`{c}`: {PROBLEM_CODES[c][1]}" for c in status_codes)
            responses[str(status)] = {
                "description": f"{_STATUS_TITLES[status]}. `code` is one of: {listed}.",
                "content": {
                    PROBLEM_MIMETYPE: {
                        "schema": {"$ref": f"{_REF}Problem"},
                        "examples": {
                            c: {"summary": PROBLEM_CODES[c][1], "value": problem_example(c)}
                            for c in status_codes
                        },
                    }
                },
            }


def _description(operation: Mapping[str, Any], allowed: Any, codes: list[str]) -> str:
    parts = [operation["description"]] if operation.get("description") else []
    if allowed is None:
        parts.append("**Who may call:** anyone; no token needed.")
    else:
        who = ", ".join(role for role in ROLES if role in allowed)
        parts.append(f"**Who may call:** {who}.")
    specific = [code for code in codes if PROBLEM_CODES[code][0] in (409, 429) or code in _RARE]
    if specific:
        listed = ", ".join(f"{PROBLEM_CODES[c][0]} `{c}`" for c in specific)
        parts.append(f"**Problems this operation can answer** (besides the usual): {listed}.")
    return "\n\n".join(parts)


#: Codes outside 409/429 that are particular to an operation, worth naming in its text.
_RARE = frozenset(
    {
        "contractor_tokens_are_personal",
        "period_not_aligned",
        "not_a_contractor",
        "import_too_large",
        "unsupported_media_type",
    }
)
