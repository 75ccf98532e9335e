"""The charts: they say what the report they are drawn from says.

**Exposure** (``/reports/exposure.png``): drawn from the exposure report grouped by week.
Tier t's line is the mean daily minutes per contractor-day at tier t *and above*
(``mean_daily_minutes`` for tier 1, ``mean_daily_minutes_tier{t}_and_above`` otherwise),
held against tier t's daily cap, dashed: the rule ``days_over_tier{t}_cap`` counts by (a
day is over tier t's cap when its seconds at tier t and above exceed it). Every week of the
period has a place on the axis; a suppressed week (or one without work) is a gap in the
line, never bridged. A tier with no exposure in any shown week (no point above zero) is
neither drawn nor in the legend, and neither is its cap.
The title names the period, every filter the report took and the smallest group shown.

**Pay** (``/reports/pay.png``): per row of the pay report, the percentile of the local
wage distribution its base and effective hourly pay reach, each target drawn dashed;
suppressed rows and pay outside the known points are left out (a gap).

Every text is at least :data:`MIN_FONT` points at 100 % zoom (the figure is saved at its
own size, 100 dpi).
"""

from __future__ import annotations

import datetime as dt
import io
import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

TIER_COLOURS = {1: "#4c78a8", 2: "#f58518", 3: "#e45756"}
TIERS = (1, 2, 3)
#: The smallest text drawn (points).
MIN_FONT = 9
DPI = 100


def tier_metric(tier: int) -> str:
    """The report's metric tier ``tier``'s line shows (exposure at that tier and above)."""
    return "mean_daily_minutes" if tier == 1 else f"mean_daily_minutes_tier{tier}_and_above"


def period_weeks(start: dt.date, end: dt.date) -> list[str]:
    """The Mondays of the ISO weeks the period touches, as ``YYYY-MM-DD``."""
    monday = start - dt.timedelta(days=start.weekday())
    weeks = []
    while monday <= end:
        weeks.append(monday.isoformat())
        monday += dt.timedelta(days=7)
    return weeks


def exposure_series(content: dict[str, Any]) -> tuple[list[str], dict[int, list[float]]]:
    """The weeks of the period and, per tier with exposure in a shown week, its values per week
    (``nan`` where the week is suppressed or had no work: a gap)."""
    period = content["period"]
    weeks = period_weeks(dt.date.fromisoformat(period["from"]), dt.date.fromisoformat(period["to"]))
    rows = {row["week"]: row for row in content["rows"]}
    series: dict[int, list[float]] = {}
    for tier in TIERS:
        values = []
        for week in weeks:
            row = rows.get(week)
            value = None if row is None or row["suppressed"] else row.get(tier_metric(tier))
            values.append(math.nan if value is None else float(value))
        if any(v > 0 for v in values if not math.isnan(v)):
            series[tier] = values
    return weeks, series


def _filters(filters: dict[str, Any]) -> str:
    return ", ".join(f"{name} {value}" for name, value in filters.items())


def exposure_figure(content: dict[str, Any], caps: dict[int, int | None]) -> Figure:
    """``content``: an exposure report grouped by week; ``caps``: tier -> daily minutes."""
    weeks, series = exposure_series(content)
    figure = _new_figure()
    axes = figure.subplots()
    xs = list(range(len(weeks)))
    for tier, values in series.items():
        colour = TIER_COLOURS[tier]
        label = "tier 1 and above (all exposure)" if tier == 1 else f"tier {tier} and above"
        axes.plot(xs, values, marker="o", color=colour, label=label)
        cap = caps.get(tier)
        if cap is not None:
            axes.axhline(cap, linestyle="--", linewidth=1, color=colour)
            axes.annotate(
                f"tier {tier} daily cap {cap} min",
                (0, cap),
                xytext=(2, 2),
                textcoords="offset points",
                fontsize=MIN_FONT,
                color=colour,
            )
    axes.set_xticks(xs, weeks, rotation=30, fontsize=MIN_FONT)
    axes.tick_params(axis="y", labelsize=MIN_FONT)
    axes.set_ylabel("mean minutes per contractor-day", fontsize=10)
    axes.set_xlabel("week (Monday)", fontsize=10)
    period = content["period"]
    filters = _filters(content["filters"])
    axes.set_title(
        f"Exposure per contractor-day at each tier and above, {period['from']} to "
        f"{period['to']}\n{filters + '; ' if filters else 'all contractors; '}"
        f"groups under {content['min_group']} contractors hidden (gaps)",
        fontsize=11,
    )
    axes.set_ylim(bottom=0)
    if len(weeks) == 1:
        axes.set_xlim(-0.5, 0.5)
    if series:
        axes.legend(fontsize=MIN_FONT, loc="upper right")
    else:
        axes.text(
            0.5,
            0.5,
            "no week to show",
            transform=axes.transAxes,
            ha="center",
            fontsize=10,
        )
    figure.tight_layout()
    return figure


def _new_figure() -> Figure:
    from matplotlib.figure import Figure  # a third-party library, lazily: start-up stays fast

    return Figure(figsize=(9, 4.8), dpi=DPI)


def _png(figure: Figure) -> bytes:
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI)
    return out.getvalue()


def exposure_png(content: dict[str, Any], caps: dict[int, int | None]) -> bytes:
    return _png(exposure_figure(content, caps))


def pay_figure(content: dict[str, Any]) -> Figure:
    """``content``: a pay report. See the module's docstring."""
    keys = content["key_columns"]
    labels = [" ".join(str(row[k]) for k in keys) for row in content["rows"]]
    figure = _new_figure()
    axes = figure.subplots()
    width = 0.4
    for offset, name, colour in (
        (-width / 2, "base", "#4c78a8"),
        (width / 2, "effective", "#f58518"),
    ):
        xs, heights = [], []
        for i, row in enumerate(content["rows"]):
            value = row[f"{name}_percentile"]
            if not row["suppressed"] and value is not None:
                xs.append(i + offset)
                heights.append(float(value))
        if xs:
            axes.bar(xs, heights, width=width, color=colour, label=f"{name} hourly pay")
    targets = sorted(
        {row["target_percentile"] for row in content["rows"] if row["target_percentile"]}
    )
    for target in targets:
        axes.axhline(float(target), linestyle="--", linewidth=1, color="#e45756")
        axes.annotate(
            f"target p{target}",
            (0, float(target)),
            xytext=(2, 2),
            textcoords="offset points",
            fontsize=MIN_FONT,
            color="#e45756",
        )
    axes.set_xticks(range(len(labels)), labels, rotation=30, fontsize=MIN_FONT)
    axes.tick_params(axis="y", labelsize=MIN_FONT)
    axes.set_ylabel("percentile of local wages", fontsize=10)
    axes.set_ylim(0, 100)
    period = content["period"]
    filters = _filters(content["filters"])
    axes.set_title(
        f"Pay against local wages per {content['group_by']}, {period['from']} to "
        f"{period['to']}\n{filters + '; ' if filters else ''}"
        f"groups under {content['min_group']} contractors hidden (gaps)",
        fontsize=11,
    )
    if axes.get_legend_handles_labels()[0]:
        axes.legend(fontsize=MIN_FONT)
    figure.tight_layout()
    return figure


def pay_png(content: dict[str, Any]) -> bytes:
    return _png(pay_figure(content))
