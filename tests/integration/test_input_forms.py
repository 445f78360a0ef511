"""Issue 16, points 5-7, tried again as a new user would: the forms people type for times,
pauses and timezones, and timezones shown and offered with human names."""

from __future__ import annotations

from typing import Any

import pytest

from bot.storage.db import Database
from tests.fakes import RecordingRequest
from tests.integration.chatter import all_buttons, texts
from tests.integration.test_commands import subscriber
from tests.reminder_kit import get_chat


@pytest.mark.parametrize(
    "command",
    ["/times 9am 1pm 4pm", "/times 9:00, 13:00 and 16:00", "/tijden 9:00, 13:00 en 16:00"],
)
async def test_times_in_the_forms_people_use(
    app: Any, db: Database, fake_request: RecordingRequest, command: str
) -> None:
    person = await subscriber(app, fake_request, 16100, "en")
    [text] = texts(await person.send(command))
    assert "09:00, 13:00, 16:00" in text
    assert (await get_chat(db, 16100)).times == ["09:00", "13:00", "16:00"]


async def test_times_close_together_get_a_word(app: Any, fake_request: RecordingRequest) -> None:
    person = await subscriber(app, fake_request, 16101, "nl")
    [text] = texts(await person.send("/tijden 9:00 9:05"))
    assert "09:00 en 09:05 liggen heel dicht bij elkaar" in text


@pytest.mark.parametrize(
    ("lang", "command", "next_break"),
    [
        ("nl", "/pauze 1 week", "ma 30 nov"),
        ("en", "/pause 2 weeks", "Mon 7 Dec"),
        ("nl", "/pauze tot 4-12", "vr 4 dec"),
        ("nl", "/pauze tot vrijdag", "vr 27 nov"),
    ],
)
async def test_pause_forms(
    app: Any, fake_request: RecordingRequest, lang: str, command: str, next_break: str
) -> None:
    # The clock starts on Monday 23 November 2026; reminders are on workdays.
    person = await subscriber(app, fake_request, 16110, lang)
    [text] = texts(await person.send(command))
    assert ("Gepauzeerd" if lang == "nl" else "Paused") in text
    assert next_break in text


async def test_pause_until_friday(app: Any, db: Database, fake_request: RecordingRequest) -> None:
    person = await subscriber(app, fake_request, 16111, "en")
    [text] = texts(await person.send("/pause until friday"))
    assert "Fri 27 Nov" in text


async def test_est_is_new_york_with_summer_time(
    app: Any, db: Database, fake_request: RecordingRequest
) -> None:
    person = await subscriber(app, fake_request, 16120, "en")
    [text] = texts(await person.send("/timezone EST"))
    assert "New York (EST/EDT)" in text
    assert (await get_chat(db, 16120)).timezone == "America/New_York"


async def test_an_offset_is_asked_about_with_buttons(
    app: Any, db: Database, fake_request: RecordingRequest
) -> None:
    person = await subscriber(app, fake_request, 16121, "nl")
    calls = await person.send("/tijdzone UTC+1")
    [text] = texts(calls)
    assert "UTC+1" in text and "zomertijd" in text
    buttons = all_buttons(calls)
    assert buttons[:2] == [
        ("Amsterdam (CET/CEST)", "tk:z:Europe/Amsterdam"),
        ("Brussels (CET/CEST)", "tk:z:Europe/Brussels"),
    ]
    assert (await get_chat(db, 16121)).timezone == "Europe/Amsterdam"  # unchanged so far
    calls = await person.press_button(calls, "Brussels")
    assert "Brussels (CET/CEST)" in texts(calls)[0]
    assert (await get_chat(db, 16121)).timezone == "Europe/Brussels"


async def test_did_you_mean_has_a_button_and_zone_buttons_mark_the_current_one(
    app: Any, db: Database, fake_request: RecordingRequest
) -> None:
    person = await subscriber(app, fake_request, 16122, "en")
    calls = await person.send("/timezone Londn")
    assert ("✓ Yes, Europe/London", "tk:z:Europe/London") in all_buttons(calls)
    await person.press("tk:z:Europe/London")
    calls = await person.send("/timezone")
    assert ("✓ London (GMT/BST)", "st:z:lon") in all_buttons(calls)
    assert ("Amsterdam (CET/CEST)", "st:z:ams") in all_buttons(calls)
