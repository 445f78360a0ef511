"""Every preference command, its happy path and its malformed forms, in Dutch and English."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.scheduling.timemath import as_utc
from bot.storage import chats
from bot.storage.db import Database
from bot.storage.models import ALL_DAYS, WORKDAYS
from tests.conftest import FakeClock
from tests.fakes import RecordingRequest
from tests.integration.chatter import Chatter, all_buttons, answers, texts


async def subscriber(app: Any, request: RecordingRequest, user_id: int, lang: str) -> Chatter:
    person = Chatter(app, request, user_id, f"P{user_id}", lang)
    await person.send("/start")
    await person.press(f"ob:l:{lang}")
    await person.press("ob:z:ams")
    await person.press("ob:c")
    return person


async def _chat(db: Database, chat_id: int) -> Any:
    async with db.session() as session:
        return await chats.get(session, chat_id)


async def _one(person: Chatter, text: str) -> str:
    [reply] = texts(await person.send(text))
    return reply


# (command nl, command en, argument, check on the chat, words in nl reply, words in en reply)
HAPPY = [
    ("/tijden 9:30 12.00 1530", "/times 9:30 12.00 1530",
     lambda c: c.times == ["09:30", "12:00", "15:30"], "Gelukt", "Done"),
    ("/dagen ma-do", "/days mon-thu", lambda c: c.days == 0b0001111, "ma, di, wo, do", "Mon, Tue"),
    ("/dagen alle", "/days all", lambda c: c.days == ALL_DAYS, "elke dag", "every day"),
    ("/tijdzone Gent", "/timezone Ghent", lambda c: c.timezone == "Europe/Brussels",
     "Brussels (CET/CEST)", "Brussels (CET/CEST)"),
    ("/tijdzone new york", "/timezone America/New_York",
     lambda c: c.timezone == "America/New_York", "New York (EST/EDT)", "New York (EST/EDT)"),
    ("/plek thuis", "/place home", lambda c: c.place == "home", "thuis", "home"),
    ("/plek kantoor", "/place office", lambda c: c.place == "office", "kantoor", "office"),
]  # fmt: skip


@pytest.mark.parametrize("case", HAPPY, ids=[c[0] for c in HAPPY])
@pytest.mark.parametrize("lang", ["nl", "en"])
async def test_happy_paths(
    app: Any, db: Database, fake_request: RecordingRequest, lang: str, case: tuple
) -> None:
    nl_command, en_command, check, nl_words, en_words = case
    person = await subscriber(app, fake_request, 3000 + (lang == "en"), lang)
    reply = await _one(person, nl_command if lang == "nl" else en_command)
    chat = await _chat(db, person.chat_id)
    assert check(chat), reply
    assert (nl_words if lang == "nl" else en_words) in reply
    # The schedule is recomputed at once, in the new settings.
    assert chat.next_due_at is not None and as_utc(chat.next_due_at) > datetime(
        2026, 11, 23, tzinfo=UTC
    )


MALFORMED = [
    ("/times 25:00", "/tijden 25:00", "0 to 23", "0 tot 23"),
    ("/times 7:60 8:00", "/tijden 7:60", "00 to 59", "00 tot 59"),
    ("/times soon", "/tijden straks", "/times 9:30", "/tijden 9:30"),
    ("/times 1 2 3 4 5 6 7", "/tijden 1 2 3 4 5 6 7", "At most 6", "Maximaal 6"),
    ("/days someday", "/dagen soms", "/days mon-fri", "/dagen ma-vr"),
    ("/days ma-", "/dagen ma-", "mon-thu", "ma-do"),
    ("/timezone Qqqzzzland", "/tijdzone Qqqzzzland", "Europe/Amsterdam", "Europe/Amsterdam"),
    ("/timezone Amsterdm", "/tijdzone Amsterdm", "Did you mean", "Bedoel je"),
    ("/place garden", "/plek tuin", "/place office", "/plek kantoor"),
    ("/language de", "/taal de", "/language en", "/taal nl"),
    ("/pause forever", "/pauze altijd", "/pause 3 days", "/pauze 3 dagen"),
    ("/pause until 01-01-2020", "/pauze tot 01-01-2020", "not in the future", "toekomst"),
    ("/pause until 31-02-2027", "/pauze tot 31-02-2027", "day-month-year", "dag-maand-jaar"),
    ("/pause 0 days", "/pauze 0 dagen", "at least one day", "minstens één dag"),
    ("/pause 400 days", "/pauze 400 dagen", "at most 366", "maximaal 366"),
]  # fmt: skip


@pytest.mark.parametrize("case", MALFORMED, ids=[c[0] for c in MALFORMED])
@pytest.mark.parametrize("lang", ["nl", "en"])
async def test_malformed_commands_explain_with_an_example(
    app: Any, db: Database, fake_request: RecordingRequest, lang: str, case: tuple
) -> None:
    en_command, nl_command, en_words, nl_words = case
    person = await subscriber(app, fake_request, 3100 + (lang == "en"), lang)
    before = await _chat(db, person.chat_id)
    reply = await _one(person, nl_command if lang == "nl" else en_command)
    assert (nl_words if lang == "nl" else en_words) in reply
    after = await _chat(db, person.chat_id)
    for column in ("times", "days", "timezone", "place", "language", "paused_until"):
        assert getattr(after, column) == getattr(before, column)


@pytest.mark.parametrize("lang", ["nl", "en"])
async def test_commands_without_arguments_show_the_current_value_and_how(
    app: Any, fake_request: RecordingRequest, lang: str
) -> None:
    person = await subscriber(app, fake_request, 3200 + (lang == "en"), lang)
    for nl, en in [("/tijden", "/times"), ("/dagen", "/days"), ("/tijdzone", "/timezone"),
                   ("/taal", "/language"), ("/plek", "/place")]:  # fmt: skip
        reply = await _one(person, nl if lang == "nl" else en)
        assert "<code>" in reply


async def test_language_switch_changes_every_later_reply(
    app: Any, db: Database, fake_request: RecordingRequest
) -> None:
    person = await subscriber(app, fake_request, 3301, "nl")
    assert "English from now on" in await _one(person, "/taal en")
    assert "Your settings" in await _one(person, "/instellingen")
    assert "Nederlands" in await _one(person, "/language Nederlands")
    assert (await _chat(db, 3301)).language == "nl"


async def test_pause_resume_and_stop(
    app: Any, db: Database, clock: FakeClock, fake_request: RecordingRequest
) -> None:
    # Monday 23 November 2026, 09:00 UTC = 10:00 in Amsterdam.
    person = await subscriber(app, fake_request, 3401, "nl")
    calls = await person.send("/pauze")
    assert "Hoe lang" in texts(calls)[0]
    assert [d for _, d in all_buttons(calls)] == ["ch:p:1", "ch:p:3", "ch:p:7", "ch:pu"]
    reply = texts(await person.press("ch:p:1"))[0]
    chat = await _chat(db, 3401)
    assert as_utc(chat.paused_until) == datetime(2026, 11, 23, 23, 0, tzinfo=UTC)  # local midnight
    assert as_utc(chat.next_due_at) > as_utc(chat.paused_until)
    assert "di 24 nov" in reply

    reply = await _one(person, "/pauze tot 01-12-2026")
    chat = await _chat(db, 3401)
    assert as_utc(chat.paused_until) == datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
    assert "1 dec" in reply

    reply = await _one(person, "/hervat")
    chat = await _chat(db, 3401)
    assert chat.paused_until is None and "weer aan" in reply
    assert as_utc(chat.next_due_at) < datetime(2026, 11, 24, tzinfo=UTC)

    reply = await _one(person, "/stoppen")
    chat = await _chat(db, 3401)
    assert not chat.active and chat.next_due_at is None and "/verwijder" in reply

    # /start after /stop subscribes again without resetting anything.
    await person.send("/start")
    chat = await _chat(db, 3401)
    assert chat.active and chat.next_due_at is not None and chat.onboarded


async def test_english_pause_for_days(
    app: Any, db: Database, fake_request: RecordingRequest
) -> None:
    person = await subscriber(app, fake_request, 3402, "en")
    reply = await _one(person, "/pause 3 days")
    chat = await _chat(db, 3402)
    assert as_utc(chat.paused_until) == datetime(2026, 11, 25, 23, 0, tzinfo=UTC)
    assert "Thu 26 Nov" in reply or "Thu, 26 Nov" in reply or "26 Nov" in reply


async def test_settings_screen_and_its_buttons(
    app: Any, db: Database, fake_request: RecordingRequest
) -> None:
    person = await subscriber(app, fake_request, 3501, "nl")
    calls = await person.send("/instellingen")
    [screen] = texts(calls)
    for word in ("Je instellingen", "Amsterdam (CET/CEST)", "werkdagen", "kantoor", "actief"):
        assert word in screen
    data = [d for _, d in all_buttons(calls)]
    assert {"st:lm", "st:pm", "ch:t", "st:dm", "st:zm", "ch:pm", "ch:sc"} <= set(data)

    calls = await person.press("st:pm")
    assert ("✓ Kantoor", "st:p:office") in all_buttons(calls)
    calls = await person.press("st:p:home")
    assert texts(calls)[0].startswith("✅ Opgeslagen.") and "Plek: thuis" in texts(calls)[0]
    calls = await person.press("st:dm")
    assert "Tik op een dag" in texts(calls)[0]
    await person.press("st:d:5")  # Saturday on
    assert (await _chat(db, 3501)).days == WORKDAYS | 1 << 5
    await person.press("st:ds:a")
    assert (await _chat(db, 3501)).days == ALL_DAYS
    await person.press("st:ds:w")
    await person.press("st:zm")
    await person.press("st:z:lon")
    assert (await _chat(db, 3501)).timezone == "Europe/London"
    calls = await person.press("st:pa")
    assert "Hervatten" in str(all_buttons(calls))
    assert (await _chat(db, 3501)).paused_until is not None
    await person.press("st:r")
    await person.press("st:s")
    assert not (await _chat(db, 3501)).active
    await person.press("st:r")
    calls = await person.press("st:l:en")
    assert "Your settings" in texts(calls)[0]
    assert (await _chat(db, 3501)).language == "en"


async def test_settings_switch_the_weekly_summary_and_evening_nudge(
    app: Any, db: Database, fake_request: RecordingRequest
) -> None:
    person = await subscriber(app, fake_request, 3503, "nl")
    calls = await person.send("/instellingen")
    [screen] = texts(calls)
    assert "Weekoverzicht: uit" in screen and "Avondduwtje: uit" in screen
    assert {"st:ws:1", "st:en:1"} <= {d for _, d in all_buttons(calls)}

    calls = await person.press("st:ws:1")
    assert "Weekoverzicht: aan" in texts(calls)[0]
    await person.press("st:en:1")
    chat = await _chat(db, 3503)
    assert chat.weekly_summary and chat.evening_nudge
    calls = await person.press("st:ws:0")
    assert not (await _chat(db, 3503)).weekly_summary
    assert "st:ws:1" in {d for _, d in all_buttons(calls)}


async def test_the_last_day_cannot_be_switched_off(
    app: Any, db: Database, fake_request: RecordingRequest
) -> None:
    person = await subscriber(app, fake_request, 3502, "en")
    await person.send("/days mon")
    calls = await person.press("st:d:0")
    assert "at least one day" in answers(calls)[0]
    assert (await _chat(db, 3502)).days == 1


FORGED = [
    *("st:ws:2", "st:en:x", "st:ws"),
    *("st:l:de", "st:p:garden", "st:z:mars", "st:d:7", "st:d:-1", "st:ds:x", "st", "st:"),
    *("st:zz", "st:d:1:2", "zz:top", "💥", "x" * 64, "ex:s:nope", "gd:n:nope:1", "gd:s"),
    *("br:a:nose:0", "br:a:lower_back:9999", "dl:y:abc", "dl:y:1", "ob:l:nl", "ex:d:"),
    *("gd:n:staande-bekkenrek:0", "gd:n:staande-bekkenrek:99", "gd:q:staande-bekkenrek"),
]


async def test_forged_settings_buttons_change_nothing(
    app: Any, db: Database, fake_request: RecordingRequest
) -> None:
    person = await subscriber(app, fake_request, 3503, "nl")
    before = await _chat(db, 3503)
    for data in FORGED:
        calls = await person.press(data)
        assert texts(calls) == [], data
        assert "werkt niet meer" in answers(calls)[0], data
    after = await _chat(db, 3503)
    for column in ("times", "days", "timezone", "place", "language", "paused_until", "active"):
        assert getattr(after, column) == getattr(before, column)


async def test_preference_commands_before_start_point_to_start(
    app: Any, db: Database, fake_request: RecordingRequest
) -> None:
    stranger = Chatter(app, fake_request, 3601, "S", "en")
    for command in ("/times 9:00", "/days all", "/timezone UTC", "/language nl", "/place home",
                    "/pause", "/resume", "/stop", "/settings"):  # fmt: skip
        assert "/start" in await _one(stranger, command)
    assert await _chat(db, 3601) is None
    calls = await stranger.press("st:l:nl")
    assert answers(calls)
    assert await _chat(db, 3601) is None


async def test_commands_work_in_a_group(
    app: Any, db: Database, fake_request: RecordingRequest
) -> None:
    group = {"id": -100999, "type": "group", "title": "Team"}
    member = Chatter(app, fake_request, 3701, "G", "nl", chat=group)
    await member.send("/start")
    calls = await member.send("/tijden@rekpauze_bot 10:00 14:00")
    assert [int(c.params["chat_id"]) for c in calls] == [-100999]
    assert (await _chat(db, -100999)).times == ["10:00", "14:00"]
    calls = await member.send("/help")
    assert "/oefening" in texts(calls)[0]
