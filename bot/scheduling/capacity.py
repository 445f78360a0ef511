"""Capacity model: what the subscribers' schedules ask of one bot token over the coming week.

Telegram lets one bot send about 30 messages a second, and reminders cluster around the same
moments of the day, so punctuality is bounded by that rate, not by the bot. This module turns
schedules into the sends due in each UTC minute (`demand`) and runs them through a fluid queue
at a send rate (`simulate`): backlog, lateness and the skips that follow. Pure code: no clock,
no database, no Telegram.

The fluid queue, and what it leaves out:
- The sends due in a minute arrive together at the start of that minute (every slot is a whole
  minute) and are served first in, first out at `rate` per second, continuously: with backlog B
  ahead of them, d sends of a minute leave between B/rate and (B + d)/rate seconds late. Within
  one minute the order of chats is arbitrary, so a minute's sends are served as a mixture.
- A send is skipped instead when its lateness would pass its deadline: `max_late_minutes`
  (default 60), or, with `skip_closer_to_next`, half the time to the same chat's next slot (a
  slot that late is closer to the next slot than to its own). Skipped sends take no capacity.
  The deadline of each send comes from its own schedule: demand keeps, per minute, how many
  sends have each gap to their chat's next slot.
- With `tick_seconds`, a minute's sends become available only at the dispatcher's first tick
  at or after it (the tick claims due chats every TICK_SECONDS), averaged over the unknown
  phase of the ticks: on a lightly loaded minute that is most of the lateness (a uniform 0 to
  TICK_SECONDS); behind a backlog it hardly matters. tests/bench/day.py --live checks the
  model against the real bot with it, at the rate the RateLimiter paces (98 % of the limit).
- Early start (`early_start_max_s`, the dispatcher's EARLY_START_MAX_SECONDS): a crowded
  minute, whose sends cannot all leave within it at `rate`, joins the queue
  rules.early_start(its sends, rate, max) seconds before it falls due (at the first tick from
  then), so its sends are centred on the minute instead of all trailing it; the queue stays in
  due order (an earlier minute's backlog first). Lateness counts from the due moment and is
  never negative; sends that leave before their minute are counted apart (`sent_early`,
  earliness p99 and max).
- Not modelled: the time the claim itself takes, the per-chat and per-group limits, retries,
  snoozes, digests and broadcasts (which share the rate), a skip decided when the chat is
  claimed (the bot) rather than when its turn to send comes (here: at most the send queue,
  2,000 sends or about a minute, earlier), and the queue at the start of the week (empty).
"""

from __future__ import annotations

import json
import math
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from itertools import chain, pairwise
from typing import NamedTuple

import numpy as np

from bot.i18n import Safe, t
from bot.scheduling.rules import EARLY_START_LIMIT_S, early_start
from bot.scheduling.timemath import local_instant, parse_hhmm, zone

MINUTES_PER_DAY = 24 * 60
WEEK_MINUTES = 7 * MINUTES_PER_DAY
# Gaps to a chat's next slot are stored up to this many minutes; a longer gap is never
# "closer to the next slot" within a maximum lateness of up to half of it.
GAP_CAP = 6 * 60
DEFAULT_MAX_LATE_MINUTES = 60
DEFAULT_TARGET_P99_S = 60.0

# (times "HH:MM" or their JSON text, weekday mask bit 0 = Monday, IANA timezone,
#  paused_until, number of chats)
ScheduleRow = tuple[Sequence[str] | str, int, str, datetime | None, int]


class Group(NamedTuple):
    """Chats with the same schedule; `resume_minute` is the first minute of the horizon their
    reminders may fall in again (0: not paused; `minutes`: paused past the horizon)."""

    times: tuple[str, ...]
    days: int
    timezone: str
    resume_minute: int
    chats: int


