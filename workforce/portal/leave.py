"""Signed-in pages for when a contractor works: weekly availability and time off.

Each calls the service its ``/api/v1/me/...`` twin calls (``scheduling.availability`` and
``scheduling.time_off``). The availability form offers two windows a day, which covers an
overnight window (22:00-24:00, then 00:00-06:00 the next day); the API takes up to 28 in
all. Menu order: availability 66, time off 67 (after the calendar).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from babel.dates import get_day_names
from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict

from workforce import db
from workforce.contractors.models import Contractor
from workforce.errors import Conflict, InvalidInput
from workforce.portal.web import page, render
from workforce.scheduling import availability, time_off
from workforce.translation import N_, current_locale
from workforce.translation import gettext as _

#: windows per day on the form
SLOTS = 2
TIME_OFF_KIND_LABELS = {
    "vacation": N_("Vacation"),
    "sick": N_("Sick leave"),
    "personal": N_("Personal"),
    "wellbeing": N_("Wellbeing (the operations team sees only “time off”)"),
}
TIME_OFF_STATUS_LABELS = {
    "pending": N_("Waiting for a decision"),
    "approved": N_("Approved"),
    "rejected": N_("Not approved"),
    "cancelled": N_("Cancelled"),
}
_HHMM = re.compile(r"^\d{2}:\d{2}$")


def _field(day: int, slot: int, edge: str) -> str:
    return f"d{day}_{slot}_{edge}"


def _windows_from_form(form: MultiDict[str, str]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    windows: list[dict[str, Any]] = []
    errors: dict[str, str] = {}
    for day in range(7):
        for slot in range(SLOTS):
            start = form.get(_field(day, slot, "start"), "").strip()
            end = form.get(_field(day, slot, "end"), "").strip()
            if not start and not end:
                continue
            for edge, value in (("start", start), ("end", end)):
                if not _HHMM.match(value):
                    errors[_field(day, slot, edge)] = _("Write the time as HH:MM.")
            windows.append({"weekday": day, "start": start, "end": end, "slot": slot})
    return windows, errors


@page(
    "/availability",
    nav=N_("My availability"),
    summary=N_("When you can work each week."),
    order=66,
    methods=("GET", "POST"),
)
def availability_page(contractor: Contractor) -> ResponseReturnValue:
    session = db.session()
    errors: dict[str, str] = {}
    status = 200
    values: dict[str, str] = {}
    if request.method == "POST":
        if request.form.get("form") == "clear":
            availability.set_windows(session, contractor.id, [])
            flash(_("Saved. You may be planned at any time."), "success")
            return redirect(url_for("portal.availability_page"), 303)
        values = {k: v for k, v in request.form.items() if k.startswith("d")}
        windows, errors = _windows_from_form(request.form)
        if not errors:
            try:
                availability.set_windows(
                    session,
                    contractor.id,
                    [{k: w[k] for k in ("weekday", "start", "end")} for w in windows],
                )
            except InvalidInput as invalid:
                ordered = sorted(windows, key=lambda w: (w["weekday"], w["start"]))
                for name in invalid.errors:
                    parts = name.split(".")
                    if len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(windows):
                        bad = windows[int(parts[1])]
                        edge = parts[2] if parts[2] in ("start", "end") else "start"
                        errors[_field(bad["weekday"], bad["slot"], edge)] = _("Check this value.")
                    elif ordered:
                        errors["_form"] = _("Check this value.")
            else:
                flash(_("Saved. It applies to shifts planned from now on."), "success")
                return redirect(url_for("portal.availability_page"), 303)
        status = 422
    else:
        per_day: dict[int, int] = {}
        for window in availability.get_windows(session, contractor.id):
            slot = per_day.get(window.weekday, 0)
            per_day[window.weekday] = slot + 1
            if slot < SLOTS:
                shown = window.as_dict()
                values[_field(window.weekday, slot, "start")] = shown["start"]
                values[_field(window.weekday, slot, "end")] = shown["end"]
    days = get_day_names("wide", locale=current_locale())
    return render(
        "portal/availability.html",
        status,
        rows=[
            (days[day], [(_field(day, s, "start"), _field(day, s, "end")) for s in range(SLOTS)])
            for day in range(7)
        ],
        values=values,
        errors=errors,
        always=not availability.get_windows(session, contractor.id),
        zone=contractor.timezone,
    )


def _parse_day(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


@page(
    "/time-off",
    nav=N_("Time off"),
    summary=N_("Ask for time off and follow your requests."),
    order=67,
    methods=("GET", "POST"),
)
def time_off_page(contractor: Contractor) -> ResponseReturnValue:
    session = db.session()
    errors: dict[str, str] = {}
    values: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        cancel_id = request.form.get("cancel", "")
        if cancel_id.isdigit():
            try:
                time_off.cancel(session, contractor.id, int(cancel_id))
            except Conflict:
                flash(_("This request was already decided."), "error")
            else:
                flash(_("Your request is withdrawn."), "success")
            return redirect(url_for("portal.time_off_page"), 303)
        values = {
            k: request.form.get(k, "").strip() for k in ("starts_on", "ends_on", "kind", "note")
        }
        data: dict[str, Any] = {"kind": values["kind"], "note": values["note"] or None}
        for name in ("starts_on", "ends_on"):
            day = _parse_day(values[name])
            if day is None:
                errors[name] = _("Check this value.")
            data[name] = day
        if values["kind"] not in TIME_OFF_KIND_LABELS:
            errors["kind"] = _("Check this value.")
        if len(values["note"]) > 2000:
            errors["note"] = _("Check this value.")
        if not errors:
            try:
                time_off.request_time_off(session, contractor, data)
            except InvalidInput as invalid:
                errors = {name: _("Check this value.") for name in invalid.errors}
            except Conflict:
                errors = {"starts_on": _("These dates overlap another request.")}
            else:
                flash(_("Your request is sent. You will hear when it is decided."), "success")
                return redirect(url_for("portal.time_off_page"), 303)
        status = 422
    requests = session.scalars(time_off.list_query(contractor.id)).all()
    return render(
        "portal/time_off.html",
        status,
        items=[time_off.for_contractor(r) for r in requests],
        kinds=TIME_OFF_KIND_LABELS,
        statuses=TIME_OFF_STATUS_LABELS,
        errors=errors,
        values=values,
    )
