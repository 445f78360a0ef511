"""Every reply of a scripted session, in both languages, within Telegram's limits; a burst of
garbage leaves the bot answering normally with nothing logged as an error; settings survive
a restart."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from bot import telegram_html
from bot.app import build_application
from bot.commands import PUBLIC, menu
from bot.config import Settings
from bot.handlers.exercises import job_name
from bot.i18n import t
from bot.storage import chats
from bot.storage.db import Database
from tests.conftest import FakeClock
from tests.fakes import TOKEN, Call, RecordingRequest
from tests.integration.chatter import Chatter, all_buttons, buttons, texts

SCRIPT = {
    "nl": [
        "/start", "/help", "/hulp", "/oefening", "/oefening rug", "/oefening knie borst",
        "/oefening zzzz", "/oefeningen", "/tijden", "/tijden 9:00 12u30 1600", "/tijden 25:00",
        "/dagen", "/dagen ma-do", "/dagen blub", "/tijdzone", "/tijdzone Antwerpen",
        "/tijdzone Nergensland", "/taal", "/taal xx", "/plek", "/plek thuis", "/plek tuin",
        "/pauze", "/pauze 3 dagen", "/pauze tot 01-01-2000", "/hervat", "/instellingen",
        "/veiligheid", "/privacy", "/export", "/stoppen", "/start", "/onbekend", "hallo",
    ],
    "en": [
        "/start", "/help", "/exercise", "/exercise hip", "/exercise qqqq", "/exercises",
        "/times", "/times 8:15 13.00", "/times 7:60", "/days", "/days weekend", "/days xyz",
        "/timezone", "/timezone London", "/timezone Qqq/Zzz", "/language", "/language nl",
        "/language en", "/place", "/place home", "/place moon", "/pause", "/pause 2 days",
        "/pause until 2020-01-01", "/resume", "/settings", "/safety", "/privacy", "/export",
        "/stop", "/start", "/unknown", "hello",
    ],
}  # fmt: skip


def check_call(call: Call) -> None:
    params = call.params
    if call.method in ("sendMessage", "editMessageText"):
        telegram_html.check_message(str(params["text"]))
        assert params.get("parse_mode") == "HTML"
    if call.method in ("sendDocument", "sendPhoto") and "caption" in params:
        telegram_html.check_message(str(params["caption"]), limit=telegram_html.MAX_CAPTION)
    if call.method == "answerCallbackQuery":
        assert len(params.get("text") or "") <= 200
    for _, data in buttons(params):
        telegram_html.check_callback_data(data)


async def _session(person: Chatter, clock: FakeClock, app: Any, lang: str) -> None:
    for line in SCRIPT[lang]:
        calls = await person.send(line)
        # Press every button of every reply once (deleting last), to render every screen.
        for _, data in all_buttons(calls):
            if not data.startswith("dl:y"):
                await person.press(data)
    # Onboarding screens, guided mode to the end, the delete confirmation.
    for data in (f"ob:l:{lang}", "ob:z:ams", "ob:c", "gd:s:zijwaartse-rek"):
        await person.press(data)
    for job in app.job_queue.get_jobs_by_name(job_name(person.chat_id)):
        for _ in range(60):
            clock.advance(seconds=5)
            await job.run(app)
    calls = await person.send("/delete")
    yes = next(d for _, d in all_buttons(calls) if d.startswith("dl:y"))
    await person.press(yes)


@pytest.mark.parametrize("lang", ["nl", "en"])
async def test_every_reply_fits_telegram(
    app: Any,
    clock: FakeClock,
    fake_request: RecordingRequest,
    lang: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    person = Chatter(app, fake_request, 6001, "Lim<i>t", lang)
    await _session(person, clock, app, lang)
    assert fake_request.refused == []
    methods = {c.method for c in fake_request.calls}
    assert {"sendMessage", "editMessageText", "answerCallbackQuery", "sendDocument"} <= methods
    for call in fake_request.calls:
        check_call(call)
    generic = t(lang, "error.generic")
    assert all(generic not in text for text in texts(fake_request.calls))
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


GARBAGE = [
    "/times " + "9" * 5000, "/times \x00\x01\x02", "/days \u202e\u200bma",
    "/timezone " + "é" * 4000,
    "/exercise " + "<b>" * 1000, "/pause until 99-99-9999", "/language \n\n\n", "/place ../../",
    "/start extra args here", "/settings now please", "/" + "a" * 300, "\x00" * 50, "💥" * 2000,
    "/oefening \ud7ff" + "&amp;" * 500, "/tijden 1,2;3 4", "/export all", "/delete now",
]  # fmt: skip


async def test_a_burst_of_garbage_is_answered_politely(
    app: Any, fake_request: RecordingRequest, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    person = Chatter(app, fake_request, 6002, "G", "en")
    await person.send("/start")
    for line in GARBAGE:
        clock.advance(minutes=1)  # "I didn't understand" is said once a minute at most
        calls = await person.send(line)
        assert texts(calls) or [c for c in calls if c.method == "sendDocument"], line
    for data in ("", "x", "a" * 64, "ob:" + "z" * 61, "st:d:" + "9" * 59, "gd:n:x:1", "ex:d:../"):
        if data:
            await person.press(data)
    assert fake_request.refused == []
    for call in fake_request.calls:
        check_call(call)
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    # Still answering normally.
    assert "Your settings" in texts(await person.send("/settings"))[0]


async def test_settings_survive_a_restart(
    settings: Settings, db: Database, clock: FakeClock
) -> None:
    request = RecordingRequest()
    first = build_application(settings, db, token=TOKEN, clock=clock, request=request)
    async with first:
        person = Chatter(first, request, 6003, "R", "nl")
        for line in ("/start",):
            await person.send(line)
        for data in ("ob:l:en", "ob:z:bru", "ob:c"):
            await person.press(data)
        for line in ("/times 8:00 11:00 14:00 16:30", "/days mon wed fri", "/place home",
                     "/pause 2 days", "/timezone Europe/London"):  # fmt: skip
            await person.send(line)
    async with db.session() as session:
        before = await chats.get(session, 6003)
    second_request = RecordingRequest()
    second = build_application(settings, db, token=TOKEN, clock=clock, request=second_request)
    async with second:
        person = Chatter(second, second_request, 6003, "R", "nl")
        [screen] = texts(await person.send("/settings"))
        [again] = texts(await person.send("/start"))
    assert "08:00, 11:00, 14:00, 16:30" in screen and "London (GMT/BST)" in screen
    assert "Mon, Wed, Fri" in screen and "home" in screen and "paused until" in screen
    assert "Welcome back" in again
    async with db.session() as session:
        after = await chats.get(session, 6003)
    assert after is not None and before is not None
    for column in ("times", "days", "timezone", "place", "language", "paused_until", "onboarded"):
        assert getattr(after, column) == getattr(before, column)


def test_the_command_menu_lists_every_command_with_dutch_aliases() -> None:
    english = {c.command for c in menu("en")}
    dutch = {c.command for c in menu("nl")}
    assert {"exercise", "times", "days", "timezone", "settings", "delete"} <= english
    assert {"oefening", "tijden", "dagen", "tijdzone", "taal", "pauze", "hervat", "veiligheid",
            "instellingen"} <= dutch  # fmt: skip
    french = {c.command for c in menu("fr")}
    assert {"exercice", "exercices", "horaires", "jours", "fuseau", "langue", "lieu",
            "reprendre", "aide", "securite"} <= french  # fmt: skip
    for lang in ("nl", "en", "fr"):
        for command in menu(lang):
            assert 1 <= len(command.description) <= 256
            assert command.command.isascii() and command.command.islower()
    assert len(PUBLIC) == len(english) <= 100


async def test_every_menu_command_has_a_handler(app: Any, fake_request: RecordingRequest) -> None:
    person = Chatter(app, fake_request, 6004, "M", "nl")
    await person.send("/start")
    unknown = t("nl", "fallback.unknown_command")
    every = {c.command for lang in ("nl", "en", "fr") for c in menu(lang)}
    for command in every:
        calls = await person.send(f"/{command}")
        if command in ("delete", "verwijder", "supprimer"):
            continue
        assert unknown not in json.dumps([c.params for c in calls], ensure_ascii=False), command
