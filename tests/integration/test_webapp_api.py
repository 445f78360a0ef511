"""The Mini App's API over real HTTP (aiohttp's test server on loopback), against the real
Application's parts: who may read and change what, what a save changes and says in the chat,
and that the page and /stats read the same numbers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.scheduling import rules
from bot.services.reports import load_progress
from bot.services.subscribers import get_subscriber
from bot.storage.db import Database
from bot.webapp import auth
from bot.webapp.server import MiniAppConfig, build
from tests.conftest import FakeClock
from tests.fakes import TOKEN, RecordingRequest
from tests.reminder_kit import add_chat, get_chat

ANKE, BO = 5101, 5102
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # Monday 09:00 in Amsterdam
TEN = NOW + timedelta(hours=1)  # the first reminder: Monday 10:00 in Amsterdam


@pytest.fixture
async def client(app: Any, clock: FakeClock, db: Database) -> AsyncIterator[TestClient[Any, Any]]:
    clock.now = NOW
    for chat_id in (ANKE, BO):
        await add_chat(db, chat_id, next_due_at=TEN, language="nl", days=0b0011111)
    config = MiniAppConfig(bot_token=TOKEN, max_age=timedelta(days=1), shim=True)
    async with TestClient(TestServer(_root(build(app.bot_data, config)))) as test_client:
        yield test_client


def _root(sub: Any) -> Any:
    from aiohttp import web

    root = web.Application()
    root.add_subapp("/app/", sub)
    return root


def headers(user_id: int, *, at: datetime = NOW, token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": "tma " + auth.launch_data(user_id, "Anke", "nl", token, at)}


async def test_the_page_and_every_answer_carry_a_content_security_policy(
    client: TestClient[Any, Any],
) -> None:
    page = await client.get("/app/")
    assert page.status == 200
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert 'src="telegram-web-app.js"' in await page.text()  # the sandbox shim
    api = await client.get("/app/api/settings", headers=headers(ANKE))
    assert "script-src 'self'" in api.headers["Content-Security-Policy"]
    assert (await client.get("/app/nope.js")).status == 404


async def test_valid_launch_data_reads_the_chats_settings(client: TestClient[Any, Any]) -> None:
    response = await client.get("/app/api/settings", headers=headers(ANKE))
    assert response.status == 200
    body = await response.json()
    assert body["times"] == ["10:00", "13:30", "15:30"]
    assert body["days"] == [0, 1, 2, 3, 4] and body["timezone"] == "Europe/Amsterdam"
    assert body["strings"]["webapp.save"] == "Opslaan"
    assert body["next"][0]["label"] == "maandag 23 november 10:00"


@pytest.mark.parametrize(
    "auth_header",
    [
        None,
        "Bearer abc",
        "tma ",
        "tma user=%7B%22id%22%3A5101%7D&auth_date=1&hash=00",
    ],
)
async def test_missing_or_forged_launch_data_is_a_401_and_changes_nothing(
    client: TestClient[Any, Any], db: Database, auth_header: str | None
) -> None:
    sent = {} if auth_header is None else {"Authorization": auth_header}
    for method, path in (("GET", "settings"), ("PUT", "settings"), ("GET", "progress")):
        response = await client.request(
            method, f"/app/api/{path}", headers=sent, json={"times": ["07:00"]}
        )
        assert response.status == 401, (method, path)
        assert "error" in await response.json()
    assert (await get_chat(db, ANKE)).times == ["10:00", "13:30", "15:30"]  # type: ignore[union-attr]


async def test_data_signed_with_another_token_or_too_old_is_refused(
    client: TestClient[Any, Any],
) -> None:
    other = await client.get("/app/api/settings", headers=headers(ANKE, token="1:other"))
    assert other.status == 401 and (await other.json())["error"] == "invalid signature"
    old = await client.get("/app/api/settings", headers=headers(ANKE, at=NOW - timedelta(days=2)))
    assert old.status == 401 and (await old.json())["error"] == "launch data expired"


async def test_tampering_with_the_user_breaks_the_signature(client: TestClient[Any, Any]) -> None:
    data = auth.launch_data(ANKE, "Anke", "nl", TOKEN, NOW).replace("5101", "5102")
    response = await client.get("/app/api/settings", headers={"Authorization": f"tma {data}"})
    assert response.status == 401


async def test_saving_changes_the_schedule_and_is_confirmed_in_the_chat(
    client: TestClient[Any, Any], db: Database, fake_request: RecordingRequest
) -> None:
    body = {"times": ["09:45", "14:15"], "days": [0, 1, 2, 3]}
    response = await client.put("/app/api/settings", headers=headers(ANKE), json=body)
    assert response.status == 200
    saved = await response.json()
    assert saved["times"] == ["09:45", "14:15"] and saved["days"] == [0, 1, 2, 3]
    chat = await get_chat(db, ANKE)
    assert chat is not None and chat.times == ["09:45", "14:15"] and chat.days == 0b1111
    assert chat.next_due_at == datetime(2026, 11, 23, 8, 45, tzinfo=UTC)  # 09:45 in Amsterdam
    [confirmation] = fake_request.texts(ANKE)
    assert confirmation.startswith("✅ Opgeslagen in de app.") and "09:45" in confirmation
    assert (await get_chat(db, BO)).times == ["10:00", "13:30", "15:30"]  # type: ignore[union-attr]


async def test_one_users_launch_data_never_reads_or_changes_another(
    client: TestClient[Any, Any], db: Database
) -> None:
    await client.put("/app/api/settings", headers=headers(BO), json={"times": ["07:00"]})
    anke = await (await client.get("/app/api/settings", headers=headers(ANKE))).json()
    assert anke["times"] == ["10:00", "13:30", "15:30"]
    assert (await get_chat(db, BO)).times == ["07:00"]  # type: ignore[union-attr]
    # There is no way to name another chat: a chat id in the body is not a field.
    response = await client.put(
        "/app/api/settings", headers=headers(BO), json={"chat_id": ANKE, "times": ["06:00"]}
    )
    assert response.status == 200
    assert (await get_chat(db, ANKE)).times == ["10:00", "13:30", "15:30"]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"times": []}, "times"),
        ({"times": ["25:00"]}, "times"),
        ({"times": ["09:00", "09:00"]}, "times"),
        ({"times": ["1", "2", "3", "4", "5", "6", "7"]}, "times"),
        ({"times": "09:00"}, "times"),
        ({"days": []}, "days"),
        ({"days": [7]}, "days"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"place": "moon"}, "place"),
        ({"language": "de"}, "language"),
        ({"resume_on": "2026-11-22"}, "resume_on"),
        ({"resume_on": "next week"}, "resume_on"),
        ({"active": "yes"}, "active"),
        ([1, 2], "body"),
    ],
)
async def test_an_invalid_value_is_a_422_naming_the_field_and_changes_nothing(
    client: TestClient[Any, Any], db: Database, body: Any, field: str
) -> None:
    before = await get_subscriber(db, ANKE)
    for path in ("settings", "preview"):
        method = "PUT" if path == "settings" else "POST"
        response = await client.request(
            method, f"/app/api/{path}", headers=headers(ANKE), json=body
        )
        assert response.status == 422, (path, body)
        assert (await response.json()) == {"error": "invalid value", "field": field}
    assert await get_subscriber(db, ANKE) == before


async def test_a_body_over_the_limit_is_refused(client: TestClient[Any, Any]) -> None:
    big = {"times": ["09:00"], "padding": "x" * 20_000}
    response = await client.put("/app/api/settings", headers=headers(ANKE), json=big)
    assert response.status == 413


async def test_the_preview_is_the_schedule_rules_answer(
    client: TestClient[Any, Any], db: Database
) -> None:
    body = {"times": ["12:00"], "days": [4], "timezone": "America/New_York"}
    response = await client.post("/app/api/preview", headers=headers(ANKE), json=body)
    labels = [m["label"] for m in (await response.json())["next"]]
    assert labels == [
        "vrijdag 27 november 12:00",
        "vrijdag 4 december 12:00",
        "vrijdag 11 december 12:00",
    ]
    assert (await get_chat(db, ANKE)).timezone == "Europe/Amsterdam"  # type: ignore[union-attr]
    chat = await get_subscriber(db, ANKE)
    assert chat is not None and len(rules.upcoming(chat, NOW)) == 3


async def test_a_pause_until_a_date_and_resuming(
    client: TestClient[Any, Any], db: Database
) -> None:
    paused = await client.put(
        "/app/api/settings", headers=headers(ANKE), json={"resume_on": "2026-11-26"}
    )
    body = await paused.json()
    assert body["resume_on"] == "2026-11-26"
    assert body["next"][0]["label"] == "donderdag 26 november 10:00"
    resumed = await client.put(
        "/app/api/settings", headers=headers(ANKE), json={"resume_on": None, "active": True}
    )
    assert (await resumed.json())["resume_on"] is None
    assert (await get_chat(db, ANKE)).paused_until is None  # type: ignore[union-attr]


async def test_progress_reads_the_numbers_stats_reads(
    client: TestClient[Any, Any], db: Database
) -> None:
    response = await client.get("/app/api/progress", headers=headers(ANKE))
    body = await response.json()
    report = await load_progress(db, ANKE, ANKE, NOW)
    assert report is not None
    assert body["goal"] == report.progress.goal == 3
    assert body["current_streak"] == report.progress.current_streak
    assert len(body["weeks"]) == len(report.progress.weeks)
    assert [d["count"] for d in body["weeks"][-1]["days"]] == [
        d.count for d in report.progress.this_week.days
    ]


async def test_exercises_come_with_cards_and_guided_steps(client: TestClient[Any, Any]) -> None:
    body = await (await client.get("/app/api/exercises", headers=headers(ANKE))).json()
    assert body["place"] == "office" and body["rules"]["prepare"] > 0
    names = {e["id"]: e for e in body["exercises"]}
    assert "staande-bekkenrek" in names and names["staande-bekkenrek"]["office"]
    assert names["staande-bekkenrek"]["card"].startswith("<b>")
    assert names["staande-bekkenrek"]["guided"]


async def test_the_exercise_detail_has_the_animation_the_chat_sends(
    client: TestClient[Any, Any], app: Any
) -> None:
    body = await (await client.get("/app/api/exercises", headers=headers(ANKE))).json()
    names = {e["id"]: e for e in body["exercises"]}
    stretch = names["heupbuigerstretch"]
    assert stretch["animation"] == "animations/heupbuigerstretch.mp4"
    assert stretch["animation_alt"].startswith("Heupbuigerstretch: 1. ")
    assert names["buikplank"]["animation"] is None  # no faithful animation: the card only
    response = await client.get("/app/" + stretch["animation"])  # no launch data needed
    assert response.status == 200 and response.headers["Content-Type"] == "video/mp4"
    assert "media-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-cache" and response.headers["ETag"]
    clip = await app.bot_data.animations.clip("heupbuigerstretch")
    assert await response.read() == clip.path.read_bytes()
    for missing in ("buikplank", "no-such-exercise", "..%2Fsecrets"):
        assert (await client.get(f"/app/animations/{missing}.mp4")).status == 404
    api = await client.get("/app/api/settings", headers=headers(ANKE))
    assert api.headers["Cache-Control"] == "no-store"  # personal answers are never stored
