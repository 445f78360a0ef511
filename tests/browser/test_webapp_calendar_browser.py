"""The Mini App's calendar in a real browser (issue 19): Debian's Chromium driven by
Playwright against the bot's real parts, with a calendar served on loopback
(CALENDAR_ALLOW_PRIVATE_HOSTS=true, as in the calendar tests). The user pastes the secret
address, sees what was found and the connection masked (host and last characters), and
disconnects. Screenshots, light and dark, go to artifacts/webapp/ for a person to look at."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.config import Settings
from bot.storage import calendars as calendar_store
from bot.storage.db import Database
from tests.browser.test_webapp_browser import (
    ANKE,
    ARTIFACTS,
    DARK,
    LIGHT,
    browser,
    launch_url,
    open_page,
    playwright_api,
    site,
)
from tests.calendar_kit import calendar_settings, served_feed
from tests.integration.test_calendar_reminders import MORNING_MEETING, SECRET

__all__ = ["browser", "site"]  # fixtures, shared with the other browser tests


@pytest.fixture
def settings(database_url: str) -> Settings:
    return calendar_settings(database_url)


@pytest.fixture
async def calendar_url() -> AsyncIterator[str]:
    async with served_feed(MORNING_MEETING.encode(), SECRET) as url:
        yield url


async def _show_calendar(page: Any) -> None:
    """Scroll the calendar section to the top of the screen, for the screenshot."""
    await page.evaluate("document.getElementById('calendar').scrollIntoView({block: 'start'})")


async def _connected_link(db: Database) -> Any:
    async with db.session() as session:
        return await calendar_store.get(session, ANKE)


async def test_connect_see_it_masked_and_disconnect(
    browser: Any, site: str, db: Database, calendar_url: str
) -> None:
    expect = playwright_api.expect
    page = await open_page(browser, launch_url(site, theme=LIGHT))
    form = page.locator("#calendar-form")
    await expect(form).to_be_visible()
    assert await page.locator("#calendar-title").text_content() == "Agenda"
    assert await page.locator("#calendar-connected").is_hidden()

    # A refused address: the chat's own message, nothing stored.
    await page.locator("#calendar-url").fill("not a url")
    await page.locator("#calendar-connect").click()
    await expect(page.locator("#calendar-message")).to_contain_text("Dat lijkt geen agenda-adres")
    assert await _connected_link(db) is None

    # The real address: read at once, stored, and shown masked.
    await page.locator("#calendar-url").fill(calendar_url)
    await page.locator("#calendar-connect").click()
    await expect(page.locator("#calendar-connected")).to_be_visible()
    await expect(page.locator("#calendar-message")).to_have_text(
        "Ik vond 3 bezette blokken in de komende 2 dagen."
    )
    assert await page.locator("#calendar-label").text_content() == "127.0.0.1 …cdef"
    assert await form.is_hidden()
    assert await page.locator("#calendar-url").input_value() == ""
    await expect(page.locator("#calendar-lines")).to_contain_text("3 bezette blokken")
    assert SECRET not in await page.content()
    assert await _connected_link(db) is not None
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await _show_calendar(page)
    await page.screenshot(path=str(ARTIFACTS / "calendar-connected-nl-light.png"))
    assert page.errors == []
    await page.close()

    # Opened again, in the dark theme: the connection is read back, still masked.
    page = await open_page(browser, launch_url(site, theme=DARK))
    await expect(page.locator("#calendar-connected")).to_be_visible()
    assert await page.locator("#calendar-label").text_content() == "127.0.0.1 …cdef"
    assert SECRET not in await page.content()
    await _show_calendar(page)
    await page.screenshot(path=str(ARTIFACTS / "calendar-connected-nl-dark.png"))

    await page.locator("#calendar-disconnect").click()
    await expect(page.locator("#calendar-message")).to_contain_text("Agenda ontkoppeld")
    await expect(page.locator("#calendar-form")).to_be_visible()
    assert await page.locator("#calendar-connected").is_hidden()
    assert await _connected_link(db) is None
    await _show_calendar(page)
    await page.screenshot(path=str(ARTIFACTS / "calendar-form-nl-dark.png"))
    assert page.errors == []
