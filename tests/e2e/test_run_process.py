"""`rekpauze run` as a process, pointed at the stand-in through TELEGRAM_API_BASE_URL."""

from __future__ import annotations

import re
import signal

from bot.sandbox.runner import SANDBOX_TOKEN
from bot.sandbox.server import BotAPIServer
from tests.e2e.conftest import BotProcess


async def test_run_polls_and_answers_start_and_help(
    standin: BotAPIServer, bot_process: BotProcess
) -> None:
    anke = standin.add_user("Anke", language_code="nl")
    bob = standin.add_user("Bob", language_code="en")
    bot_process.start()

    await standin.send_text(anke, "/start")
    welcome = await standin.wait_for_message(anke, timeout=30)
    assert "Welkom bij Rekpauze, Anke" in welcome.content

    await standin.send_text(bob, "/help")
    help_text = await standin.wait_for_message(bob, timeout=10)
    assert "/start" in help_text.content and "Commands" in help_text.content

    # The command menu is set in English by default and in Dutch for nl.
    assert standin.commands()
    assert standin.commands(language_code="nl")

    bot_process.signal(signal.SIGTERM)
    assert await bot_process.wait(15) == 0
    output = bot_process.output()
    assert "Traceback" not in output
    assert SANDBOX_TOKEN not in output
    assert SANDBOX_TOKEN.split(":")[1] not in output
    # Start-up moved what it left alive out of the garbage collector's full collections.
    frozen = re.search(r"start-up heap frozen: (\d+) objects", output)
    assert frozen is not None and int(frozen.group(1)) > 0, output
    # Nothing the bot sent was refused by the stand-in.
    assert not [c for c in standin.calls if c.status >= 400 and c.method != "getUpdates"]
