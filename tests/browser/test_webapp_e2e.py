"""Issue 17's "Done when", as a person would do it: the bot runs against the Bot API stand-in
with WEBAPP_URL set (the sandbox's own set-up: the Mini App on loopback, telegram-web-app.js
stood in), the user finishes onboarding in the chat, opens the app from the menu button's
address, sets 09:45 and 14:15 on Monday to Thursday and saves; the chat confirms, /settings
shows the same, and the next reminder arrives at 09:45 local time."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import pytest

from bot.sandbox.clock import ManualClock
from bot.sandbox.runner import LiveBot, live_bot
from tests.browser.test_webapp_browser import CHROMIUM, playwright_api

START = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # Monday 08:00 in Amsterdam


@pytest.fixture
async def bot(database_url: str, db: Any) -> AsyncIterator[tuple[LiveBot, ManualClock]]:
    clock = ManualClock(START.timestamp())
    async with live_bot(unix_clock=clock, database_url=database_url, mini_app=True) as live:
        yield live, clock


async def test_a_user_sets_two_times_in_the_app_and_the_reminder_follows(
    bot: tuple[LiveBot, ManualClock],
) -> None:
    live, clock = bot
    server = live.server
    anke = server.add_user("Anke", language_code="nl")
    await server.send_text(anke, "/start")
    start = await server.wait_for_message(anke, lambda m: "1 van 3" in m.content, timeout=15)
    for data, expect in (("ob:l:nl", "2 van 3"), ("ob:z:ams", "3 van 3"), ("ob:c", "Klaar")):
        query = await server.press_button(anke, start, data)
        await server.wait_for_answer(query, timeout=15)
        await server.wait_until(lambda expect=expect: expect in start.content, timeout=15)

    menu = server.profile.menu_button(anke.id)
    assert menu["type"] == "web_app" and menu["web_app"]["url"] == live.app_url
    link = live.app_link(anke.id, "Anke", "nl")
    assert urlsplit(link).hostname == "127.0.0.1"

    async with playwright_api.async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = await browser.new_page(viewport={"width": 390, "height": 844})
        await page.goto(link)
        await page.wait_for_selector("#times input")
        times = page.locator("#times input")
        while await times.count() > 2:
            await page.locator("#times li").last.locator("button").click()
        await times.nth(0).fill("09:45")
        await times.nth(1).fill("14:15")
        await page.locator("#days button").nth(4).click()  # Friday off: Monday to Thursday
        await page.locator("#tg-main-button").click()
        await page.wait_for_selector("#saved:not([hidden])")
        await browser.close()

    confirmation = await server.wait_for_message(
        anke, lambda m: "Opgeslagen in de app" in m.content, timeout=15
    )
    assert "09:45" in confirmation.content
    await server.send_text(anke, "/instellingen")
    settings = await server.wait_for_message(anke, lambda m: "09:45" in m.content, timeout=15)
    assert "14:15" in settings.content and "ma, di, wo, do" in settings.content

    clock.set(datetime(2026, 11, 23, 8, 45, 2, tzinfo=UTC).timestamp())  # 09:45:02 local
    await live.app.bot_data.dispatcher.tick(live.app.bot_data.now())
    reminder = await server.wait_for_message(
        anke, lambda m: bool(m.buttons) and "r1:" in str(m.buttons), timeout=15
    )
    assert datetime.fromtimestamp(reminder.date, UTC) == datetime(
        2026, 11, 23, 8, 45, 2, tzinfo=UTC
    )
    assert not os.environ.get("WEBAPP_URL")  # the sandbox set-up set it for this bot only
