"""The stand-in and the real bot started together, talking over loopback HTTP.

Used by `rekpauze sandbox` and by the end-to-end tests: the bot is the same Application that
`rekpauze run` builds, pointed at the stand-in through its base URL, so everything it sends
passes the checks the real Bot API makes.
"""

from __future__ import annotations

import contextlib
import socket
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bot.clock import Clock
from bot.config import Settings
from bot.sandbox.clock import Clock as UnixClock
from bot.sandbox.clock import ScaledClock
from bot.sandbox.limits import FloodLimits
from bot.sandbox.server import BotAPIServer
from bot.storage.db import Database

SANDBOX_TOKEN = "123456789:SANDBOXsandboxSANDBOXsandboxSANDBOX0"


def datetime_clock(unix: UnixClock) -> Clock:
    """The bot's clock (aware UTC datetimes) reading the same time as the stand-in's."""
    return lambda: datetime.fromtimestamp(unix(), UTC)


@dataclass
class LiveBot:
    server: BotAPIServer
    app: Any
    db: Database
    settings: Settings
    app_url: str | None = None  # the Mini App, served on loopback (mini_app=True)

    def app_link(self, user_id: int, first_name: str, language: str) -> str:
        """The Mini App with signed launch data for a user, as Telegram opens it."""
        from bot.webapp.auth import launch_data

        assert self.app_url is not None
        data = launch_data(user_id, first_name, language, SANDBOX_TOKEN, self.app.bot_data.now())
        return f"{self.app_url}#tgWebAppData={quote(data, safe='')}&tgWebAppVersion=8.0"

    def non_polling_calls(self) -> int:
        """API calls other than getUpdates: they change while the bot is busy answering."""
        by_method = self.server.stats.by_method
        return sum(by_method.values()) - by_method.get("getupdates", 0)

    async def settle(self, *, quiet: float = 0.4, first_timeout: float = 10.0) -> None:
        """Wait until the bot has reacted to what was sent and then stayed quiet a moment."""
        start = self.non_polling_calls()
        with contextlib.suppress(TimeoutError):
            await self.server.wait_until(
                lambda: self.non_polling_calls() != start, timeout=first_timeout
            )
        while True:
            seen = self.non_polling_calls()

            def moved(seen: int = seen) -> bool:
                return self.non_polling_calls() != seen

            try:
                await self.server.wait_until(moved, timeout=quiet)
            except TimeoutError:
                if not self.server.pending_updates:
                    return


def free_port() -> int:
    """A loopback port nobody listens on right now (the Mini App's; tests' processes too)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.asynccontextmanager
async def _serve_mini_app(app: Any, port: int | None) -> AsyncIterator[None]:
    """The Mini App on loopback with the sandbox's telegram-web-app.js stand-in."""
    if port is None:
        yield
        return
    from aiohttp import web

    from bot.webapp.server import MiniAppConfig, build

    root = web.Application()
    config = MiniAppConfig(SANDBOX_TOKEN, timedelta(days=1), shim=True)
    root.add_subapp("/app/", build(app.bot_data, config))
    runner = web.AppRunner(root, access_log=None, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield
    finally:
        await runner.cleanup()


@contextlib.asynccontextmanager
async def live_bot(
    *,
    unix_clock: UnixClock,
    database_url: str | None = None,
    limits: FloodLimits | None = None,
    settings_overrides: dict[str, Any] | None = None,
    prepare: Callable[[BotAPIServer], None] | None = None,
    freeze_heap: bool = False,
    mini_app: bool = False,
    rate_limiter: Any = None,
) -> AsyncIterator[LiveBot]:
    """Start the stand-in and the bot (polling it) on a temporary or given database.

    freeze_heap: as `rekpauze run` does after start-up; only for a process of its own (a
    benchmark), never under pytest, whose heap it would freeze. rate_limiter: instead of the
    one for SEND_RATE_PER_SECOND, e.g. one that waits on a simulated clock (day.py --live)."""
    from bot.app import build_application, startup, stop_gracefully

    with tempfile.TemporaryDirectory(prefix="rekpauze-") as tmp:
        url = database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'sandbox.sqlite3'}"
        server = BotAPIServer(SANDBOX_TOKEN, clock=unix_clock, limits=limits)
        if prepare is not None:
            prepare(server)
        base_url = await server.start()
        app_port = free_port() if mini_app else None
        app_url = f"http://127.0.0.1:{app_port}/app/" if app_port else None
        if app_url:
            settings_overrides = {**(settings_overrides or {}), "WEBAPP_URL": app_url}
        settings = Settings(
            TELEGRAM_BOT_TOKEN=SANDBOX_TOKEN,  # type: ignore[arg-type]
            TELEGRAM_API_BASE_URL=base_url,
            DATABASE_URL=url,
            _env_file=None,  # type: ignore[call-arg]
            **(settings_overrides or {}),
        )
        db = Database(url)
        try:
            await db.upgrade()
            # Every periodic job keeps its pace on a sandbox clock that runs faster.
            speed = unix_clock.speed if isinstance(unix_clock, ScaledClock) else 1.0
            app = build_application(
                settings,
                db,
                token=SANDBOX_TOKEN,
                clock=datetime_clock(unix_clock),
                clock_speed=speed,
                rate_limiter=rate_limiter,
            )
            async with app, _serve_mini_app(app, app_port):
                await startup(app, freeze=freeze_heap)
                await app.start()
                await app.bot_data.poller.start()
                try:
                    yield LiveBot(server=server, app=app, db=db, settings=settings, app_url=app_url)
                finally:  # as `rekpauze run` stops: drain sends, release the lease
                    await stop_gracefully(app)
        finally:
            await db.dispose()
            await server.stop()
