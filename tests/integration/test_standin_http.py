"""The stand-in's wire protocol, seen with a raw HTTP client where PTB would hide the shape,
plus webhook delivery, the token's absence from logs, and a 10,000-chat load."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import httpx
import pytest
from aiohttp import web
from telegram import Bot
from telegram.error import Conflict

from bot.sandbox.server import BotAPIServer, FloodLimits, ManualClock


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def server(clock: ManualClock) -> AsyncIterator[BotAPIServer]:
    stand_in = BotAPIServer(clock=clock)
    await stand_in.start()
    yield stand_in
    await stand_in.stop()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


def api(server: BotAPIServer, method: str, token: str | None = None) -> str:
    return f"{server.base_url}{token or server.token}/{method}"


async def test_error_shapes_are_the_bot_apis(server: BotAPIServer, http: httpx.AsyncClient) -> None:
    wrong = await http.post(api(server, "getMe", "999:WRONG"))
    assert (wrong.status_code, wrong.json()) == (
        401,
        {"ok": False, "error_code": 401, "description": "Unauthorized"},
    )
    malformed = await http.post(api(server, "getMe", "not-a-token"))
    assert malformed.status_code == 404 and malformed.json()["description"] == "Not Found"
    unknown = await http.post(api(server, "sendTelepathy"))
    assert (unknown.status_code, unknown.json()) == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found"},
    )
    missing = await http.post(api(server, "sendMessage"), json={"chat_id": 1, "text": "x"})
    assert (missing.status_code, missing.json()) == (
        400,
        {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"},
    )


async def test_methods_are_case_insensitive_and_all_encodings_work(
    server: BotAPIServer, http: httpx.AsyncClient
) -> None:
    me = await http.get(api(server, "GETME"))
    assert me.json()["result"]["is_bot"] is True
    user = server.add_user("Anke", started=True)
    by_query = await http.get(
        api(server, "sendmessage"),
        params={"chat_id": user.id, "text": "<b>q</b>", "parse_mode": "HTML"},
    )
    by_json = await http.post(
        api(server, "sendMessage"),
        json={
            "chat_id": user.id,
            "text": "j",
            "reply_markup": {"inline_keyboard": [[{"text": "Klaar", "callback_data": "done"}]]},
        },
    )
    by_form = await http.post(
        api(server, "sendMessage"),
        data={
            "chat_id": str(user.id),
            "text": "f",
            "reply_markup": json.dumps({"inline_keyboard": []}),
        },
    )
    by_multipart = await http.post(
        api(server, "sendDocument"),
        data={"chat_id": str(user.id)},
        files={"document": ("notes.txt", b"hi", "text/plain")},
    )
    assert [r.status_code for r in (by_query, by_json, by_form, by_multipart)] == [200] * 4
    assert by_query.json()["result"]["entities"] == [{"type": "bold", "offset": 0, "length": 1}]
    assert by_json.json()["result"]["reply_markup"]["inline_keyboard"][0][0]["text"] == "Klaar"
    assert by_multipart.json()["result"]["document"]["file_name"] == "notes.txt"
    assert [m.content for m in server.messages(user)] == ["q", "j", "f", ""]


@pytest.mark.parametrize(
    ("markup", "error"),
    [
        ("{not json", "can't parse reply keyboard markup JSON object"),
        ('"a string"', "object expected as reply markup"),
        ({"inline_keyboard": [[{"text": "bare"}]]}, "Text buttons are unallowed"),
        (
            {
                "inline_keyboard": [
                    [{"text": "two", "callback_data": "a", "url": "https://example.org"}]
                ]
            },
            "exactly one",
        ),
        ({"inline_keyboard": [[{"text": "empty", "callback_data": ""}]]}, "BUTTON_DATA_INVALID"),
        ({"inline_keyboard": [[{"text": "link", "url": "example.org"}]]}, "BUTTON_URL_INVALID"),
        ({"inline_keyboard": {"text": "x"}}, "Array of Arrays"),
        ({"keyboard": []}, "keyboard must be non-empty"),
    ],
)
async def test_malformed_reply_markup_is_refused(
    server: BotAPIServer, http: httpx.AsyncClient, markup: Any, error: str
) -> None:
    user = server.add_user("Anke", started=True)
    raw = markup if isinstance(markup, str) else json.dumps(markup)
    answer = await http.post(
        api(server, "sendMessage"), data={"chat_id": str(user.id), "text": "x", "reply_markup": raw}
    )
    assert answer.status_code == 400
    assert error in answer.json()["description"]
    assert server.messages(user) == []


async def test_flood_answer_shape(
    server: BotAPIServer, http: httpx.AsyncClient, clock: ManualClock
) -> None:
    user = server.add_user("Anke", started=True)
    for _ in range(5):
        assert (
            await http.post(api(server, "sendMessage"), json={"chat_id": user.id, "text": "x"})
        ).status_code == 200
    refused = await http.post(api(server, "sendMessage"), json={"chat_id": user.id, "text": "x"})
    assert (refused.status_code, refused.json()) == (
        429,
        {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 1",
            "parameters": {"retry_after": 1},
        },
    )
    clock.advance(1)
    assert (
        await http.post(api(server, "sendMessage"), json={"chat_id": user.id, "text": "x"})
    ).status_code == 200
    assert server.calls_to("sendMessage")[5].status == 429


async def test_scripted_502_is_an_nginx_page(server: BotAPIServer, http: httpx.AsyncClient) -> None:
    server.fail_next(status=502)
    answer = await http.post(api(server, "getMe"))
    assert answer.status_code == 502 and "502 Bad Gateway" in answer.text
    assert (await http.post(api(server, "getMe"))).status_code == 200


async def test_migration_error_carries_the_new_id(
    server: BotAPIServer, http: httpx.AsyncClient
) -> None:
    group = server.add_group("Team", owner=server.add_user("Owner"))
    supergroup = server.migrate_group(group)
    answer = await http.post(api(server, "sendMessage"), json={"chat_id": group.id, "text": "x"})
    assert answer.status_code == 400
    assert answer.json()["parameters"] == {"migrate_to_chat_id": supergroup.id}


async def test_webhook_delivery_with_secret_header(server: BotAPIServer) -> None:
    received: asyncio.Queue[tuple[dict[str, Any], str | None]] = asyncio.Queue()
    failures = [500]  # the first delivery fails, Telegram retries

    async def receive(request: web.Request) -> web.Response:
        if failures:
            return web.Response(status=failures.pop())
        await received.put(
            (await request.json(), request.headers.get("X-Telegram-Bot-Api-Secret-Token"))
        )
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", receive)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        async with Bot(server.token, base_url=server.base_url) as bot:
            assert await bot.set_webhook(f"http://{host}:{port}/hook", secret_token="s3cr3t-t0ken")
            anke = server.add_user("Anke")
            await server.send_text(anke, "/start")
            update, secret = await asyncio.wait_for(received.get(), 5)
            assert update["message"]["text"] == "/start" and secret == "s3cr3t-t0ken"
            await server.wait_until(lambda: server.pending_updates == 0)  # confirmed by 200
            hook = server.webhook
            assert hook is not None and hook.url.endswith("/hook")
            assert hook.last_error_message is not None and "500" in hook.last_error_message
            with pytest.raises(Conflict, match="webhook is active"):
                await bot.get_updates()
            await server.send_text(anke, "after delete")
            assert await bot.delete_webhook(drop_pending_updates=True)
            assert server.webhook is None
            await server.send_text(anke, "polled")
            assert [u.message.text for u in await bot.get_updates()] in (
                ["polled"],
                ["after delete", "polled"],
            )
    finally:
        await runner.cleanup()


async def test_token_never_reaches_the_logs(
    server: BotAPIServer, http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    user = server.add_user("Anke", started=True)
    await http.post(api(server, "sendMessage"), json={"chat_id": user.id, "text": "x"})
    await http.post(api(server, "sendMessage"), json={"chat_id": 1, "text": "x"})
    server.drop_next()
    with pytest.raises(httpx.HTTPError):
        await http.post(api(server, "getMe"))
    # The test's own HTTP client logs URLs; the server side (bot.*, aiohttp.*) must not.
    server_logs = "\n".join(
        record.getMessage()
        for record in caplog.records
        if not record.name.startswith(("httpx", "httpcore"))
    )
    assert "sendMessage" in server_logs
    assert server.token.split(":")[1] not in server_logs


async def test_ten_thousand_chats(clock: ManualClock) -> None:
    """Benchmark-sized world: per-request work must not grow with the number of chats."""
    async with BotAPIServer(clock=clock, limits=FloodLimits(global_per_second=10**6)) as server:
        users = [server.add_user(f"U{i}", started=True) for i in range(10_000)]
        url = api(server, "sendMessage")
        # aiohttp's client: httpx's pool, not the server, is the bottleneck at this rate.
        connector = aiohttp.TCPConnector(limit=50)
        async with aiohttp.ClientSession(connector=connector) as http:

            async def send(index: int) -> int:
                target = users[index * 7 % len(users)]
                async with http.post(
                    url,
                    json={
                        "chat_id": target.id,
                        "parse_mode": "HTML",
                        "text": f"<b>Rekpauze</b> {index}",
                    },
                ) as answer:
                    await answer.read()
                    return answer.status

            statuses = await asyncio.gather(*(send(i) for i in range(2_000)))
        assert statuses.count(200) == 2_000
        assert server.stats.messages_sent == 2_000
        assert len(server.calls) == 2_000


async def test_in_flight_counts_calls_taken_effect_but_not_yet_answered(
    server: BotAPIServer, http: httpx.AsyncClient
) -> None:
    user = server.add_user("Anke", started=True)
    server.set_latency(0.3, "sendMessage")
    call = asyncio.create_task(
        http.post(api(server, "sendMessage"), json={"chat_id": user.id, "text": "hoi"})
    )
    await server.wait_until(lambda: server.stats.in_flight["sendMessage"] == 1, timeout=5)
    assert [m.text for m in server.messages(user)] == ["hoi"]  # done; the answer is late
    assert (await call).status_code == 200
    assert server.stats.in_flight["sendMessage"] == 0
