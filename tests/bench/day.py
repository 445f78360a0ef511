"""A week of reminders at Telegram's send limit: lateness and skips for a realistic mix.

--model runs bot.scheduling.capacity (the fluid queue) over the week from --week (a Monday)
for N subscribers of the issue-20 mix, generated in arrival order (seeded):
- where: 70 % Netherlands and Belgium, 10 % United Kingdom, 10 % Germany and France, 10 %
  United States (four zones), see MIX;
- when: 80 % default times on working days; 20 % chosen times: 1 to 4 times each, clustered on
  whole and half hours (half :00, 30 % :30, 15 % :15 or :45, 5 % another five minutes) between
  07:00 and 18:55, on working days (80 %) or every day (20 %); --chosen spread puts them on
  any minute instead (to see what the clustering costs);
- 10 % paused, until a moment uniform over the two weeks from --week (about half of them for
  the whole week).
Default times come from one of two schemes: "today" (defaults.default_times: a stable hash
offset within ±15 minutes) or "load_aware" (defaults.load_aware_minutes within ±--window
minutes, each new subscriber placed against the load of all who came before, pauses left
out: what registration does when wired to capacity.weekly_load).

For each scheme, each --rates value and each --early-start value (seconds a crowded minute
may start early, as the dispatcher does with EARLY_START_MAX_SECONDS; 0 = every minute on
time): sends due, sent, skipped (more than --max-late minutes late, or closer to the chat's
next slot than to its own), lateness p50/p99/max weighted by sends (from the due moment; a
send that left early is 0 late), the sends that left early and how early (p99/max), and how
long the model took. Then, at the first rate, the largest subscriber count (a prefix of the
same arrival order) with p99 < 60 s and 0 skipped, by bisection, for both schemes and each
--early-start value (`largest_fitting`: the largest value; `largest_fitting_on_time`: 0;
with more than two values, all in `largest_fitting_by_early_start`).

--live runs the real bot (Application, JobQueue dispatcher job, RateLimiter, HTTP to the
Bot API stand-in) through one UTC day (WEEK's Monday, 1 June 2026) for N subscribers of the mix
(--scheme: today's defaults unless told), on a shared simulated clock that moves only while
the bot waits for time (see tests/bench/day_live.py), and compares the measured
lateness with the model's prediction for exactly those schedules over that day.

    python tests/bench/day.py --model --subscribers 1000000 --out docs/benchmarks/day_model.json
    python tests/bench/day.py --live --subscribers 20000 --out docs/benchmarks/day_live.json
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # this worktree's `bot`

import numpy as np

from bot.config import Settings
from bot.scheduling import capacity
from bot.scheduling.defaults import (
    DEFAULT_WINDOW_MINUTES,
    candidate_slots,
    default_times,
    load_aware_minutes,
)
from bot.scheduling.rules import EARLY_START_LIMIT_S
from bot.storage.models import ALL_DAYS, WORKDAYS
from tests.bench.common import FIRST_ID, Stopwatch, emit, machine, print_table

MIX: tuple[tuple[str, float], ...] = (
    ("Europe/Amsterdam", 0.45),
    ("Europe/Brussels", 0.25),
    ("Europe/London", 0.10),
    ("Europe/Berlin", 0.06),
    ("Europe/Paris", 0.04),
    ("America/New_York", 0.05),
    ("America/Chicago", 0.03),
    ("America/Denver", 0.005),
    ("America/Los_Angeles", 0.015),
)
WEEK = date(2026, 6, 1)  # a Monday away from daylight-saving changes
SCHEMES = ("today", "load_aware")
DEFAULT_EARLY_START_S = float(Settings.model_fields["early_start_max_seconds"].default)


def _chosen_minute(rng: random.Random, clustered: bool = True) -> int:
    hour = rng.randrange(7, 19)
    if not clustered:
        return hour * 60 + rng.randrange(60)
    roll = rng.random()
    if roll < 0.5:
        minute = 0
    elif roll < 0.8:
        minute = 30
    elif roll < 0.95:
        minute = rng.choice((15, 45))
    else:
        minute = rng.choice((5, 10, 20, 25, 35, 40, 50, 55))
    return hour * 60 + minute


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


Row = tuple[list[str], int, str, datetime | None, int]


class Mix:
    """The population in arrival order; default times filled in per scheme."""

    def __init__(
        self, count: int, *, seed: int = 1, week: date = WEEK, clustered: bool = True
    ) -> None:
        rng = random.Random(seed)
        self.week = week
        self.start = datetime.combine(week, datetime.min.time(), tzinfo=UTC)
        zones, weights = [z for z, _ in MIX], [w for _, w in MIX]
        self.tz = rng.choices(zones, weights=weights, k=count)
        self.chosen: list[list[str] | None] = []
        self.days: list[int] = []
        self.paused: list[datetime | None] = []
        for _ in range(count):
            if rng.random() < 0.2:
                n = rng.choices((1, 2, 3, 4), weights=(15, 25, 40, 20))[0]
                picks: set[int] = set()
                while len(picks) < n:
                    picks.add(_chosen_minute(rng, clustered))
                self.chosen.append([_hhmm(m) for m in sorted(picks)])
                self.days.append(WORKDAYS if rng.random() < 0.8 else ALL_DAYS)
            else:
                self.chosen.append(None)
                self.days.append(WORKDAYS)
            paused = None
            if rng.random() < 0.1:
                paused = self.start + timedelta(seconds=rng.uniform(0, 14 * 86400))
            self.paused.append(paused)

    def __len__(self) -> int:
        return len(self.tz)

    def rows(self, scheme: str, *, window: int = DEFAULT_WINDOW_MINUTES) -> list[Row]:
        """Every subscriber's schedule, default times by `scheme`, in arrival order."""
        if scheme == "today":
            times = [
                c if c is not None else default_times(FIRST_ID + i)
                for i, c in enumerate(self.chosen)
            ]
        else:
            times = self._load_aware(window)
        return [
            (t, d, z, p, 1)
            for t, d, z, p in zip(times, self.days, self.tz, self.paused, strict=True)
        ]

    def _load_aware(self, window: int) -> list[list[str]]:
        """Registration one by one, each against the load of everyone before (7 x 1440)."""
        load = np.zeros((7, 24 * 60))
        flat = load.ravel()
        out: list[list[str]] = []
        for i, chosen in enumerate(self.chosen):
            tz, days = self.tz[i], self.days[i]
            if chosen is None:
                minutes = load_aware_minutes(
                    FIRST_ID + i, load, tz, days, window_minutes=window, week_of=self.week
                )
                out.append([_hhmm(m) for m in minutes])
            else:
                minutes = [int(t[:2]) * 60 + int(t[3:]) for t in chosen]
                out.append(chosen)
            for minute in minutes:  # its slots in the week: UTC cells of the chat's days
                flat[list(candidate_slots(tz, days, minute, 0, self.week)[0])] += 1
        return out


