"""Every periodic job, registered in one place on python-telegram-bot's JobQueue: the
reminder tick, summaries and nudges, broadcasts, the active-subscriber gauge. Each callback
catches its own failures, so one bad run never stops the next."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sys
from datetime import UTC, date, datetime
from typing import Any

from telegram.ext import Application

from bot import metrics
from bot.context import Context
from bot.lifecycle import DRAIN, RELEASE, STOP, Children
from bot.scheduling.defaults import DefaultLoad
from bot.scheduling.paid import LateMinutes
from bot.services import calendars, digests
from bot.services.admin import count_active

log = logging.getLogger(__name__)

#: Every interval below is in seconds of the bot's clock; `every` turns it into the real
#: seconds the JobQueue waits (the sandbox's clock runs `--speed` times faster).
DIGEST_INTERVAL_S = 60
#: The capacity model takes seconds of CPU and numpy at a million subscribers: it runs as a
#: child process (`rekpauze capacity --json`) now and then, never in the bot's own memory.
CAPACITY_INTERVAL_S = 30 * 60
CAPACITY_TIMEOUT_S = 10 * 60
#: The shortest real interval of any job: a sandbox at --speed 600 must not spin.
MIN_REAL_INTERVAL_S = 0.2
ACTIVE_REFRESH_SECONDS = 60
BROADCAST_WATCH_SECONDS = 30
CALENDAR_REFRESH_SECONDS = int(calendars.REFRESH_EVERY.total_seconds())


async def reminder_tick(context: Context) -> None:
    """One dispatcher tick at the injected clock's now, then a heartbeat for /readyz (leader
    or standby: both are healthy)."""
    parts = context.bot_data
    try:
        await parts.dispatcher.tick(parts.clock())
    except Exception:  # a database hiccup must not stop the next tick
        log.exception("dispatcher tick failed")
        return
    parts.heartbeat.beat(parts.clock())


async def digest_tick(context: Context) -> None:
    """Send the weekly summaries and nudges that are due."""
    parts = context.bot_data
    try:
        await digests.run_due(parts.db, parts.outbox, parts.clock())
    except Exception:
        log.exception("digest tick failed")


async def refresh_active_subscribers(context: Context) -> None:
    """One COUNT a minute, instead of one per scrape."""
    parts = context.bot_data
    try:
        metrics.ACTIVE_SUBSCRIBERS.set(await count_active(parts.db, parts.clock()))
    except Exception as exc:  # the database being away is /readyz's news, not a crash
        log.warning("could not count active subscribers: %r", exc)


async def predict_capacity(context: Context) -> None:
    """Refresh the capacity prediction: /admin's line and the predicted-lateness gauges."""
    parts = context.bot_data
    try:
        found = await capacity_summary(
            parts.settings.database_url,
            parts.settings.send_rate_per_second,
            parts.children,
            late_after=parts.settings.paid_broadcast_after_seconds,
        )
    except Exception as exc:  # a slow or failing model is news for /admin, not a crash
        if parts.children.stopping:  # the shutdown ended the child: nothing to report
            log.info("capacity prediction stopped: the bot is shutting down")
            return
        log.warning("capacity prediction failed: %r", exc)
        return
    parts.capacity = found
    parts.default_load = DefaultLoad(
        week_of=date.fromisoformat(found["week_of"]),
        cells=[float(v) for v in found["weekly_load"]],
        window_minutes=parts.settings.default_times_window_minutes,
    )
    paid = parts.dispatcher.paid
    if paid is not None:  # the minutes whose reminders go out paid from their first second
        paid.forecast = LateMinutes.from_runs(
            datetime.fromisoformat(found["start"]), found["late_minutes"]
        )
    metrics.CAPACITY_P99.set(found["p99_s"])
    metrics.CAPACITY_SKIPS.set(found["skipped"])


