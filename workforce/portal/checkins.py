"""Wellbeing check-ins in the portal: the questionnaires, their result, the history.

The same service as ``POST /me/checkins`` scores and stores the answers; a flagged result
opens a referral for a counsellor and changes nothing else. Scores are shown only here, to
the contractor they belong to (the pages are behind their session and never cached).

The questions and answer choices are shown in their published English wording, as the API
serves them: a validated questionnaire reworded by us would no longer be the validated one.
No validated translation is shipped yet, so a page in another language says so (the
template's ``english-only`` note, in the reader's language).
"""

from __future__ import annotations

from typing import Any

from flask import current_app, redirect, request, url_for
from flask.typing import ResponseReturnValue

from workforce import db
from workforce.contractors.models import Contractor
from workforce.errors import NotFound
from workforce.portal.web import page, render
from workforce.translation import N_
from workforce.wellbeing import checkins as service
from workforce.wellbeing.crisis_lines import crisis_line
from workforce.wellbeing.screening import Instrument

#: Past check-ins listed on the page, newest first.
HISTORY = 20

BAND_LABELS = {
    "likely_depression": N_("Very low wellbeing"),
    "poor_wellbeing": N_("Low wellbeing"),
    "adequate": N_("Good wellbeing"),
    "minimal": N_("Minimal"),
    "mild": N_("Mild"),
    "moderate": N_("Moderate"),
    "moderately_severe": N_("Moderately severe"),
    "severe": N_("Severe"),
    "below_cutoff": N_("Below the screening threshold"),
    "probable_ptsd": N_("Above the screening threshold"),
}
INSTRUMENT_SUMMARIES = {
    "who5": N_("Five questions about how you have felt over the last two weeks."),
    "phq9": N_("Nine questions about your mood over the last two weeks."),
    "gad7": N_("Seven questions about worry and anxiety over the last two weeks."),
    "pcl5": N_("Twenty questions about a stressful experience, over the last month."),
}


def _instruments() -> dict[str, Instrument]:
    cutoff = current_app.config["PCL5_CUTOFF"]
    return {i.key: i for i in service.published_instruments(cutoff)}


def _answers(instrument: Instrument, form: Any) -> tuple[list[int], set[int]]:
    """The answers in item order, and the items left unanswered (or answered off the scale)."""
    answers, missing = [], set()
    for number in range(1, len(instrument.items) + 1):
        raw = form.get(f"q{number}", "")
        value = int(raw) if raw.isdigit() and len(raw) < 3 else None
        if value is None or not instrument.min_value <= value <= instrument.max_value:
            missing.add(number)
        else:
            answers.append(value)
    return answers, missing


@page(
    "/checkins",
    nav=N_("Wellbeing check-ins"),
    summary=N_("Short, voluntary questionnaires. Only you and the counsellors see the answers."),
    order=40,
)
def checkins(contractor: Contractor) -> ResponseReturnValue:
    history = (
        db.session()
        .scalars(service.check_ins_query(contractor_id=contractor.id).limit(HISTORY))
        .all()
    )
    return render(
        "portal/checkins.html",
        instruments=_instruments(),
        summaries=INSTRUMENT_SUMMARIES,
        history=history,
        bands=BAND_LABELS,
    )


@page("/checkins/<key>", methods=("GET", "POST"))
def checkin_form(contractor: Contractor, key: str) -> ResponseReturnValue:
    instrument = _instruments().get(key)
    if instrument is None:
        raise NotFound(f"no questionnaire {key!r}")
    missing: set[int] = set()
    chosen: dict[str, str] = {}
    if request.method == "POST":
        answers, missing = _answers(instrument, request.form)
        if not missing:
            check_in = service.record_check_in(
                db.session(),
                contractor.id,
                instrument.key,
                answers,
                pcl5_cutoff=current_app.config["PCL5_CUTOFF"],
            )
            return redirect(url_for("portal.checkin_result", check_in_id=check_in.id), 303)
        chosen = {name: value for name, value in request.form.items() if name.startswith("q")}
    return render(
        "portal/checkin_form.html",
        422 if missing else 200,
        instrument=instrument,
        missing=missing,
        chosen=chosen,
        summary=INSTRUMENT_SUMMARIES[instrument.key],
    )


@page("/checkins/result/<int:check_in_id>")
def checkin_result(contractor: Contractor, check_in_id: int) -> ResponseReturnValue:
    check_in = service.get_check_in(db.session(), check_in_id, contractor_id=contractor.id)
    return render(
        "portal/checkin_result.html",
        check_in=check_in,
        crisis_line=crisis_line(contractor.country),
        instrument=_instruments()[check_in.instrument],
        bands=BAND_LABELS,
    )
