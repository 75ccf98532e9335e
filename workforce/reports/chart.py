"""The exposure chart: mean daily minutes per contractor-day, per tier and week, with each
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