@dataclass(frozen=True)
class Population:
    """Schedules grouped by (times, days, timezone, pause) over a horizon from `start`."""

    start: datetime
    minutes: int
    groups: tuple[Group, ...]

    @property
    def subscribers(self) -> int:
        return sum(group.chats for group in self.groups)


def floor_minute(instant: datetime) -> datetime:
    return instant.astimezone(UTC).replace(second=0, microsecond=0)


def _resume_minute(paused_until: datetime | None, start: datetime, minutes: int) -> int:
    """A slot at minute i is sent iff start + i minutes >= paused_until: the ceiling."""
    if paused_until is None:
        return 0
    if paused_until.tzinfo is None:  # SQLite hands back stored UTC without tzinfo
        paused_until = paused_until.replace(tzinfo=UTC)
    seconds = (paused_until - start).total_seconds()
    return min(minutes, max(0, math.ceil(seconds / 60)))


def normalise_times(times: Sequence[str] | str) -> tuple[str, ...]:
    """Sorted distinct "HH:MM" (zero-padded), from a list or its JSON text."""
    if isinstance(times, str):
        times = json.loads(times)
    return tuple(sorted({f"{t.hour:02d}:{t.minute:02d}" for t in map(parse_hhmm, times)}))


def _clean_times(times: tuple[str, ...] | str) -> tuple[str, ...]:
    """Stored times are sorted "HH:MM" already; parse only what is not (or is JSON text)."""
    if (
        not isinstance(times, str)
        and all(len(t) == 5 and t[2] == ":" for t in times)
        and all(a < b for a, b in pairwise(times))
    ):
        return times
    return normalise_times(times)


def aggregate(
    rows: Iterable[ScheduleRow], start: datetime, *, minutes: int = WEEK_MINUTES
) -> Population:
    """Group identical schedules: a million subscribers share far fewer."""
    start = floor_minute(start)
    raw: dict[tuple[tuple[str, ...] | str, int, str, datetime | None], int] = {}
    seen = raw.get
    for times, days, tz_name, paused_until, count in rows:
        key = (times if isinstance(times, str) else tuple(times), days, tz_name, paused_until)
        raw[key] = seen(key, 0) + count
    counts: dict[tuple[tuple[str, ...], int, str, int], int] = {}
    clean: dict[tuple[str, ...] | str, tuple[str, ...]] = {}
    for (raw_times, days, tz_name, paused_until), count in raw.items():
        tidy = clean.get(raw_times)
        if tidy is None:
            tidy = clean[raw_times] = _clean_times(raw_times)
        resume = 0 if paused_until is None else _resume_minute(paused_until, start, minutes)
        group = (tidy, days & 0b1111111, tz_name, resume)
        counts[group] = counts.get(group, 0) + count
    groups = tuple(Group(*key, count) for key, count in counts.items())
    return Population(start, minutes, groups)


@dataclass(frozen=True)
class Demand:
    """Sends due per UTC minute of the horizon, split by the gap to each chat's next slot."""

    start: datetime
    minutes: int
    subscribers: int
    minute: np.ndarray  # int64 (E,): minute index from start
    gap: np.ndarray  # int64 (E,): minutes to the chat's next slot, GAP_CAP when a day or more
    sends: np.ndarray  # float64 (E,): how many

    def per_minute(self) -> np.ndarray:
        return np.bincount(self.minute, weights=self.sends, minlength=self.minutes)

    @property
    def total(self) -> float:
        return float(self.sends.sum())

    def scaled(self, factor: float) -> Demand:
        """The same mix, `factor` times as many subscribers."""
        subscribers = round(self.subscribers * factor)
        return replace(self, subscribers=subscribers, sends=self.sends * factor)


def _local_days(start: datetime, minutes: int, tz_name: str) -> list[date]:
    """Local dates whose slots can fall in the horizon, plus one for the next slot after it."""
    first = start.astimezone(zone(tz_name)).date() - timedelta(days=1)
    count = math.ceil(minutes / MINUTES_PER_DAY) + 3
    return [first + timedelta(days=offset) for offset in range(count)]


