"""The charts say what the reports say (issue 23): tier t and above against tier t's cap,
gaps for suppressed weeks, no legend entry without a line, the filters in the title, no
text under 9 pt. The plotted values are read back from the matplotlib artists."""

from __future__ import annotations

import copy
import datetime as dt
import math
from typing import Any

from flask.testing import FlaskClient
from matplotlib.figure import Figure
from matplotlib.text import Text

from tests.reports.test_exposure_report import (
    PERIOD,
    population,  # noqa: F401  (a fixture)
)
from workforce.reports import chart

URL = "/api/v1/reports/exposure"
CAPS: dict[int, int | None] = {1: 480, 2: 360, 3: 240}


def lines(figure: Figure) -> dict[str, list[float]]:
    """The plotted lines by legend label (dashed cap lines have none)."""
    (axes,) = figure.axes
    return {
        line.get_label(): [float(y) for y in line.get_ydata()]
        for line in axes.get_lines()
        if not line.get_label().startswith("_")
    }


def legend(figure: Figure) -> list[str]:
    (axes,) = figure.axes
    found = axes.get_legend()
    return [] if found is None else [text.get_text() for text in found.get_texts()]


def texts(figure: Figure) -> list[Text]:
    return [t for t in figure.findobj(Text) if t.get_visible() and t.get_text().strip()]


def label(tier: int) -> str:
    return "tier 1 and above (all exposure)" if tier == 1 else f"tier {tier} and above"


def test_the_lines_are_the_reports_figures_at_each_tier_and_above(
    client: FlaskClient,
    admin: dict[str, str],
    population: dict[str, list[int]],  # noqa: F811
) -> None:
    body = client.get(f"{URL}?{PERIOD}&group_by=week&country=KE", headers=admin).json
    figure = chart.exposure_figure(body, CAPS)
    plotted = lines(figure)
    weeks = [row["week"] for row in body["rows"]]
    assert weeks == ["2026-03-02", "2026-03-09"]
    for tier in (1, 2, 3):
        metric = chart.tier_metric(tier)
        assert plotted[label(tier)] == [row[metric] for row in body["rows"]], tier
    # nobody did tier-2 work, yet tier-3 work counts at tier 2 and above, against tier 2's
    # cap: the rule days_over_tier2_cap counts by (a line at exactly tier 2 would be empty)
    assert plotted[label(2)] == plotted[label(3)] and min(plotted[label(2)]) > 0
    assert all(a >= b for a, b in zip(plotted[label(1)], plotted[label(2)], strict=True))
    # the dashed caps, one per tier drawn, at the caps
    (axes,) = figure.axes
    dashed = sorted(
        line.get_ydata()[0] for line in axes.get_lines() if line.get_linestyle() == "--"
    )
    assert dashed == [240, 360, 480]
    assert legend(figure) == [label(1), label(2), label(3)]


def test_a_tier_without_a_line_is_not_in_the_legend(
    client: FlaskClient,
    admin: dict[str, str],
    population: dict[str, list[int]],  # noqa: F811
) -> None:
    body = client.get(f"{URL}?{PERIOD}&group_by=week&category=harassment", headers=admin).json
    figure = chart.exposure_figure(body, CAPS)
    assert legend(figure) == [label(1)]
    assert list(lines(figure)) == [label(1)]
    # no cap drawn for a tier that has no line
    (axes,) = figure.axes
    assert [line.get_ydata()[0] for line in axes.get_lines() if line.get_linestyle() == "--"] == [
        480
    ]


def test_a_suppressed_week_is_a_gap_not_a_bridge(
    client: FlaskClient,
    admin: dict[str, str],
    population: dict[str, list[int]],  # noqa: F811
) -> None:
    body = client.get(
        f"{URL}?from=2026-02-23&to=2026-03-22&group_by=week&country=KE", headers=admin
    ).json
    hidden = copy.deepcopy(body)
    middle = next(row for row in hidden["rows"] if row["week"] == "2026-03-09")
    middle["suppressed"] = True
    for metric in body["metrics"]:
        middle[metric] = None
    plotted = lines(chart.exposure_figure(hidden, CAPS))[label(3)]
    # four weeks on the axis: no work in the first and last, the middle one suppressed
    weeks = chart.period_weeks(
        dt.date.fromisoformat("2026-02-23"), dt.date.fromisoformat("2026-03-22")
    )
    assert weeks == ["2026-02-23", "2026-03-02", "2026-03-09", "2026-03-16"]
    assert [math.isnan(v) for v in plotted] == [True, False, True, True]
    first = next(row for row in body["rows"] if row["week"] == "2026-03-02")
    assert plotted[1] == first["mean_daily_minutes_tier3_and_above"]


def test_the_title_names_the_filters_and_no_text_is_under_9_points(
    client: FlaskClient,
    admin: dict[str, str],
    population: dict[str, list[int]],  # noqa: F811
) -> None:
    query = f"{PERIOD}&country=KE&queue=gore&modality=unknown&mitigation=unknown"
    response = client.get(f"/api/v1/reports/exposure.png?{query}", headers=admin)
    assert response.status_code == 200 and response.data.startswith(b"\x89PNG")
    run = client.get(f"/api/v1/reports/runs/{response.headers['X-Report-Run']}", headers=admin).json
    assert run["filters"] == {
        "country": "KE",
        "queue": "gore",
        "modality": "unknown",
        "mitigation": "unknown",
    }
    assert run["group_by"] == ["week"]
    figure = chart.exposure_figure(run, CAPS)
    (axes,) = figure.axes
    title = axes.get_title()
    for part in ("2026-03-02", "2026-03-15", "country KE", "queue gore", "modality unknown"):
        assert part in title, part
    assert "mitigation unknown" in title and "under 10 contractors hidden" in title
    small = [(t.get_text(), t.get_fontsize()) for t in texts(figure) if t.get_fontsize() < 9]
    assert small == []


def test_the_pay_chart_is_legible_and_names_its_grouping() -> None:
    content: dict[str, Any] = {
        "key_columns": ["country", "year", "currency"],
        "group_by": "country",
        "rows": [
            {
                "country": "KE",
                "year": 2026,
                "currency": "KES",
                "suppressed": False,
                "base_percentile": "61.5",
                "effective_percentile": "70.25",
                "target_percentile": "65",
            },
            {
                "country": "UG",
                "year": 2026,
                "currency": "UGX",
                "suppressed": True,
                "base_percentile": None,
                "effective_percentile": None,
                "target_percentile": None,
            },
        ],
        "period": {"from": "2026-03-01", "to": "2026-03-31"},
        "filters": {"reporting_currency": "USD"},
        "min_group": 10,
    }
    figure = chart.pay_figure(content)
    (axes,) = figure.axes
    heights = sorted(bar.get_height() for bar in axes.patches)
    assert heights == [61.5, 70.25]  # the suppressed row is a gap
    assert "reporting_currency USD" in axes.get_title() and "per country" in axes.get_title()
    assert [t.get_text() for t in texts(figure) if t.get_fontsize() < 9] == []