async def capacity_summary(
    database_url: str,
    rate: float,
    children: Children | None = None,
    *,
    late_after: float = 60.0,
) -> dict[str, Any]:
    env = {**os.environ, "DATABASE_URL": database_url}
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "capacity",
        "--json",
        "--rate",
        f"{rate:g}",
        "--late-after",
        f"{late_after:g}",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        with children.track(child) if children else contextlib.nullcontext():
            out, _ = await asyncio.wait_for(child.communicate(), CAPACITY_TIMEOUT_S)
    except (TimeoutError, asyncio.CancelledError):
        child.kill()
        await child.wait()
        raise
    if child.returncode != 0:
        raise RuntimeError(f"rekpauze capacity exited with {child.returncode}")
    found: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return found


async def watch_broadcasts(context: Context) -> None:
    """Resume a broadcast after a restart, or take over one a dead process left behind."""
    try:
        await context.bot_data.broadcaster.poll()
    except Exception as exc:
        log.warning("could not look for broadcasts: %r", exc)


async def refresh_calendars(context: Context) -> None:
    """Re-read the calendars of chats with a reminder coming up (issue 19). Its own job, a few
    calendars at a time with a timeout each: the reminder tick never waits for a calendar,
    it reads the busy time stored by the last refresh."""
    parts = context.bot_data
    try:
        report = await calendars.refresh_due(parts.db, parts.outbox, parts.settings, parts.clock)
    except Exception:
        log.exception("calendar refresh failed")
        return
    if report.refreshed or report.failed:
        log.info(
            "calendars: %d refreshed, %d failed, %d told; moved reminders: %d moved again, "
            "%d skipped",
            report.refreshed,
            report.failed,
            report.notified,
            report.moved_again,
            report.skipped,
        )
    else:
        log.debug("calendars: none due for a refresh")


def every(clock_seconds: float, speed: float) -> float:
    """Real seconds between runs of a job meant to run every `clock_seconds` on a clock that
    runs `speed` times faster than real time (1 in production, --speed in the sandbox), so
    each job keeps its pace on the clock that decides what is due."""
    return max(MIN_REAL_INTERVAL_S, clock_seconds / speed)


def schedule_all(app: Application[Any, Context, Any, Any, Any, Any]) -> None:
    """Register the periodic jobs and their shutdown hooks; called once the bot is connected.

    The reminder tick runs at once: `first=0` alone would not do that (APScheduler computes a
    pending job's first run when the scheduler starts, and a start date already past rounds
    up to one whole interval later); an explicit next_run_time is kept as it is."""
    queue = app.job_queue
    assert queue is not None, "python-telegram-bot[job-queue] is required"
    parts = app.bot_data
    speed = parts.clock_speed
    interval = every(parts.settings.tick_seconds, speed)
    # The heartbeat is read on the bot's clock: one tick is `interval * speed` of it.
    parts.heartbeat.register(interval * speed, parts.clock())
    parts.shutdown.add("child processes", parts.children.kill_all, order=STOP)
    parts.shutdown.add("reminder sends", parts.dispatcher.stop, order=DRAIN)
    parts.shutdown.add("leader lease", parts.dispatcher.release, order=RELEASE)
    queue.run_repeating(
        reminder_tick,
        interval=interval,
        first=0,
        name="dispatcher",
        job_kwargs={
            "max_instances": 1,
            "coalesce": True,
            "misfire_grace_time": None,
            "next_run_time": datetime.now(UTC),
        },
    )
    digest_every = every(DIGEST_INTERVAL_S, speed)
    queue.run_repeating(digest_tick, interval=digest_every, first=digest_every, name="digests")
    queue.run_repeating(
        refresh_active_subscribers,
        every(ACTIVE_REFRESH_SECONDS, speed),
        first=0,
        name="active gauge",
    )
    queue.run_repeating(
        watch_broadcasts, every(BROADCAST_WATCH_SECONDS, speed), first=1, name="broadcast watch"
    )
    queue.run_repeating(
        refresh_calendars,
        every(CALENDAR_REFRESH_SECONDS, speed),
        first=every(5, speed),
        name="calendar refresh",
        job_kwargs={"max_instances": 1, "coalesce": True},
    )
    if parts.settings.send_rate_per_second > 0:
        queue.run_repeating(
            predict_capacity,
            every(CAPACITY_INTERVAL_S, speed),
            first=every(10, speed),
            name="capacity prediction",
        )
