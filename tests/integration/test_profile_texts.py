"""Issue 16: the empty chat explains itself before /start, in each language (through the
Bot API stand-in, which enforces Telegram's length limits)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Bot

from bot.app import set_profile_texts
from bot.i18n import t
from bot.sandbox.server import BotAPIServer, ManualClock


@pytest.fixture
async def server() -> AsyncIterator[BotAPIServer]:
    stand_in = BotAPIServer(clock=ManualClock())
    await stand_in.start()
    yield stand_in
    await stand_in.stop()


async def test_descriptions_are_set_per_language(server: BotAPIServer) -> None:
    async with Bot(server.token, base_url=server.base_url) as bot:
        await set_profile_texts(bot)
        nl = await bot.get_my_description(language_code="nl")
        default = await bot.get_my_description()
        short_nl = await bot.get_my_short_description(language_code="nl")
        short_en = await bot.get_my_short_description()
    assert nl.description == t("nl", "profile.description")
    assert default.description == t("en", "profile.description")
    assert short_nl.short_description == t("nl", "profile.short_description")
    assert short_en.short_description == t("en", "profile.short_description")
    assert "onderrug" in nl.description and "lower back" in default.description