def run_model(
    rows: Sequence[Row],
    start: datetime,
    rate: float,
    *,
    max_late: int,
    per_day: bool = True,
    early_start_max: float = 0.0,
) -> tuple[dict[str, Any], capacity.Prediction, capacity.Demand]:
    watch, cpu = Stopwatch(), time.process_time()
    population = capacity.aggregate(rows, start)
    aggregated_s, aggregated_cpu_s = watch.elapsed, time.process_time() - cpu
    demand = capacity.demand(population)
    prediction = capacity.simulate(
        demand, rate, max_late_minutes=max_late, per_day=per_day, early_start_max_s=early_start_max
    )
    result = {
        "subscribers": len(rows),
        "schedules": len(population.groups),
        "reminders_due": round(prediction.reminders_due),
        "sent": round(prediction.sent),
        "skipped": round(prediction.skipped),
        "skipped_too_late": round(prediction.skipped_too_late),
        "skipped_closer_to_next": round(prediction.skipped_closer_to_next),
        "lateness_p50_s": round(prediction.lateness_p50_s, 1),
        "lateness_p99_s": round(prediction.lateness_p99_s, 1),
        "lateness_max_s": round(prediction.lateness_max_s, 1),
        "limit_per_s": rate,
        "early_start_max_s": early_start_max,
        "sent_early": round(prediction.sent_early),
        "earliness_p99_s": round(prediction.earliness_p99_s, 1),
        "earliness_max_s": round(prediction.earliness_max_s, 1),
        "busiest_minute_sends": round(float(demand.per_minute().max())),
        "peak_backlog": round(prediction.peak_backlog),
        "model_s": round(watch.elapsed, 2),
        "model_cpu_s": round(time.process_time() - cpu, 2),
        "aggregate_s": round(aggregated_s, 2),
        "aggregate_cpu_s": round(aggregated_cpu_s, 2),
    }
    return result, prediction, demand


