"""Issue 14, point 5: a request Telegram may have acted on is never sent again. Against the Bot
API stand-in, whose answers come later than the bot's read timeout (the message is delivered
before the delay): a reminder and an interactive reply each arrive exactly once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut
from telegram.request import HTTPXRequest

from bot.app import READ_TIMEOUT, build_application
from bot.config import Settings
from bot.retry import may_have_arrived, retryable
from bot.sandbox.server import BotAPIServer
from bot.storage.db import Database
from bot.storage.models import Delivery
from tests.conftest import FakeClock
from tests.reminder_kit import FakeSleep, add_chat, limiter, make_dispatcher, run

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def caused(exc: Exception, cause: Exception) -> Exception:
    exc.__cause__ = cause
    return exc


@pytest.mark.parametrize(
    ("exc", "on_wire", "expected"),
    [
        (RetryAfter(3), True, True),
        (NetworkError("Bad Gateway (502)"), True, True),
        (caused(NetworkError("httpx.ConnectError"), httpx.ConnectError("refused")), True, True),
        (caused(TimedOut(), httpx.ConnectTimeout("connect")), True, True),
        (TimedOut("Pool timeout: All connections ... Request was *not* sent"), True, True),
        (caused(TimedOut(), httpx.ReadTimeout("read")), True, False),
        (caused(TimedOut(), httpx.ReadTimeout("read")), False, True),
        (caused(NetworkError("httpx.ReadError"), httpx.ReadError("reset")), True, False),
        (
            caused(NetworkError("x"), httpx.RemoteProtocolError("server disconnected")),
            True,
            False,
        ),
        (BadRequest("message is too long"), False, False),
    ],
)
def test_retryable(exc: Exception, on_wire: bool, expected: bool) -> None:
    assert retryable(exc, on_wire) is expected


def test_a_read_timeout_may_have_arrived() -> None:
    assert may_have_arrived(caused(TimedOut(), httpx.ReadTimeout("read")))
    assert not may_have_arrived(caused(TimedOut(), httpx.ConnectTimeout("connect")))


@pytest.fixture
async def server(clock: FakeClock) -> AsyncIterator[BotAPIServer]:
    stand_in = BotAPIServer(clock=lambda: clock().timestamp())
    await stand_in.start()
    yield stand_in
    await stand_in.stop()


@pytest.fixture
async def slow_app(server: BotAPIServer, db: Database, clock: FakeClock, database_url: str) -> Any:
    """The bot with a read timeout shorter than the stand-in's answer time (0.2 s < 0.5 s)."""
    settings = Settings(  # type: ignore[call-arg]
        DATABASE_URL=database_url, TELEGRAM_API_BASE_URL=server.base_url
    )
    app = build_application(
        settings,
        db,
        token=server.token,
        clock=clock,
        rate_limiter=limiter(clock, FakeSleep(clock)),  # a retry would not wait for real
        request=HTTPXRequest(read_timeout=0.2),
    )
    async with app:
        yield app


async def test_a_reminder_answered_late_is_delivered_once(
    slow_app: Any, server: BotAPIServer, db: Database, clock: FakeClock
) -> None:
    clock.now = T0
    anke = server.add_user("Anke", started=True)
    await add_chat(db, anke.id, next_due_at=T0)
    server.set_latency(0.5, "sendMessage")
    await run(make_dispatcher(slow_app, db, clock), T0 + timedelta(seconds=2))
    assert server.stats.by_method["sendMessage"] == 1  # requests made, answered or not
    assert len(server.messages(anke)) == 1
    async with db.session() as session:
        [row] = (await session.execute(select(Delivery))).scalars().all()
    assert row.status != "sent" and row.attempts == 1  # uncertain: never sent again


async def test_an_interactive_reply_answered_late_is_sent_once(
    slow_app: Any, server: BotAPIServer
) -> None:
    anke = server.add_user("Anke")
    await server.send_text(anke, "/help")
    server.set_latency(0.5, "sendMessage")
    for update in await slow_app.bot.get_updates(timeout=0):
        await slow_app.process_update(update)
    helps = [m for m in server.messages(anke) if "/start" in (m.text or "")]
    assert len(helps) == 1


def test_the_bot_waits_longer_than_the_bot_apis_usual_answer_time(settings: Settings) -> None:
    app = build_application(settings, None, token="1:A")  # type: ignore[arg-type]
    assert app.bot.request.read_timeout == READ_TIMEOUT >= 15
