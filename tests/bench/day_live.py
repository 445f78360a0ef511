"""day.py --live: a working day of the issue-20 mix sent by the real bot, against the model.

What runs is what `rekpauze run` runs: the Application built by bot.app (through
bot.sandbox.runner.live_bot), its JobQueue's "dispatcher" job (jobs.reminder_tick ->
Dispatcher.tick), the RateLimiter of bot.sending, and PTB's HTTP client sending over loopback to
the Bot API stand-in, whose flood control (bot.sandbox.limits) answers 429 beyond 30 sends in
any sliding second. Subscribers are seeded straight into the database (core inserts, as
scale.py does), each with next_due_at at its first slot of the day (rules.next_reminder).

A day of sending takes at least sends / 30 seconds, so time is simulated, on one clock that
the stand-in (message dates, flood windows), the bot (`now`) and the rate limiter (its
monotonic clock and its sleeps) all read, an event clock (`EventClock`): it stands still while
the bot works and moves to the next instant something waits for (the rate limiter's next
turn, the next tick) once every send under way is waiting for its turn and nothing is on the
wire. So the 30 msg/s limit holds in simulated seconds, and a slow or busy machine makes the
run take longer but does not change what it measures. A first version ran the clock 3 times
faster than real time while sending: on this shared 2-core machine the bot then reached only
18 to 26 msg/s of simulated time in the busiest minutes, and lateness came out 39 % (p50) and
55 % (p99) above the model, the machine's doing, not the bot's.
- the dispatcher job is triggered by the benchmark (`Job.run`, the JobQueue's own entry point;
  its interval schedule, which runs on real time, is paused) every TICK_SECONDS of simulated
  time while sends are in flight, as the JobQueue does in production;
- when nothing is in flight, the next tick that has something due comes next. A busy period
  that starts after an idle spell gets a random tick phase: its first tick comes a uniform 0
  to TICK_SECONDS after its first due instant (in production the phase is fixed per process
  start and unknown, so the model averages over it).
What this leaves out, by design: the time the bot's own work takes (a claim of 700 chats is
about 0.3 s, an HTTP round trip a few ms; tests/bench/throughput.py and punctuality.py measure
them in real time).

lateness of a send = the stand-in's clock when it stored the message - the slot's due instant.
The model (bot.scheduling.capacity) runs on exactly the seeded schedules over the same UTC
day, at the rate the RateLimiter paces (OVERALL_MARGIN of the limit) and with the tick.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import math
import random
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from prometheus_client import REGISTRY
from sqlalchemy import delete, func, insert, select

from bot.sandbox.limits import FloodLimits
from bot.sandbox.runner import live_bot
from bot.sandbox.server import BotAPIServer, BotEvent
from bot.scheduling import capacity
from bot.scheduling.rules import SKIP_DOWN, SKIP_LATE, SKIP_NEXT, next_reminder
from bot.scheduling.timemath import as_utc
from bot.sending import OVERALL_MARGIN, Lane, RateLimiter
from bot.storage.db import Database
from bot.storage.models import Base, Chat, Delivery, DeliveryKind, DeliveryStatus
from tests.bench.common import (
    FIRST_ID,
    LANGUAGES,
    PLACES,
    Stopwatch,
    percentile,
    quantiles,
    weighted,
)

DAY_MINUTES = 24 * 60
SKIP_CAUSES = (SKIP_DOWN, SKIP_LATE, SKIP_NEXT)


class EventClock:
    """Unix seconds that move only when everything in flight is waiting for time.

    Sleepers (the rate limiter's waits, the benchmark's wait for the next tick) queue by
    wake-up instant; `advance` moves the clock to the earliest one and wakes it. The
    benchmark advances only while the bot is quiet (`Quiet`): nothing on the wire and every
    send that has started waiting in the rate limiter. Work (a claim, an HTTP round trip,
    a database write) therefore takes no simulated time, however slow or busy the machine.
    """

    def __init__(self, start: float) -> None:
        self.now = float(start)
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self.woken = 0  # sleepers woken whose coroutine has not resumed yet
        self.changed = asyncio.Event()  # set on anything that may make the bot quiet

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        """Sleep `seconds` of this clock (the rate limiter's `sleep`)."""
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        await self.sleep_until(self.now + seconds)

    async def sleep_until(self, instant: float) -> None:
        if instant <= self.now:
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (instant, next(self._order), waiter))
        self.changed.set()
        try:
            await waiter
        finally:
            if waiter.done() and not waiter.cancelled():
                self.woken -= 1
            self.changed.set()

    def next_wake(self) -> float | None:
        while self._sleepers and self._sleepers[0][2].done():  # cancelled meanwhile
            heapq.heappop(self._sleepers)
        return self._sleepers[0][0] if self._sleepers else None

    def advance(self) -> bool:
        """Move to the earliest sleeper's instant and wake every sleeper due by then."""
        instant = self.next_wake()
        if instant is None:
            return False
        self.now = max(self.now, instant)
        while self._sleepers and self._sleepers[0][0] <= self.now:
            _, _, waiter = heapq.heappop(self._sleepers)
            if not waiter.done():
                waiter.set_result(None)
                self.woken += 1
        return True


