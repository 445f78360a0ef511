"""Issue 16, points 3 and 12, tried again as a new user would: free text understood in
context (answers, pain, greetings, a search), and one "I didn't understand" a minute."""

from __future__ import annotations

from typing import Any

import pytest

from bot.app import build_application
from bot.config import Settings
from bot.content.loader import get_catalogue
from bot.storage.db import Database
from tests.conftest import FakeClock
from tests.fakes import TOKEN, RecordingRequest
from tests.integration.chatter import Chatter, all_buttons, texts
from tests.integration.test_commands import subscriber
from tests.reminder_kit import get_chat

# --------------------------------------------------------- 3. free text in context


async def test_typed_times_answer_the_question_just_asked(
    app: Any, db: Database, fake_request: RecordingRequest
) -> None:
    person = await subscriber(app, fake_request, 16020, "nl")
    [asked] = texts(await person.send("/tijden"))
    assert "Stuur 1 tot 6 tijden" in asked or "tijden" in asked
    [text] = texts(await person.send("10:00 13:00 16:00"))
    assert "10:00, 13:00, 16:00" in text
    assert (await get_chat(db, 16020)).times == ["10:00", "13:00", "16:00"]
    # Answered: the same text now is not taken as times again.
    calls = await person.send("11:00")
    assert (await get_chat(db, 16020)).times == ["10:00", "13:00", "16:00"]
    assert "niet" in texts(calls)[0]


async def test_the_times_button_also_waits_for_typed_times_across_a_restart(
    settings: Settings, db: Database, clock: FakeClock, fake_request: RecordingRequest
) -> None:
    first = build_application(settings, db, token=TOKEN, clock=clock, request=fake_request)
    async with first:
        person = await subscriber(first, fake_request, 16021, "en")
        await person.press("st:t")
    second = build_application(settings, db, token=TOKEN, clock=clock, request=fake_request)
    async with second:
        person = Chatter(second, fake_request, 16021, "P", "en")
        [text] = texts(await person.send("9:15, 12:45"))
    assert "09:15, 12:45" in text
    assert (await get_chat(db, 16021)).times == ["09:15", "12:45"]


async def test_a_typed_timezone_after_the_question_with_a_did_you_mean_button(
    app: Any, db: Database, fake_request: RecordingRequest
) -> None:
    person = await subscriber(app, fake_request, 16022, "en")
    await person.send("/timezone")
    calls = await person.send("Londn")
    assert ("✓ Yes, Europe/London", "tk:z:Europe/London") in all_buttons(calls)
    calls = await person.press_button(calls, "Yes, Europe/London")
    assert "London (GMT/BST)" in texts(calls)[0]
    assert (await get_chat(db, 16022)).timezone == "Europe/London"


async def test_a_city_typed_at_the_first_onboarding_step_is_understood(
    app: Any, db: Database, fake_request: RecordingRequest
) -> None:
    person = Chatter(app, fake_request, 16023, "Q", "nl")
    await person.send("/start")
    [text] = texts(await person.send("Amsterdam"))
    assert "Stap 3 van 3" in text
    assert (await get_chat(db, 16023)).timezone == "Europe/Amsterdam"


@pytest.mark.parametrize(
    ("lang", "message", "expected"),
    [
        ("nl", "rug", "Onderrug"),
        ("nl", "hallo", "Hallo"),
        ("en", "hello", "Hi"),
        ("en", "👍", "You're welcome"),
        ("en", "thanks!", "You're welcome"),
        ("nl", "dank je wel", "Graag gedaan"),
        ("en", "help", "/start"),
        ("nl", "bruggetje", "Bruggetje"),
    ],
)
async def test_free_text_is_answered(
    app: Any, fake_request: RecordingRequest, lang: str, message: str, expected: str
) -> None:
    person = await subscriber(app, fake_request, 16030, lang)
    calls = await person.send(message)
    text = "\n".join(texts(calls))  # a long card follows its animation's caption
    assert expected in text
    assert "begreep" not in text and "understand" not in text


@pytest.mark.parametrize(
    ("lang", "message", "safety_line"),
    [
        ("nl", "ik heb pijn in mijn onderrug", "Pijn tijdens het rekken is niet nodig"),
        ("en", "my lower back hurts", "Pain during stretching is not needed"),
        ("nl", "ik heb een hernia", ""),  # "": every red flag of the catalogue is listed
        ("en", "pain shooting down my leg", ""),
    ],
)
async def test_pain_and_red_flags_get_the_safety_note_and_a_professional(
    app: Any, fake_request: RecordingRequest, lang: str, message: str, safety_line: str
) -> None:
    person = await subscriber(app, fake_request, 16040, lang)
    calls = await person.send(message)
    [text] = texts(calls)
    flags = [item.get(lang) for item in get_catalogue().safety.red_flags]
    for line in [safety_line] if safety_line else flags:
        assert line in text
    assert ("fysiotherapeut" if lang == "nl" else "physiotherapist") in text
    assert ("/veiligheid" if lang == "nl" else "/safety") in text


async def test_pain_in_a_covered_area_offers_its_exercises(
    app: Any, fake_request: RecordingRequest
) -> None:
    person = await subscriber(app, fake_request, 16041, "nl")
    calls = await person.send("ik heb pijn in mijn onderrug")
    assert ("Oefeningen voor: Onderrug", "br:a:lower_back:0:o") in all_buttons(calls)


# ------------------------------------------------ 12. one "didn't understand" a minute


async def test_a_burst_of_unusable_messages_gets_one_answer_a_minute(
    app: Any, clock: FakeClock, fake_request: RecordingRequest
) -> None:
    person = await subscriber(app, fake_request, 16050, "en")
    replies = []
    for n in range(29):
        replies += texts(await person.send(f"qwxz {n}"))
        clock.advance(seconds=1)
    assert len(replies) == 1 and "didn't understand" in replies[0]
    text = "\n".join(texts(await person.send("/exercise bridge")))
    assert "Glute bridge" in text
    clock.advance(seconds=60)
    calls = await person.send("qwxz again")
    assert "didn't understand" in texts(calls)[0]
    data = [d for _, d in all_buttons(calls)]
    assert data == ["tk:ex", "br:h", "tk:st", "tk:help"]
    assert texts(await person.press("tk:st"))[0].startswith("<b>Your settings")


async def test_what_the_bot_waits_for_is_exported_and_erased(
    app: Any, db: Database, fake_request: RecordingRequest
) -> None:
    from bot.storage import conversation

    person = await subscriber(app, fake_request, 16060, "en")
    await person.send("/times")
    await person.send("qwxz")  # an "I didn't understand" is remembered for a minute
    async with db.session() as session:
        assert await conversation.get(session, "awaiting", 16060) is not None
        assert await conversation.get(session, "unclear", 16060) is not None
    calls = await person.send("/export")
    exported = next(c for c in calls if c.method == "sendDocument")
    [(_, content)] = exported.files.values()
    assert b"awaiting:16060" in content and b"unclear:16060" in content
    calls = await person.send("/delete")
    yes = next(d for _, d in all_buttons(calls) if d.startswith("dl:y"))
    await person.press(yes)
    async with db.session() as session:
        assert await conversation.get(session, "awaiting", 16060) is None
        assert await conversation.get(session, "unclear", 16060) is None
