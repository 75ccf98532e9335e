"""The charts. Exposure: mean daily minutes per contractor-day, per tier and week, with each
tier's daily cap drawn as a dashed line. Suppressed groups are left out (a gap)."""

from __future__ import annotations

import io
from typing import Any

TIER_COLOURS = {1: "#4c78a8", 2: "#f58518", 3: "#e45756"}


def exposure_png(content: dict[str, Any], caps: dict[int, int | None]) -> bytes:
    """``content``: an exposure report grouped by week and tier; ``caps``: tier -> minutes."""
    import matplotlib  # lazily: app start-up stays fast

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    weeks = sorted({row["week"] for row in content["rows"]})
    figure = Figure(figsize=(9, 4.5), dpi=100)
    axes = figure.subplots()
    for tier in (1, 2, 3):
        points = {
            row["week"]: row["mean_daily_minutes"]
            for row in content["rows"]
            if row["tier"] == tier and not row["suppressed"]
        }
        xs = [i for i, week in enumerate(weeks) if week in points]
        axes.plot(
            xs,
            [points[weeks[i]] for i in xs],
            marker="o",
            color=TIER_COLOURS[tier],
            label=f"tier {tier}",
        )
        cap = caps.get(tier)
        if cap is not None:
            axes.axhline(cap, linestyle="--", linewidth=1, color=TIER_COLOURS[tier])
            axes.annotate(
                f"tier {tier} daily cap {cap} min",
                (0, cap),
                xytext=(2, 2),
                textcoords="offset points",
                fontsize=7,
                color=TIER_COLOURS[tier],
            )
    axes.set_xticks(range(len(weeks)), weeks, rotation=30, fontsize=8)
    axes.set_ylabel("mean minutes per contractor-day")
    axes.set_xlabel("week (Monday)")
    period = content["period"]
    axes.set_title(
        f"Exposure per tier, {period['from']} to {period['to']} "
        f"(groups under {content['min_group']} contractors hidden)",
        fontsize=10,
    )
    axes.set_ylim(bottom=0)
    axes.legend(fontsize=8)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


def pay_png(content: dict[str, Any]) -> bytes:
    """``content``: a pay report. Per row, the percentile of the local wage distribution
    its base and effective hourly pay reach, with each target percentile drawn dashed.
    Suppressed rows and pay outside the known points are left out (a gap)."""
    import matplotlib  # lazily: app start-up stays fast

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    keys = content["key_columns"]
    labels = [" ".join(str(row[k]) for k in keys) for row in content["rows"]]
    figure = Figure(figsize=(9, 4.5), dpi=100)
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
            fontsize=7,
            color="#e45756",
        )
    axes.set_xticks(range(len(labels)), labels, rotation=30, fontsize=8)
    axes.set_ylabel("percentile of local wages")
    axes.set_ylim(0, 100)
    period = content["period"]
    axes.set_title(
        f"Pay against local wages, {period['from']} to {period['to']} "
        f"(groups under {content['min_group']} contractors hidden)",
        fontsize=10,
    )
    axes.legend(fontsize=8)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()