class CountingLimiter(RateLimiter):
    """The bot's RateLimiter, counting the requests waiting for their turn in it."""

    waiting = 0
    changed: asyncio.Event | None = None

    async def _pace(self, endpoint: str, data: dict[str, Any], paid: bool) -> list[Lane]:
        self.waiting += 1
        try:
            return await super()._pace(endpoint, data, paid)
        finally:
            self.waiting -= 1
            if self.changed is not None:
                self.changed.set()


class CountingSender:
    """Wraps the dispatcher's sender (the Outbox): how many sends are under way in it."""

    def __init__(self, inner: Any, changed: asyncio.Event) -> None:
        self.inner = inner
        self.active = 0
        self.changed = changed

    async def deliver(self, message: Any, policy: Any = None) -> Any:
        self.active += 1
        try:
            return await self.inner.deliver(message, policy)
        finally:
            self.active -= 1
            self.changed.set()


@dataclass
class Quiet:
    """When the clock may move: no tick running, every send under way waiting in the rate
    limiter (none on the wire or being prepared) and every woken sleeper resumed, with
    nothing left to run: the state is read again after a few turns of the event loop and
    must not have changed (tasks made ready just before have run by then)."""

    clock: EventClock
    limiter: CountingLimiter
    sender: CountingSender
    ticking: bool = False
    forced: int = 0

    def state(self) -> tuple[Any, ...]:
        clock = self.clock
        return (
            self.sender.active,
            self.limiter.waiting,
            clock.woken,
            self.ticking,
            clock.next_wake(),
            len(clock._sleepers),
        )

    def quiet(self, state: tuple[Any, ...]) -> bool:
        active, waiting, woken, ticking, _, _ = state
        return active == waiting and woken == 0 and not ticking

    async def settled(self) -> tuple[Any, ...]:
        while True:
            before = self.state()
            for _ in range(3):
                await asyncio.sleep(0)
            if self.state() == before:
                return before

    async def keep_time(self, stall_seconds: float = 5.0) -> None:
        """Advance the clock whenever the bot is quiet (runs until cancelled). Nothing
        changing for `stall_seconds` of real time while not quiet (a send stuck outside the
        limiter, say a retry's backoff on this clock) advances it anyway, counted in
        `forced`."""
        changed = self.clock.changed
        while True:
            try:
                await asyncio.wait_for(changed.wait(), stall_seconds)
            except TimeoutError:
                if not self.ticking and self.clock.next_wake() is not None:
                    self.forced += 1
                    self.clock.advance()
                continue
            changed.clear()
            state = await self.settled()
            if self.quiet(state) and self.clock.advance():
                changed.set()  # look again once the woken sleepers have run


@dataclass
class Recorder:
    """The stand-in's view: when each message reached it, on the shared clock."""

    clock: EventClock
    watched: set[int]
    at: dict[tuple[int, int], float] = field(default_factory=dict)
    per_chat: Counter[int] = field(default_factory=Counter)

    def __call__(self, event: BotEvent) -> None:
        if event.kind != "message" or event.chat.id not in self.watched or not event.message:
            return
        self.per_chat[event.chat.id] += 1
        self.at[(event.chat.id, event.message.message_id)] = self.clock()


def _subscription(row: capacity.ScheduleRow) -> SimpleNamespace:
    times, days, tz_name, paused_until, _ = row
    return SimpleNamespace(
        times=list(times),
        days=days,
        timezone=tz_name,
        paused_until=paused_until,
        active=True,
        blocked=False,
    )


async def seed(url: str, rows: list[capacity.ScheduleRow], start: datetime, seed: int) -> None:
    """Empty the tables and insert one chat per row, next_due_at at its first slot >= start."""
    rng = random.Random(seed)
    after = start - timedelta(microseconds=1)
    records = []
    for i, row in enumerate(rows):
        chat = _subscription(row)
        records.append(
            {
                "id": FIRST_ID + i,
                "type": "private",
                "language": weighted(rng, LANGUAGES),
                "timezone": chat.timezone,
                "times": chat.times,
                "days": chat.days,
                "place": weighted(rng, PLACES),
                "paused_until": chat.paused_until,
                "active": True,
                "blocked": False,
                "onboarded": True,
                "safety_shown": True,
                "weekly_summary": False,
                "evening_nudge": False,
                "next_due_at": next_reminder(chat, after),
            }
        )
    db = Database(url)
    try:
        await db.upgrade()
        async with db.engine.begin() as conn:
            for table in reversed(Base.metadata.sorted_tables):
                await conn.execute(delete(table))
            for first in range(0, len(records), 5000):
                await conn.execute(insert(Chat), records[first : first + 5000])
    finally:
        await db.dispose()


