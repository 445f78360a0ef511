"""Issue 14, point 6, against `rekpauze run`: SIGTERM while one user's 12 /times messages are
being answered (about one reply a second, Telegram's pace for a private chat). The process
stops fetching, finishes what it can within SHUTDOWN_SECONDS and exits 0; what it did not
finish it never confirmed to Telegram, so the next start receives and applies it."""

from __future__ import annotations

import signal
import time

from bot.sandbox.server import BotAPIServer
from bot.storage.db import Database
from bot.storage.models import ALL_DAYS, Chat
from tests.e2e.conftest import BotProcess
from tests.reminder_kit import get_chat

TIMES = [f"07:{minute:02d}" for minute in range(12)]


def replies(standin: BotAPIServer, chat_id: int) -> int:
    return sum(c.chat_id == chat_id and c.ok for c in standin.calls_to("sendMessage"))


def story(standin: BotAPIServer, first_run: int, output: str) -> str:
    """What a failure needs explained: the replies and confirmations in order, and the bot's
    log lines above DEBUG (both runs)."""
    calls = [
        f"{c.time:.2f} {c.method} "
        + (f"offset={c.params['offset']}" if c.method == "getUpdates" else repr(c.params["text"]))
        for c in standin.calls
        if (c.method == "sendMessage" and c.ok)
        or (c.method == "getUpdates" and "offset" in c.params)
    ]
    log = [line for line in output.splitlines() if " DEBUG " not in line]
    return "\n".join([f"first run: {first_run} replies", *calls, *log])


async def test_sigterm_hands_back_the_updates_it_did_not_finish(
    standin: BotAPIServer, bot_process: BotProcess, db: Database
) -> None:
    user = standin.add_user("Tess", started=True)
    async with db.session() as session:
        session.add(
            Chat(
                id=user.id,
                language="en",
                timezone="UTC",
                times=["10:00"],
                days=ALL_DAYS,
                onboarded=True,
                safety_shown=True,
            )
        )
    bot_process.env.update(SHUTDOWN_SECONDS="2")
    bot_process.start()
    await standin.wait_until(lambda: standin.calls_to("getUpdates"), timeout=30)
    for time_ in TIMES:
        await standin.send_text(user, f"/times {time_}")
    await standin.wait_until(lambda: replies(standin, user.id) >= 2, timeout=30)

    started = time.monotonic()
    bot_process.signal(signal.SIGTERM)
    assert await bot_process.wait(15) == 0
    stopped_in = time.monotonic() - started
    first_run = replies(standin, user.id)
    output = bot_process.output()
    assert "never awaited" not in output and "Traceback" not in output
    assert "could not confirm" not in output, story(standin, first_run, output)
    assert stopped_in < 2 + 3  # the budget, the abandoning grace and the final confirmation
    assert first_run < len(TIMES)  # the stop came in the middle
    assert standin.pending_updates > 0  # handed back: Telegram still holds them

    bot_process.start()
    await standin.wait_until(lambda: standin.pending_updates == 0, timeout=40)
    await standin.wait_until(lambda: replies(standin, user.id) >= len(TIMES), timeout=30)
    chat = await get_chat(db, user.id)
    assert chat is not None and chat.times == [TIMES[-1]]  # all applied, in order
    # Only an update cut off mid-way at the deadline can be answered twice.
    assert replies(standin, user.id) <= len(TIMES) + 1, story(
        standin, first_run, bot_process.output()
    )
    print(f"SIGTERM: stopped in {stopped_in:.1f} s after {first_run} of {len(TIMES)} replies")
    bot_process.signal(signal.SIGTERM)
    assert await bot_process.wait(15) == 0
