"""The simulated Telegram the Bot API methods act on: accounts, chats, messages, button presses.

It also holds the rules every method shares: which chats the bot may read or write (and the
403/400 answers Telegram gives otherwise), flood control, and who is told when something changes
(the tests' `wait_until` and the terminal's listeners).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import telegram

from .clock import Clock
from .limits import FloodControl, FloodLimits, retry_after_seconds
from .state import (
    PRIVATE,
    BotEvent,
    CallbackQueryRecord,
    Chat,
    ServerStats,
    StoredMessage,
    User,
    chat_member,
    timestamp,
)
from .updates import UpdateQueue
from .validation import ApiError, Params, bad_request, forbidden

log = logging.getLogger(__name__)

Listener = Callable[[BotEvent], None]


class World:
    """Users, chats and their messages, as the stand-in's Telegram knows them."""

    def __init__(
        self,
        bot: User,
        *,
        clock: Clock,
        limits: FloodLimits,
        privacy_mode: bool,
        callback_query_ttl: float | None,
        max_messages_per_chat: int,
        max_pending_updates: int,
        webhook_retry_delay: float,
    ) -> None:
        self.bot = bot
        self.clock = clock
        self.privacy_mode = privacy_mode
        self.callback_query_ttl = callback_query_ttl
        self.max_messages_per_chat = max_messages_per_chat
        self.updates = UpdateQueue(
            clock=clock,
            on_change=self.changed,
            max_pending=max_pending_updates,
            retry_delay=webhook_retry_delay,
        )
        self.stats = ServerStats()
        self.flood = FloodControl(limits, clock)

        self.users: dict[int, User] = {}
        self.chats: dict[int, Chat] = {}
        self._chat_usernames: dict[str, Chat] = {}
        self.user_ids = itertools.count(100_000_001)
        self.group_ids = itertools.count(4_000_000_001)
        self.supergroup_ids = itertools.count(1_001_000_000_001)
        self._seq = itertools.count(1)
        self.queries: OrderedDict[str, CallbackQueryRecord] = OrderedDict()

        self._waiters: list[asyncio.Future[None]] = []
        self.listeners: list[Listener] = []

    # --- chats ----------------------------------------------------------------------------

    def register_chat(self, chat: Chat) -> None:
        self.chats[chat.id] = chat
        if chat.username:
            self._chat_usernames[chat.username.lower()] = chat

    def lookup_chat(self, ref: int | str) -> Chat:
        chat = (
            self._chat_usernames.get(ref[1:].lower())
            if isinstance(ref, str)
            else self.chats.get(ref)
        )
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def check_group_access(self, chat: Chat) -> None:
        if chat.migrated_to is not None:
            raise bad_request(
                "group chat was upgraded to a supergroup chat", migrate_to_chat_id=chat.migrated_to
            )
        if chat.deleted:
            raise forbidden(f"the {chat.type} chat was deleted")
        if chat.bot_status == "kicked":
            raise forbidden(f"bot was kicked from the {chat.type} chat")
        if chat.bot_status == "left":
            raise forbidden(f"bot is not a member of the {chat.type} chat")

    def readable_chat(self, params: Params) -> Chat:
        chat = self.lookup_chat(params.chat_id())
        if chat.type == PRIVATE:
            if chat.user is None or not chat.user.started:
                raise bad_request("chat not found")
        else:
            self.check_group_access(chat)
        return chat

    def writable_chat(self, params: Params) -> Chat:
        chat = self.lookup_chat(params.chat_id())
        if chat.type == PRIVATE:
            user = chat.user
            assert user is not None
            if user.deactivated:
                raise forbidden("user is deactivated")
            if not user.started:
                raise forbidden("bot can't initiate conversation with a user")
            if user.blocked_bot:
                raise forbidden("bot was blocked by the user")
        else:
            self.check_group_access(chat)
        return chat

    def check_flood(self, chat: Chat, *, edit: bool, paid: bool = False) -> None:
        """429 beyond flood control; `paid`: a send with `allow_paid_broadcast`, counted in
        `stats.paid_broadcasts` once accepted."""
        wait = self.flood.check(chat.id, is_group=chat.is_group, edit=edit, paid=paid)
        if wait is not None:
            seconds = retry_after_seconds(wait)
            self.stats.too_many_requests += 1
            self.stats.too_many_requests_by_chat[chat.id] += 1
            raise ApiError(
                429, f"Too Many Requests: retry after {seconds}", {"retry_after": seconds}
            )
        if paid:
            self.stats.paid_broadcasts += 1

    # --- messages -------------------------------------------------------------------------

    def new_message(self, chat: Chat, sender: User, **fields: Any) -> StoredMessage:
        """Store a message from `sender` (the bot or a played user) in `chat`."""
        message = StoredMessage(
            message_id=chat.take_message_id(),
            chat=chat,
            sender=sender,
            date=int(self.clock()),
            seq=next(self._seq),
            from_bot=sender is self.bot,
            **fields,
        )
        chat.store(message, self.max_messages_per_chat)
        if message.from_bot:
            self.stats.messages_sent += 1
            self.changed(BotEvent("message", chat, message))
        return message

    def push_message(self, message: StoredMessage) -> None:
        self.updates.push("message", message.to_telegram())

    def my_chat_member(self, chat: Chat, actor: User, old: str, new: str) -> None:
        """The bot's own standing in a chat changed (blocked, kicked, added)."""
        self.updates.push(
            "my_chat_member",
            telegram.ChatMemberUpdated(
                chat.to_telegram(),
                actor.to_telegram(),
                timestamp(int(self.clock())),
                chat_member(self.bot, old),
                chat_member(self.bot, new),
            ),
        )

    # --- change notification --------------------------------------------------------------

    def changed(self, event: BotEvent | None = None) -> None:
        """Wake `wait_until` callers, and tell listeners what the bot did."""
        if self._waiters:
            waiters, self._waiters = self._waiters, []
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)
        if event is not None:
            for listener in list(self.listeners):
                try:
                    listener(event)
                except Exception:
                    log.exception("stand-in listener failed")

    async def wait_until(
        self,
        condition: Callable[[], Any],
        *,
        timeout: float = 5.0,  # noqa: ASYNC109 - real seconds to wait for the bot, by design
        describe: Callable[[], str] | None = None,
    ) -> Any:
        """Re-check `condition` whenever something changes; return its first truthy value,
        or raise TimeoutError after `timeout` real seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = condition()
            if result:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(describe() if describe else "condition not met in time")
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiters.append(waiter)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(waiter, remaining)