def skips_counted() -> dict[str, float]:
    return {
        cause: REGISTRY.get_sample_value("rekpauze_reminders_skipped_total", {"cause": cause})
        or 0.0
        for cause in SKIP_CAUSES
    }


async def next_due(db: Database) -> float | None:
    async with db.session() as session:
        value = await session.scalar(select(func.min(Chat.next_due_at)))
    return as_utc(value).timestamp() if value is not None else None


async def drive(
    live: Any, clock: EventClock, quiet: Quiet, end: float, tick: float, rng: random.Random
) -> dict[str, Any]:
    """Tick the dispatcher through the day (see the module docstring); return counters."""
    app = live.app
    dispatcher = app.bot_data.dispatcher
    (job,) = app.job_queue.get_jobs_by_name("dispatcher")
    watch = Stopwatch()
    tick_at = clock()
    ticks = periods = 0
    next_report = 0.0
    keeper = asyncio.create_task(quiet.keep_time())
    try:
        while True:
            if dispatcher.in_flight == 0:
                due = await next_due(live.db)
                if due is None or due >= end:
                    break
                if due > tick_at:  # an idle spell ends: a new tick phase
                    tick_at = due + rng.uniform(0, tick)
                    periods += 1
            await clock.sleep_until(tick_at)
            quiet.ticking = True
            try:
                await job.run(app)
            finally:
                quiet.ticking = False
                clock.changed.set()
            ticks += 1
            tick_at += tick
            now = clock()
            if now >= next_report:
                hour = datetime.fromtimestamp(now, UTC).strftime("%H:%M")
                print(
                    f"  {hour} simulated, {watch.elapsed:.0f} s wall, {ticks} ticks",
                    file=sys.stderr,
                    flush=True,
                )
                next_report = now + 3600
        await dispatcher.drain()
    finally:
        keeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await keeper
    return {"ticks": ticks, "busy_periods": periods, "forced_advances": quiet.forced}