def largest_fitting(
    rows: Sequence[Row],
    start: datetime,
    rate: float,
    *,
    max_late: int,
    target_p99_s: float = 60.0,
    step: int = 1000,
    early_start_max: float = 0.0,
) -> dict[str, Any]:
    """The largest prefix of the arrival order that keeps p99 under target and skips none."""

    def fits(n: int) -> bool:
        _, prediction, _ = run_model(
            rows[:n], start, rate, max_late=max_late, per_day=False, early_start_max=early_start_max
        )
        return prediction.fits(target_p99_s)

    low, high = 0, len(rows)
    if fits(high):
        return {"subscribers": high, "bounded_by_population": True}
    while high - low > step:
        middle = (low + high) // 2 // step * step or step
        if middle in (low, high):
            break
        if fits(middle):
            low = middle
        else:
            high = middle
    return {"subscribers": low, "resolution": step, "bounded_by_population": False}


def model(args: argparse.Namespace) -> dict[str, Any]:
    watch = Stopwatch()
    mix = Mix(args.subscribers, seed=args.seed, clustered=args.chosen == "clustered")
    generated: dict[str, list[Row]] = {}
    timings: dict[str, float] = {"generate_mix_s": round(watch.elapsed, 1)}
    for scheme in SCHEMES:
        watch.restart()
        generated[scheme] = mix.rows(scheme, window=args.window)
        timings[f"assign_{scheme}_s"] = round(watch.elapsed, 1)
    scenarios: list[dict[str, Any]] = []
    series: dict[str, Any] = {}
    for scheme in SCHEMES:
        for rate, early in ((r, e) for r in args.rates for e in args.early_start):
            figures, prediction, demand = run_model(
                generated[scheme], mix.start, rate, max_late=args.max_late, early_start_max=early
            )
            scenario = {"scheme": scheme, **figures}
            scenario["days"] = [
                {
                    "day": day.day.isoformat(),
                    "due": round(day.due),
                    "skipped": round(day.skipped),
                    "lateness_p50_s": round(day.lateness_p50_s, 1),
                    "lateness_p99_s": round(day.lateness_p99_s, 1),
                    "lateness_max_s": round(day.lateness_max_s, 1),
                }
                for day in prediction.days
            ]
            scenarios.append(scenario)
            when = f"early start up to {early:g} s" if early else "on time"
            print_table(
                f"{scheme} defaults, {args.subscribers:,} subscribers, {rate:g} msg/s, {when}",
                [
                    ("reminders due in the week", f"{scenario['reminders_due']:,}"),
                    ("sent / skipped", f"{scenario['sent']:,} / {scenario['skipped']:,}"),
                    (
                        "skipped: too late / closer to next",
                        f"{scenario['skipped_too_late']:,} / "
                        f"{scenario['skipped_closer_to_next']:,}",
                    ),
                    (
                        "lateness p50 / p99 / max",
                        f"{scenario['lateness_p50_s']} / {scenario['lateness_p99_s']} / "
                        f"{scenario['lateness_max_s']} s",
                    ),
                    (
                        "sent early: count, p99 / max early",
                        f"{scenario['sent_early']:,}, {scenario['earliness_p99_s']} / "
                        f"{scenario['earliness_max_s']} s",
                    ),
                    ("busiest minute", f"{scenario['busiest_minute_sends']:,} sends"),
                    ("peak backlog", f"{scenario['peak_backlog']:,}"),
                    ("schedules after grouping", f"{scenario['schedules']:,}"),
                    (
                        "model time: wall / CPU",
                        f"{scenario['model_s']} / {scenario['model_cpu_s']} s (grouping "
                        f"{scenario['aggregate_s']} / {scenario['aggregate_cpu_s']} s)",
                    ),
                ],
            )
            if rate == args.rates[0] and early == args.early_start[0]:
                busiest = max(range(7), key=lambda d: prediction.days[d].due)
                day = demand.per_minute()[busiest * 1440 : (busiest + 1) * 1440]
                series[f"series_{scheme}_busiest_day_per_minute"] = day.round().astype(int).tolist()
    result: dict[str, Any] = {
        "benchmark": "day_model",
        "week": mix.week.isoformat(),
        "chosen_times": args.chosen,
        "window_minutes": args.window,
        "max_late_minutes": args.max_late,
        "early_start_s": args.early_start,
        "scenarios": scenarios,
    }
    if args.bisect:
        rate = args.rates[0]
        for early in sorted(set(args.early_start)):
            fitting: dict[str, Any] = {
                "limit_per_s": rate,
                "target_p99_s": 60.0,
                "early_start_max_s": early,
            }
            for scheme in SCHEMES:
                watch.restart()
                found = largest_fitting(
                    generated[scheme],
                    mix.start,
                    rate,
                    max_late=args.max_late,
                    early_start_max=early,
                )
                fitting[scheme] = {**found, "search_s": round(watch.elapsed, 1)}
            if early == max(args.early_start):
                result["largest_fitting"] = fitting
            if early == 0 and max(args.early_start) > 0:
                result["largest_fitting_on_time"] = fitting
            if len(set(args.early_start)) > 2:  # every cap compared, by its value
                result.setdefault("largest_fitting_by_early_start", {})[f"{early:g}"] = fitting
            when = f"early start up to {early:g} s" if early else "on time"
            print_table(
                f"Largest subscriber count with p99 < 60 s and 0 skipped at {rate:g} msg/s, {when}",
                [(scheme, f"{fitting[scheme]['subscribers']:,}") for scheme in SCHEMES],
            )
    result["timings"] = timings
    result.update(series)
    return result


