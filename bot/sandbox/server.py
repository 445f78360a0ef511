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

Where things live: transport.py (HTTP), methods/ (the Bot API methods), world.py and state.py
(the simulated Telegram), updates.py (polling and webhooks), files.py (uploads), driver.py
(playing users), faults.py and limits.py (misbehaviour and flood control).
"""

from __future__ import annotations

import logging
from collections import deque
from typing import Any

from .clock import Clock, ManualClock, ScaledClock, system_clock
from .driver import Driver
from .faults import Fault, FaultPlan, ScriptedFault
from .files import FileStore
from .limits import FloodLimits
from .methods.callbacks import CallbackMethods
from .methods.members import MemberMethods
from .methods.messages import MessageMethods
from .methods.profile import ProfileMethods
from .methods.updates import UpdateMethods
from .state import (
    ApiCall,
    BotEvent,
    CallbackQueryRecord,
    Chat,
    ServerStats,
    StoredMessage,
    User,
)
from .transport import TOKEN_RE, MethodTable, Transport
from .updates import Webhook
from .world import World

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


class BotAPIServer(Driver):
    """The Bot API stand-in: the HTTP server, the world it serves, and (inherited from
    `Driver`) the way tests play users in it."""

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
        if not TOKEN_RE.fullmatch(token):
            raise ValueError("token must look like a Bot API token: <digits>:<letters>")
        self.token = token
        self.clock = clock
        bot = User(int(token.split(":", 1)[0]), bot_name, username=bot_username, is_bot=True)
        world = World(
            bot,
            clock=clock,
            limits=limits if limits is not None else FloodLimits(),
            privacy_mode=privacy_mode,
            callback_query_ttl=callback_query_ttl,
            max_messages_per_chat=max_messages_per_chat,
            max_pending_updates=max_pending_updates,
            webhook_retry_delay=webhook_retry_delay,
        )
        super().__init__(world, FaultPlan())
        self.files = FileStore(max_stored_file_bytes)
        self.profile = ProfileMethods(world)
        self.methods = MethodTable()
        for group in (
            self.profile,
            UpdateMethods(world.updates),
            MessageMethods(world, self.files),
            CallbackMethods(world),
            MemberMethods(world),
        ):
            group.register(self.methods)
        self.transport = Transport(token, self.methods, world, self.faults, max_logged_calls)
        self.base_url = ""
        """`http://host:port/bot`, to pass as PTB's `base_url` (PTB appends token/method)."""
        self.url = ""

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen on host:port (0 picks a free port) and return `base_url`."""
        self.url = await self.transport.start(host, port)
        self.base_url = f"{self.url}/bot"
        log.info("Bot API stand-in listening on %s", self.url)
        return self.base_url

    async def stop(self) -> None:
        """Stop listening and end long polls and webhook delivery."""
        await self.world.updates.close()
        await self.transport.stop()

    async def __aenter__(self) -> BotAPIServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # --- what the bot did -----------------------------------------------------------------

    @property
    def calls(self) -> deque[ApiCall]:
        """Every call the bot made, newest last, with its parameters and the answer given."""
        return self.transport.calls

    def calls_to(self, method: str) -> list[ApiCall]:
        """Logged calls of one method (case-insensitive)."""
        wanted = method.lower()
        return [call for call in self.calls if call.method.lower() == wanted]

    @property
    def stats(self) -> ServerStats:
        return self.world.stats

    @property
    def bot(self) -> User:
        return self.world.bot

    @property
    def privacy_mode(self) -> bool:
        return self.world.privacy_mode

    def commands(
        self, *, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, str]]:
        """The commands set with setMyCommands for exactly this scope and language."""
        return self.profile.menu(scope or {"type": "default"}, language_code)

    def file_content(self, file_id: str) -> bytes | None:
        """Bytes of an uploaded file, while it is still kept (bounded by max_stored_file_bytes)."""
        return self.files.content(file_id)

    @property
    def webhook(self) -> Webhook | None:
        """The webhook the bot set (with the last delivery error), or None when it polls."""
        return self.world.updates.webhook
