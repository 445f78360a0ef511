"""Issue 16, point 13: the terminal sandbox shows button toasts and alerts (the stand-in
records them as `answer_text`)."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

from bot.sandbox.server import BotAPIServer, ManualClock
from bot.sandbox.terminal import Terminal


@pytest.fixture
async def server() -> AsyncIterator[BotAPIServer]:
    stand_in = BotAPIServer(clock=ManualClock())
    await stand_in.start()
    yield stand_in
    await stand_in.stop()


async def test_toasts_and_alerts_are_printed(server: BotAPIServer) -> None:
    out = io.StringIO()
    terminal = Terminal(out, color=False, now=lambda: datetime(2026, 11, 23, 9, tzinfo=UTC))
    server.add_listener(terminal.show)
    user = server.add_user("Anke", language_code="nl")
    await server.send_text(user, "/start")  # a bot cannot write first
    async with Bot(server.token, base_url=server.base_url) as bot:
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("Gedaan", callback_data="d")]])
        sent = await bot.send_message(user.id, "Rekpauze!", reply_markup=markup)
        stored = server.chat(user).messages[sent.message_id]
        first = await server.press_button(user, stored, "Gedaan")
        await bot.answer_callback_query(first.id, "Genoteerd 💪")
        second = await server.press_button(user, stored, "Gedaan")
        await bot.answer_callback_query(second.id, "Al genoteerd", show_alert=True)
    printed = out.getvalue()
    assert "[toast] Genoteerd 💪" in printed
    assert "[alert] Al genoteerd" in printed
