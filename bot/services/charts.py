"""The four-week chart as a PNG, drawn to be read on a phone.

Uses matplotlib's object-oriented API (`Figure` + `FigureCanvasAgg`): no pyplot, no global
state, no display, so it is safe in a worker thread. Rendering takes a few hundred ms; call
`render_chart` through `asyncio.to_thread` from async code.

Layout: one row per week (oldest at the top), seven bars labelled with day abbreviations,
the count above each bar, the goal as a dashed line. 1080 x 1350 px (4:5, what Telegram shows
full width on a phone), large fonts, high contrast; days off and paused days are hatched grey;
a forgiven ("repaired") missed day has a blue background and a blue bar, so it reads neither as
met nor as a day that broke the streak.
"""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from bot.services.progress import Progress, Status, Week

WIDTH_PX, HEIGHT_PX, DPI = 1080, 1350, 100

MET = "#0b6e4f"  # dark green
BELOW = "#d95f02"  # orange: visible to red-green colour-blind readers against the green
OFF = "#d9d9d9"
REPAIRED = "#1f5fbf"  # blue: apart from green and orange for every common colour blindness
REPAIRED_BACK = "#d6e4f7"
BELOW_BACK = "#fbe1cc"  # a missed day that broke the streak, visible even with 0 breaks
INK = "#1a1a1a"
GOAL = "#1a1a1a"


@dataclass(frozen=True)
class ChartLabels:
    """Every word on the chart, already in the subscriber's language."""

    title: str
    goal: str  # e.g. "goal 3"
    met: str
    below: str
    off: str
    repaired: str
    day_names: tuple[str, ...]  # Monday first
    week_titles: tuple[str, ...]  # one per week, oldest first


def render_chart(progress: Progress, labels: ChartLabels) -> bytes:
    """PNG bytes of the last weeks per day."""
    fig = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI, facecolor="white")
    FigureCanvasAgg(fig)
    top = max([progress.goal, *(d.count for w in progress.weeks for d in w.days)])
    ymax = top * 1.35 + 0.3
    axes = fig.subplots(len(progress.weeks), 1, squeeze=False)[:, 0]
    fig.subplots_adjust(left=0.04, right=0.96, top=0.8, bottom=0.05, hspace=0.6)
    for ax, week, title in zip(axes, progress.weeks, labels.week_titles, strict=True):
        _draw_week(ax, week, progress, labels, title, ymax)
    fig.suptitle(
        f"{labels.title} · {labels.goal}", fontsize=38, fontweight="bold", color=INK, y=0.975
    )
    fig.legend(
        handles=[
            Patch(facecolor=MET, label=labels.met),
            Patch(facecolor=BELOW, label=labels.below),
            Patch(facecolor=REPAIRED, label=labels.repaired),
            Patch(facecolor=OFF, hatch="//", edgecolor="#9a9a9a", label=labels.off),
        ],
        loc="upper center",
        bbox_to_anchor=(0.5, 0.945),
        ncol=2,
        fontsize=24,
        frameon=False,
        handlelength=1.2,
        columnspacing=1.4,
    )
    buffer = BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, facecolor="white")
    return buffer.getvalue()


def _draw_week(
    ax: Axes, week: Week, progress: Progress, labels: ChartLabels, title: str, ymax: float
) -> None:
    ax.set_title(title, fontsize=28, color=INK, loc="left", fontweight="bold", pad=10)
    ax.set_ylim(0, ymax)
    ax.set_xlim(-0.6, 6.6)
    for x, day in enumerate(week.days):
        if day.status in (Status.OFF, Status.PAUSED):
            ax.bar(x, ymax, width=0.92, color=OFF, hatch="//", edgecolor="#9a9a9a", linewidth=0)
        if day.status in (Status.REPAIRED, Status.MISSED):
            back = REPAIRED_BACK if day.status is Status.REPAIRED else BELOW_BACK
            ax.bar(x, ymax, width=0.92, color=back, linewidth=0)
        if day.status in (Status.MISSED, Status.REPAIRED) or day.count:
            colour = MET if day.status is Status.MET else BELOW
            if day.status is Status.REPAIRED:
                colour = REPAIRED
            if day.status in (Status.OFF, Status.PAUSED):
                colour = "#7a7a7a"
            ax.bar(x, day.count, width=0.7, color=colour, zorder=3)
            ax.text(
                x,
                day.count + ymax * 0.04,
                str(day.count),
                ha="center",
                va="bottom",
                fontsize=26,
                fontweight="bold",
                color=INK,
                zorder=4,
            )
        if day.day == progress.today:
            ax.bar(x, ymax, width=0.92, fill=False, edgecolor=INK, linewidth=3, zorder=5)
    ax.axhline(progress.goal, color=GOAL, linestyle=(0, (5, 3)), linewidth=2.5, zorder=4)
    ax.set_xticks(range(7), labels.day_names)
    ax.tick_params(axis="x", labelsize=26, length=0, colors=INK, labelbottom=True)
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.spines["bottom"].set_color(INK)
    ax.spines["bottom"].set_linewidth(2)
