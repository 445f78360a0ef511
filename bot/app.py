"""Builds the python-telegram-bot Application: handlers, defaults, update processing."""

from __future__ import annotations

import asyncio
import gc
import logging
import math
from typing import Any

import httpx
from telegram import LinkPreviewOptions, MenuButtonWebApp, Update, WebAppInfo
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ApplicationHandlerStop,
    BaseRateLimiter,
    Defaults,
    TypeHandler,
)
from telegram.request import BaseRequest, HTTPXRequest

from bot import jobs, metrics
from bot.clock import Clock, system_clock
from bot.commands import menu
from bot.config import Settings
from bot.content.loader import get_catalogue
from bot.content.models import Catalogue
from bot.context import CONTEXT_TYPES, Context
from bot.handlers import (
    admin,
    calendar,
    choices,
    errors,
    exercises,
    fallback,
    groups,
    onboarding,
    privacy,
    registry,
    reminders,
    schedule,
    talk,
)
from bot.i18n import DEFAULT_LANGUAGE, LANGUAGES, language_for, t
from bot.lifecycle import DRAIN
from bot.outbox import Outbox
from bot.scheduling import dispatcher
from bot.sending import RateLimiter
from bot.services.animations import Animations
from bot.services.broadcast import Broadcaster
from bot.storage.db import Database
from bot.updates import FairUpdateProcessor, Poller

log = logging.getLogger(__name__)

AnyApplication = Application[Any, Context, Any, Any, Any, Any]
#: Before every handler group, including the group admin gate (-1) that may stop an update.
METRICS_GROUP = -10


#: The update types the handlers below take; everything else is neither requested from
#: Telegram (allowed_updates) nor processed (channel posts, edits, reactions...).
HANDLED_UPDATES: tuple[str, ...] = (
    Update.MESSAGE,
    Update.CALLBACK_QUERY,
    Update.MY_CHAT_MEMBER,
)


def update_type(update: object) -> str:
    """The kind of update (message, callback_query, my_chat_member, ...)."""
    if isinstance(update, Update):
        for kind in Update.ALL_TYPES:
            if getattr(update, kind, None) is not None:
                return str(kind)
        return "unknown"
    return type(update).__name__


async def count_update(update: object, _context: Context) -> None:
    """Runs in METRICS_GROUP for every update; later handler groups still run afterwards,
    unless the bot does not handle this kind of update (a channel post, an edit)."""
    kind = update_type(update)
    metrics.UPDATES.labels(kind).inc()
    if kind not in HANDLED_UPDATES:
        raise ApplicationHandlerStop


