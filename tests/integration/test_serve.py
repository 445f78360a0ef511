"""`rekpauze run` as a service manager runs it: a subprocess on loopback, against a fake
Bot API, stopped with SIGTERM."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.services import broadcast
from bot.storage.db import Database
from bot.storage.models import Chat, KeyValue
from bot.web import SECRET_HEADER
from tests.conftest import TEST_DATABASE_URL
from tests.fake_bot_api import FakeBotApi
from tests.fakes import TOKEN, message_update, user_dict

ROOT = Path(__file__).resolve().parents[2]
SECRET = "webhook-secret_42"
STOP_LIMIT = 15.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Bot:
    """One `rekpauze run` process with its log in a file (no pipe to fill up)."""

    def __init__(self, tmp: Path, api: FakeBotApi, database_url: str, **env: str) -> None:
        self.port = _free_port()
        self.log = tmp / f"bot-{self.port}.log"
        base = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
        self.env = (
            base
            | {
                "PYTHONPATH": str(ROOT),
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_API_BASE_URL": api.base_url,
                "DATABASE_URL": database_url,
                "HTTP_HOST": "127.0.0.1",
                "HTTP_PORT": str(self.port),
                "LOG_FORMAT": "json",
            }
            | env
        )
        self.cwd = tmp
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self.log.open("wb") as out:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot.cli",
                "run",
                env=self.env,
                cwd=self.cwd,
                stdout=out,
                stderr=out,
            )

    def text(self) -> str:
        return self.log.read_text() if self.log.exists() else ""

    async def wait_for_log(self, fragment: str, limit: float = 30.0) -> None:
        deadline = time.monotonic() + limit
        while fragment not in self.text():
            assert self.process is not None and self.process.returncode is None, self.text()
            assert time.monotonic() < deadline, f"{fragment!r} not logged:\n{self.text()}"
            await asyncio.sleep(0.05)

    async def terminate(self) -> tuple[int, float]:
        assert self.process is not None
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            code = await asyncio.wait_for(self.process.wait(), STOP_LIMIT + 5)
        except TimeoutError:
            self.process.kill()
            raise
        return code, time.monotonic() - started

    async def kill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()


@pytest.fixture
async def api() -> Any:
    fake = FakeBotApi()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
def serve_url(tmp_path: Path, db: Database) -> str:
    return TEST_DATABASE_URL or str(db.url)


def _assert_clean_stop(bot: Bot, code: int, seconds: float) -> None:
    log = bot.text()
    assert code == 0, log
    assert seconds < STOP_LIMIT, log
    assert "Traceback" not in log
    assert TOKEN not in log
    for line in log.strip().splitlines():
        assert isinstance(json.loads(line), dict), line


async def test_polling_mode_serves_health_and_stops_cleanly_on_sigterm(
    tmp_path: Path, api: FakeBotApi, serve_url: str
) -> None:
    bot = Bot(tmp_path, api, serve_url)
    try:
        await bot.start()
        await bot.wait_for_log("polling as @rekpauze_bot")
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{bot.port}/healthz") as response:
                assert response.status == 200
            async with http.get(f"http://127.0.0.1:{bot.port}/readyz") as response:
                assert response.status == 200
        assert api.sent("deleteWebhook") and api.sent("getUpdates")
        code, seconds = await bot.terminate()
    finally:
        await bot.kill()
    _assert_clean_stop(bot, code, seconds)
    assert '"event": "stopped"' in bot.text()


async def test_webhook_mode_registers_checks_the_secret_and_answers(
    tmp_path: Path, api: FakeBotApi, serve_url: str
) -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    bot = Bot(tmp_path, api, serve_url, WEBHOOK_URL=url, WEBHOOK_SECRET=SECRET)
    bot.port = port
    bot.env["HTTP_PORT"] = str(port)
    update = json.dumps(
        message_update(None, "/help", user=user_dict(6001, "Hanna", "en")).to_dict()
    )
    try:
        await bot.start()
        await bot.wait_for_log("webhook mode")
        [registered] = api.sent("setWebhook")
        assert registered["url"] == url and registered["secret_token"] == SECRET
        assert "my_chat_member" in str(registered["allowed_updates"])
        assert not api.sent("getUpdates")
        async with aiohttp.ClientSession() as http:
            wrong = await http.post(url, data=update, headers={SECRET_HEADER: "nope"})
            assert wrong.status == 403
            right = await http.post(url, data=update, headers={SECRET_HEADER: SECRET})
            assert right.status == 200
        deadline = time.monotonic() + 10
        while not [p for p in api.sent() if str(p["chat_id"]) == "6001"]:
            assert time.monotonic() < deadline, bot.text()
            await asyncio.sleep(0.05)
        assert len(api.sent()) == 1  # the refused request did nothing
        code, seconds = await bot.terminate()
    finally:
        await bot.kill()
    _assert_clean_stop(bot, code, seconds)
    assert SECRET not in bot.text()


async def test_sigterm_during_a_broadcast_burst_then_restart_sends_each_chat_once(
    tmp_path: Path, api: FakeBotApi, serve_url: str, db: Database
) -> None:
    recipients = list(range(7001, 7061))
    async with db.session() as session:
        session.add_all(Chat(id=i, type="private", times=["10:00"]) for i in recipients)
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    token = await broadcast.create_draft(db, text="Nieuws", admin_chat=1, lang="nl", now=now)
    assert await broadcast.confirm_draft(db, token, now)
    api.send_delay = 0.02

    def delivered() -> list[int]:
        return [int(str(p["chat_id"])) for p in api.sent() if p.get("text") == "Nieuws"]

    first = Bot(tmp_path, api, serve_url)
    try:
        await first.start()
        deadline = time.monotonic() + 30
        while len(delivered()) < 5:
            assert time.monotonic() < deadline, first.text()
            await asyncio.sleep(0.02)
        code, seconds = await first.terminate()
    finally:
        await first.kill()
    _assert_clean_stop(first, code, seconds)
    stopped_at = len(delivered())
    assert stopped_at < len(recipients)
    async with db.session() as session:
        row = await session.get(KeyValue, broadcast.RUN + token)
        assert row is not None
        state = json.loads(row.value)
    assert state["owner"] is None  # the lease was released: a restart continues at once
    assert state["cursor"] == delivered()[-1]

    second = Bot(tmp_path, api, serve_url)
    try:
        await second.start()
        deadline = time.monotonic() + 30
        while not [p for p in api.sent() if str(p["chat_id"]) == "1"]:
            assert time.monotonic() < deadline, second.text()
            await asyncio.sleep(0.05)
        code, seconds = await second.terminate()
    finally:
        await second.kill()
    _assert_clean_stop(second, code, seconds)
    assert sorted(delivered()) == recipients  # nothing lost, nothing twice


def test_webhook_url_without_secret_exits_2_with_one_line(tmp_path: Path) -> None:
    import subprocess

    base = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WEBHOOK_"))}
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run"],
        env=base
        | {
            "PYTHONPATH": str(ROOT),
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "WEBHOOK_URL": "https://bot.example.org/telegram",
        },
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "WEBHOOK_SECRET is required" in lines[0]


async def test_a_busy_http_port_is_one_line_and_exit_1(
    tmp_path: Path, api: FakeBotApi, serve_url: str
) -> None:
    bot = Bot(tmp_path, api, serve_url)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", bot.port))
        busy.listen()
        await bot.start()
        assert bot.process is not None
        code = await asyncio.wait_for(bot.process.wait(), 30)
    assert code == 1
    assert "Traceback" not in bot.text()
    assert f"cannot listen on 127.0.0.1:{bot.port}" in bot.text().strip().splitlines()[-1]
