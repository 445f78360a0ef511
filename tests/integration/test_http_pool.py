"""The bot's HTTP clients: the one for sends keeps a pool sized to the send rate, not to its
last burst; the one for getUpdates has a spare connection for the confirmation at stop.

httpcore checks every pooled connection on each request, so a pool that stayed at a burst's
size made every send cost more CPU until its connections expired (the paid-rate throughput
benchmark lost a fifth of its rate for seconds after each burst). A raw loopback server
counts the connections the client opens and closes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from telegram import Bot
from telegram.request import HTTPXRequest

from bot.app import bot_request, updates_request
from bot.config import Settings
from bot.updates import Poller

BURST = 60


class CountingServer:
    """HTTP/1.1 on loopback: answers each request with a Bot API success once `release` is
    set, keeps connections alive, and counts those open."""

    def __init__(self) -> None:
        self.open = 0
        self.opened = 0
        self.waiting = 0
        self.release = asyncio.Event()
        self.changed = asyncio.Condition()
        self.server: asyncio.Server | None = None

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/botTOKEN/getMe"

    async def _note(self, open_: int = 0, waiting: int = 0) -> None:
        async with self.changed:
            self.open += open_
            self.opened += max(0, open_)
            self.waiting += waiting
            self.changed.notify_all()

    async def until(self, check: Any) -> None:
        async with self.changed:
            await asyncio.wait_for(self.changed.wait_for(check), 10)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await self._note(open_=1)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.decode("latin-1").split("\r\n"):
                    name, _, value = line.partition(":")
                    if name.lower() == "content-length":
                        length = int(value)
                await reader.readexactly(length)
                await self._note(waiting=1)
                await self.release.wait()
                body = json.dumps({"ok": True, "result": True}).encode()
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    + f"Content-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                await writer.drain()
                await self._note(waiting=-1)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
            await self._note(open_=-1)


@asynccontextmanager
async def bot_client(
    settings: Settings, free: float, paid: float
) -> AsyncIterator[tuple[HTTPXRequest, CountingServer, str]]:
    """The bot's HTTP client for SEND_RATE_PER_SECOND `free` and PAID_BROADCAST_RATE `paid`,
    and the counting server it talks to."""
    request = bot_request(
        settings.model_copy(update={"send_rate_per_second": free, "paid_broadcast_rate": paid})
    )
    server = CountingServer()
    url = await server.start()
    await request.initialize()
    try:
        yield request, server, url
    finally:
        await request.shutdown()
        assert server.server is not None
        server.server.close()


async def on_the_wire_at_once(
    request: HTTPXRequest, server: CountingServer, url: str, count: int
) -> None:
    """`count` requests, all held by the server until the last has arrived, then answered."""
    server.release.clear()
    calls = [asyncio.create_task(request.post(url)) for _ in range(count)]
    await server.until(lambda: server.waiting == count)
    assert server.open >= count
    server.release.set()
    assert await asyncio.gather(*calls) == [True] * count
    await server.until(lambda: server.waiting == 0)


@pytest.mark.parametrize(("free", "paid", "kept"), [(30, 0, 8), (30, 200, 30)])
async def test_after_a_burst_the_pool_keeps_only_what_the_rate_needs(
    settings: Settings, free: float, paid: float, kept: int
) -> None:
    """60 requests on the wire at once need 60 connections; once they are answered, the bot
    keeps 0.15 s of its rate (at least 8: 30 at a paid 200 a second) and closes the rest."""
    async with bot_client(settings, free, paid) as (request, server, url):
        await on_the_wire_at_once(request, server, url, BURST)
        assert server.opened == BURST
        await server.until(lambda: server.open <= kept)
        assert server.open == kept
        assert await request.post(url) is True  # a kept connection serves the next send
        assert server.open == kept


async def test_connections_a_steady_rate_keeps_busy_are_reused(settings: Settings) -> None:
    """A paid 200 a second with answers taking 0.15 s keeps 30 requests on the wire: they
    reuse the same 30 connections round after round instead of opening new ones (each a TLS
    handshake with Telegram)."""
    async with bot_client(settings, 30, 200) as (request, server, url):
        for _ in range(3):
            await on_the_wire_at_once(request, server, url, 30)
        assert server.opened == server.open == 30


async def test_the_confirmation_at_stop_gets_through_while_a_poll_holds_a_connection() -> None:
    """Stopping cancels the poll, and httpcore can keep a cancelled request's connection taken
    for good (encode/httpcore#1093): with PTB's one getUpdates connection, the confirmation of
    what was answered since the last poll then timed out, and those updates came again at the
    next start (answered twice). Here the poll's connection is simply held by the server."""
    server = CountingServer()
    url = await server.start()
    bot = Bot(
        "123:TOKEN", base_url=url.removesuffix("TOKEN/getMe"), get_updates_request=updates_request()
    )
    poller = Poller(bot, asyncio.Queue(), allowed_updates=["message"])
    try:
        assert poller.accept([{"update_id": 7}]) == 1
        poller.finished(7)
        poll = asyncio.create_task(bot.do_api_request("getUpdates", api_kwargs={"timeout": 10}))
        await server.until(lambda: server.waiting == 1)

        confirming = asyncio.create_task(poller.confirm())
        await server.until(lambda: server.waiting == 2)  # on the wire beside the held poll
        server.release.set()
        await asyncio.wait_for(asyncio.gather(confirming, poll), 10)
    finally:
        await bot.shutdown()
        assert server.server is not None
        server.server.close()
