"""Issues 4 and 6 "done when" against `rekpauze run`: a 429 storm, a user who blocks the bot
mid-conversation, and a burst of garbage leave the bot answering everyone, with no traceback
in its log; and a reply the real Bot API would refuse fails the e2e suite."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from typing import Any

import pytest

from bot.i18n import translations
from bot.sandbox.clock import system_clock
from bot.sandbox.runner import live_bot
from bot.sandbox.server import BotAPIServer
from bot.sandbox.state import StoredMessage
from tests.e2e.conftest import BotProcess, refused


async def test_a_429_storm_delays_replies_but_loses_none(
    standin: BotAPIServer, bot_process: BotProcess
) -> None:
    users = [standin.add_user(f"User{i}") for i in range(30)]
    eve = standin.add_user("Eve")
    bot_process.start()
    await standin.send_text(users[0], "/help")  # the bot is up and polling
    await standin.wait_for_message(users[0], timeout=30)

    # Telegram answers the next 15 sends with 429 on top of the stand-in's flood control.
    standin.fail_next("sendMessage", retry_after=1, times=15)
    for user in users:
        await standin.send_text(user, "/help")
        await standin.send_text(user, "/exercise")
    await standin.send_text(eve, "/exercise")
    standin.block_bot(eve)  # ...and blocks the bot before the answer arrives

    def replies(user: Any) -> list[Any]:
        """One per command: an exercise's animation without buttons is followed by its card."""
        return [m for m in standin.messages(user) if m.animation is None or m.buttons]

    def answered() -> bool:
        return all(len(replies(user)) >= 2 + (user is users[0]) for user in users)

    await standin.wait_until(answered, timeout=60)
    await standin.wait_until(
        lambda: any(c.status == 403 and c.chat_id == eve.id for c in standin.calls), timeout=15
    )
    assert standin.stats.scripted_faults == 15
    for user in users:  # each command got its own reply, none twice
        assert len(replies(user)) == 2 + (user is users[0])

    bot_process.signal(signal.SIGTERM)
    assert await bot_process.wait(15) == 0
    assert "Traceback" not in bot_process.output(), bot_process.output()[-6000:]


GARBAGE = [
    "/times 99:99",
    "/times",
    "/days someday",
    "/timezone Mars/Olympus_Mons",
    "/pause forever and ever",
    "/language xx",
    "/place moon",
    "/exercise " + "x" * 300,
    "/tijden 25u61",
    "/nosuchcommand",
    "/start@some_other_bot",
    "/",
    "hello?",
    "\x00\x01\x02\x1b[31m\u202e/help\u202c\ufeff",
    "<b>not html</b> & <script>alert(1)</script>",
    "🧘" * 1000,
    "x" * 4096,
]
FORGED = ["r1:d:999999", "r1:x:1", "ob:z:xxx", "ob:l:de", "dl:y:123", "ex:d:../../etc", "", "💥"]


async def test_garbage_leaves_the_bot_answering_normally(
    standin: BotAPIServer, bot_process: BotProcess
) -> None:
    # Three users share the garbage: replies to one chat are paced at about one a second.
    players = [
        standin.add_user("Mallory <b>&amp;</b>", language_code="en"),
        standin.add_user("Trudy", language_code="nl"),
        standin.add_user("Oscar\u202e", language_code="en"),
    ]
    mallory = players[0]
    bot_process.start()
    await standin.send_text(mallory, "/start")
    start = await standin.wait_for_message(
        mallory, lambda m: "Step 1 of 3" in m.content, timeout=30
    )

    # Presses first: updates of one chat are handled in order and each reply is paced, so a
    # press queued behind many messages would be answered after Telegram's answer window
    # (the bot then lets it go quietly).
    queries = [await standin.forge_button_press(mallory, start, data) for data in FORGED]
    for i, text in enumerate(GARBAGE):
        await standin.send_text(players[i % len(players)], text)
    for query in queries:  # every forged press is answered, politely
        await standin.wait_for_answer(query, timeout=30)

    def all_answered() -> bool:
        # Trudy's and Oscar's two unusable texts each get one "I didn't understand": at most
        # one a minute per chat (issue 16, point 12).
        return len(standin.messages(mallory)) >= 1 + len(GARBAGE[0::3]) and all(
            len(standin.messages(p)) >= len(GARBAGE[i::3]) - (i > 0) for i, p in enumerate(players)
        )

    await standin.wait_until(all_answered, timeout=60)

    # Still answering normally, and onboarding was not moved on by the forged presses.
    for player in players:
        await standin.send_text(player, "/help")

    def is_help(message: StoredMessage) -> bool:
        return "/start" in message.content and "/privacy" in message.content

    for player in players:
        await standin.wait_for_message(player, is_help, timeout=30)
    assert "Step 1 of 3" in start.content
    assert all(q.answer_text for q in queries)

    bot_process.signal(signal.SIGTERM)
    assert await bot_process.wait(15) == 0
    output = bot_process.output()
    assert "Traceback" not in output and " ERROR " not in output, output[-3000:]


@pytest.fixture
def broken_help() -> Iterator[None]:
    """English /help text turned into HTML the real Bot API refuses (an unclosed tag)."""
    catalog = translations("en")._catalog  # type: ignore[attr-defined]
    original = catalog["help.intro"]
    catalog["help.intro"] = "<b>Rekpauze: Commands:"
    yield
    catalog["help.intro"] = original


@pytest.mark.allow_refusals
async def test_a_reply_the_bot_api_refuses_is_caught(
    broken_help: None, clean_database_url: str
) -> None:
    """Proves the guard: invalid HTML reaches the stand-in, which answers 400 as Telegram
    would, and `refused` (checked after every e2e test) reports it."""
    async with live_bot(unix_clock=system_clock, database_url=clean_database_url) as running:
        bo = running.server.add_user("Bo", language_code="en")
        await running.server.send_text(bo, "/help")
        await running.server.wait_until(lambda: refused(running.server), timeout=15)
        [call] = refused(running.server)[:1]
        assert call.method == "sendMessage" and call.chat_id == bo.id
        assert call.response is not None
        assert "can't parse entities" in call.response["description"]
