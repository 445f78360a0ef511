"""End-to-end fixtures: the Bot API stand-in on loopback, and the real bot talking to it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.sandbox.runner import SANDBOX_TOKEN
from bot.sandbox.server import ApiCall, BotAPIServer
from bot.storage.db import Database
from tests.processes import BotProcess, cli_env, free_port

__all__ = ["BotProcess", "assert_nothing_refused", "refused"]


def refused(server: BotAPIServer) -> list[ApiCall]:
    """Calls the stand-in refused as malformed (400), as the real Bot API would, other than
    scripted faults: text over the limits, invalid HTML, oversized button data."""
    return [
        call
        for call in server.calls
        if call.status == 400 and not call.fault and call.method.lower() != "getupdates"
    ]


def assert_nothing_refused(server: BotAPIServer, request: pytest.FixtureRequest) -> None:
    """Every e2e test fails when the bot sent something the real Bot API would refuse, unless
    it is marked `allow_refusals` (a test that provokes a refusal on purpose)."""
    if request.node.get_closest_marker("allow_refusals") is None:
        assert not refused(server), [(c.method, c.response) for c in refused(server)]


@pytest.fixture
async def standin(request: pytest.FixtureRequest) -> AsyncIterator[BotAPIServer]:
    server = BotAPIServer(SANDBOX_TOKEN)
    await server.start()
    yield server
    await server.stop()
    assert_nothing_refused(server, request)


@pytest.fixture
async def clean_database_url(db: Database, database_url: str) -> str:
    """A migrated, emptied database (the `db` fixture) for a bot process to use."""
    return database_url


@pytest.fixture
def bot_process(
    standin: BotAPIServer, clean_database_url: str, tmp_path: Path
) -> Iterator[BotProcess]:
    env = cli_env(
        TELEGRAM_BOT_TOKEN=SANDBOX_TOKEN,
        TELEGRAM_API_BASE_URL=standin.base_url,
        DATABASE_URL=clean_database_url,
        LOG_LEVEL="DEBUG",
        HTTP_HOST="127.0.0.1",  # health/metrics server: loopback, on a port nobody else uses
        HTTP_PORT=str(free_port()),
    )
    process = BotProcess(env, tmp_path / "bot.log")
    yield process
    process.stop()
