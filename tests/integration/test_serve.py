"""`rekpauze run` as a service manager runs it: a subprocess on loopback, against the Bot API
stand-in, stopped with SIGTERM."""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.sandbox.server import BotAPIServer
from bot.services import broadcast
from bot.storage.db import Database
from bot.storage.models import Chat, KeyValue
from bot.web import SECRET_HEADER
from tests.conftest import TEST_DATABASE_URL
from tests.e2e.conftest import assert_nothing_refused
from tests.fakes import TOKEN, message_update, user_dict
from tests.processes import BotProcess, cli_env, free_port, run_cli

SECRET = "webhook-secret_42"
STOP_LIMIT = 15.0
ADMIN_CHAT = 1


def start_bot(tmp: Path, api: BotAPIServer, database_url: str, **env: str) -> BotProcess:
    """One `rekpauze run` process against the stand-in, logging JSON."""
    port = env.pop("HTTP_PORT", None) or str(free_port())
    settings = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": api.base_url,
        "DATABASE_URL": database_url,
        "HTTP_HOST": "127.0.0.1",
        "HTTP_PORT": port,
        "LOG_FORMAT": "json",
    }
    bot = BotProcess(cli_env(**(settings | env)), tmp / f"bot-{port}.log")
    bot.start()
    return bot


@pytest.fixture
async def api(request: pytest.FixtureRequest) -> AsyncIterator[BotAPIServer]:
    """The Bot API stand-in, with the token these processes use."""
    async with BotAPIServer(TOKEN) as server:
        yield server
    assert_nothing_refused(server, request)


@pytest.fixture
def serve_url(tmp_path: Path, db: Database) -> str:
    return TEST_DATABASE_URL or str(db.url)


def _assert_clean_stop(bot: BotProcess, code: int, seconds: float) -> None:
    log = bot.output()
    assert code == 0, log
    assert seconds < STOP_LIMIT, log
    assert "Traceback" not in log
    assert TOKEN not in log
    for line in log.strip().splitlines():
        assert isinstance(json.loads(line), dict), line


async def test_polling_mode_serves_health_and_stops_cleanly_on_sigterm(
    tmp_path: Path, api: BotAPIServer, serve_url: str
) -> None:
    bot = start_bot(tmp_path, api, serve_url)
    try:
        await bot.wait_for_log(f"polling as @{api.bot.username}")
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{bot.port}/healthz") as response:
                assert response.status == 200
            async with http.get(f"http://127.0.0.1:{bot.port}/readyz") as response:
                assert response.status == 200
        # Counted on arrival: a long poll is logged in `calls` only once it is answered.
        assert api.stats.by_method["deleteWebhook"] and api.stats.by_method["getUpdates"]
        code, seconds = await bot.terminate(STOP_LIMIT + 5)
    finally:
        bot.stop()
    _assert_clean_stop(bot, code, seconds)
    assert '"event": "stopped"' in bot.output()


async def test_webhook_mode_registers_checks_the_secret_and_answers(
    tmp_path: Path, api: BotAPIServer, serve_url: str
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    hanna = api.add_user("Hanna", language_code="en", user_id=6001, started=True)
    update = json.dumps(
        message_update(None, "/help", user=user_dict(hanna.id, "Hanna", "en")).to_dict()
    )
    bot = start_bot(
        tmp_path, api, serve_url, WEBHOOK_URL=url, WEBHOOK_SECRET=SECRET, HTTP_PORT=str(port)
    )
    try:
        await bot.wait_for_log("webhook mode")
        [registered] = [call.params for call in api.calls_to("setWebhook")]
        assert registered["url"] == url and registered["secret_token"] == SECRET
        assert "my_chat_member" in str(registered["allowed_updates"])
        assert not api.stats.by_method["getUpdates"]
        async with aiohttp.ClientSession() as http:
            wrong = await http.post(url, data=update, headers={SECRET_HEADER: "nope"})
            assert wrong.status == 403
            right = await http.post(url, data=update, headers={SECRET_HEADER: SECRET})
            assert right.status == 200
        await api.wait_for_message(hanna, timeout=10)
        assert len(api.calls_to("sendMessage")) == 1  # the refused request did nothing
        code, seconds = await bot.terminate(STOP_LIMIT + 5)
    finally:
        bot.stop()
    _assert_clean_stop(bot, code, seconds)
    assert SECRET not in bot.output()


async def test_sigterm_during_a_broadcast_burst_then_restart_sends_each_chat_once(
    tmp_path: Path, api: BotAPIServer, serve_url: str, db: Database
) -> None:
    recipients = list(range(7001, 7061))
    async with db.session() as session:
        session.add_all(Chat(id=i, type="private", times=["10:00"]) for i in recipients)
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    token = await broadcast.create_draft(db, text="Nieuws", admin_chat=1, lang="nl", now=now)
    assert await broadcast.confirm_draft(db, token, now)
    for chat_id in [*recipients, ADMIN_CHAT]:
        api.add_user(f"User {chat_id}", user_id=chat_id, started=True)
    api.set_latency(0.02, "sendMessage")

    def delivered() -> list[int]:
        """Chats the broadcast reached, in the order it reached them."""
        news = [m for r in recipients for m in api.messages(r) if m.text == "Nieuws"]
        return [m.chat_id for m in sorted(news, key=lambda m: m.seq)]

    first = start_bot(tmp_path, api, serve_url)
    try:
        await api.wait_until(lambda: len(delivered()) >= 5, timeout=30, describe=first.output)
        code, seconds = await first.terminate(STOP_LIMIT + 5)
    finally:
        first.stop()
    _assert_clean_stop(first, code, seconds)
    stopped_at = len(delivered())
    assert stopped_at < len(recipients)
    async with db.session() as session:
        row = await session.get(KeyValue, broadcast.RUN + token)
        assert row is not None
        state = json.loads(row.value)
    assert state["owner"] is None  # the lease was released: a restart continues at once
    assert state["cursor"] == delivered()[-1]

    second = start_bot(tmp_path, api, serve_url)
    try:
        await api.wait_for_message(ADMIN_CHAT, timeout=30)  # the report: the broadcast ended
        code, seconds = await second.terminate(STOP_LIMIT + 5)
    finally:
        second.stop()
    _assert_clean_stop(second, code, seconds)
    assert sorted(delivered()) == recipients  # nothing lost, nothing twice


def test_webhook_url_without_secret_exits_2_with_one_line(tmp_path: Path) -> None:
    result = run_cli(
        "run",
        env={"TELEGRAM_BOT_TOKEN": TOKEN, "WEBHOOK_URL": "https://bot.example.org/telegram"},
        cwd=tmp_path,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "WEBHOOK_SECRET is required" in lines[0]


async def test_a_busy_http_port_is_one_line_and_exit_1(
    tmp_path: Path, api: BotAPIServer, serve_url: str
) -> None:
    port = free_port()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", port))
        busy.listen()
        bot = start_bot(tmp_path, api, serve_url, HTTP_PORT=str(port))
        try:
            code = await bot.wait(30)
        finally:
            bot.stop()
    assert code == 1
    assert "Traceback" not in bot.output()
    assert f"cannot listen on 127.0.0.1:{port}" in bot.output().strip().splitlines()[-1]