def relative(measured: float, predicted: float) -> float | None:
    return round((measured - predicted) / predicted, 4) if predicted else None


def live(args: argparse.Namespace) -> dict[str, Any]:
    """The real bot through the first day of --week, and the model for the same schedules."""
    import asyncio

    from tests.bench import day_live

    watch = Stopwatch()
    mix = Mix(args.subscribers, seed=args.seed, clustered=args.chosen == "clustered")
    rows = mix.rows(args.scheme, window=args.window)
    measured = asyncio.run(
        day_live.run_live(
            rows,
            mix.start,
            limit=args.limit,
            tick=args.tick_seconds,
            seed_value=args.seed,
            database_url=args.database_url,
        )
    )
    rate = day_live.effective_rate(args.limit)
    predicted = day_live.model_day(
        rows, mix.start, rate, max_late=args.max_late, tick=args.tick_seconds
    )
    plain = day_live.model_day(rows, mix.start, args.limit, max_late=args.max_late)
    result: dict[str, Any] = {
        "benchmark": "day_live",
        "day": mix.week.isoformat(),
        "scheme": args.scheme,
        "chosen_times": args.chosen,
        "clock": "event (simulated, moves while the bot waits)",
        "tick_seconds": args.tick_seconds,
        "max_late_minutes": args.max_late,
        "subscribers": len(rows),
        **{k: v for k, v in measured.items() if not k.startswith("series_")},
        "limit_per_s": args.limit,
        "wall_s": round(watch.elapsed, 1),
        "model": predicted,
        "model_without_tick_at_limit": plain,
        "difference_p50": relative(measured["lateness_p50_s"], predicted["lateness_p50_s"]),
        "difference_p99": relative(measured["lateness_p99_s"], predicted["lateness_p99_s"]),
        "series_lateness_quantiles": measured["series_lateness_quantiles"],
    }
    lat = "lateness p50 / p99 / max"
    print_table(
        f"One day ({result['day']}, UTC) of {len(rows):,} subscribers, {args.scheme} defaults, "
        f"{args.limit:g} msg/s",
        [
            (
                "reminders due",
                f"{result['reminders_due']:,} (model {predicted['reminders_due']:,})",
            ),
            ("sent / skipped", f"{result['sent']:,} / {result['skipped']:,}"),
            (
                f"{lat}, live",
                f"{result['lateness_p50_s']} / {result['lateness_p99_s']} / "
                f"{result['lateness_max_s']} s",
            ),
            (
                f"{lat}, model",
                f"{predicted['lateness_p50_s']} / {predicted['lateness_p99_s']} / "
                f"{predicted['lateness_max_s']} s (at {predicted['model_rate_per_s']:g} msg/s, "
                f"tick {args.tick_seconds:g} s)",
            ),
            (
                "live vs model at p50 / p99",
                f"{result['difference_p50']:+.1%} / {result['difference_p99']:+.1%} "
                "(target within 10 %)",
            ),
            (
                f"{lat}, model w/o tick at {args.limit:g}",
                f"{plain['lateness_p50_s']} / {plain['lateness_p99_s']} / "
                f"{plain['lateness_max_s']} s",
            ),
            ("busiest minute", f"{predicted['busiest_minute_sends']:,} sends due"),
            (
                "rate reached, busiest minutes",
                ", ".join(
                    f"{b['minute']} {b['rate_per_s']}/s"
                    for b in result["busiest_minutes_rate_per_s"]
                ),
            ),
            (
                "duplicates / sent not seen / 429s",
                f"{result['duplicates']} / {result['sent_not_seen']} / {result['http_429']}",
            ),
            ("delivery rows", result["delivery_rows"]),
            ("ticks / busy periods", f"{result['ticks']:,} / {result['busy_periods']:,}"),
            (
                "wall: seed / start / day / total",
                f"{result['seed_s']} / {result['startup_s']} / {result['day_wall_s']} / "
                f"{result['wall_s']} s",
            ),
        ],
    )
    return result


