"""Signed-in pages for when a contractor works: weekly availability and time off.

Each calls the service its ``/api/v1/me/...`` twin calls (``scheduling.availability`` and
``scheduling.time_off``). Menu order: availability 66, time off 67 (after the calendar).

The availability form has as many rows (a window: from, until) per day as the person
needs, without JavaScript: each day shows its windows and one empty row; "Add a time"
(``action=add-<day>``) and "Remove" (``action=remove-<day>-<row>``) send the form back with
a row more or less, unsaved; "Save" replaces the windows (at most
:data:`~workforce.scheduling.availability.MAX_WINDOWS`). Fields are ``d<day>_<row>_start``
and ``d<day>_<row>_end``; rows are numbered again from 0 on every answer, and an error is
shown next to the field of its row. Planned shifts outside the saved windows are listed on
the page (the ``conflicts`` of ``PUT /me/availability``; ops are told by the service).
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

#: rows a day may have on the form (the service allows this many windows in all)
MAX_ROWS = availability.MAX_WINDOWS
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
_ROW_FIELD = re.compile(r"^d([0-6])_([0-9]{1,2})_(start|end)$")
_ADD = re.compile(r"^add-([0-6])$")
_REMOVE = re.compile(r"^remove-([0-6])-([0-9]{1,2})$")

#: a day's rows: (start, end) as typed
Rows = dict[int, list[tuple[str, str]]]


def _field(day: int, row: int, edge: str) -> str:
    return f"d{day}_{row}_{edge}"


def _rows_from_form(form: MultiDict[str, str]) -> Rows:
    """Every day's rows as sent, in row order, empty ones included (at most MAX_ROWS)."""
    numbers: dict[int, set[int]] = {day: set() for day in range(7)}
    for name in form:
        found = _ROW_FIELD.match(name)
        if found and int(found.group(2)) < MAX_ROWS:
            numbers[int(found.group(1))].add(int(found.group(2)))
    return {
        day: [
            (
                form.get(_field(day, n, "start"), "").strip(),
                form.get(_field(day, n, "end"), "").strip(),
            )
            for n in sorted(numbers[day])
        ]
        for day in range(7)
    }


def _rows_from_windows(windows: list[availability.Window]) -> Rows:
    rows: Rows = {day: [] for day in range(7)}
    for window in windows:
        shown = window.as_dict()
        rows[window.weekday].append((shown["start"], shown["end"]))
    return rows


def _windows(rows: Rows) -> tuple[list[dict[str, Any]], list[tuple[int, int]], dict[str, str]]:
    """The filled rows as windows for the service, the (day, row) of each, and the fields
    that are not a time at all."""
    windows: list[dict[str, Any]] = []
    places: list[tuple[int, int]] = []
    errors: dict[str, str] = {}
    for day, day_rows in rows.items():
        for row, (start, end) in enumerate(day_rows):
            if not start and not end:
                continue
            for edge, value in (("start", start), ("end", end)):
                if not _HHMM.match(value):
                    errors[_field(day, row, edge)] = _("Write the time as HH:MM.")
            windows.append({"weekday": day, "start": start, "end": end})
            places.append((day, row))
    return windows, places, errors


def _service_errors(invalid: InvalidInput, places: list[tuple[int, int]]) -> dict[str, str]:
    """The service's ``windows.<n>.<edge>`` errors on the fields of their rows."""
    errors: dict[str, str] = {}
    for name in invalid.errors:
        parts = name.split(".")
        if len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(places):
            day, row = places[int(parts[1])]
            edge = parts[2] if parts[2] in ("start", "end") else "start"
            errors[_field(day, row, edge)] = _("Check this value.")
        elif name == "windows":
            errors["_form"] = _(
                "You can give at most %(count)s times a week.", count=availability.MAX_WINDOWS
            )
        else:
            errors["_form"] = _("Check this value.")
    return errors


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
    if request.method == "POST":
        if request.form.get("form") == "clear":
            availability.set_windows(session, contractor.id, [])
            flash(_("Saved. You may be planned at any time."), "success")
            return redirect(url_for("portal.availability_page"), 303)
        rows = _rows_from_form(request.form)
        action = request.form.get("action", "save")
        added, removed = _ADD.match(action), _REMOVE.match(action)
        if added:
            day = int(added.group(1))
            if len(rows[day]) < MAX_ROWS:
                rows[day].append(("", ""))
        elif removed:
            day, row = int(removed.group(1)), int(removed.group(2))
            if row < len(rows[day]):
                del rows[day][row]
        else:
            windows, places, errors = _windows(rows)
            if not errors:
                try:
                    outside = availability.set_windows(session, contractor.id, windows)[1]
                except InvalidInput as invalid:
                    errors = _service_errors(invalid, places)
                else:
                    if outside:
                        flash(
                            _(
                                "Saved. Some of your planned shifts are outside these times: "
                                "the operations team has been told and will find cover or "
                                "agree them with you."
                            ),
                            "warning",
                        )
                    else:
                        flash(_("Saved. It applies to shifts planned from now on."), "success")
                    return redirect(url_for("portal.availability_page"), 303)
            status = 422
    else:
        rows = _rows_from_windows(availability.get_windows(session, contractor.id))
        for day_rows in rows.values():
            day_rows.append(("", ""))
    for day_rows in rows.values():
        if not day_rows:
            day_rows.append(("", ""))
    saved = availability.get_windows(session, contractor.id)
    days = get_day_names("wide", locale=current_locale())
    return render(
        "portal/availability.html",
        status,
        days=[
            (
                day,
                days[day],
                [
                    (row, _field(day, row, "start"), start, _field(day, row, "end"), end)
                    for row, (start, end) in enumerate(rows[day])
                ],
            )
            for day in range(7)
        ],
        errors=errors,
        always=not saved,
        outside=availability.planned_outside(session, contractor, saved, db.utcnow()),
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
