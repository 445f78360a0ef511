"""What handlers and jobs are given: the bot's parts (`BotData`), and per update the chat and
its language, loaded once (`Context`). Registered with python-telegram-bot's ContextTypes in
bot.app, so `context.bot_data` is typed and no part is looked up by a string key."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from telegram import Update
from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot, JobQueue

from bot.clock import Clock
from bot.i18n import language_for
from bot.lifecycle import Children, Heartbeat, ShutdownHooks
from bot.services.groups import AdminCache
from bot.services.subscribers import Subscriber, get_subscriber

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.content.models import Catalogue
    from bot.outbox import Outbox
    from bot.scheduling.defaults import DefaultLoad
    from bot.scheduling.dispatcher import Dispatcher
    from bot.services.animations import Animations
    from bot.services.broadcast import Broadcaster
    from bot.storage.db import Database
    from bot.updates import Poller


class BotData:
    """The bot's parts, one per process; filled in by bot.app.build_application.

    python-telegram-bot creates `bot_data` itself, without arguments, so the parts are set
    right after the Application is built (before any update or job runs)."""

    settings: Settings
    db: Database
    clock: Clock
    catalogue: Catalogue
    outbox: Outbox
    dispatcher: Dispatcher
    broadcaster: Broadcaster
    poller: Poller
    animations: Animations

    def __init__(self) -> None:
        self.admins = AdminCache()
        #: The latest capacity prediction (bot.jobs.predict_capacity), derived, not state.
        self.capacity: dict[str, Any] | None = None
        #: What new subscribers' default times are placed against (refreshed with it).
        self.default_load: DefaultLoad | None = None
        self.heartbeat = Heartbeat()
        self.children = Children()
        #: How much faster than real time `clock` runs: 1, or the sandbox's --speed; the
        #: periodic jobs divide their intervals by it (bot.jobs.every).
        self.clock_speed = 1.0
        self.shutdown = ShutdownHooks()

    def now(self) -> datetime:
        return self.clock()


class Context(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]):
    """One per update (python-telegram-bot reuses it across handler groups): the chat's row
    and language are read from the database at most once per update."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application, chat_id, user_id)
        self._for_chat = chat_id
        self._user_language: str | None = None
        self._subscriber: Subscriber | None = None
        self._loaded = False

    @classmethod
    def from_update(
        cls, update: object, application: Application[Any, Any, Any, Any, Any, Any]
    ) -> Context:
        context = super().from_update(update, application)
        if isinstance(update, Update) and update.effective_user is not None:
            context._user_language = update.effective_user.language_code
        return context

    def now(self) -> datetime:
        return self.bot_data.clock()

    @property
    def jobs(self) -> JobQueue[Context] | None:
        """The JobQueue, typed for callbacks that take this context."""
        return cast("JobQueue[Context] | None", self.job_queue)

    async def subscriber(self) -> Subscriber | None:
        """The chat's settings, or None when it never subscribed."""
        if not self._loaded and self._for_chat is not None:
            self._subscriber = await get_subscriber(self.bot_data.db, self._for_chat)
            self._loaded = True
        return self._subscriber

    def remember(self, subscriber: Subscriber | None) -> Subscriber | None:
        """After a change made in this update: later questions get the new settings."""
        self._subscriber, self._loaded = subscriber, subscriber is not None or self._loaded
        return subscriber

    async def language(self) -> str:
        """The chat's language, or the one Telegram reports for the user."""
        subscriber = await self.subscriber()
        return subscriber.language if subscriber else language_for(self._user_language)


CONTEXT_TYPES = ContextTypes(context=Context, bot_data=BotData)
