"""Wiring for running the bot as a service: update counting, periodic gauges, broadcasts.

Kept out of app.py so that the Application's builder stays a short list of parts.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackContext, TypeHandler

from bot import metrics
from bot.context import services
from bot.lifecycle import DRAIN
from bot.services.admin import count_active
from bot.services.broadcast import Broadcaster, broadcaster

log = logging.getLogger(__name__)

ACTIVE_REFRESH_SECONDS = 60
BROADCAST_WATCH_SECONDS = 30


#: Before every handler group, including the group admin gate (-1) that may stop an update.
METRICS_GROUP = -10


async def count_update(update: object, _context: CallbackContext[Any, Any, Any, Any]) -> None:
    """Runs in METRICS_GROUP for every update; later handler groups still run afterwards."""
    metrics.UPDATES.labels(metrics.update_type(update)).inc()


async def refresh_active_subscribers(context: CallbackContext[Any, Any, Any, Any]) -> None:
    """One COUNT a minute, instead of one per scrape."""
    svc = services(context)
    try:
        async with svc.db.session() as session:
            metrics.ACTIVE_SUBSCRIBERS.set(await count_active(session, svc.clock()))
    except Exception as exc:  # the database being away is /readyz's news, not a crash
        log.warning("could not count active subscribers: %r", exc)


async def watch_broadcasts(context: CallbackContext[Any, Any, Any, Any]) -> None:
    """Resume a broadcast after a restart, or take over one a dead process left behind."""
    try:
        await broadcaster(context.application).poll()
    except Exception as exc:
        log.warning("could not look for broadcasts: %r", exc)


def install(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(TypeHandler(Update, count_update), group=METRICS_GROUP)
    sender = Broadcaster(app)
    app.bot_data["broadcaster"] = sender
    app.bot_data["services"].shutdown.add("broadcast", sender.stop, order=DRAIN)
    if app.job_queue is not None:
        app.job_queue.run_repeating(
            refresh_active_subscribers, ACTIVE_REFRESH_SECONDS, first=0, name="active gauge"
        )
        app.job_queue.run_repeating(
            watch_broadcasts, BROADCAST_WATCH_SECONDS, first=1, name="broadcast watch"
        )
