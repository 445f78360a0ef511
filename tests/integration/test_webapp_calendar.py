"""The Mini App's calendar API (issue 19) over real HTTP: the same connection, test and
disconnection as /calendar, through the same service functions, with a calendar served on
loopback (CALENDAR_ALLOW_PRIVATE_HOSTS=true). The secret address goes in once and never comes
back: not in an answer, not in a log line."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.config import Settings
from bot.storage import calendars as calendar_store
from bot.storage.db import Database
from bot.webapp import auth
from bot.webapp.server import MiniAppConfig, build
from tests.calendar_kit import calendar_settings, served_feed
from tests.conftest import FakeClock
from tests.fakes import TOKEN
from tests.integration.test_calendar_reminders import MORNING_MEETING, SECRET
from tests.reminder_kit import MOVED_AT, add_chat, add_moved_reminder

ANKE, BO = 5201, 5202
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # Monday 09:00 in Amsterdam


@pytest.fixture
def settings(database_url: str) -> Settings:
    return calendar_settings(database_url)


@pytest.fixture
async def calendar_url() -> AsyncIterator[str]:
    async with served_feed(MORNING_MEETING.encode(), SECRET) as url:
        yield url


@pytest.fixture
async def client(app: Any, clock: FakeClock, db: Database) -> AsyncIterator[TestClient[Any, Any]]:
    clock.now = NOW
    await add_chat(db, ANKE, next_due_at=NOW + timedelta(hours=1), language="en")
    await add_chat(db, BO, next_due_at=NOW + timedelta(hours=1), language="nl")
    config = MiniAppConfig(bot_token=TOKEN, max_age=timedelta(days=1), shim=True)
    root = web.Application()
    root.add_subapp("/app/", build(app.bot_data, config))
    async with TestClient(TestServer(root)) as test_client:
        yield test_client


def headers(user_id: int, lang: str = "en") -> dict[str, str]:
    return {"Authorization": "tma " + auth.launch_data(user_id, "Anke", lang, TOKEN, NOW)}


async def test_connect_show_and_disconnect_without_the_secret_in_answers_or_logs(
    client: TestClient[Any, Any], db: Database, calendar_url: str, caplog: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    answers: list[str] = []

    async def call(method: str, body: Any = None) -> tuple[int, Any]:
        response = await client.request(
            method, "/app/api/calendar", headers=headers(ANKE), json=body
        )
        answers.append(await response.text())
        return response.status, await response.json()

    assert await call("GET") == (200, {"connected": False})
    status, connected = await call("POST", {"url": calendar_url})
    assert status == 200
    assert connected["connected"] is True
    assert connected["label"] == "127.0.0.1 …cdef"  # the host and the last characters
    assert connected["message"] == "I found 3 busy blocks in the next 2 days."
    assert "3 busy blocks in the next 2 days." in connected["lines"]
    assert any("at most 90 minutes later" in line for line in connected["lines"])
    async with db.session() as session:
        link = await calendar_store.get(session, ANKE)
        assert link is not None and SECRET not in link.url_encrypted
    status, shown = await call("GET")
    assert status == 200 and shown == {k: v for k, v in connected.items() if k != "message"}
    status, gone = await call("DELETE")
    assert status == 200 and gone["connected"] is False
    assert gone["message"].startswith("📅 Calendar disconnected")
    async with db.session() as session:
        assert await calendar_store.get(session, ANKE) is None
    assert await call("GET") == (200, {"connected": False})
    status, again = await call("DELETE")
    assert (status, again["message"]) == (200, "No calendar is connected.")
    assert "calendar connected for chat 5201 from 127.0.0.1" in caplog.text  # logs were read
    for text in [*answers, caplog.text]:
        assert SECRET not in text and "0123456789ab" not in text


async def test_a_refused_address_gets_the_chats_message_in_the_users_language(
    client: TestClient[Any, Any], db: Database, calendar_url: str
) -> None:
    cases = {
        "not a url": "Dat lijkt geen agenda-adres",
        f"{calendar_url.rsplit('/', 1)[0]}/missing.ics": "antwoordde met fout 404",
        # The metadata address is refused even with private hosts allowed.
        "http://169.254.169.254/latest/meta-data": "privénetwerk",
    }
    for address, expected in cases.items():
        response = await client.post(
            "/app/api/calendar", headers=headers(BO, "nl"), json={"url": address}
        )
        assert response.status == 422, address
        body = await response.json()
        assert body["error"] == "calendar" and expected in body["message"], address
        assert address not in await response.text()
    async with db.session() as session:
        assert await calendar_store.get(session, BO) is None


@pytest.mark.parametrize("body", [{}, {"url": ""}, {"url": 7}, ["x"]])
async def test_a_body_without_an_address_is_a_422(client: TestClient[Any, Any], body: Any) -> None:
    response = await client.post("/app/api/calendar", headers=headers(ANKE), json=body)
    assert response.status == 422
    assert (await response.json())["field"] in ("url", "body")


async def test_without_launch_data_or_registration_nothing_is_read_or_changed(
    client: TestClient[Any, Any], db: Database, calendar_url: str
) -> None:
    for method in ("GET", "POST", "DELETE"):
        response = await client.request(method, "/app/api/calendar", json={"url": calendar_url})
        assert response.status == 401, method
        stranger = await client.request(
            method, "/app/api/calendar", headers=headers(9999), json={"url": calendar_url}
        )
        assert stranger.status == 404, method
    async with db.session() as session:
        assert await calendar_store.get(session, ANKE) is None
        assert await calendar_store.get(session, 9999) is None


async def test_the_schedule_lists_a_reminder_moved_past_a_meeting(
    client: TestClient[Any, Any], db: Database, clock: FakeClock
) -> None:
    """10:20 in Amsterdam: the 10:00 reminder was moved to 10:47 (the dispatcher's row, as
    it writes it); the Mini App's next three are 10:47 (moved), 13:30 and 15:30."""
    clock.now = MOVED_AT
    await add_moved_reminder(db, ANKE)
    response = await client.get("/app/api/settings", headers=headers(ANKE))
    body = await response.json()
    assert [(m["label"], m["moved"]) for m in body["next"]] == [
        ("Monday 23 November 10:47", True),
        ("Monday 23 November 13:30", False),
        ("Monday 23 November 15:30", False),
    ]
    assert body["strings"]["label.moved"] == "moved to after your meeting"
