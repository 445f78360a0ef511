"""day.py --live: a working day of the issue-20 mix sent by the real bot, against the model.

What runs is what `rekpauze run` runs: the Application built by bot.app (through
bot.sandbox.runner.live_bot), its JobQueue's "dispatcher" job (jobs.reminder_tick ->
Dispatcher.tick), the RateLimiter of bot.sending, and PTB's HTTP client sending over loopback to
the Bot API stand-in, whose flood control (bot.sandbox.limits) answers 429 beyond 30 sends in
any sliding second. Subscribers are seeded straight into the database (core inserts, as
scale.py does), each with next_due_at at its first slot of the day (rules.next_reminder).

A day of sending takes at least sends / 30 seconds, so time is simulated, on one clock that
the stand-in (message dates, flood windows), the bot (`now`) and the rate limiter (its
monotonic clock and its sleeps) all read:
- while anything is in flight the clock runs `--speed` times real time, so the 30 msg/s limit
  holds in simulated seconds and the bot sends 30 x speed messages per real second (keep that
  well below what the machine can do: the table shows the rate reached in the busiest minutes);
- the dispatcher job is triggered by the benchmark (`Job.run`, the JobQueue's own entry point;
  its interval schedule, which runs on real time, is paused) every TICK_SECONDS of simulated
  time while sends are in flight, as the JobQueue does in production;
- when nothing is in flight, the clock jumps to the next tick that has something due. A busy
  period that starts after an idle spell gets a random tick phase: its first tick comes a
  uniform 0 to TICK_SECONDS after its first due instant (in production the phase is fixed per
  process start and unknown, so the model averages over it).

lateness of a send = the stand-in's clock when it stored the message - the slot's due instant.
The model (bot.scheduling.capacity) runs on exactly the seeded schedules over the same UTC
day, at the rate the RateLimiter paces (OVERALL_MARGIN of the limit) and with the tick.
"""

from __future__ import annotations

import asyncio
import contextlib
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

from bot.sandbox.clock import ScaledClock
from bot.sandbox.limits import FloodLimits
from bot.sandbox.runner import live_bot
from bot.sandbox.server import BotAPIServer, BotEvent
from bot.scheduling import capacity
from bot.scheduling.rules import SKIP_DOWN, SKIP_LATE, SKIP_NEXT, next_reminder
from bot.scheduling.timemath import as_utc
from bot.sending import OVERALL_MARGIN, RateLimiter
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


class FastClock(ScaledClock):
    """Unix seconds running `speed` times real time, moved forward at once while idle."""

    def jump_to(self, instant: float) -> None:
        gap = instant - self()
        if gap > 0:
            self.advance(gap)

    async def sleep(self, seconds: float) -> None:
        """Sleep `seconds` of this clock (the rate limiter's sleep): re-checked on waking, so
        an early wake-up never shortens a wait."""
        target = self() + seconds
        while (left := target - self()) > 1e-4:
            await asyncio.sleep(left / self.speed)


@dataclass
class Recorder:
    """The stand-in's view: when each message reached it, on the shared clock."""

    clock: FastClock
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
    live: Any, clock: FastClock, end: float, tick: float, rng: random.Random, wall_limit: float
) -> dict[str, Any]:
    """Tick the dispatcher through the day (see the module docstring); return counters."""
    app = live.app
    dispatcher = app.bot_data.dispatcher
    (job,) = app.job_queue.get_jobs_by_name("dispatcher")
    job.enabled = False  # its interval runs on real time: the benchmark triggers it instead
    watch = Stopwatch()
    tick_at: float | None = None
    ticks = periods = 0
    next_report = 0.0
    while watch.elapsed < wall_limit:
        if dispatcher.in_flight == 0:
            due = await next_due(live.db)
            if due is None or due >= end:
                break
            if tick_at is None or due > tick_at:  # an idle spell ends: a new tick phase
                tick_at = due + rng.uniform(0, tick)
                periods += 1
            clock.jump_to(tick_at)
        else:
            while dispatcher.in_flight and (left := tick_at - clock()) > 0:  # type: ignore[operator]
                await asyncio.sleep(min(0.02, left / clock.speed))
            if dispatcher.in_flight == 0 and tick_at > clock():  # type: ignore[operator]
                continue  # went idle before the tick: jump instead of waiting
        await job.run(app)
        ticks += 1
        assert tick_at is not None
        tick_at += tick
        now = clock()
        if tick_at <= now:  # a tick longer than the interval: the next one on the grid
            tick_at += math.ceil((now - tick_at) / tick) * tick
        if now >= next_report:
            hour = datetime.fromtimestamp(now, UTC).strftime("%H:%M")
            print(
                f"  {hour} simulated, {watch.elapsed:.0f} s wall, {ticks} ticks",
                file=sys.stderr,
                flush=True,
            )
            next_report = now + 3600
    await dispatcher.drain()
    return {"ticks": ticks, "busy_periods": periods, "timed_out": watch.elapsed >= wall_limit}


async def run_live(
    rows: list[capacity.ScheduleRow],
    start: datetime,
    *,
    limit: float,
    speed: float,
    tick: float,
    seed_value: int,
    database_url: str | None = None,
    wall_limit: float = 3600.0,
) -> dict[str, Any]:
    """Seed `rows`, run the day from `start` through the live bot; the measured figures."""
    watch = Stopwatch()
    begin, end = start.timestamp(), (start + timedelta(minutes=DAY_MINUTES)).timestamp()
    chat_ids = {FIRST_ID + i for i in range(len(rows))}
    clock = FastClock(speed, start=begin - 60)
    with tempfile.TemporaryDirectory(prefix="rk-day-") as tmp:
        url = database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'day.sqlite3'}"
        await seed(url, rows, start, seed_value)
        seeded_s = watch.elapsed
        recorder = Recorder(clock, chat_ids)

        def prepare(server: BotAPIServer) -> None:
            for chat_id in chat_ids:
                server.add_user(f"U{chat_id}", user_id=chat_id, started=True)
            server.add_listener(recorder)

        limiter = RateLimiter(overall_max_rate=limit, sleep=clock.sleep, monotonic=clock)
        overrides = {
            "SEND_RATE_PER_SECOND": limit,
            "TICK_SECONDS": tick,
            # The lease guards against a second process; on a clock that runs fast and jumps
            # hours while idle, 20 simulated seconds would lapse between ticks for nothing.
            "LEADER_LEASE_SECONDS": 300,
        }
        skipped_before = skips_counted()
        async with live_bot(
            unix_clock=clock,
            database_url=url,
            limits=FloodLimits(global_per_second=math.ceil(limit)),
            settings_overrides=overrides,
            prepare=prepare,
            freeze_heap=True,
            rate_limiter=limiter,
        ) as live:
            # The capacity job's child process starts 10 s after start-up: let it finish
            # first, so it does not take the CPU from the sending (wait at most a minute).
            with contextlib.suppress(TimeoutError):
                await live.server.wait_until(
                    lambda: live.app.bot_data.capacity is not None, timeout=60
                )
            started_s = watch.elapsed
            sending = Stopwatch()
            counters = await drive(
                live, clock, end, tick, random.Random(seed_value + 7), wall_limit
            )
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
    rate the bot reached at --speed (the limiter paces at OVERALL_MARGIN of the limit)."""
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
