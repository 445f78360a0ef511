"""Issue 4 "done when", as a person would try it: `rekpauze run` against the Bot API stand-in,
a Dutch and an English user, every kind of change, export, delete, and a kill -9 restart.

Flood control is on (the `standin` fixture's default): the script types several commands a
second into one chat, faster than a person, and the bot's RateLimiter paces the replies so
that the stand-in never has to answer 429."""

from __future__ import annotations

import json
import signal
from typing import Any

from bot.sandbox.server import BotAPIServer
from bot.sandbox.state import StoredMessage
from tests.e2e.conftest import BotProcess


def _data(message: StoredMessage, prefix: str) -> str:
    return next(
        b["callback_data"]
        for row in message.buttons
        for b in row
        if b.get("callback_data", "").startswith(prefix)
    )


async def _reply(standin: BotAPIServer, user: Any, text: str, expect: str) -> StoredMessage:
    await standin.send_text(user, text)
    return await standin.wait_for_message(user, lambda m: expect in m.content, timeout=15)


async def _press(
    standin: BotAPIServer, user: Any, message: StoredMessage, data: str, expect: str
) -> None:
    query = await standin.press_button(user, message, data)
    await standin.wait_for_answer(query, timeout=15)
    await standin.wait_until(lambda: expect in message.content, timeout=15)


async def test_two_users_use_every_command_and_survive_kill_9(
    standin: BotAPIServer, bot_process: BotProcess
) -> None:
    anke = standin.add_user("Anke", language_code="nl")
    bob = standin.add_user("Bob", language_code="en")
    bot_process.start()

    # Anke: onboarding with one-tap buttons.
    start = await _reply(standin, anke, "/start", "Stap 1 van 3")
    await _press(standin, anke, start, "ob:l:nl", "Stap 2 van 3")
    await _press(standin, anke, start, "ob:z:bru", "Stap 3 van 3")
    await _press(standin, anke, start, "ob:c", "Klaar")
    await standin.wait_for_message(anke, lambda m: "/veiligheid" in m.content, timeout=15)

    # The animation (name and dosage) comes first; the card with the buttons follows it.
    await standin.send_text(anke, "/oefening bekkenrek")
    exercise = await standin.wait_for_message(
        anke, lambda m: "Staande bekkenrek" in m.content and bool(m.buttons), timeout=60
    )
    assert any(m.animation is not None for m in standin.messages(anke))
    query = await standin.press_button(anke, exercise, _data(exercise, "ex:d:"))
    await standin.wait_for_answer(query, timeout=15)
    await _reply(standin, anke, "/tijden 9:00 12u30 1600", "09:00, 12:30, 16:00")
    await _reply(standin, anke, "/dagen ma-do", "ma, di, wo, do")
    await _reply(standin, anke, "/tijden 25:00", "0 tot 23")
    await _reply(standin, anke, "/pauze 2 dagen", "Gepauzeerd")
    await _reply(standin, anke, "/hervat", "weer aan")
    export = await _reply(standin, anke, "/export", "bewaard")
    assert export.document is not None
    content = standin.file_content(export.document.file_id)
    assert content is not None
    data = json.loads(content)
    assert data["chat"]["timezone"] == "Europe/Brussels" and data["completions"]

    # Bob: a typed city, then English changes.
    start = await _reply(standin, bob, "/start", "Step 1 of 3")
    await _press(standin, bob, start, "ob:l:en", "Step 2 of 3")
    await _reply(standin, bob, "new york", "Step 3 of 3")
    await _reply(standin, bob, "/timezone London", "London (GMT/BST)")
    await _reply(standin, bob, "/language nl", "Nederlands")
    await _reply(standin, bob, "/taal en", "English")
    await _reply(standin, bob, "/place home", "home")

    # kill -9 and start again: nothing is lost.
    bot_process.signal(signal.SIGKILL)
    await bot_process.wait(15)
    bot_process.start()
    settings = await _reply(standin, anke, "/instellingen", "Je instellingen")
    assert "09:00, 12:30, 16:00" in settings.content and "Brussels (CET/CEST)" in settings.content
    assert "ma, di, wo, do" in settings.content
    settings = await _reply(standin, bob, "/settings", "Your settings")
    assert "London (GMT/BST)" in settings.content and "home" in settings.content

    # Bob erases everything.
    confirm = await _reply(standin, bob, "/delete", "Erase everything?")
    await _press(standin, bob, confirm, _data(confirm, "dl:y:"), "erased")
    await _reply(standin, bob, "/settings", "/start")

    bot_process.signal(signal.SIGTERM)
    assert await bot_process.wait(15) == 0
    assert "Traceback" not in bot_process.output()
    assert not [c for c in standin.calls if c.status >= 400 and c.method != "getUpdates"]
    assert standin.stats.too_many_requests == 0
