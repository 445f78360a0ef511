"""End-to-end fixtures: the Bot API stand-in on loopback, and the real bot talking to it."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.sandbox.runner import SANDBOX_TOKEN
from bot.sandbox.server import ApiCall, BotAPIServer
from bot.storage.db import Database

ROOT = Path(__file__).resolve().parents[2]


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


class BotProcess:
    """`rekpauze run` as a separate process, as an operator would start it."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self._log_file = self.log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run"],
            env=self.env,
            cwd=self.log.parent,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    async def wait(self, seconds: float) -> int:
        """Wait for exit without blocking the loop the stand-in answers on."""
        assert self.proc is not None
        code = await asyncio.to_thread(self.proc.wait, seconds)
        self._log_file.close()
        return code

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
            self._log_file.close()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def bot_process(
    standin: BotAPIServer, clean_database_url: str, tmp_path: Path
) -> Iterator[BotProcess]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    env.update(
        PYTHONPATH=str(ROOT),
        TELEGRAM_BOT_TOKEN=SANDBOX_TOKEN,
        TELEGRAM_API_BASE_URL=standin.base_url,
        DATABASE_URL=clean_database_url,
        LOG_LEVEL="DEBUG",
        HTTP_HOST="127.0.0.1",  # health/metrics server: loopback, on a port nobody else uses
        HTTP_PORT=str(_free_port()),
    )
    process = BotProcess(env, tmp_path / "bot.log")
    yield process
    if process.proc is not None and process.proc.poll() is None:
        process.signal(signal.SIGKILL)
    process.stop()
