"""Builds the python-telegram-bot Application: handlers, defaults, update processing."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections import defaultdict
from collections.abc import Awaitable
from typing import Any

from telegram import LinkPreviewOptions, MenuButtonWebApp, Update, WebAppInfo
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseRateLimiter,
    BaseUpdateProcessor,
    Defaults,
    TypeHandler,
)
from telegram.request import BaseRequest

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
    errors,
    exercises,
    fallback,
    groups,
    onboarding,
    privacy,
    registry,
    reminders,
    schedule,
)
from bot.i18n import t
from bot.lifecycle import DRAIN
from bot.outbox import Outbox
from bot.scheduling import dispatcher
from bot.sending import RateLimiter
from bot.services.animations import Animations
from bot.services.broadcast import Broadcaster
from bot.storage.db import Database

log = logging.getLogger(__name__)

AnyApplication = Application[Any, Context, Any, Any, Any, Any]
#: Before every handler group, including the group admin gate (-1) that may stop an update.
METRICS_GROUP = -10


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Updates of different chats run concurrently; updates of one chat run in order.

    Sequential processing would make every user wait for every other user's reply round
    trip; fully concurrent processing could answer one user's two messages out of order.
    """

    def __init__(self, max_concurrent_updates: int = 256) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: defaultdict[int, int] = defaultdict(int)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await coroutine
            return
        lock = self._locks.setdefault(chat.id, asyncio.Lock())
        self._users[chat.id] += 1
        try:
            async with lock:
                await coroutine
        finally:
            self._users[chat.id] -= 1
            if not self._users[chat.id]:
                del self._users[chat.id]
                del self._locks[chat.id]

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


def update_type(update: object) -> str:
    """The kind of update (message, callback_query, my_chat_member, ...)."""
    if isinstance(update, Update):
        for kind in Update.ALL_TYPES:
            if getattr(update, kind, None) is not None:
                return str(kind)
        return "unknown"
    return type(update).__name__


async def count_update(update: object, _context: Context) -> None:
    """Runs in METRICS_GROUP for every update; later handler groups still run afterwards."""
    metrics.UPDATES.labels(update_type(update)).inc()


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
    fallback.register_handlers(app)  # last: only what no other handler took
    app.add_error_handler(errors.on_error)


async def set_command_menu(app: AnyApplication) -> None:
    await app.bot.set_my_commands(menu("en"))
    await app.bot.set_my_commands(menu("nl"), language_code="nl")
    await app.bot.set_my_commands(menu("fr"), language_code="fr")


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


SHUTDOWN_SECONDS = 10.0  # for in-flight work after SIGTERM; systemd/compose allow 20


async def stop_gracefully(app: AnyApplication, budget: float = SHUTDOWN_SECONDS) -> None:
    """Stop taking updates, let the work in flight finish within `budget` seconds, release
    locks (the shutdown hooks in bot/lifecycle.py), then stop the Application.

    The one stop sequence for `rekpauze run` and the sandbox, so tests that run the bot
    in-process stop it exactly as an operator's SIGTERM does."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + budget
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    await app.bot_data.shutdown.run(max(deadline - loop.time(), 0.0))
    try:
        # Handles the updates already received, waits for running jobs.
        await asyncio.wait_for(app.stop(), max(deadline - loop.time(), 2.0))
    except TimeoutError:
        log.warning("stopping: updates or jobs still running after %.0f s", budget)


def build_application(
    settings: Settings,
    db: Database,
    *,
    token: str,
    catalogue: Catalogue | None = None,
    clock: Clock = system_clock,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    rate_limiter: BaseRateLimiter[Any] | None = None,
) -> AnyApplication:
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
        .concurrent_updates(PerChatUpdateProcessor())
        .rate_limiter(rate_limiter or RateLimiter.for_rate(settings.send_rate_per_second))
    )
    if request is not None:
        builder = builder.request(request)
    if get_updates_request is not None:
        builder = builder.get_updates_request(get_updates_request)
    app: AnyApplication = builder.build()
    parts = app.bot_data
    parts.settings, parts.db, parts.clock = settings, db, clock
    parts.catalogue = catalogue or get_catalogue()
    parts.outbox = Outbox(app.bot, db)
    parts.dispatcher = dispatcher.from_settings(parts.outbox, parts.catalogue, settings, db, clock)
    parts.broadcaster = Broadcaster(db, parts.outbox, clock)
    parts.animations = Animations(db, settings.animations_dir)
    parts.shutdown.add("broadcast", parts.broadcaster.stop, order=DRAIN)
    register_handlers(app)
    return app
