"""What `rekpauze run` holds in memory after start-up, its first calendar refresh and a
newcomer's first exchange: none of the modules it needs only for rare events (issue 22;
tests/bench/footprint.py measures the memory this keeps free).

The bot runs as a user runs it; the only addition is a `sitecustomize` on its PYTHONPATH that
writes the interpreter's module list at exit, one file per process (the bot's children, which
inherit the variable, write their own)."""

from __future__ import annotations

import asyncio
import base64
import json
import signal
import sys
from pathlib import Path

from bot.content import get_catalogue
from bot.content.animation import missing
from bot.sandbox.runner import SANDBOX_TOKEN
from bot.sandbox.server import BotAPIServer
from bot.sandbox.state import StoredMessage
from tests.processes import ROOT, BotProcess, cli_env, free_port

#: Loaded on first use only: a chart, a shared location, a calendar address read, a typed
#: search, an animation rendered (a cache miss), Alembic in its own child process.
RARE = (
    "matplotlib",
    "numpy",
    "tzfpy",
    "cryptography",
    "icalendar",
    "recurring_ical_events",
    "rapidfuzz",
    "PIL",
    "imageio",
    "alembic",
    "click",  # httpx's command-line client, hidden when httpx is imported
    "rich",
    "pygments",
    "httpx._main",
    "bot.content.poses",
    "bot.content.mannequin",
    "bot.calendar.ics",
    "bot.calendar.secrets",
    "bot.services.charts",
)
SITECUSTOMIZE = """
import atexit, json, os, sys

def _write_modules():
    folder = os.environ["REKPAUZE_TEST_MODULES_DIR"]
    with open(os.path.join(folder, f"{os.getpid()}.json"), "w") as out:
        json.dump(sorted(sys.modules), out)

atexit.register(_write_modules)
"""


def rare_in(modules: set[str], database_url: str) -> set[str]:
    rare = set(RARE)
    if not database_url.startswith("postgresql"):
        rare.add("sqlalchemy.dialects.postgresql")  # on SQLite it is never needed
    return {m for m in modules if m in rare or m.split(".")[0] in rare}


def has_card_buttons(message: StoredMessage) -> bool:
    return any("ex:d:" in b.get("callback_data", "") for row in message.buttons for b in row)


async def test_start_up_and_a_first_exchange_load_nothing_rare(
    standin: BotAPIServer, clean_database_url: str, tmp_path: Path
) -> None:
    env = cli_env(
        TELEGRAM_BOT_TOKEN=SANDBOX_TOKEN,
        TELEGRAM_API_BASE_URL=standin.base_url,
        DATABASE_URL=clean_database_url,
        LOG_LEVEL="DEBUG",
        HTTP_HOST="127.0.0.1",
        HTTP_PORT=str(free_port()),
        # Calendars are configured (a key), but none is connected yet.
        SECRET_KEY=base64.urlsafe_b64encode(bytes(range(32))).decode(),
    )
    # A running bot has its animations built (after its first start): build what is missing
    # first, so that the card below sends a file instead of rendering one in the bot.
    cache = Path(env["ANIMATION_CACHE_DIR"])
    if missing([e.id for e in get_catalogue().exercises], cache):
        build = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.content.animation", str(cache), env=env
        )
        assert await asyncio.wait_for(build.wait(), 300) == 0
    hook, dumps = tmp_path / "hook", tmp_path / "modules"
    hook.mkdir()
    dumps.mkdir()
    (hook / "sitecustomize.py").write_text(SITECUSTOMIZE)
    env |= {"PYTHONPATH": f"{hook}:{ROOT}", "REKPAUZE_TEST_MODULES_DIR": str(dumps)}
    bot = BotProcess(env, tmp_path / "bot.log")
    anke = standin.add_user("Anke", language_code="nl")
    bot.start()
    try:
        await bot.wait_for_log("calendars: none due", limit=60)  # the job's first run, 5 s in
        await standin.send_text(anke, "/start")
        start = await standin.wait_for_message(anke, lambda m: "Stap 1 van 3" in m.content, 30)
        for data, expect in (("ob:l:nl", "Stap 2 van 3"), ("ob:z:ams", "Stap 3 van 3")):
            query = await standin.press_button(anke, start, data)
            await standin.wait_for_answer(query, timeout=15)
            await standin.wait_until(lambda e=expect: e in start.content, timeout=15)
        query = await standin.press_button(anke, start, "ob:c")
        await standin.wait_for_answer(query, timeout=15)
        await standin.send_text(anke, "/oefening")
        await standin.wait_for_message(anke, has_card_buttons, timeout=30)
        await standin.send_text(anke, "/instellingen")
        await standin.wait_for_message(anke, lambda m: "Je instellingen" in m.content, 15)
        assert bot.proc is not None
        pid = bot.proc.pid
        bot.signal(signal.SIGTERM)
        assert await bot.wait(30) == 0, bot.output()
    finally:
        bot.stop()
    modules = set(json.loads((dumps / f"{pid}.json").read_text()))
    assert {"telegram.ext", "bot.app", "bot.content.animation"} <= modules
    assert any(m.animation is not None for m in standin.messages(anke))  # sent from the cache
    assert rare_in(modules, clean_database_url) == set()