def say_slow_down(app: AnyApplication, update: Update) -> None:
    """Once per flood: the chat's oldest waiting messages are being dropped."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None:
        return
    text = t(language_for(user.language_code if user else None), "updates.slow_down")

    async def send() -> None:
        try:
            await app.bot.send_message(chat.id, text)
        except TelegramError as exc:
            log.info("slow-down notice not sent: %s", exc)

    app.create_task(send(), name="rekpauze:slow-down")


def register_handlers(app: AnyApplication) -> None:
    app.add_handler(TypeHandler(Update, count_update), group=METRICS_GROUP)
    groups.register_handlers(app)  # first: its admin gate runs before every other handler
    registry.register_commands(app, app.bot_data.settings.admin_user_ids)
    onboarding.register_handlers(app)
    reminders.register_handlers(app)
    exercises.register_handlers(app)
    schedule.register_handlers(app)
    privacy.register_handlers(app)
    calendar.register_handlers(app)
    admin.register_handlers(app)
    choices.register_handlers(app)
    talk.register_handlers(app)  # free text, understood in context
    fallback.register_handlers(app)  # last: only what no other handler took
    app.add_error_handler(errors.on_error)


async def set_command_menu(app: AnyApplication) -> None:
    await app.bot.set_my_commands(menu("en"))
    await app.bot.set_my_commands(menu("nl"), language_code="nl")
    await app.bot.set_my_commands(menu("fr"), language_code="fr")


async def set_profile_texts(bot: Any) -> None:
    """What an empty chat shows before /start, per language (English is the default)."""
    for lang in LANGUAGES:
        code = None if lang == DEFAULT_LANGUAGE else lang  # None: for every other language
        await bot.set_my_description(t(lang, "profile.description"), language_code=code)
        await bot.set_my_short_description(t(lang, "profile.short_description"), language_code=code)


async def set_menu_button(app: AnyApplication) -> None:
    """With WEBAPP_URL, every private chat's menu button opens the Mini App; without it,
    nothing is changed (Telegram's default menu lists the commands)."""
    url = app.bot_data.settings.webapp_url
    if url:
        button = MenuButtonWebApp(t("en", "webapp.menu_button"), WebAppInfo(url))
        await app.bot.set_chat_menu_button(menu_button=button)


async def startup(app: AnyApplication, *, freeze: bool = True) -> None:
    """Everything the bot does once it is connected, before it takes updates.

    freeze=False when the bot shares its process (tests, the in-process sandbox runner):
    freezing the heap would freeze the host's heap too."""
    await set_command_menu(app)
    await set_menu_button(app)
    await set_profile_texts(app.bot)
    jobs.schedule_all(app)
    if freeze:
        freeze_heap()


def freeze_heap() -> None:
    """Move what start-up left alive (modules, the catalogue, the Application) out of the
    cyclic garbage collector's reach. Its full collections traverse every tracked object and
    held the event loop for ~50 ms at a time (the p99 of a tick's claim query); the objects
    created afterwards are few, so they stay short."""
    gc.collect()
    gc.freeze()
    log.debug("start-up heap frozen: %d objects", gc.get_freeze_count())


#: Seconds to wait for the Bot API's answer. A request that times out after it was written is
#: not retried (bot.retry), so a slow answer must not be taken for a lost one: Telegram
#: usually answers within a second, and PTB's default of 5 s made a 7 s answer a duplicate.
READ_TIMEOUT = 20.0
SHUTDOWN_SECONDS = 10.0  # for in-flight work after SIGTERM; systemd/compose allow 20
#: Requests on the wire at once (PTB's default pool size).
POOL_SIZE = 256
#: Connections kept open between requests: the send rate times this answer time of the Bot
#: API, at least 8; beyond that, an idle connection is closed. httpcore checks every pooled
#: connection on each request (a socket poll each, and a list of all of them for each idle
#: one), so a pool left at a burst's size (unlimited in PTB's default) costs CPU on every
#: send until its connections expire 5 s later: at 200 sends a second, up to 0.4 of a core
#: (README, Paid broadcasts). httpcore 1.0 compares the limit with all connections, busy or
#: idle (encode/httpcore#1000), so it must cover what a steady rate keeps on the wire, or
#: each answer closes a connection and the next send opens (with Telegram: handshakes) a
#: new one.
KEEPALIVE_ANSWER_SECONDS = 0.15


def bot_request(settings: Settings) -> HTTPXRequest:
    """PTB's HTTP client for the bot's requests, with a keep-alive pool sized to the rate."""
    rate = max(settings.send_rate_per_second, settings.paid_broadcast_rate)
    keep = min(POOL_SIZE, max(8, math.ceil(rate * KEEPALIVE_ANSWER_SECONDS)))
    return HTTPXRequest(
        connection_pool_size=POOL_SIZE,
        read_timeout=READ_TIMEOUT,
        write_timeout=READ_TIMEOUT,
        httpx_kwargs={
            "limits": httpx.Limits(max_connections=POOL_SIZE, max_keepalive_connections=keep)
        },
    )


#: Connections for getUpdates: the poll's, and one spare for the confirmation at stop. Stopping
#: cancels the poll, and a request cancelled at the wrong moment can keep its connection taken
#: in httpcore's pool for good (encode/httpcore#1093, #830); with PTB's single connection the
#: final confirmation then timed out waiting for it, and what the bot had answered since the
#: last poll came again at the next start.
UPDATES_POOL_SIZE = 2


def updates_request() -> HTTPXRequest:
    """PTB's HTTP client for getUpdates (bot.updates.Poller), with a spare connection."""
    return HTTPXRequest(connection_pool_size=UPDATES_POOL_SIZE)


async def stop_gracefully(app: AnyApplication, budget: float = SHUTDOWN_SECONDS) -> None:
    """Stop taking updates, let the work in flight finish within `budget` seconds, release
    locks (the shutdown hooks in bot/lifecycle.py), then stop the Application.

    The one stop sequence for `rekpauze run` and the sandbox, so tests that run the bot
    in-process stop it exactly as an operator's SIGTERM does."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + budget
    poller = app.bot_data.poller
    polling = poller.running
    await poller.stop()
    await app.bot_data.shutdown.run(max(deadline - loop.time(), 0.0))
    try:
        # Handles the updates already received, waits for running jobs.
        await asyncio.wait_for(app.stop(), max(deadline - loop.time(), 2.0))
    except TimeoutError:
        log.warning("stopping: updates or jobs still running after %.0f s", budget)
        processor = app.update_processor
        if isinstance(processor, FairUpdateProcessor):
            abandoned = await processor.abandon()
            log.warning("stopping: %d updates abandoned unfinished", abandoned)
    if polling:  # confirm to Telegram only what was processed; the rest comes again
        await poller.confirm()


def build_application(
    settings: Settings,
    db: Database,
    *,
    token: str,
    catalogue: Catalogue | None = None,
    clock: Clock = system_clock,
    clock_speed: float = 1.0,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    rate_limiter: BaseRateLimiter[Any] | None = None,
) -> AnyApplication:
    processor = FairUpdateProcessor()
    builder = (
        ApplicationBuilder()
        .context_types(CONTEXT_TYPES)
        .token(token)
        .base_url(settings.telegram_api_base_url)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .concurrent_updates(processor)
        .updater(None)  # bot.updates.Poller fetches updates
        .rate_limiter(
            rate_limiter
            or RateLimiter.for_rate(settings.send_rate_per_second, settings.paid_broadcast_rate)
        )
    )
    builder = builder.request(request or bot_request(settings))
    builder = builder.get_updates_request(get_updates_request or updates_request())
    app: AnyApplication = builder.build()
    parts = app.bot_data
    parts.settings, parts.db, parts.clock = settings, db, clock
    parts.clock_speed = clock_speed
    parts.catalogue = catalogue or get_catalogue()
    parts.outbox = Outbox(app.bot, db)
    parts.dispatcher = dispatcher.from_settings(parts.outbox, parts.catalogue, settings, db, clock)
    parts.broadcaster = Broadcaster(db, parts.outbox, clock)
    parts.animations = Animations(db, settings.animations_dir)
    parts.shutdown.add("broadcast", parts.broadcaster.stop, order=DRAIN)
    parts.poller = Poller(app.bot, app.update_queue, allowed_updates=HANDLED_UPDATES)
    processor.on_done = parts.poller.finished
    processor.on_flood = lambda update: say_slow_down(app, update)
    register_handlers(app)
    return app
