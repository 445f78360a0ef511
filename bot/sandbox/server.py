"""A strict, local stand-in for the Telegram Bot API, for end-to-end tests and the sandbox.

The real bot (PTB's Application with `base_url=server.base_url`) talks to it over HTTP exactly as
it would talk to api.telegram.org. It refuses what Telegram refuses (bad HTML, oversized texts and
button data, flood, blocked users, unknown chats), so a test that passes here does not fail in
production for those reasons, and it lets tests play users and script Telegram's misbehaviour.

    server = BotAPIServer(clock=ManualClock())
    base_url = await server.start()
    anke = server.add_user("Anke", language_code="nl")
    await server.send_text(anke, "/start")
    welcome = await server.wait_for_message(anke)
    await server.press_button(anke, welcome, "Done")
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import logging
import mimetypes
import re
import secrets
from collections import Counter, OrderedDict, deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from bot.telegram_html import Entity, utf16_len, utf16_slice

from .clock import Clock, ManualClock, ScaledClock, system_clock
from .faults import Fault, FaultPlan, ScriptedFault
from .limits import FloodControl, FloodLimits, retry_after_seconds
from .state import (
    GROUP,
    PRIVATE,
    SUPERGROUP,
    ApiCall,
    CallbackQueryRecord,
    Chat,
    FileInfo,
    StoredMessage,
    User,
    member_json,
)
from .validation import (
    MAX_DOCUMENT_BYTES,
    MAX_PHOTO_BYTES,
    ApiError,
    Params,
    ReplyMarkup,
    Upload,
    bad_request,
    forbidden,
    formatted_text,
    image_size,
    reply_markup,
)

__all__ = [
    "ApiCall",
    "BotAPIServer",
    "BotEvent",
    "CallbackQueryRecord",
    "Chat",
    "Fault",
    "FloodLimits",
    "ManualClock",
    "ScaledClock",
    "ScriptedFault",
    "ServerStats",
    "StoredMessage",
    "User",
]

log = logging.getLogger(__name__)

DEFAULT_TOKEN = "123456789:TEST-stand-in-token"
_TOKEN_RE = re.compile(r"[0-9]{1,20}:[A-Za-z0-9_-]{1,128}")
_COMMAND_RE = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,64})?")
_MENTION_RE = re.compile(r"(?<!\S)@[A-Za-z0-9_]{5,32}")
_BOT_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_LANGUAGE_RE = re.compile(r"[a-z]{2}")
_SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")

_OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_SCOPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
_QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
_CONFLICT_POLL = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is "
    "running"
)
_CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete "
    "the webhook first"
)

Handler = Callable[["BotAPIServer", Params], Awaitable[Any]]
_METHODS: dict[str, tuple[str, Handler]] = {}


def api_method(name: str) -> Callable[[Handler], Handler]:
    """Register a Bot API method; names are matched case-insensitively as Telegram does."""

    def register(handler: Handler) -> Handler:
        _METHODS[name.lower()] = (name, handler)
        return handler

    return register


def supported_methods() -> list[str]:
    return sorted(name for name, _ in _METHODS.values())


@dataclass
class ServerStats:
    """Counters a test or benchmark asserts on."""

    requests: int = 0
    by_method: Counter[str] = field(default_factory=Counter)
    errors_by_status: Counter[int] = field(default_factory=Counter)
    messages_sent: int = 0
    too_many_requests: int = 0
    """429 answers from flood control (scripted 429s are counted in `scripted_faults`)."""
    too_many_requests_by_chat: Counter[int] = field(default_factory=Counter)
    scripted_faults: int = 0
    dropped_connections: int = 0
    in_flight: Counter[str] = field(default_factory=Counter)
    """Requests received and not yet answered, by method, right now. With `set_latency` a
    call takes effect before its late answer, so these are the sends a bot killed now would
    not know the outcome of (a kill -9 test's bound on repeats)."""


@dataclass(frozen=True)
class BotEvent:
    """Something the bot did that a watcher (the terminal sandbox) may want to show at once.

    kind: "message" (sent), "edit", "delete", "chat_action" (detail = action) or
    "callback_answer" (detail = CallbackQueryRecord).
    """

    kind: str
    chat: Chat
    message: StoredMessage | None = None
    detail: Any = None


Listener = Callable[[BotEvent], None]


@dataclass
class _Webhook:
    url: str
    secret_token: str | None
    max_connections: int
    allowed_updates: list[str] | None
    ip_address: str | None
    last_error_date: int | None = None
    last_error_message: str | None = None


class BotAPIServer:
    """The Bot API stand-in: an HTTP server plus the world it serves and a way to play users."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        clock: Clock = system_clock,
        limits: FloodLimits | None = None,
        bot_username: str = "rekpauze_test_bot",
        bot_name: str = "Rekpauze",
        privacy_mode: bool = True,
        callback_query_ttl: float | None = 15.0,
        max_messages_per_chat: int = 200,
        max_pending_updates: int = 100_000,
        max_logged_calls: int = 10_000,
        max_stored_file_bytes: int = 64 * 1024 * 1024,
        webhook_retry_delay: float = 0.05,
    ) -> None:
        """Configure the stand-in; nothing listens until `start()`.

        clock: Unix seconds for message dates, flood windows and callback query expiry; pass a
            ManualClock so tests cross flood windows by advancing it instead of sleeping.
        limits: flood control numbers; `FloodLimits.off()` disables it.
        privacy_mode: like BotFather's default, group messages reach the bot only if they are
            commands, replies to the bot or mention it.
        callback_query_ttl: seconds (on `clock`) a button press can still be answered; None for
            no expiry.
        """
        if not _TOKEN_RE.fullmatch(token):
            raise ValueError("token must look like a Bot API token: <digits>:<letters>")
        self.token = token
        self.clock = clock
        self.limits = limits if limits is not None else FloodLimits()
        self.privacy_mode = privacy_mode
        self.callback_query_ttl = callback_query_ttl
        self.max_messages_per_chat = max_messages_per_chat
        self.max_pending_updates = max_pending_updates
        self.max_stored_file_bytes = max_stored_file_bytes
        self.webhook_retry_delay = webhook_retry_delay

        self.bot = User(int(token.split(":", 1)[0]), bot_name, username=bot_username, is_bot=True)
        self.calls: deque[ApiCall] = deque(maxlen=max_logged_calls)
        """Every call the bot made, newest last, with its parameters and the answer given."""
        self.stats = ServerStats()
        self.faults = FaultPlan()
        self.flood = FloodControl(self.limits, clock)

        self._users: dict[int, User] = {}
        self._chats: dict[int, Chat] = {}
        self._chat_usernames: dict[str, Chat] = {}
        self._user_ids = itertools.count(100_000_001)
        self._group_ids = itertools.count(4_000_000_001)
        self._supergroup_ids = itertools.count(1_001_000_000_001)
        self._seq = itertools.count(1)
        self._query_ids = itertools.count(4_000_000_000_000_000_001)
        self._file_ids = itertools.count(1)

        self._updates: deque[dict[str, Any]] = deque()
        self._last_update_id = 100_000
        self._allowed_updates: frozenset[str] | None = None
        self._poll_waiter: asyncio.Future[str] | None = None
        self._webhook: _Webhook | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._webhook_wakeup: asyncio.Event | None = None
        self._session: aiohttp.ClientSession | None = None

        self._queries: OrderedDict[str, CallbackQueryRecord] = OrderedDict()
        self._files: OrderedDict[str, FileInfo] = OrderedDict()
        self._file_content: OrderedDict[str, bytes] = OrderedDict()
        self._file_bytes = 0
        self._commands: dict[
            tuple[tuple[str, int | None, int | None], str], list[dict[str, str]]
        ] = {}
        self._bot_texts: dict[tuple[str, str], str] = {}
        self._logged_out = False

        self._waiters: list[asyncio.Future[None]] = []
        self._listeners: list[Listener] = []
        self._runner: web.AppRunner | None = None
        self.base_url = ""
        """`http://host:port/bot`, to pass as PTB's `base_url` (PTB appends token/method)."""
        self.url = ""

    # --- lifecycle ------------------------------------------------------------------------

    def make_app(self) -> web.Application:
        """The aiohttp application, for embedding in another server or aiohttp's test client."""
        app = web.Application(client_max_size=MAX_DOCUMENT_BYTES + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_http)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen on host:port (0 picks a free port) and return `base_url`."""
        if self._runner is not None:
            raise RuntimeError("server already started")
        # access_log=None: aiohttp's access log would print URLs, and URLs carry the token.
        runner = web.AppRunner(self.make_app(), access_log=None, handler_cancellation=True)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        bound = runner.addresses[0]
        self.url = f"http://{bound[0]}:{bound[1]}"
        self.base_url = f"{self.url}/bot"
        log.info("Bot API stand-in listening on %s", self.url)
        return self.base_url

    async def stop(self) -> None:
        """Stop listening and end long polls and webhook delivery."""
        if self._poll_waiter is not None and not self._poll_waiter.done():
            self._poll_waiter.set_result("stopped")
        await self._stop_webhook()
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> BotAPIServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # --- HTTP -----------------------------------------------------------------------------

    async def _handle_http(self, request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        requested = request.match_info["method"]
        if not _TOKEN_RE.fullmatch(token):
            return _json(404, {"ok": False, "error_code": 404, "description": "Not Found"})
        if token != self.token or self._logged_out:
            return _json(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        entry = _METHODS.get(requested.lower())
        if entry is None:
            return _json(404, {"ok": False, "error_code": 404, "description": "Not Found"})
        name, handler = entry
        self.stats.requests += 1
        self.stats.by_method[name] += 1
        self.stats.in_flight[name] += 1
        try:
            return await self._handle_call(request, name, handler)
        finally:  # also when the bot hangs up (handler cancellation)
            self.stats.in_flight[name] -= 1

    async def _handle_call(
        self, request: web.Request, name: str, handler: Handler
    ) -> web.StreamResponse:
        try:
            params = await _read_params(request)
        except ApiError as exc:
            return self._answer(name, Params({}), exc.status, exc.to_json(), None)
        chat_hint = params.chat_id_hint()
        fault = self.faults.take(name.lower(), chat_hint)
        if fault is not None and not (fault.drop and fault.after_processing):
            return await self._fault_answer(request, name, params, fault, chat_hint)
        try:
            result = await handler(self, params)
            status, body = 200, {"ok": True, "result": result}
        except ApiError as exc:
            status, body = exc.status, exc.to_json()
        self._changed()  # wait_until conditions may depend on any call (e.g. confirmed updates)
        delay = self.faults.delay_for(name.lower())
        if delay:
            await asyncio.sleep(delay)  # the call is carried out; only the answer is late
        if fault is not None:  # dropped after processing
            return await self._fault_answer(request, name, params, fault, chat_hint)
        return self._answer(name, params, status, body, chat_hint)

    def _answer(
        self,
        name: str,
        params: Params,
        status: int,
        body: dict[str, Any],
        chat_id: int | None,
        *,
        fault: bool = False,
    ) -> web.Response:
        self.calls.append(
            ApiCall(name, params.loggable(), status, body, self.clock(), chat_id, fault)
        )
        if status != 200:
            self.stats.errors_by_status[status] += 1
            log.debug("%s -> %s %s", name, status, body.get("description"))
        else:
            log.debug("%s -> ok", name)
        return _json(status, body)

    async def _fault_answer(
        self, request: web.Request, name: str, params: Params, fault: Fault, chat_id: int | None
    ) -> web.Response:
        self.stats.scripted_faults += 1
        if fault.drop:
            self.stats.dropped_connections += 1
            self.calls.append(
                ApiCall(name, params.loggable(), 0, None, self.clock(), chat_id, True)
            )
            log.debug("%s -> connection dropped (scripted)", name)
            if request.transport is not None:
                request.transport.close()
            return web.Response(status=200)  # never written: the transport is gone
        if fault.raw_body is not None:
            self.calls.append(
                ApiCall(
                    name,
                    params.loggable(),
                    fault.status,
                    {"description": fault.description},
                    self.clock(),
                    chat_id,
                    True,
                )
            )
            self.stats.errors_by_status[fault.status] += 1
            return web.Response(status=fault.status, text=fault.raw_body, content_type="text/html")
        error = ApiError(fault.status, fault.description, fault.parameters)
        return self._answer(name, params, fault.status, error.to_json(), chat_id, fault=True)

    # --- world: users and chats -----------------------------------------------------------

    def add_user(
        self,
        first_name: str = "Tester",
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
        user_id: int | None = None,
        started: bool = False,
    ) -> User:
        """A Telegram user with a private chat (chat id == user id).

        started=False mirrors Telegram: the bot can't write to them until they write first
        (send_text/press_button do that); pass True to skip it for bulk benchmarks.
        """
        uid = user_id if user_id is not None else next(self._user_ids)
        if uid in self._users:
            raise ValueError(f"user {uid} exists")
        user = User(uid, first_name, last_name, username, language_code, started=started)
        self._users[uid] = user
        self._chats[uid] = Chat(uid, PRIVATE, user=user)
        return user

    def add_group(
        self,
        title: str = "Team",
        *,
        members: Iterable[User] = (),
        admins: Iterable[User] = (),
        owner: User | None = None,
        supergroup: bool = False,
        username: str | None = None,
        bot_is_admin: bool = False,
    ) -> Chat:
        """A group (or supergroup) the bot is already a member of."""
        if supergroup:
            chat = Chat(-next(self._supergroup_ids), SUPERGROUP, title=title, username=username)
        else:
            chat = Chat(-next(self._group_ids), GROUP, title=title)
        for user in members:
            chat.members[user.id] = "member"
            chat.users[user.id] = user
        for user in admins:
            chat.members[user.id] = "administrator"
            chat.users[user.id] = user
        if owner is not None:
            chat.members[owner.id] = "creator"
            chat.users[owner.id] = owner
        chat.bot_status = "administrator" if bot_is_admin else "member"
        self._register_chat(chat)
        return chat

    def user(self, user_id: int) -> User:
        return self._users[user_id]

    def chat(self, ref: int | Chat | User) -> Chat:
        """The chat for an id, a Chat, or a User (their private chat)."""
        if isinstance(ref, Chat):
            return ref
        chat_id = ref.id if isinstance(ref, User) else ref
        try:
            return self._chats[chat_id]
        except KeyError:
            raise LookupError(f"no chat {chat_id}") from None

    @property
    def users(self) -> list[User]:
        return list(self._users.values())

    @property
    def chats(self) -> list[Chat]:
        return list(self._chats.values())

    def _register_chat(self, chat: Chat) -> None:
        self._chats[chat.id] = chat
        if chat.username:
            self._chat_usernames[chat.username.lower()] = chat

    # --- world: playing users -------------------------------------------------------------

    async def send_text(
        self,
        user: User,
        text: str,
        chat: Chat | None = None,
        *,
        reply_to: StoredMessage | None = None,
    ) -> StoredMessage:
        """The user writes `text` (commands get bot_command entities) in their private chat or
        in `chat`; returns the user's message. Delivered as a `message` update."""
        target = self._player_chat(user, chat)
        message = self._user_message(
            user, target, text=text, entities=user_entities(text), reply_to=reply_to
        )
        self._deliver_user_message(message)
        await asyncio.sleep(0)
        return message

    async def send_location(
        self, user: User, latitude: float, longitude: float, chat: Chat | None = None
    ) -> StoredMessage:
        """The user shares a location (e.g. through a request_location keyboard button)."""
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise ValueError("latitude must be within ±90 and longitude within ±180")
        target = self._player_chat(user, chat)
        message = self._user_message(user, target, location=(latitude, longitude))
        self._deliver_user_message(message)
        await asyncio.sleep(0)
        return message

    async def press_button(
        self, user: User, message: StoredMessage | int, button: str, *, chat: Chat | None = None
    ) -> CallbackQueryRecord:
        """The user taps an inline button (by its text, or else its callback_data) on one of
        the bot's messages (a StoredMessage, or a message id in `chat`, default the user's
        private chat); returns the query record, whose answer fields fill in later."""
        if isinstance(message, int):
            where = chat or self._chats[user.id]
            found = where.messages.get(message)
            if found is None:
                raise LookupError(f"no message {message} in chat {where.id}")
            message = found
        chat = message.chat
        if chat.messages.get(message.message_id) is not message:
            raise LookupError(f"message {message.message_id} in chat {chat.id} no longer exists")
        pressed = message.find_button(button)
        if "callback_data" not in pressed:
            kind = next(k for k in pressed if k != "text")
            raise ValueError(
                f"button {pressed['text']!r} is a {kind} button; pressing it sends "
                "nothing to the bot"
            )
        return await self.forge_button_press(user, message, pressed["callback_data"])

    async def forge_button_press(
        self, user: User, message: StoredMessage, data: str
    ) -> CallbackQueryRecord:
        """A tampered or outdated client sends `data` as if a button of `message` carried it
        (the bot must answer politely and change nothing); returns the query record."""
        chat = message.chat
        if chat.type == PRIVATE and chat.user is not user:
            raise ValueError("a user can only press buttons in their own private chat")
        self._player_chat(user, chat if chat.is_group else None)
        record = CallbackQueryRecord(str(next(self._query_ids)), user, message, data, self.clock())
        self._queries[record.id] = record
        while len(self._queries) > 10_000:
            self._queries.popitem(last=False)
        self._push_update(
            "callback_query",
            {
                "id": record.id,
                "from": user.to_api(),
                "message": message.to_api(),
                "chat_instance": str(abs(chat.id) * 7919 % 10**18),
                "data": record.data,
            },
        )
        await asyncio.sleep(0)
        return record

    def block_bot(self, user: User) -> None:
        """The user blocks the bot: sends to them answer 403 from now on."""
        if user.blocked_bot:
            return
        user.blocked_bot = True
        self._my_chat_member(self._chats[user.id], user, "member", "kicked")

    def unblock_bot(self, user: User) -> None:
        if not user.blocked_bot:
            return
        user.blocked_bot = False
        self._my_chat_member(self._chats[user.id], user, "kicked", "member")

    def deactivate_user(self, user: User) -> None:
        """The account is deleted: sends answer 403 "user is deactivated"."""
        user.deactivated = True

    def delete_chat(self, chat: Chat | User) -> None:
        """A private chat's user is deactivated; a group answers 403 "the group chat was
        deleted"."""
        target = self.chat(chat)
        if target.type == PRIVATE and target.user is not None:
            self.deactivate_user(target.user)
        else:
            target.deleted = True
            self.flood.forget_chat(target.id)

    def remove_bot_from_group(self, group: Chat, by: User | None = None) -> None:
        """An admin kicks the bot: a my_chat_member update, and 403 on later sends."""
        old = group.bot_status
        group.bot_status = "kicked"
        self._my_chat_member(group, by or self._group_actor(group), old, "kicked")

    def add_bot_to_group(self, group: Chat, by: User | None = None) -> None:
        """Someone adds the bot (back) to a group: my_chat_member and new_chat_members."""
        actor = by or self._group_actor(group)
        old = group.bot_status
        group.bot_status = "member"
        self._my_chat_member(group, actor, old, "member")
        message = self._user_message(actor, group)
        message.service = {"new_chat_members": [self.bot.to_api()]}
        self._push_update("message", message.to_api())

    def migrate_group(self, group: Chat, by: User | None = None) -> Chat:
        """Upgrade a group to a supergroup: sends to the old id then answer 400 with
        migrate_to_chat_id (PTB raises ChatMigrated). Returns the new supergroup."""
        if group.type != GROUP:
            raise ValueError("only basic groups migrate")
        actor = by or self._group_actor(group)
        new = Chat(
            -next(self._supergroup_ids),
            SUPERGROUP,
            title=group.title,
            members=dict(group.members),
            users=dict(group.users),
            bot_status=group.bot_status,
            migrated_from=group.id,
        )
        self._register_chat(new)
        group.migrated_to = new.id
        self.flood.forget_chat(group.id)
        if group.bot_status in ("member", "administrator"):
            old_notice = self._user_message(actor, group)
            old_notice.service = {"migrate_to_chat_id": new.id}
            self._push_update("message", old_notice.to_api())
            new_notice = self._user_message(actor, new)
            new_notice.service = {"migrate_from_chat_id": group.id}
            self._push_update("message", new_notice.to_api())
        return new

    def _group_actor(self, group: Chat) -> User:
        for user_id, status in group.members.items():
            if status in ("creator", "administrator"):
                return group.users[user_id]
        if group.users:
            return next(iter(group.users.values()))
        raise ValueError("the group has no members to act")

    def _player_chat(self, user: User, chat: Chat | None) -> Chat:
        if user.deactivated:
            raise ValueError(f"user {user.id} is deactivated")
        if chat is None or chat.type == PRIVATE:
            private = self._chats[user.id]
            if chat is not None and chat is not private:
                raise ValueError("a user can only write in their own private chat")
            if user.blocked_bot:
                self.unblock_bot(user)  # "Restart bot" in the app unblocks, then sends
            user.started = True
            return private
        if user.id not in chat.members:
            raise ValueError(f"user {user.id} is not a member of chat {chat.id}")
        if chat.migrated_to is not None:
            raise ValueError(f"chat {chat.id} migrated to {chat.migrated_to}")
        if chat.deleted:
            raise ValueError(f"chat {chat.id} was deleted")
        return chat

    def _user_message(
        self,
        user: User,
        chat: Chat,
        *,
        text: str | None = None,
        entities: list[Entity] | None = None,
        location: tuple[float, float] | None = None,
        reply_to: StoredMessage | None = None,
    ) -> StoredMessage:
        message = StoredMessage(
            message_id=chat.take_message_id(),
            chat=chat,
            sender=user,
            date=int(self.clock()),
            seq=next(self._seq),
            from_bot=False,
            text=text,
            entities=entities or [],
            location=location,
            reply_to=reply_to,
        )
        chat.store(message, self.max_messages_per_chat)
        return message

    def _deliver_user_message(self, message: StoredMessage) -> None:
        chat = message.chat
        if chat.is_group:
            if chat.bot_status not in ("member", "administrator"):
                return
            if self.privacy_mode and not self._bot_sees(message):
                return
        self._push_update("message", message.to_api())

    def _bot_sees(self, message: StoredMessage) -> bool:
        """Privacy mode: commands, replies to the bot and mentions of it get through."""
        text = message.text or ""
        if message.chat.bot_status == "administrator":
            return True
        first = message.entities[0] if message.entities else None
        if first is not None and first.type == "bot_command" and first.offset == 0:
            # A command, unless addressed to another bot (/start@other_bot); Telegram ends
            # the command entity at the first character that cannot be part of it.
            command = utf16_slice(text, first.offset, first.length)
            return "@" not in command or command.lower().endswith(f"@{self.bot.username}".lower())
        if message.reply_to is not None and message.reply_to.from_bot:
            return True
        return f"@{self.bot.username}".lower() in text.lower()

    def _my_chat_member(self, chat: Chat, actor: User, old: str, new: str) -> None:
        self._push_update(
            "my_chat_member",
            {
                "chat": chat.to_api(),
                "from": actor.to_api(),
                "date": int(self.clock()),
                "old_chat_member": member_json(self.bot, old),
                "new_chat_member": member_json(self.bot, new),
            },
        )

    # --- observing ------------------------------------------------------------------------

    def messages(self, chat: int | Chat | User) -> list[StoredMessage]:
        """The bot's messages in a chat as they are now (after edits, without deleted ones)."""
        return [m for m in self.chat(chat).messages.values() if m.from_bot]

    def history(self, chat: int | Chat | User) -> list[StoredMessage]:
        """All stored messages in a chat, the users' and the bot's, oldest first."""
        return list(self.chat(chat).messages.values())

    def last_message(self, chat: int | Chat | User) -> StoredMessage | None:
        for message in reversed(self.chat(chat).messages.values()):
            if message.from_bot:
                return message
        return None

    async def wait_for_message(
        self,
        chat: int | Chat | User,
        predicate: Callable[[StoredMessage], bool] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - real seconds to wait for the bot, by design
    ) -> StoredMessage:
        """The oldest bot message in the chat not yet returned by this method that matches
        `predicate`; waits for one if there is none. Each message is returned once, so
        successive calls read the bot's replies in order, like reading a chat."""
        target = self.chat(chat)

        def find() -> StoredMessage | None:
            for message in target.messages.values():
                if (
                    message.from_bot
                    and not message.consumed
                    and (predicate is None or predicate(message))
                ):
                    message.consumed = True
                    return message
            return None

        def describe() -> str:
            recent = [repr(m) for m in list(target.messages.values())[-5:]]
            return f"no matching bot message in chat {target.id}; recent: {recent}"

        found: StoredMessage = await self.wait_until(find, timeout=timeout, describe=describe)
        return found

    async def wait_for_answer(
        self,
        query: CallbackQueryRecord,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> CallbackQueryRecord:
        """Wait until the bot answered a button press (answerCallbackQuery)."""
        await self.wait_until(
            lambda: query.answered,
            timeout=timeout,
            describe=lambda: f"callback query {query.id} not answered",
        )
        return query

    async def wait_until(
        self,
        condition: Callable[[], Any],
        *,
        timeout: float = 5.0,  # noqa: ASYNC109
        describe: Callable[[], str] | None = None,
    ) -> Any:
        """Re-check `condition` whenever the bot changes something; return its first truthy
        value, or raise TimeoutError after `timeout` real seconds."""
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

    def calls_to(self, method: str) -> list[ApiCall]:
        """Logged calls of one method (case-insensitive)."""
        wanted = method.lower()
        return [call for call in self.calls if call.method.lower() == wanted]

    @property
    def pending_updates(self) -> int:
        return len(self._updates)

    def callback_query(self, query_id: str) -> CallbackQueryRecord | None:
        return self._queries.get(query_id)

    def commands(
        self, *, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, str]]:
        """The commands set with setMyCommands for exactly this scope and language."""
        key = self._scope_key(scope or {"type": "default"})
        return list(self._commands.get((key, language_code), []))

    def file_content(self, file_id: str) -> bytes | None:
        """Bytes of an uploaded file, while it is still kept (bounded by max_stored_file_bytes)."""
        return self._file_content.get(file_id)

    @property
    def webhook_url(self) -> str | None:
        return self._webhook.url if self._webhook else None

    def add_listener(self, listener: Listener) -> None:
        """Call `listener(BotEvent)` synchronously whenever the bot sends, edits or deletes a
        message, shows a chat action or answers a button press."""
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        self._listeners.remove(listener)

    def _changed(self, event: BotEvent | None = None) -> None:
        if self._waiters:
            waiters, self._waiters = self._waiters, []
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)
        if event is not None:
            for listener in list(self._listeners):
                try:
                    listener(event)
                except Exception:
                    log.exception("stand-in listener failed")

    # --- fault injection ------------------------------------------------------------------

    def script_fault(
        self,
        fault: Fault,
        *,
        method: str | None = None,
        chat_id: int | Chat | User | None = None,
        times: int = 1,
    ) -> ScriptedFault:
        """Answer the next `times` calls of `method` (any method if None), optionally only those
        with this chat_id, with `fault` instead of the real answer."""
        target = None if chat_id is None else self._ref_id(chat_id)
        return self.faults.add(fault, method=method, chat_id=target, times=times)

    def fail_next(
        self,
        method: str | None = None,
        *,
        status: int = 500,
        description: str | None = None,
        retry_after: int | None = None,
        chat_id: int | Chat | User | None = None,
        times: int = 1,
    ) -> ScriptedFault:
        """Shortcut for common scripted errors: retry_after=N gives a 429, status=502 gives
        nginx's Bad Gateway page, anything else a JSON error with `description`."""
        if retry_after is not None:
            fault = Fault.retry_after(retry_after)
        elif status == 502 and description is None:
            fault = Fault.bad_gateway()
        elif status == 500 and description is None:
            fault = Fault.server_error()
        else:
            fault = Fault.error(status, description or f"Error {status}")
        return self.script_fault(fault, method=method, chat_id=chat_id, times=times)

    def drop_next(
        self,
        method: str | None = None,
        *,
        chat_id: int | Chat | User | None = None,
        times: int = 1,
        after_processing: bool = False,
    ) -> ScriptedFault:
        """Close the connection without answering; with after_processing the call takes
        effect first (the message is sent, but the bot never learns it)."""
        return self.script_fault(
            Fault.drop_connection(after_processing=after_processing),
            method=method,
            chat_id=chat_id,
            times=times,
        )

    def set_latency(self, seconds: float, method: str | None = None) -> None:
        """Delay answers (real seconds) for one method, or all methods if None; the call itself
        takes effect before the delay."""
        key = method.lower() if method else None
        if seconds <= 0:
            self.faults.latency.pop(key, None)
        else:
            self.faults.latency[key] = seconds

    def clear_faults(self) -> None:
        self.faults.clear()

    @staticmethod
    def _ref_id(ref: int | Chat | User) -> int:
        return ref if isinstance(ref, int) else ref.id

    # --- helpers for methods --------------------------------------------------------------

    def _lookup_chat(self, ref: int | str) -> Chat:
        chat = (
            self._chat_usernames.get(ref[1:].lower())
            if isinstance(ref, str)
            else self._chats.get(ref)
        )
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def _check_group_access(self, chat: Chat) -> None:
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

    def _readable_chat(self, params: Params) -> Chat:
        chat = self._lookup_chat(params.chat_id())
        if chat.type == PRIVATE:
            if chat.user is None or not chat.user.started:
                raise bad_request("chat not found")
        else:
            self._check_group_access(chat)
        return chat

    def _writable_chat(self, params: Params) -> Chat:
        chat = self._lookup_chat(params.chat_id())
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
            self._check_group_access(chat)
        return chat

    def _check_flood(self, chat: Chat, *, edit: bool) -> None:
        wait = self.flood.check(chat.id, is_group=chat.is_group, edit=edit)
        if wait is not None:
            seconds = retry_after_seconds(wait)
            self.stats.too_many_requests += 1
            self.stats.too_many_requests_by_chat[chat.id] += 1
            raise ApiError(
                429, f"Too Many Requests: retry after {seconds}", {"retry_after": seconds}
            )

    def _reply_target(self, chat: Chat, params: Params) -> StoredMessage | None:
        reply = params.get_json("reply_parameters", "reply parameters JSON object")
        if reply is not None:
            if not isinstance(reply, dict) or not isinstance(reply.get("message_id"), int):
                raise bad_request("can't parse reply parameters JSON object")
            message_id: int | None = reply["message_id"]
            allow = bool(reply.get("allow_sending_without_reply"))
            if reply.get("chat_id") not in (None, chat.id):
                chat = self._lookup_chat(reply["chat_id"])
        else:
            message_id = params.get_int("reply_to_message_id")
            allow = params.get_bool("allow_sending_without_reply")
        if message_id is None:
            return None
        target = chat.messages.get(message_id)
        if target is None and not allow:
            raise bad_request("message to be replied not found")
        return target

    def _apply_markup(self, chat: Chat, markup: ReplyMarkup | None) -> dict[str, Any] | None:
        """Inline keyboards go on the message; reply keyboards change the chat's keyboard."""
        if markup is None:
            return None
        if markup.kind == "inline_keyboard":
            return markup.value if markup.value["inline_keyboard"] else None
        if markup.kind == "keyboard":
            chat.reply_keyboard = markup.value
        elif markup.kind == "remove_keyboard":
            chat.reply_keyboard = None
        return None

    def _bot_message(self, chat: Chat, **fields: Any) -> StoredMessage:
        message = StoredMessage(
            message_id=chat.take_message_id(),
            chat=chat,
            sender=self.bot,
            date=int(self.clock()),
            seq=next(self._seq),
            from_bot=True,
            **fields,
        )
        chat.store(message, self.max_messages_per_chat)
        chat.last_action = None
        self.stats.messages_sent += 1
        self._changed(BotEvent("message", chat, message))
        return message

    def _editable(self, params: Params) -> tuple[Chat, StoredMessage]:
        if params.has("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")  # inline mode is not modelled
        chat = self._writable_chat(params)
        message_id = params.require_int("message_id", "message identifier is not specified")
        message = chat.messages.get(message_id)
        if message is None:
            raise bad_request("message to edit not found")
        if not message.from_bot or message.service:
            raise bad_request("message can't be edited")
        return chat, message

    def _finish_edit(self, chat: Chat, message: StoredMessage) -> dict[str, Any]:
        message.edit_date = int(self.clock())
        self._changed(BotEvent("edit", chat, message))
        return message.to_api()

    def _input_file(self, params: Params, name: str, kind: str) -> list[FileInfo]:
        upload = params.uploads.get(name)
        value = params.get_str(name)
        if upload is None and value and value.startswith("attach://"):
            upload = params.uploads.get(value[len("attach://") :])
            if upload is None:
                raise bad_request(f"file for {name} not found in the request")
        if upload is not None:
            return self._store_upload(upload, kind)
        if not value:
            raise bad_request(f"there is no {name} in the request")
        if re.match(r"(?i)https?://", value):
            return [self._file_info(kind, 0, url=value, width=800, height=600)]
        known = self._files.get(value)
        if known is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        if known.kind != kind:
            raise bad_request("type of file mismatch")
        return [known]

    def _store_upload(self, upload: Upload, kind: str) -> list[FileInfo]:
        content = upload.content
        if not content:
            raise bad_request("file must be non-empty")
        if kind == "photo":
            if len(content) > MAX_PHOTO_BYTES:
                raise ApiError(413, "Request Entity Too Large")
            size = image_size(content)
            if size is None:
                raise bad_request("IMAGE_PROCESS_FAILED")
            width, height = size
            if (
                width < 1
                or height < 1
                or width + height > 10_000
                or max(width, height) > 20 * min(width, height)
            ):
                raise bad_request("PHOTO_INVALID_DIMENSIONS")
            sizes = []
            for side in (90, 320, 1280):
                scale = min(1.0, side / max(width, height))
                sizes.append(
                    self._file_info(
                        "photo",
                        len(content) if scale == 1.0 else int(len(content) * scale * scale),
                        width=max(1, round(width * scale)),
                        height=max(1, round(height * scale)),
                    )
                )
                if scale == 1.0:
                    break
            self._keep_content(sizes[-1].file_id, content)
            return sizes
        if len(content) > MAX_DOCUMENT_BYTES:
            raise ApiError(413, "Request Entity Too Large")
        mime = upload.content_type
        if not mime or mime == "application/octet-stream":
            mime = mimetypes.guess_type(upload.filename or "")[0] or "application/octet-stream"
        info = self._file_info("document", len(content), file_name=upload.filename, mime_type=mime)
        self._keep_content(info.file_id, content)
        return [info]

    def _file_info(self, kind: str, size: int, **fields: Any) -> FileInfo:
        number = next(self._file_ids)
        prefix = "AgAC" if kind == "photo" else "BQAC"
        info = FileInfo(
            f"{prefix}{number:08d}{secrets.token_hex(8)}", f"AQAD{number:08d}", kind, size, **fields
        )
        self._files[info.file_id] = info
        while len(self._files) > 100_000:
            self._files.popitem(last=False)
        return info

    def _keep_content(self, file_id: str, content: bytes) -> None:
        self._file_content[file_id] = content
        self._file_bytes += len(content)
        while self._file_bytes > self.max_stored_file_bytes and self._file_content:
            _, dropped = self._file_content.popitem(last=False)
            self._file_bytes -= len(dropped)

    def _scope_key(self, scope: Any) -> tuple[str, int | None, int | None]:
        if not isinstance(scope, dict) or scope.get("type") not in _SCOPES:
            raise bad_request("can't parse BotCommandScope JSON object")
        kind = scope["type"]
        chat_id: int | None = None
        user_id: int | None = None
        if kind in ("chat", "chat_administrators", "chat_member"):
            raw = scope.get("chat_id")
            if raw is None:
                raise bad_request("chat_id is empty")
            chat_id = self._lookup_chat(raw if isinstance(raw, int | str) else "").id
        if kind == "chat_member":
            user_id = scope.get("user_id")
            if not isinstance(user_id, int) or user_id not in self._users:
                raise bad_request("user not found")
        return kind, chat_id, user_id

    def _commands_key(self, params: Params) -> tuple[tuple[str, int | None, int | None], str]:
        scope = params.get_json("scope", "BotCommandScope JSON object") or {"type": "default"}
        language = params.get_str("language_code") or ""
        if language and not _LANGUAGE_RE.fullmatch(language):
            raise bad_request("invalid language code specified")
        return self._scope_key(scope), language

    # --- updates --------------------------------------------------------------------------

    def _push_update(self, kind: str, payload: dict[str, Any]) -> None:
        allowed = self._allowed_updates
        if (kind in _OPT_IN_UPDATES) if allowed is None else (kind not in allowed):
            return
        self._last_update_id += 1
        self._updates.append({"update_id": self._last_update_id, kind: payload})
        while len(self._updates) > self.max_pending_updates:
            self._updates.popleft()
        if self._poll_waiter is not None and not self._poll_waiter.done():
            self._poll_waiter.set_result("update")
        if self._webhook_wakeup is not None:
            self._webhook_wakeup.set()

    def _set_allowed_updates(self, params: Params) -> list[str] | None:
        raw = params.get_json("allowed_updates", "allowed_updates JSON array")
        if raw is None:
            return None
        if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
            raise bad_request("can't parse allowed_updates JSON array")
        self._allowed_updates = frozenset(raw) if raw else None
        return list(raw)

    def _confirm(self, offset: int) -> None:
        updates = self._updates
        if offset < 0:
            while len(updates) > -offset:
                updates.popleft()
            return
        while updates and updates[0]["update_id"] < offset:
            updates.popleft()

    async def _stop_webhook(self) -> None:
        self._webhook = None
        task, self._webhook_task = self._webhook_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _deliver_webhooks(self) -> None:
        """POST pending updates to the webhook one at a time, in order, retrying failures."""
        assert self._webhook_wakeup is not None
        if self._session is None:
            self._session = aiohttp.ClientSession()
        session = self._session
        while self._webhook is not None:
            if not self._updates:
                self._webhook_wakeup.clear()
                await self._webhook_wakeup.wait()
                continue
            hook = self._webhook
            update = self._updates[0]
            headers = {"Content-Type": "application/json"}
            if hook.secret_token:
                headers["X-Telegram-Bot-Api-Secret-Token"] = hook.secret_token
            error: str | None = None
            try:
                async with session.post(
                    hook.url,
                    data=json.dumps(update),
                    headers=headers,
                    timeout=aiohttp.ClientTimeout(total=10),
                ) as response:
                    if not 200 <= response.status < 300:
                        error = (
                            f"Wrong response from the webhook: {response.status} {response.reason}"
                        )
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                error = f"Connection failed: {exc.__class__.__name__}"
            if error is None:
                if self._updates and self._updates[0] is update:
                    self._updates.popleft()
                    self._changed()
            else:
                hook.last_error_date = int(self.clock())
                hook.last_error_message = error
                log.debug("webhook delivery failed: %s", error)
                await asyncio.sleep(self.webhook_retry_delay)

    # --- Bot API methods ------------------------------------------------------------------

    @api_method("getMe")
    async def _get_me(self, params: Params) -> dict[str, Any]:
        data = self.bot.to_api()
        data.update(
            {
                "can_join_groups": True,
                "can_read_all_group_messages": not self.privacy_mode,
                "supports_inline_queries": False,
                "can_connect_to_business": False,
                "has_main_web_app": False,
            }
        )
        return data

    @api_method("logOut")
    async def _log_out(self, params: Params) -> bool:
        """Like Telegram, the token stops working on this server afterwards."""
        self._logged_out = True
        return True

    @api_method("close")
    async def _close(self, params: Params) -> bool:
        return True

    @api_method("getUpdates")
    async def _get_updates(self, params: Params) -> list[dict[str, Any]]:
        if self._webhook is not None:
            raise ApiError(409, _CONFLICT_WEBHOOK)
        previous = self._poll_waiter
        if previous is not None and not previous.done():
            previous.set_result("conflict")  # Telegram ends the older request with 409
        offset = params.get_int("offset")
        limit = params.get_int("limit", 100) or 100
        timeout = params.get_float("timeout") or 0.0
        self._set_allowed_updates(params)
        if offset is not None:
            self._confirm(offset)
        limit = max(1, min(100, limit))
        if not self._updates and timeout > 0:
            waiter: asyncio.Future[str] = asyncio.get_running_loop().create_future()
            self._poll_waiter = waiter
            try:
                reason = await asyncio.wait_for(asyncio.shield(waiter), timeout)
            except TimeoutError:
                reason = "timeout"
            finally:
                if self._poll_waiter is waiter:
                    self._poll_waiter = None
            if reason == "conflict":
                raise ApiError(409, _CONFLICT_POLL)
            if self._webhook is not None:
                raise ApiError(409, _CONFLICT_WEBHOOK)
        return list(itertools.islice(self._updates, limit))

    @api_method("setWebhook")
    async def _set_webhook(self, params: Params) -> bool:
        url = (params.get_str("url") or "").strip()
        if not url:
            await self._stop_webhook()
            return True
        if not re.match(r"(?i)https?://[^/\s]+", url):
            raise bad_request("bad webhook: invalid webhook URL specified")
        secret = params.get_str("secret_token")
        if secret is not None and secret != "" and not _SECRET_RE.fullmatch(secret):
            raise bad_request("secret token contains unallowed characters")
        max_connections = params.get_int("max_connections", 40) or 40
        if not 1 <= max_connections <= 100:
            raise bad_request("bad webhook: max_connections must be between 1 and 100")
        allowed = self._set_allowed_updates(params)
        if params.get_bool("drop_pending_updates"):
            self._updates.clear()
        await self._stop_webhook()
        self._webhook = _Webhook(
            url, secret or None, max_connections, allowed, params.get_str("ip_address")
        )
        if self._poll_waiter is not None and not self._poll_waiter.done():
            self._poll_waiter.set_result("webhook")
        self._webhook_wakeup = asyncio.Event()
        self._webhook_wakeup.set()
        self._webhook_task = asyncio.create_task(self._deliver_webhooks())
        return True

    @api_method("deleteWebhook")
    async def _delete_webhook(self, params: Params) -> bool:
        await self._stop_webhook()
        if params.get_bool("drop_pending_updates"):
            self._updates.clear()
        return True

    @api_method("getWebhookInfo")
    async def _get_webhook_info(self, params: Params) -> dict[str, Any]:
        hook = self._webhook
        info: dict[str, Any] = {
            "url": hook.url if hook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if hook is not None:
            info["max_connections"] = hook.max_connections
            if hook.ip_address:
                info["ip_address"] = hook.ip_address
            if hook.allowed_updates is not None:
                info["allowed_updates"] = hook.allowed_updates
            if hook.last_error_date is not None:
                info["last_error_date"] = hook.last_error_date
                info["last_error_message"] = hook.last_error_message
        return info

    @api_method("setMyCommands")
    async def _set_my_commands(self, params: Params) -> bool:
        raw = params.get_json("commands", "commands JSON array")
        if not isinstance(raw, list):
            raise bad_request("can't parse commands JSON array")
        if len(raw) > 100:
            raise bad_request("too many commands specified")
        commands: list[dict[str, str]] = []
        for item in raw:
            if not isinstance(item, dict):
                raise bad_request("can't parse BotCommand JSON object")
            command, description = item.get("command"), item.get("description")
            if not isinstance(command, str) or not _BOT_COMMAND_RE.fullmatch(command):
                raise bad_request("BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            commands.append({"command": command, "description": description})
        key = self._commands_key(params)
        if commands:
            self._commands[key] = commands
        else:
            self._commands.pop(key, None)
        return True

    @api_method("getMyCommands")
    async def _get_my_commands(self, params: Params) -> list[dict[str, str]]:
        return list(self._commands.get(self._commands_key(params), []))

    @api_method("deleteMyCommands")
    async def _delete_my_commands(self, params: Params) -> bool:
        self._commands.pop(self._commands_key(params), None)
        return True

    async def _set_bot_text(self, params: Params, field_name: str, limit: int) -> bool:
        value = params.get_str(field_name) or ""
        if len(value) > limit:
            raise bad_request(f"{field_name.replace('_', ' ')} is too long")
        language = params.get_str("language_code") or ""
        if language and not _LANGUAGE_RE.fullmatch(language):
            raise bad_request("invalid language code specified")
        self._bot_texts[(field_name, language)] = value
        return True

    def _get_bot_text(self, params: Params, field_name: str) -> dict[str, str]:
        language = params.get_str("language_code") or ""
        value = self._bot_texts.get(
            (field_name, language), self._bot_texts.get((field_name, ""), "")
        )
        if field_name == "name" and not value:
            value = self.bot.first_name
        return {field_name: value}

    @api_method("setMyDescription")
    async def _set_my_description(self, params: Params) -> bool:
        return await self._set_bot_text(params, "description", 512)

    @api_method("getMyDescription")
    async def _get_my_description(self, params: Params) -> dict[str, str]:
        return self._get_bot_text(params, "description")

    @api_method("setMyShortDescription")
    async def _set_my_short_description(self, params: Params) -> bool:
        return await self._set_bot_text(params, "short_description", 120)

    @api_method("getMyShortDescription")
    async def _get_my_short_description(self, params: Params) -> dict[str, str]:
        return self._get_bot_text(params, "short_description")

    @api_method("setMyName")
    async def _set_my_name(self, params: Params) -> bool:
        return await self._set_bot_text(params, "name", 64)

    @api_method("getMyName")
    async def _get_my_name(self, params: Params) -> dict[str, str]:
        return self._get_bot_text(params, "name")

    @api_method("sendMessage")
    async def _send_message(self, params: Params) -> dict[str, Any]:
        chat = self._writable_chat(params)
        parsed = formatted_text(params, "text", caption=False)
        assert parsed is not None
        markup = reply_markup(params)
        reply_to = self._reply_target(chat, params)
        self._check_flood(chat, edit=False)
        message = self._bot_message(
            chat,
            text=parsed.text,
            entities=parsed.entities,
            source=params.get_str("text"),
            reply_markup=self._apply_markup(chat, markup),
            reply_to=reply_to,
        )
        return message.to_api()

    @api_method("sendPhoto")
    async def _send_photo(self, params: Params) -> dict[str, Any]:
        return await self._send_file(params, "photo")

    @api_method("sendDocument")
    async def _send_document(self, params: Params) -> dict[str, Any]:
        return await self._send_file(params, "document")

    async def _send_file(self, params: Params, kind: str) -> dict[str, Any]:
        chat = self._writable_chat(params)
        caption = formatted_text(params, "caption", caption=True)
        markup = reply_markup(params)
        reply_to = self._reply_target(chat, params)
        files = self._input_file(params, kind, kind)
        self._check_flood(chat, edit=False)
        fields: dict[str, Any] = {"photo": files} if kind == "photo" else {"document": files[0]}
        message = self._bot_message(
            chat,
            caption=caption.text if caption else None,
            caption_entities=caption.entities if caption else [],
            source=params.get_str("caption") if caption else None,
            reply_markup=self._apply_markup(chat, markup),
            reply_to=reply_to,
            **fields,
        )
        return message.to_api()

    @api_method("editMessageText")
    async def _edit_message_text(self, params: Params) -> dict[str, Any]:
        chat, message = self._editable(params)
        parsed = formatted_text(params, "text", caption=False)
        assert parsed is not None
        if message.text is None:
            raise bad_request("there is no text in the message to edit")
        markup = self._apply_markup(chat, reply_markup(params, allow_reply_keyboard=False))
        if (parsed.text, parsed.entities, markup) == (
            message.text,
            message.entities,
            message.reply_markup,
        ):
            raise bad_request(_NOT_MODIFIED)
        self._check_flood(chat, edit=True)
        message.text, message.entities = parsed.text, parsed.entities
        message.source = params.get_str("text")
        message.reply_markup = markup
        return self._finish_edit(chat, message)

    @api_method("editMessageCaption")
    async def _edit_message_caption(self, params: Params) -> dict[str, Any]:
        chat, message = self._editable(params)
        if message.photo is None and message.document is None:
            raise bad_request("there is no caption in the message to edit")
        caption = formatted_text(params, "caption", caption=True)
        markup = self._apply_markup(chat, reply_markup(params, allow_reply_keyboard=False))
        new_text = caption.text if caption else None
        new_entities = caption.entities if caption else []
        if (new_text, new_entities, markup) == (
            message.caption,
            message.caption_entities,
            message.reply_markup,
        ):
            raise bad_request(_NOT_MODIFIED)
        self._check_flood(chat, edit=True)
        message.caption, message.caption_entities = new_text, new_entities
        message.source = params.get_str("caption") if caption else None
        message.reply_markup = markup
        return self._finish_edit(chat, message)

    @api_method("editMessageReplyMarkup")
    async def _edit_message_reply_markup(self, params: Params) -> dict[str, Any]:
        chat, message = self._editable(params)
        markup = self._apply_markup(chat, reply_markup(params, allow_reply_keyboard=False))
        if markup == message.reply_markup:
            raise bad_request(_NOT_MODIFIED)
        self._check_flood(chat, edit=True)
        message.reply_markup = markup
        return self._finish_edit(chat, message)

    @api_method("deleteMessage")
    async def _delete_message(self, params: Params) -> bool:
        chat = self._writable_chat(params)
        message_id = params.require_int("message_id", "message identifier is not specified")
        message = chat.messages.get(message_id)
        if message is None:
            raise bad_request("message to delete not found")
        if not message.from_bot and chat.is_group and chat.bot_status != "administrator":
            raise bad_request("message can't be deleted")
        if self.clock() - message.date > 48 * 3600:
            raise bad_request("message can't be deleted for everyone")
        del chat.messages[message_id]
        self._changed(BotEvent("delete", chat, message))
        return True

    @api_method("answerCallbackQuery")
    async def _answer_callback_query(self, params: Params) -> bool:
        query_id = params.get_str("callback_query_id") or ""
        record = self._queries.get(query_id)
        ttl = self.callback_query_ttl
        if (
            record is None
            or record.answered
            or (ttl is not None and self.clock() - record.created > ttl)
        ):
            raise bad_request(_QUERY_TOO_OLD)
        text = params.get_str("text")
        if text is not None and len(text) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        record.answered = True
        record.answer_text = text
        record.show_alert = params.get_bool("show_alert")
        record.answer_url = params.get_str("url")
        self._changed(BotEvent("callback_answer", record.message.chat, record.message, record))
        return True

    @api_method("sendChatAction")
    async def _send_chat_action(self, params: Params) -> bool:
        chat = self._writable_chat(params)
        action = params.get_str("action") or ""
        if action not in _CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        chat.last_action = action
        self._changed(BotEvent("chat_action", chat, None, action))
        return True

    @api_method("getChat")
    async def _get_chat(self, params: Params) -> dict[str, Any]:
        return self._readable_chat(params).full_info()

    @api_method("getChatMember")
    async def _get_chat_member(self, params: Params) -> dict[str, Any]:
        chat = self._readable_chat(params)
        user_id = params.require_int("user_id", "user_id is empty")
        if user_id == self.bot.id:
            status = "member" if chat.type == PRIVATE else chat.bot_status
            return member_json(self.bot, status)
        user = self._users.get(user_id)
        if user is None:
            raise bad_request("user not found")
        if chat.type == PRIVATE:
            if chat.user is not user:
                raise bad_request("user not found")
            return member_json(user, "member")
        return member_json(user, chat.members.get(user_id, "left"))

    @api_method("getChatAdministrators")
    async def _get_chat_administrators(self, params: Params) -> list[dict[str, Any]]:
        chat = self._readable_chat(params)
        if chat.type == PRIVATE:
            raise bad_request("there are no administrators in the private chat")
        admins = [
            member_json(chat.users[uid], status)
            for uid, status in chat.members.items()
            if status in ("creator", "administrator")
        ]
        if chat.bot_status == "administrator":
            admins.append(member_json(self.bot, "administrator"))
        return admins

    @api_method("getChatMemberCount")
    async def _get_chat_member_count(self, params: Params) -> int:
        chat = self._readable_chat(params)
        if chat.type == PRIVATE:
            return 2
        return len(chat.members) + (1 if chat.bot_status in ("member", "administrator") else 0)

    @api_method("leaveChat")
    async def _leave_chat(self, params: Params) -> bool:
        chat = self._lookup_chat(params.chat_id())
        if chat.type == PRIVATE:
            raise bad_request("chat member status can't be changed in private chats")
        self._check_group_access(chat)
        old = chat.bot_status
        chat.bot_status = "left"
        self._my_chat_member(chat, self.bot, old, "left")
        return True


# --- request parsing ----------------------------------------------------------------------


async def _read_params(request: web.Request) -> Params:
    """Query string plus a JSON, urlencoded or multipart body, as the Bot API accepts them."""
    values: dict[str, Any] = dict(request.query)
    uploads: dict[str, Upload] = {}
    if request.can_read_body:
        content_type = request.content_type
        if content_type == "application/json":
            raw = await request.read()
            if raw.strip():
                try:
                    body = json.loads(raw)
                except ValueError:
                    raise bad_request("can't parse JSON object") from None
                if not isinstance(body, dict):
                    raise bad_request("JSON object expected")
                values.update(body)
        elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    uploads[key] = Upload(
                        key, value.filename, value.content_type, value.file.read()
                    )
                else:
                    values[key] = value
        else:
            await request.read()
    return Params(values, uploads)


def _json(status: int, body: dict[str, Any]) -> web.Response:
    return web.Response(
        status=status, text=json.dumps(body, ensure_ascii=False), content_type="application/json"
    )


def user_entities(text: str) -> list[Entity]:
    """bot_command and mention entities, as Telegram's clients attach them."""
    found: list[tuple[int, int, str]] = []
    for regex, kind in ((_COMMAND_RE, "bot_command"), (_MENTION_RE, "mention")):
        for match in regex.finditer(text):
            found.append((match.start(), match.end(), kind))
    found.sort()
    return [
        Entity(kind, utf16_len(text[:start]), utf16_len(text[start:end]))
        for start, end, kind in found
    ]


# --- standalone ---------------------------------------------------------------------------


async def _serve(args: argparse.Namespace) -> None:
    server = BotAPIServer(args.token, limits=None if args.flood else FloodLimits.off())
    await server.start(args.host, args.port)
    user = server.add_user(args.user, started=True)

    def show(event: BotEvent) -> None:
        if event.kind in ("message", "edit") and event.message is not None:
            print(f"[{event.kind} in {event.chat.id}] {event.message.content}", flush=True)

    server.add_listener(show)
    print(
        f"Bot API stand-in at {server.base_url} (pass as base_url); user {user.first_name} "
        f"has id {user.id}",
        flush=True,
    )
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop()


def main(argv: list[str] | None = None) -> None:
    """`python -m bot.sandbox.server --port 8081 --token 123:ABC` for trying it by hand."""
    parser = argparse.ArgumentParser(description="Local Telegram Bot API stand-in")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--user", default="Tester", help="first name of a user to create")
    parser.add_argument(
        "--no-flood", dest="flood", action="store_false", help="disable flood limits"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
