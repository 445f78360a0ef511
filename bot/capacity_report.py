"""`rekpauze capacity`: the capacity model on the actual database, as text and a chart.

Reads every subscribed chat's schedule in one grouped query, runs bot.scheduling.capacity
over the seven UTC days from today's midnight, prints the busiest minutes and days, the
predicted lateness and skips per day and how many more subscribers fit, and draws the busiest
day's demand per minute against the send limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot.scheduling import capacity
from bot.storage import capacity as capacity_storage
from bot.storage.db import Database


@dataclass(frozen=True)
class Report:
    demand: capacity.Demand
    prediction: capacity.Prediction
    more: int | None


async def read_rows(url: str, now: datetime) -> list[capacity.ScheduleRow]:
    db = Database(url)
    try:
        async with db.session() as session:
            return [row async for row in capacity_storage.schedules(session, now)]
    finally:
        await db.dispose()


def build(
    rows: list[capacity.ScheduleRow],
    now: datetime,
    rate: float,
    *,
    max_late: int,
    early_start_max: float = 0.0,
    tick_seconds: float = 0.0,
) -> Report:
    """The model as the dispatcher runs: crowded minutes start up to `early_start_max` early
    (EARLY_START_MAX_SECONDS), and a minute is claimed at the dispatcher's next tick
    (TICK_SECONDS; day.py --live checks the model with it). The headroom search leaves the
    tick out: it matters on a quiet minute, not behind the backlog that decides the fit, and
    it would multiply the search's cost by the phases it averages."""
    start = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    demand = capacity.demand(capacity.aggregate(rows, start))
    prediction = capacity.simulate(
        demand,
        rate,
        max_late_minutes=max_late,
        early_start_max_s=early_start_max,
        tick_seconds=min(tick_seconds, 60.0),
    )
    more = capacity.headroom(
        demand, rate, max_late_minutes=max_late, early_start_max_s=early_start_max
    )
    return Report(demand, prediction, more)


def summary(report: Report) -> dict[str, Any]:
    """The prediction in numbers, and the /admin line in every language."""
    from bot.i18n import LANGUAGES

    p = report.prediction
    return {
        "p99_s": round(p.lateness_p99_s, 1),
        "max_s": round(p.lateness_max_s, 1),
        "skipped": round(p.skipped),
        "more": report.more,
        "lines": {
            lang: capacity.summary_line(p, report.demand, report.more, lang) for lang in LANGUAGES
        },
    }


def _s(seconds: float) -> str:
    return f"{seconds:.1f} s"


def text(report: Report, *, top: int = 5) -> list[str]:
    demand, prediction, more = report.demand, report.prediction, report.more
    limit_per_minute = prediction.rate_per_s * 60
    lines = [
        f"subscribers: {demand.subscribers:,} (active, not blocked); "
        f"reminders due {demand.start:%Y-%m-%d} to "
        f"{demand.start + timedelta(days=6):%Y-%m-%d} (UTC): {round(demand.total):,}",
        f"send limit: {prediction.rate_per_s:g} msg/s = {limit_per_minute:,.0f} a minute; "
        f"a slot is skipped past {prediction.max_late_minutes} minutes late or when closer "
        "to the chat's next slot",
        "",
        "busiest minutes (UTC):",
    ]
    for at, sends in capacity.busiest_minutes(demand, top):
        lines.append(
            f"  {at:%a %Y-%m-%d %H:%M}  {sends:,.0f} due  ({sends / limit_per_minute:.2f} x limit)"
        )
    lines += ["", "per day (UTC)   due        skipped  lateness p50 / p99 / max"]
    for day in sorted(prediction.days, key=lambda d: -d.due):
        lines.append(
            f"  {day.day:%a %m-%d}   {day.due:>9,.0f}  {day.skipped:>8,.0f}  "
            f"{_s(day.lateness_p50_s)} / {_s(day.lateness_p99_s)} / {_s(day.lateness_max_s)}"
        )
    lines += [
        "",
        f"week: sent {prediction.sent:,.0f}, skipped {prediction.skipped:,.0f} "
        f"({prediction.skipped_too_late:,.0f} too late, "
        f"{prediction.skipped_closer_to_next:,.0f} closer to the next slot); lateness p50 "
        f"{_s(prediction.lateness_p50_s)}, p99 {_s(prediction.lateness_p99_s)}, max "
        f"{_s(prediction.lateness_max_s)}",
    ]
    if prediction.early_start_max_s > 0:
        lines.append(
            f"early start (crowded minutes, up to {prediction.early_start_max_s:g} s): "
            f"{prediction.sent_early:,.0f} sent before their minute, p99 "
            f"{_s(prediction.earliness_p99_s)}, max {_s(prediction.earliness_max_s)} early"
        )
    if more is None:
        lines.append("capacity: no reminders due, nothing to scale")
    elif more >= 0:
        lines.append(
            f"capacity: {more:,} more subscribers fit at the current mix "
            f"(p99 < {capacity.DEFAULT_TARGET_P99_S:.0f} s, none skipped)"
        )
    else:
        lines.append(
            f"capacity: {-more:,} subscribers too many at the current mix for p99 < "
            f"{capacity.DEFAULT_TARGET_P99_S:.0f} s and none skipped"
        )
    return lines


def draw(report: Report, out: Path) -> Path:
    """The busiest UTC day: reminders due per minute, the backlog, and the send limit."""
    demand, prediction = report.demand, report.prediction
    busiest = max(range(len(prediction.days)), key=lambda d: prediction.days[d].due)
    first = busiest * capacity.MINUTES_PER_DAY
    per_minute = demand.per_minute()[first : first + capacity.MINUTES_PER_DAY]
    # what earlier minutes left waiting when this minute's reminders fell due
    carried = np.clip(
        prediction.backlog[first : first + capacity.MINUTES_PER_DAY] - per_minute, 0, None
    )
    hours = np.arange(len(per_minute)) / 60
    limit = prediction.rate_per_s * 60
    fig = Figure(figsize=(11, 5), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    ax.fill_between(
        hours, per_minute, step="post", color="tab:blue", alpha=0.6, lw=0, label="reminders due"
    )
    ax.step(
        hours,
        carried,
        where="post",
        color="tab:orange",
        lw=1.2,
        label="still waiting from earlier minutes",
    )
    ax.axhline(limit, color="tab:red", ls="--", lw=1.2, label=f"limit {limit:,.0f} a minute")
    day = prediction.days[busiest]
    ax.set_title(
        f"Busiest day {day.day:%a %Y-%m-%d} (UTC): {day.due:,.0f} reminders, "
        f"{prediction.rate_per_s:g} msg/s; lateness p99 {day.lateness_p99_s:.0f} s, "
        f"{day.skipped:,.0f} skipped"
    )
    ax.set_xlabel("hour of the day (UTC)")
    ax.set_ylabel("reminders per minute")
    ax.set_xlim(0, 24)
    ax.set_xticks(range(0, 25, 2))
    top = max(float(per_minute.max(initial=0)), float(carried.max(initial=0)), limit)
    ax.set_ylim(0, top * 1.1)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper right")
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    return out