def demand(population: Population) -> Demand:
    """Sends due per minute, DST-correct through timemath.local_instant, in numpy.

    Work goes by shape (times, days, timezone): the slots of each shape once, then the counts
    of its groups, a paused group only from its resume minute on.
    """
    start, minutes = population.start, population.minutes
    groups = [g for g in population.groups if g.times and g.days and g.resume_minute < minutes]
    shape_ids: dict[tuple[tuple[str, ...], int, str], int] = {}
    shape_of = np.fromiter(
        (shape_ids.setdefault(g[:3], len(shape_ids)) for g in groups), np.int64, len(groups)
    )
    days_by_tz = {tz: _local_days(start, minutes, tz) for tz in {tz for _, _, tz in shape_ids}}
    n_days = math.ceil(minutes / MINUTES_PER_DAY) + 3
    if not shape_ids:
        empty = np.zeros(0, dtype=np.int64)
        return Demand(start, minutes, population.subscribers, empty, empty, np.zeros(0))
    # Each (timezone, time) in use once: the UTC minute of each of its local days.
    shapes = list(shape_ids)
    lengths = np.fromiter((len(times) for times, _, _ in shapes), np.int64, len(shapes))
    width = int(lengths.max())
    flat_times = list(chain.from_iterable(times for times, _, _ in shapes))
    time_names = sorted(set(flat_times))
    tz_names = sorted(days_by_tz)
    tz_index = {name: index for index, name in enumerate(tz_names)}
    time_index = {name: index for index, name in enumerate(time_names)}
    shape_tz = np.fromiter((tz_index[tz] for _, _, tz in shapes), np.int64, len(shapes))
    time_of = np.fromiter(map(time_index.__getitem__, flat_times), np.int64, len(flat_times))
    pair_key = np.repeat(shape_tz, lengths) * len(time_names) + time_of
    present = np.zeros(len(tz_names) * len(time_names), dtype=bool)
    present[pair_key] = True
    used = np.flatnonzero(present)
    pair_of = (np.cumsum(present) - 1)[pair_key]
    # row 0 pads schedules with fewer times than the longest
    table: list[list[int]] = [[0] * n_days]
    weekdays: list[list[int]] = [[0] * n_days]
    for key in used.tolist():
        tz_name, clock = (
            tz_names[key // len(time_names)],
            parse_hhmm(time_names[key % len(time_names)]),
        )
        tz, local_days = zone(tz_name), days_by_tz[tz_name]
        table.append(
            [
                int((local_instant(day, clock, tz) - start).total_seconds() // 60)
                for day in local_days
            ]
        )
        weekdays.append([day.weekday() for day in local_days])
    pairs = np.zeros((len(shapes), width), dtype=np.int64)
    within = np.arange(len(flat_times)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    pairs.ravel()[np.repeat(np.arange(len(shapes)) * width, lengths) + within] = pair_of + 1
    # (shape, local day, time): in UTC order already, but for the hour around a DST change
    utc = np.asarray(table, dtype=np.int32)[pairs].transpose(0, 2, 1).ravel()
    weekday = np.asarray(weekdays, dtype=np.int8)[pairs].transpose(0, 2, 1).ravel()
    real = np.broadcast_to((pairs > 0)[:, None, :], (len(shape_ids), n_days, width)).ravel()
    owner = np.repeat(np.arange(len(shape_ids), dtype=np.int32), n_days * width)
    shape_days = np.asarray([days for _, days, _ in shape_ids], dtype=np.int8)
    active = real & ((shape_days[owner] >> weekday) & 1).astype(bool)
    slot, owner = utc[active], owner[active]
    if np.any((owner[1:] == owner[:-1]) & (slot[1:] < slot[:-1])):
        order = np.lexsort((slot, owner))
        slot, owner = slot[order], owner[order]
    # Two wall-clock times can meet in one instant on a spring-forward day (02:30 and 03:30):
    # timemath.slots fires that instant once.
    keep = np.ones(len(slot), dtype=bool)
    keep[1:] = (slot[1:] != slot[:-1]) | (owner[1:] != owner[:-1])
    slot, owner = slot[keep], owner[keep]
    gap = np.full(len(slot), GAP_CAP, dtype=np.int64)
    same = owner[1:] == owner[:-1]
    gap[:-1] = np.where(same, np.minimum(slot[1:] - slot[:-1], GAP_CAP), GAP_CAP)
    inside = (slot >= 0) & (slot < minutes)
    slot, gap, owner = slot[inside], gap[inside], owner[inside]
    # Counts: groups never paused in the horizon on every slot of their shape ...
    resume = np.asarray([g.resume_minute for g in groups], dtype=np.int64)
    counts = np.asarray([g.chats for g in groups], dtype=np.float64)
    free = resume == 0
    per_shape = np.bincount(shape_of[free], weights=counts[free], minlength=len(shape_ids))
    weight = per_shape.astype(np.float64)[owner]
    # ... paused ones on the slots of their shape from their resume minute on.
    paused = np.flatnonzero(~free)
    if len(paused):
        first = np.searchsorted(owner, np.arange(len(shape_ids)), side="left")
        last = np.searchsorted(owner, np.arange(len(shape_ids)), side="right")
        lengths = (last - first)[shape_of[paused]]
        member = np.repeat(paused, lengths)
        offsets = np.arange(len(member)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        entry = first[shape_of[member]] + offsets
        on = slot[entry] >= resume[member]
        weight += np.bincount(entry[on], weights=counts[member[on]], minlength=len(slot))
    due = weight > 0
    slot, gap, weight = slot[due], gap[due], weight[due]
    totals = np.bincount(slot.astype(np.int64) * (GAP_CAP + 1) + gap, weights=weight)
    keys = np.flatnonzero(totals)
    sends = totals[keys]
    return Demand(
        start,
        minutes,
        population.subscribers,
        keys // (GAP_CAP + 1),
        keys % (GAP_CAP + 1),
        sends,
    )


@dataclass(frozen=True)
class Lateness:
    """Sends served over a lateness interval, each uniform on [low, high] seconds; negative
    seconds are sends that left before they were due (early start): they count as 0 late."""

    low: np.ndarray
    high: np.ndarray
    weight: np.ndarray

    def quantile(self, q: float) -> float:
        """The q-quantile (0-1) of lateness over all sends, by bisection on the mixture's CDF."""
        total = float(self.weight.sum())
        if total <= 0:
            return 0.0
        width = np.maximum(self.high - self.low, 1e-12)
        lo, hi = 0.0, max(0.0, float(self.high.max()))
        for _ in range(60):
            mid = (lo + hi) / 2
            done = float((self.weight * np.clip((mid - self.low) / width, 0, 1)).sum())
            if done < q * total:
                lo = mid
            else:
                hi = mid
        return hi

    @property
    def max(self) -> float:
        return max(0.0, float(self.high.max())) if len(self.high) else 0.0

    def where(self, mask: np.ndarray) -> Lateness:
        return Lateness(self.low[mask], self.high[mask], self.weight[mask])

    def earliness(self) -> Lateness:
        """Seconds early, the same sends mirrored: its quantiles and max are of earliness."""
        return Lateness(-self.high, -self.low, self.weight)

    @property
    def early(self) -> float:
        """How many sends left before they were due."""
        width = np.maximum(self.high - self.low, 1e-12)
        return float((self.weight * np.clip(-self.low / width, 0, 1)).sum())


@dataclass(frozen=True)
class DayPrediction:
    day: date  # UTC date of the due minutes
    due: float
    sent: float
    skipped: float
    lateness_p50_s: float
    lateness_p99_s: float
    lateness_max_s: float


@dataclass(frozen=True)
class Prediction:
    rate_per_s: float
    max_late_minutes: int
    subscribers: int
    reminders_due: float
    sent: float
    skipped_too_late: float
    skipped_closer_to_next: float
    lateness_p50_s: float
    lateness_p99_s: float
    lateness_max_s: float
    peak_backlog: float
    peak_backlog_at: datetime | None
    days: tuple[DayPrediction, ...]
    backlog: np.ndarray = field(repr=False)  # per minute, just after that minute's arrivals
    lateness: Lateness = field(repr=False)
    # Early start: the cap used, sends that left before their minute, and how early.
    early_start_max_s: float = 0.0
    sent_early: float = 0.0
    earliness_p99_s: float = 0.0
    earliness_max_s: float = 0.0

    @property
    def skipped(self) -> float:
        return self.skipped_too_late + self.skipped_closer_to_next

    def fits(self, target_p99_s: float = DEFAULT_TARGET_P99_S) -> bool:
        """p99 lateness under the target and no reminder skipped (fewer than half a send)."""
        return self.lateness_p99_s < target_p99_s and self.skipped < 0.5


class _Batch:
    """The sends of one due minute still waiting, by deadline (earliest first)."""

    __slots__ = ("amounts", "arrival", "causes", "day", "expiries", "head", "total")

    def __init__(
        self,
        arrival: float,
        day: int,
        expiries: list[float],
        amounts: list[float],
        causes: list[int],
    ) -> None:
        self.arrival, self.day = arrival, day
        self.expiries, self.amounts, self.causes = expiries, amounts, causes
        self.head = 0
        self.total = sum(amounts)


TOO_LATE, CLOSER_TO_NEXT = 0, 1


@dataclass
class _Run:
    """One pass of the fluid queue: served segments, skips and backlog."""

    low: list[float]
    high: list[float]
    weight: list[float]
    seg_day: list[int]
    skipped: np.ndarray  # (cause, day)
    backlog: np.ndarray
    due_by_day: np.ndarray


def _release_offsets(starts_s: np.ndarray, tick_seconds: float, phase: float) -> np.ndarray:
    """Seconds from each moment a minute may be claimed (its due second, or earlier with early
    start) to the first dispatcher tick at or after it, for ticks at phase + k * tick_seconds
    (seconds from the start of the horizon)."""
    if tick_seconds <= 0:
        return np.zeros(len(starts_s))
    return np.mod(phase - starts_s, tick_seconds)


def _run_queue(
    minute: np.ndarray,
    deadline: np.ndarray,
    cause: np.ndarray,
    amount: np.ndarray,
    minutes: int,
    rate: float,
    tick_seconds: float,
    phase: float,
    early_start_max_s: float = 0.0,
) -> _Run:
    """The queue: each minute's sends become available at its first tick (from E seconds
    before it with early start), are served first in, first out at `rate`, and leave unsent
    once their deadline (from the due minute) passes."""
    bounds = np.flatnonzero(np.diff(minute)) + 1
    starts = np.concatenate(([0], bounds)) if len(minute) else np.zeros(0, dtype=np.int64)
    ends = np.concatenate((bounds, [len(minute)])) if len(minute) else starts
    n_days = math.ceil(minutes / MINUTES_PER_DAY)
    skipped = np.zeros((2, n_days))
    low: list[float] = []
    high: list[float] = []
    weight: list[float] = []
    seg_day: list[int] = []
    queue: deque[_Batch] = deque()
    now = -float(early_start_max_s)
    waiting = 0.0

    def serve(until: float) -> None:
        nonlocal now, waiting
        while queue and now < until:
            batch = queue[0]
            while (
                batch.head < len(batch.expiries)
                and batch.arrival + batch.expiries[batch.head] <= now + 1e-9
            ):
                lost = batch.amounts[batch.head]
                skipped[batch.causes[batch.head], batch.day] += lost
                batch.total -= lost
                waiting -= lost
                batch.head += 1
            if batch.head >= len(batch.expiries) or batch.total <= 1e-9:
                waiting -= max(batch.total, 0.0)
                queue.popleft()
                continue
            stop = min(until, batch.arrival + batch.expiries[batch.head])
            served = min(batch.total, (stop - now) * rate)
            took = served / rate
            low.append(now - batch.arrival)
            high.append(now + took - batch.arrival)
            weight.append(served)
            seg_day.append(batch.day)
            left = 1 - served / batch.total
            for k in range(batch.head, len(batch.amounts)):
                batch.amounts[k] *= left
            batch.total -= served
            waiting -= served
            now += took
            if batch.total <= 1e-9:
                waiting -= max(batch.total, 0.0)
                queue.popleft()

    backlog = np.zeros(minutes)
    due_by_day = np.zeros(n_days)
    first_minutes = minute[starts]
    early = early_starts(
        np.add.reduceat(amount, starts) if len(starts) else np.zeros(0), rate, early_start_max_s
    )
    claimable = first_minutes * 60.0 - early
    releases = (claimable + _release_offsets(claimable, tick_seconds, phase)).tolist()
    spans = zip(starts.tolist(), ends.tolist(), releases, strict=True)
    arrivals = dict(zip(first_minutes.tolist(), spans, strict=True))
    for m in range(minutes):
        span = arrivals.get(m)
        release = span[2] if span is not None else m * 60.0
        serve(release)
        now = max(now, release)
        if span is not None:
            lo, hi, _ = span
            amounts = amount[lo:hi].tolist()
            day = m // MINUTES_PER_DAY
            due_by_day[day] += sum(amounts)
            queue.append(
                _Batch(m * 60.0, day, deadline[lo:hi].tolist(), amounts, cause[lo:hi].tolist())
            )
            waiting += sum(amounts)
        backlog[m] = max(waiting, 0.0)
    serve(math.inf)
    return _Run(low, high, weight, seg_day, skipped, backlog, due_by_day)


def simulate(
    demand: Demand,
    rate_per_s: float,
    *,
    max_late_minutes: int = DEFAULT_MAX_LATE_MINUTES,
    skip_closer_to_next: bool = True,
    per_day: bool = True,
    tick_seconds: float = 0.0,
    tick_phases: int = 5,
    early_start_max_s: float = 0.0,
) -> Prediction:
    """Run the week's demand through the fluid queue (see the module docstring).

    tick_seconds: the dispatcher's tick interval (TICK_SECONDS). A due slot is claimed, and
    can be sent, only at the first tick at or after it. The ticks' phase within the minute is
    fixed per process start and unknown, so the prediction averages over `tick_phases` evenly
    spaced phases, each standing for the phases within half a step of it (its lateness
    intervals widened by that half step). 0: sends are available the moment they are due."""
    if rate_per_s <= 0:
        raise ValueError("the send rate must be positive")
    if skip_closer_to_next and max_late_minutes > GAP_CAP // 2:
        raise ValueError(f"max_late_minutes above {GAP_CAP // 2} needs a larger GAP_CAP")
    if not 0 <= tick_seconds <= 60:
        raise ValueError("the tick interval must be between 0 and 60 seconds")
    if not 0 <= early_start_max_s <= EARLY_START_LIMIT_S:
        raise ValueError(f"early start must be between 0 and {EARLY_START_LIMIT_S:g} seconds")
    max_late = max_late_minutes * 60.0
    deadline = np.full(len(demand.gap), max_late)
    cause = np.full(len(demand.gap), TOO_LATE, dtype=np.int64)
    if skip_closer_to_next:
        half_gap = np.where(demand.gap >= GAP_CAP, np.inf, demand.gap * 30.0)
        closer = half_gap < max_late
        deadline = np.where(closer, half_gap, deadline)
        cause[closer] = CLOSER_TO_NEXT
    order = np.lexsort((deadline, demand.minute))
    minute, deadline, cause = demand.minute[order], deadline[order], cause[order]
    amount = demand.sends[order]
    rate = float(rate_per_s)
    phases = max(1, tick_phases) if tick_seconds > 0 else 1
    step = tick_seconds / phases
    runs = [
        _run_queue(
            minute,
            deadline,
            cause,
            amount,
            demand.minutes,
            rate,
            tick_seconds,
            (j + 0.5) * step,
            early_start_max_s,
        )
        for j in range(phases)
    ]
    share = 1.0 / phases
    half = step / 2 if tick_seconds > 0 else 0.0
    low = np.asarray([x for run in runs for x in run.low])
    # The phase widening never makes a send early that was not (only early start does).
    lateness = Lateness(
        np.where(low >= 0, np.maximum(low - half, 0.0), low - half),
        np.asarray([x for run in runs for x in run.high]) + half,
        np.asarray([x for run in runs for x in run.weight], dtype=np.float64) * share,
    )
    earliness = lateness.earliness()
    days_of = np.asarray([d for run in runs for d in run.seg_day], dtype=np.int64)
    skipped = sum((run.skipped for run in runs), np.zeros_like(runs[0].skipped)) * share
    backlog = sum((run.backlog for run in runs), np.zeros(demand.minutes)) * share
    due_by_day = runs[0].due_by_day
    n_days = len(due_by_day)
    day_stats = []
    for day in range(n_days if per_day else 0):
        part = lateness.where(days_of == day)
        day_stats.append(
            DayPrediction(
                day=(demand.start + timedelta(days=day)).date(),
                due=float(due_by_day[day]),
                sent=float(part.weight.sum()),
                skipped=float(skipped[:, day].sum()),
                lateness_p50_s=part.quantile(0.5),
                lateness_p99_s=part.quantile(0.99),
                lateness_max_s=part.max,
            )
        )
    peak = int(backlog.argmax()) if demand.minutes else 0
    return Prediction(
        rate_per_s=rate,
        max_late_minutes=max_late_minutes,
        subscribers=demand.subscribers,
        reminders_due=demand.total,
        sent=float(lateness.weight.sum()),
        skipped_too_late=float(skipped[TOO_LATE].sum()),
        skipped_closer_to_next=float(skipped[CLOSER_TO_NEXT].sum()),
        lateness_p50_s=lateness.quantile(0.5),
        lateness_p99_s=lateness.quantile(0.99),
        lateness_max_s=lateness.max,
        peak_backlog=float(backlog[peak]) if demand.minutes else 0.0,
        peak_backlog_at=demand.start + timedelta(minutes=peak) if backlog.any() else None,
        days=tuple(day_stats),
        backlog=backlog,
        lateness=lateness,
        early_start_max_s=float(early_start_max_s),
        sent_early=lateness.early,
        earliness_p99_s=earliness.quantile(0.99),
        earliness_max_s=earliness.max,
    )


def early_starts(sends: np.ndarray, rate_per_s: float, max_early_s: float) -> np.ndarray:
    """rules.early_start for each minute's sends: seconds each minute starts before it is due."""
    return np.fromiter(
        (early_start(d, rate_per_s, max_early_s) for d in sends.tolist()), np.float64, len(sends)
    )


def late_runs(prediction: Prediction, threshold_s: float) -> list[tuple[int, int]]:
    """Runs of minutes (offsets from the demand's start, both ends included) whose sends the
    model predicts later than `threshold_s`: the backlog just after a minute's arrivals,
    served at the rate, is how late that minute's last send leaves (the paid-broadcast
    forecast, bot.scheduling.paid)."""
    late = np.concatenate(([False], prediction.backlog / prediction.rate_per_s > threshold_s))
    edges = np.flatnonzero(np.diff(np.concatenate((late, [False])).astype(np.int8)))
    return [(int(a), int(b) - 1) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def headroom(
    demand: Demand,
    rate_per_s: float,
    *,
    target_p99_s: float = DEFAULT_TARGET_P99_S,
    max_late_minutes: int = DEFAULT_MAX_LATE_MINUTES,
    skip_closer_to_next: bool = True,
    early_start_max_s: float = 0.0,
    tick_seconds: float = 0.0,
) -> int | None:
    """How many more subscribers fit at the current mix (negative: how many too many).

    The mix is scaled as a whole (bisection on a factor), so new subscribers are assumed to
    land where the present ones are; load-aware defaults place them better, so this is a
    lower bound for them. None when there is no demand to scale.
    """
    if demand.total <= 0 or demand.subscribers <= 0:
        return None

    def fits(factor: float) -> bool:
        prediction = simulate(
            demand.scaled(factor),
            rate_per_s,
            max_late_minutes=max_late_minutes,
            skip_closer_to_next=skip_closer_to_next,
            per_day=False,
            early_start_max_s=early_start_max_s,
            tick_seconds=tick_seconds,
        )
        return prediction.fits(target_p99_s)

    low, high = 0.0, 1.0
    if fits(high):
        while fits(high * 2) and high < 1e6:
            high *= 2
        low, high = high, high * 2
    for _ in range(40):
        if (high - low) * demand.subscribers < 0.5:
            break
        middle = (low + high) / 2
        if fits(middle):
            low = middle
        else:
            high = middle
    return math.floor(low * demand.subscribers + 1e-9) - demand.subscribers


def busiest_minutes(demand: Demand, count: int = 5) -> list[tuple[datetime, float]]:
    """The minutes with the most sends due, busiest first."""
    per_minute = demand.per_minute()
    top = np.argsort(-per_minute, kind="stable")[:count]  # the earliest of equals first
    return [
        (demand.start + timedelta(minutes=int(m)), float(per_minute[m]))
        for m in top
        if per_minute[m] > 0
    ]


def weekly_load(rows: Iterable[ScheduleRow], now: datetime) -> np.ndarray:
    """Sends due per UTC weekday (0 = Monday) and UTC minute of the day over the coming week:
    the demand load-aware default times are placed against.

    Pauses are left out on purpose: a pause ends, a new subscriber's times stay. At a million
    subscribers this takes seconds: build it now and then, and add each new chat's slots
    (defaults.candidate_slots with window 0) in between, rather than once per registration.
    """
    start = floor_minute(now)
    unpaused = ((times, days, tz_name, None, count) for times, days, tz_name, _, count in rows)
    per_minute = demand(aggregate(unpaused, start)).per_minute()
    load = np.zeros((7, MINUTES_PER_DAY))
    first = start.weekday() * MINUTES_PER_DAY + start.hour * 60 + start.minute
    index = (first + np.arange(WEEK_MINUTES)) % WEEK_MINUTES
    load.ravel()[index] = per_minute
    return load


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


def summary_line(prediction: Prediction, demand: Demand, more: int | None, lang: str) -> str:
    """One line for /admin: the busiest minute, predicted lateness and skips, and the room."""
    busiest = busiest_minutes(demand, 1)
    peak, at = (round(busiest[0][1]), busiest[0][0]) if busiest else (0, demand.start)
    if more is None or more >= 0:
        room = Safe(t(lang, "admin.capacity.room", count=more or 0))
    else:
        room = Safe(t(lang, "admin.capacity.over", count=-more))
    return t(
        lang,
        "admin.capacity.summary",
        rate=f"{prediction.rate_per_s:g}",
        peak=peak,
        at=at.strftime("%d-%m %H:%M"),
        p99=_duration(prediction.lateness_p99_s),
        max=_duration(prediction.lateness_max_s),
        skipped=round(prediction.skipped),
        room=room,
    )