async def run_live(
    rows: list[capacity.ScheduleRow],
    start: datetime,
    *,
    limit: float,
    tick: float,
    seed_value: int,
    database_url: str | None = None,
    own_process: bool = True,
) -> dict[str, Any]:
    """Seed `rows`, run the day from `start` through the live bot; the measured figures.

    own_process: as `rekpauze run` (heap frozen after start-up, and the capacity job's child
    process awaited before the day starts); False under pytest."""
    watch = Stopwatch()
    begin, end = start.timestamp(), (start + timedelta(minutes=DAY_MINUTES)).timestamp()
    chat_ids = {FIRST_ID + i for i in range(len(rows))}
    clock = EventClock(begin - 3600)
    with tempfile.TemporaryDirectory(prefix="rk-day-") as tmp:
        url = database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'day.sqlite3'}"
        await seed(url, rows, start, seed_value)
        seeded_s = watch.elapsed
        recorder = Recorder(clock, chat_ids)

        def prepare(server: BotAPIServer) -> None:
            for chat_id in chat_ids:
                server.add_user(f"U{chat_id}", user_id=chat_id, started=True)
            server.add_listener(recorder)

        limiter = CountingLimiter(overall_max_rate=limit, sleep=clock.sleep, monotonic=clock)
        overrides = {
            "SEND_RATE_PER_SECOND": limit,
            "TICK_SECONDS": tick,
            # The lease guards against a second process; on a clock that jumps hours while
            # idle, 20 simulated seconds would lapse between ticks for nothing.
            "LEADER_LEASE_SECONDS": 300,
        }
        skipped_before = skips_counted()
        async with live_bot(
            unix_clock=clock,
            database_url=url,
            limits=FloodLimits(global_per_second=math.ceil(limit)),
            settings_overrides=overrides,
            prepare=prepare,
            freeze_heap=own_process,
            rate_limiter=limiter,
        ) as live:
            (job,) = live.app.job_queue.get_jobs_by_name("dispatcher")
            job.enabled = False  # its interval runs on real time: the benchmark triggers it
            # The capacity job's child process starts 10 s after start-up: let it finish
            # first (at most a minute), so it does not slow the run down (on the event clock
            # it could not change the figures).
            with contextlib.suppress(TimeoutError):
                await live.server.wait_until(
                    lambda: live.app.bot_data.capacity is not None,
                    timeout=60 if own_process else 0.1,
                )
            started_s = watch.elapsed
            dispatcher = live.app.bot_data.dispatcher
            sender = dispatcher.sender = CountingSender(dispatcher.sender, clock.changed)
            limiter.changed = clock.changed
            quiet = Quiet(clock, limiter, sender)
            sending = Stopwatch()
            counters = await drive(live, clock, quiet, end, tick, random.Random(seed_value + 7))
            day_wall_s = sending.elapsed
            async with live.db.session() as session:
                deliveries = (
                    await session.execute(
                        select(
                            Delivery.chat_id, Delivery.slot_at, Delivery.status, Delivery.message_id
                        ).where(Delivery.kind == DeliveryKind.REMINDER)
                    )
                ).all()
            stats = live.server.stats
            http_429 = stats.too_many_requests + stats.errors_by_status.get(429, 0)
    skipped_after = skips_counted()
    skipped = {c: round(skipped_after[c] - skipped_before[c]) for c in SKIP_CAUSES}
    lateness: list[float] = []
    sent_at: list[tuple[float, float]] = []  # (due, received)
    statuses: Counter[str] = Counter()
    unseen = 0
    for chat_id, slot_at, status, message_id in deliveries:
        statuses[str(status)] += 1
        if status != DeliveryStatus.SENT:
            continue
        received = recorder.at.get((chat_id, message_id))
        if received is None:
            unseen += 1
            continue
        due = as_utc(slot_at).timestamp()
        lateness.append(received - due)
        sent_at.append((due, received))
    sent_rows = statuses.get(str(DeliveryStatus.SENT), 0)
    received = sum(recorder.per_chat.values())
    return {
        "reminders_due": len(deliveries) + sum(skipped.values()),
        "sent": len(lateness),
        "skipped": sum(skipped.values()),
        "skipped_by_cause": skipped,
        "lateness_p50_s": round(percentile(lateness, 50), 2),
        "lateness_p99_s": round(percentile(lateness, 99), 2),
        "lateness_max_s": round(max(lateness), 2) if lateness else None,
        "lateness_mean_s": round(sum(lateness) / len(lateness), 2) if lateness else None,
        "delivery_rows": dict(statuses),
        "duplicates": received - sent_rows,
        "sent_not_seen": unseen,
        "http_429": http_429,
        "busiest_minutes_rate_per_s": busiest_rates(sent_at),
        "seed_s": round(seeded_s, 1),
        "startup_s": round(started_s - seeded_s, 1),
        "day_wall_s": round(day_wall_s, 1),
        **counters,
        "series_lateness_quantiles": quantiles(lateness),
    }


def busiest_rates(sent_at: list[tuple[float, float]], count: int = 5) -> list[dict[str, Any]]:
    """Sends per simulated second from first to last send of the busiest due minutes: the
    rate the bot reached (the limiter paces at OVERALL_MARGIN of the limit)."""
    by_minute: dict[float, list[float]] = {}
    for due, received in sent_at:
        by_minute.setdefault(due // 60 * 60, []).append(received)
    top = sorted(by_minute.items(), key=lambda item: -len(item[1]))[:count]
    found = []
    for minute, times in top:
        span = max(times) - min(times)
        found.append(
            {
                "minute": datetime.fromtimestamp(minute, UTC).strftime("%H:%M"),
                "sends": len(times),
                "rate_per_s": round((len(times) - 1) / span, 2) if span > 0 else None,
            }
        )
    return found


def model_day(
    rows: list[capacity.ScheduleRow],
    start: datetime,
    rate: float,
    *,
    max_late: int,
    tick: float = 0.0,
) -> dict[str, Any]:
    """The fluid model over the same UTC day and schedules."""
    watch = Stopwatch()
    cpu = time.process_time()
    demand = capacity.demand(capacity.aggregate(rows, start, minutes=DAY_MINUTES))
    prediction = capacity.simulate(
        demand, rate, max_late_minutes=max_late, per_day=False, tick_seconds=tick
    )
    return {
        "reminders_due": round(prediction.reminders_due),
        "sent": round(prediction.sent),
        "skipped": round(prediction.skipped),
        "lateness_p50_s": round(prediction.lateness_p50_s, 2),
        "lateness_p99_s": round(prediction.lateness_p99_s, 2),
        "lateness_max_s": round(prediction.lateness_max_s, 2),
        "model_rate_per_s": round(rate, 3),
        "tick_seconds": tick,
        "busiest_minute_sends": round(float(demand.per_minute().max())),
        "peak_backlog": round(prediction.peak_backlog),
        "model_s": round(watch.elapsed, 3),
        "model_cpu_s": round(time.process_time() - cpu, 3),
    }


def effective_rate(limit: float) -> float:
    """The rate the RateLimiter paces at for a limit (what the model should be fed)."""
    return limit * OVERALL_MARGIN
