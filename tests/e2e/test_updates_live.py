"""Issue 14, points 2 and 3, in-process: the real Application polls the Bot API stand-in over
loopback HTTP (bot/sandbox/runner.py live_bot). A flooding chat and a flooding group do not
hold another user's /help; updates the library cannot parse are skipped, counted and
confirmed, and processing goes on; /readyz fails when fetching has stopped."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot import metrics
from bot.app import HANDLED_UPDATES
from bot.sandbox.clock import ScaledClock
from bot.sandbox.runner import LiveBot, live_bot
from bot.sandbox.server import BotAPIServer
from bot.storage.models import Chat
from tests.e2e.conftest import assert_nothing_refused
from tests.reminder_kit import add_chat, get_chat

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


def inject_raw(server: BotAPIServer, kind: str, payload: dict[str, Any]) -> int:
    """Queue an update exactly as given (the stand-in builds its own with python-telegram-bot,
    which cannot produce one it cannot parse); returns its id. Ignores allowed_updates, as a
    Telegram that still has an older list would."""
    queue = server.world.updates
    queue._last_update_id += 1
    queue.pending.append({"update_id": queue._last_update_id, kind: payload})
    waiter = queue._poll_waiter
    if waiter is not None and not waiter.done():
        waiter.set_result("update")
    return queue._last_update_id


@pytest.fixture
async def bot(clean_database_url: str, request: pytest.FixtureRequest) -> AsyncIterator[LiveBot]:
    async with live_bot(unix_clock=ScaledClock(1.0), database_url=clean_database_url) as running:
        yield running
    assert_nothing_refused(running.server, request)


# The stand-in keeps a chat's latest messages only: after 500 more, the group's replies (paced
# at 20 a minute) refer to messages it no longer has and are refused.
@pytest.mark.allow_refusals
async def test_a_flooding_chat_and_group_do_not_hold_another_users_help(bot: LiveBot) -> None:
    server = bot.server
    flooder = server.add_user("Flo", language_code="nl")
    member = server.add_user("Gus")
    group = server.add_group("Busy", members=[member])
    other = server.add_user("Olga")
    for _ in range(500):
        await server.send_text(flooder, "/help")
        await server.send_text(member, "/help", group)

    loop = asyncio.get_running_loop()
    asked = loop.time()
    await server.send_text(other, "/help")
    answer = await server.wait_for_message(other, timeout=2.0)
    assert loop.time() - asked < 2.0
    assert "/start" in (answer.text or "")

    # The floods were cut: each chat was told once to slow down, in its own language.
    def slowed(chat: object, words: str) -> int:  # the chat's history keeps the latest only
        sends = server.calls_to("sendMessage")
        return sum(c.chat_id == chat.id and words in str(c.params["text"]) for c in sends)  # type: ignore[attr-defined]

    await server.wait_until(lambda: slowed(flooder, "Rustig aan") and slowed(group, "Slow down"))
    assert slowed(flooder, "Rustig aan") == 1 and slowed(group, "Slow down") == 1
    processor = bot.app.update_processor
    assert processor.backlog <= 2 * processor.max_pending
    # Not yet processed, so not yet confirmed to Telegram (they would come again after a stop).
    assert server.pending_updates > 0
    refused = {str(c.response) for c in server.calls if c.status == 400 and not c.fault}
    assert all("replied not found" in r for r in refused), refused


async def test_unparsable_updates_are_skipped_counted_and_confirmed(
    bot: LiveBot, caplog: pytest.LogCaptureFixture
) -> None:
    server = bot.server
    user = server.add_user("Anke")
    before = metrics.UPDATES_UNPARSABLE._value.get()
    caplog.set_level(logging.WARNING, logger="bot.updates")
    # A poll without allows_revoting, and a message without date (an older Bot API server).
    poll = {
        "id": "p1",
        "question": "secret question",
        "options": [{"text": "a", "voter_count": 0}],
        "total_voter_count": 0,
        "is_closed": False,
        "is_anonymous": True,
        "type": "regular",
        "allows_multiple_answers": False,
    }
    first_bad = inject_raw(server, "poll", poll)  # a type the bot does not even ask for
    inject_raw(
        server,
        "message",
        {"message_id": 1, "chat": {"id": user.id, "type": "private"}, "text": "secret text"},
    )
    await server.send_text(user, "/help")
    await server.wait_for_message(user, timeout=5)
    assert metrics.UPDATES_UNPARSABLE._value.get() - before == 2
    await server.wait_until(lambda: server.pending_updates == 0, timeout=5)
    lines = [r.getMessage() for r in caplog.records if "cannot parse" in r.getMessage()]
    assert lines == [
        f"skipped update {first_bad}: cannot parse it (TypeError)",
        f"skipped update {first_bad + 1}: cannot parse it (KeyError)",
    ]
    assert not any("secret" in r.getMessage() for r in caplog.records)
    assert bot.app.bot_data.poller.problem() is None
    # The bot asks only for what it handles.
    [call, *_] = server.calls_to("getUpdates")[-1:]
    assert sorted(HANDLED_UPDATES) == ["callback_query", "message", "my_chat_member"]
    assert "channel_post" not in str(call.params)


@pytest.mark.allow_refusals
async def test_readyz_reports_when_fetching_stopped(bot: LiveBot) -> None:
    poller = bot.app.bot_data.poller
    assert poller.problem() is None
    bot.server.fail_next("getUpdates", status=502, times=1000)  # the Bot API is down
    await bot.server.wait_until(lambda: poller.failures > 0, timeout=15)
    real = poller.monotonic
    poller.monotonic = lambda: real() + 1000  # a long outage, without waiting for it
    assert (poller.problem() or "").startswith("no answer from getUpdates for 10")


async def test_invisible_characters_pause_zero_and_channel_posts(bot: LiveBot) -> None:
    """Issue 14, point 9: a zero-width space or NUL in valid input does not make it fail;
    `/pause 0` explains the minimum; a channel post gets no answer at all."""
    server = bot.server
    user = server.add_user("Anke", started=True)
    await add_chat(bot.db, user.id, next_due_at=None, times=["10:00"])
    async with bot.db.session() as session:  # finished onboarding: /pause applies to it
        chat = await session.get(Chat, user.id)
        assert chat is not None
        chat.onboarded = True
    await server.send_text(user, "/times 9:00\u200b 12:00\x00")
    await server.wait_for_message(user)
    chat = await get_chat(bot.db, user.id)
    assert chat is not None and chat.times == ["09:00", "12:00"]
    await server.send_text(user, "/timezone Amster\u2060dam")
    await server.wait_for_message(user)
    chat = await get_chat(bot.db, user.id)
    assert chat is not None and chat.timezone == "Europe/Amsterdam"

    await server.send_text(user, "/pause 0")
    answer = await server.wait_for_message(user)
    assert "at least one day" in (answer.text or "")

    inject_raw(
        server,
        "channel_post",
        {
            "message_id": 7,
            "date": 1_700_000_000,
            "chat": {"id": -1001234, "type": "channel", "title": "News"},
            "text": "/help",
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
        },
    )
    await server.wait_until(lambda: server.pending_updates == 0)
    await server.send_text(user, "/help")  # processed after the channel post (same poller)
    await server.wait_for_message(user)
    assert not [c for c in server.calls_to("sendMessage") if c.chat_id == -1001234]
