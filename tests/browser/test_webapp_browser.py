"""The Mini App in a real browser: Debian's Chromium driven by Playwright, against the bot's
real parts behind aiohttp's test server on loopback. The page runs with the sandbox's
telegram-web-app.js stand-in, which reads the launch data from the URL fragment as Telegram
passes it. Time inside the page is Playwright's installed clock, so nothing waits for real
seconds. Screenshots at phone size, light and dark, Dutch and English, are written to
artifacts/webapp/ for a person to look at."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.services.reports import load_progress
from bot.storage.db import Database
from bot.webapp import auth
from bot.webapp.server import MiniAppConfig, build
from tests.conftest import FakeClock
from tests.fakes import TOKEN, RecordingRequest
from tests.reminder_kit import MOVED_AT, add_chat, add_moved_reminder, get_chat

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "webapp"
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # Monday 09:00 in Amsterdam
ANKE = 6101
LIGHT = {
    "bg_color": "#ffffff",
    "text_color": "#000000",
    "hint_color": "#707579",
    "link_color": "#3390ec",
    "button_color": "#3390ec",
    "button_text_color": "#ffffff",
    "secondary_bg_color": "#f4f4f5",
}
DARK = {
    "bg_color": "#212121",
    "text_color": "#ffffff",
    "hint_color": "#aaaaaa",
    "link_color": "#8774e1",
    "button_color": "#8774e1",
    "button_text_color": "#ffffff",
    "secondary_bg_color": "#181818",
}

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError(f"Chromium is required in CI for the browser tests ({CHROMIUM})")
    pytest.skip(
        "no Chromium: install it with `apt-get install -y chromium` to run the browser tests",
        allow_module_level=True,
    )

playwright_api = pytest.importorskip("playwright.async_api")


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    async with playwright_api.async_playwright() as p:
        chromium = await p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield chromium
        await chromium.close()


@pytest.fixture
async def site(app: Any, db: Database, clock: FakeClock) -> AsyncIterator[str]:
    clock.now = NOW
    await add_chat(db, ANKE, next_due_at=NOW + timedelta(hours=1), language="nl", days=0b0011111)
    root = web.Application()
    config = MiniAppConfig(bot_token=TOKEN, max_age=timedelta(days=1), shim=True)
    root.add_subapp("/app/", build(app.bot_data, config))
    server = TestServer(root, host="127.0.0.1")
    await server.start_server()
    yield f"http://127.0.0.1:{server.port}/app/"
    await server.close()


def launch_url(
    base: str, *, theme: dict[str, str], lang: str = "nl", data: str | None = None, screen: str = ""
) -> str:
    data = data if data is not None else auth.launch_data(ANKE, "Anke", lang, TOKEN, NOW)
    query = f"?screen={screen}" if screen else ""
    return (
        f"{base}{query}#tgWebAppData={quote(data, safe='')}"
        f"&tgWebAppThemeParams={quote(json.dumps(theme), safe='')}&tgWebAppVersion=8.0"
    )


async def open_page(browser: Any, url: str) -> Any:
    page = await browser.new_page(
        viewport={"width": 390, "height": 844}, locale="nl-NL", timezone_id="Europe/Amsterdam"
    )
    await page.clock.install(time=NOW.timestamp())
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.errors = errors
    await page.goto(url)
    return page


async def test_the_page_shows_the_chats_settings(browser: Any, site: str) -> None:
    page = await open_page(browser, launch_url(site, theme=LIGHT))
    await page.wait_for_selector("#times input")
    times = await page.locator("#times input").evaluate_all("els => els.map(e => e.value)")
    assert times == ["10:00", "13:30", "15:30"]
    pressed = await page.locator("#days button").evaluate_all(
        "els => els.map(e => e.getAttribute('aria-pressed'))"
    )
    assert pressed == ["true"] * 5 + ["false"] * 2
    assert await page.locator("h1").first.text_content() == "Je rekpauzes"
    assert await page.locator("#next li").first.text_content() == "maandag 23 november 10:00"
    assert page.errors == []


async def test_a_reminder_moved_past_a_meeting_is_listed_as_next(
    browser: Any, site: str, db: Database, clock: FakeClock
) -> None:
    """10:20: the 10:00 reminder waits for a meeting to end (the dispatcher's row, as it
    writes it), so the list starts with 10:47 and says why."""
    clock.now = MOVED_AT
    await add_moved_reminder(db, ANKE)
    page = await open_page(browser, launch_url(site, theme=LIGHT))
    await page.wait_for_selector("#next li")
    items = await page.locator("#next li").all_text_contents()
    assert items == [
        "maandag 23 november 10:47 · verschoven naar na je overleg",
        "maandag 23 november 13:30",
        "maandag 23 november 15:30",
    ]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.locator("#next").scroll_into_view_if_needed()
    await page.screenshot(path=str(ARTIFACTS / "schedule-moved-nl-light.png"))
    assert page.errors == []


async def test_changing_times_and_a_day_and_saving_changes_the_bot(
    browser: Any, site: str, db: Database, fake_request: RecordingRequest
) -> None:
    page = await open_page(browser, launch_url(site, theme=LIGHT))
    await page.wait_for_selector("#times input")
    inputs = page.locator("#times input")
    await inputs.nth(0).fill("09:45")
    await inputs.nth(1).fill("14:15")
    await page.locator("#times li").nth(2).locator("button").click()  # remove 15:30
    await page.locator("#days button").nth(4).click()  # Friday off
    await page.clock.run_for(1000)  # the preview's debounce
    await playwright_api.expect(page.locator("#next li").first).to_contain_text("09:45")
    await page.locator("#tg-main-button").click()
    await page.wait_for_selector("#saved:not([hidden])")
    chat = await get_chat(db, ANKE)
    assert chat is not None and chat.times == ["09:45", "14:15"] and chat.days == 0b0001111
    assert chat.next_due_at == datetime(2026, 11, 23, 8, 45, tzinfo=UTC)
    assert any("09:45" in text for text in fake_request.texts(ANKE))
    assert await page.evaluate("window.__haptics") == ["notification:success"]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "schedule-saved-nl-light.png"), full_page=True)
    assert page.errors == []


async def test_forged_launch_data_shows_an_error_and_changes_nothing(
    browser: Any, site: str, db: Database
) -> None:
    forged = auth.launch_data(ANKE, "Anke", "nl", "1:not-the-token", NOW)
    page = await open_page(browser, launch_url(site, theme=LIGHT, data=forged))
    await page.wait_for_selector("#error:not([hidden])")
    assert "Telegram" in (await page.locator("#error").text_content() or "")
    assert await page.locator("#tg-main-button").count() == 0
    assert (await get_chat(db, ANKE)).times == ["10:00", "13:30", "15:30"]  # type: ignore[union-attr]


async def test_the_exercise_player_counts_down(browser: Any, site: str) -> None:
    page = await open_page(browser, launch_url(site, theme=LIGHT, screen="exercises"))
    await page.wait_for_selector("#exercise-list button")
    await page.get_by_role("button", name="Staande bekkenrek").click()
    await page.wait_for_selector("#card b")
    await page.locator("#start-guided").click()
    timer = page.locator("#player-timer")
    seen = []
    for _ in range(40):
        seen.append(await timer.text_content())
        if seen[-1] and seen[-1].startswith("Vasthouden"):
            break
        await page.clock.run_for(1000)
    holding = seen[-1] or ""
    assert holding.startswith("Vasthouden"), seen
    first = int(holding.split("…")[1].split()[0])
    await page.clock.run_for(3000)
    later = await timer.text_content() or ""
    assert later.startswith("Vasthouden") and int(later.split("…")[1].split()[0]) == first - 3
    assert await page.locator("#tg-back-button").is_visible()
    await page.locator("#tg-back-button").click()
    assert await page.locator("#exercise-list").is_visible()
    assert page.errors == []


async def test_the_exercise_detail_plays_the_animation(browser: Any, site: str) -> None:
    page = await open_page(browser, launch_url(site, theme=LIGHT, screen="exercises"))
    await page.wait_for_selector("#exercise-list button")
    await page.get_by_role("button", name="Heupbuigerstretch").click()
    await page.wait_for_selector("#card b")
    video = page.locator("#animation")
    assert await video.is_visible()
    assert not await page.locator("#exercise-list").is_visible()  # `hidden` hides the list
    assert (await video.get_attribute("aria-label") or "").startswith("Heupbuigerstretch: 1. ")
    # Decoded, not just requested: the browser knows the frame size and loops it silently.
    await page.wait_for_function(
        "() => { const v = document.getElementById('animation');"
        " return v.readyState >= 2 || v.error; }"
    )
    state = await page.evaluate(
        "() => { const v = document.getElementById('animation');"
        " return [v.error && v.error.code, v.videoWidth, v.videoHeight, v.loop, v.muted]; }"
    )
    assert state == [None, 480, 480, True, True]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "exercise-animation-nl-light.png"))
    # An exercise without an animation shows its card only.
    await page.locator("#tg-back-button").click()
    await page.select_option("#place-filter", "")  # every place: the plank is not an office one
    await page.get_by_role("button", name="Buikplank").click()
    await page.wait_for_selector("#card b")
    assert not await video.is_visible()
    assert page.errors == []


async def test_the_progress_screen_shows_the_numbers_of_stats(
    browser: Any, site: str, db: Database
) -> None:
    page = await open_page(browser, launch_url(site, theme=LIGHT, screen="progress"))
    await page.wait_for_selector("#progress-table tbody tr")
    report = await load_progress(db, ANKE, ANKE, NOW)
    assert report is not None
    assert await page.locator("#today").text_content() == f"0 van {report.progress.goal}"
    rows = await page.locator("#progress-table tbody tr").count()
    assert rows == len(report.progress.weeks)
    assert await page.locator("#streak").text_content() == str(report.progress.current_streak)


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize(("theme_name", "theme"), [("light", LIGHT), ("dark", DARK)])
async def test_screenshots_at_phone_width(
    browser: Any, site: str, db: Database, lang: str, theme_name: str, theme: dict[str, str]
) -> None:
    if lang == "en":
        async with db.session() as session:
            from bot.storage import chats

            chat = await chats.get(session, ANKE)
            assert chat is not None
            chat.language = "en"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for screen in ("schedule", "exercises", "progress"):
        page = await open_page(browser, launch_url(site, theme=theme, lang=lang, screen=screen))
        await page.wait_for_selector("#tabs:not([hidden])")
        await page.wait_for_load_state("networkidle")
        if screen == "exercises":
            await page.wait_for_selector("#exercise-list button")
        path = ARTIFACTS / f"{screen}-{lang}-{theme_name}.png"
        await page.screenshot(path=str(path))
        assert path.stat().st_size > 10_000
        assert page.errors == []
        await page.close()