def _outcome(scenario: dict[str, Any]) -> str:
    """One scenario in a few words for the chart's legend."""
    early = scenario.get("early_start_max_s", 0)
    when = f"early start ≤{early:g} s" if early else "on time"
    text = f"{when}: p99 {scenario['lateness_p99_s']:.0f} s late, {scenario['skipped']:,} skipped"
    if scenario.get("sent_early"):
        text += f", max {scenario['earliness_max_s']:.0f} s early"
    return text


def draw(result: dict[str, Any], out: Path) -> Path:
    """The busiest day's reminders per minute, both default schemes, against the limit."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    subscribers = result["scenarios"][0]["subscribers"]
    fig = Figure(figsize=(11, 6.5), dpi=90, layout="constrained")
    axes = fig.subplots(2, 1, sharex=True)
    for ax, scheme, label in zip(
        axes,
        SCHEMES,
        ("today: ±15 minutes by hash", "load-aware: least-loaded within ±45"),
        strict=True,
    ):
        series = np.asarray(result[f"series_{scheme}_busiest_day_per_minute"], dtype=float)
        hours = np.arange(len(series)) / 60
        ax.fill_between(hours, series, step="post", color="tab:blue", alpha=0.6, lw=0)
        found = [x for x in result["scenarios"] if x["scheme"] == scheme]
        rates = sorted({x["limit_per_s"] for x in found})
        for rate, style in zip(rates, ("--", ":", "-."), strict=False):
            ax.axhline(
                rate * 60,
                color="tab:red",
                ls=style,
                lw=1.2,
                label=f"{rate:g} msg/s: "
                + "; ".join(_outcome(x) for x in found if x["limit_per_s"] == rate),
            )
        ax.set_title(
            f"{label}: busiest minute {found[0]['busiest_minute_sends']:,} reminders",
            fontsize=10,
        )
        ax.set_ylabel("reminders due per minute")
        ax.set_ylim(0, max(float(series.max(initial=0)), max(rates) * 60) * 1.3)  # legend room
        ax.grid(alpha=0.3)
        ax.legend(loc="upper right", fontsize=8)
    axes[1].set_xlabel("hour of the busiest day (UTC)")
    axes[1].set_xlim(0, 24)
    axes[1].set_xticks(range(0, 25, 2))
    fig.suptitle(f"{subscribers:,} subscribers of the issue-20 mix, week of {result['week']}")
    fig.savefig(out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--model", action="store_true", help="the capacity model (fluid queue)")
    mode.add_argument("--live", action="store_true", help="the real bot through one day")
    mode.add_argument("--draw", metavar="JSON", help="only draw --chart from a saved --out")
    parser.add_argument("--subscribers", type=int, default=1_000_000)
    parser.add_argument(
        "--rates",
        type=lambda v: [float(x) for x in v.split(",")],
        default=[30.0, 200.0],
        help="send rates in msg/s, comma-separated; the first is also used for the bisection",
    )
    parser.add_argument(
        "--early-start",
        type=lambda v: [float(x) for x in v.split(",")],
        default=[0.0, DEFAULT_EARLY_START_S],
        help="EARLY_START_MAX_SECONDS values to compare, comma-separated (0: on time; at most "
        f"{EARLY_START_LIMIT_S:g}); the first is the one drawn",
    )
    parser.add_argument("--window", type=int, default=DEFAULT_WINDOW_MINUTES)
    parser.add_argument("--max-late", type=int, default=capacity.DEFAULT_MAX_LATE_MINUTES)
    parser.add_argument("--no-bisect", dest="bisect", action="store_false")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--chosen",
        choices=("clustered", "spread"),
        default="clustered",
        help="chosen times on whole and half hours (the issue's mix), or any minute 07-19 h",
    )
    parser.add_argument(
        "--scheme", choices=SCHEMES, default="today", help="--live: default times by this scheme"
    )
    parser.add_argument(
        "--limit", type=float, default=30.0, help="--live: msg/s of stand-in and bot"
    )
    parser.add_argument("--tick-seconds", type=float, default=5.0, help="--live: TICK_SECONDS")
    parser.add_argument("--database-url", help="--live: default a temporary SQLite file")
    parser.add_argument("--out", help="also write the full result (with series) as JSON")
    parser.add_argument("--chart", help="draw the busiest day of both schemes to this PNG")
    args = parser.parse_args(argv)
    if not all(0 <= e <= EARLY_START_LIMIT_S for e in args.early_start):
        parser.error(f"--early-start values must be between 0 and {EARLY_START_LIMIT_S:g}")
    if args.draw:
        print(draw(json.loads(Path(args.draw).read_text()), Path(args.chart or "day_model.png")))
        return 0
    result = live(args) if args.live else model(args)
    result["machine"] = machine()
    if args.chart:
        draw(result, Path(args.chart))
    emit(result, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
