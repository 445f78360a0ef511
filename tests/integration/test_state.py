"""Issue 16, points 4 and 8, tried again as a new user would: onboarding subscribes only when
finished and tells the truth about the first break; the timezone is guessed from the
Telegram language; /stats counts from sign-up and knows free days."""

from __future__ import annotations

from typing import Any

import pytest

from bot.storage.db import Database
from tests.conftest import FakeClock
from tests.fakes import RecordingRequest
from tests.integration.chatter import Chatter, all_buttons, texts
from tests.integration.test_commands import subscriber
from tests.reminder_kit import get_chat


async def test_nothing_is_scheduled_until_onboarding_is_finished(
    app: Any, db: Database, fake_request: RecordingRequest
) -> None:
    person = Chatter(app, fake_request, 16300, "Ed", "en")
    await person.send("/start")
    chat = await get_chat(db, 16300)
    assert not chat.active and chat.next_due_at is None
    [screen] = texts(await person.send("/settings"))
    assert "Status: not started yet" in screen and "Status: active" not in screen
    for command in ("/resume", "/pause"):
        [text] = texts(await person.send(command))
        assert "not started yet" in text
    assert not (await get_chat(db, 16300)).active
    await person.press("ob:l:en")
    await person.press("ob:z:lon")
    await person.press("ob:c")
    chat = await get_chat(db, 16300)
    assert chat.active and chat.next_due_at is not None


async def test_the_last_step_tells_when_the_first_break_is(
    app: Any, db: Database, clock: FakeClock, fake_request: RecordingRequest
) -> None:
    clock.advance(hours=10)  # Monday 19:00 UTC: today's breaks are over
    person = Chatter(app, fake_request, 16301, "Ed", "en")
    await person.send("/start")
    await person.press("ob:l:en")
    step3 = texts(await person.press("ob:z:lon"))[0]
    done = texts(await person.press("ob:c"))[0]
    first = (await get_chat(db, 16301)).times[0]
    assert f"Your first stretch break is tomorrow at {first}" in done
    assert "on its way" not in done
    # The last step already says it (it said "none planned" while the chat was not active).
    assert f"The first one: tomorrow at {first}." in step3 and "none planned" not in step3


@pytest.mark.parametrize(
    ("code", "zone"),
    [("nl-BE", "Europe/Brussels"), ("nl", "Europe/Amsterdam"), ("en-GB", "Europe/London")],
)
async def test_the_timezone_is_guessed_from_the_telegram_language(
    app: Any, db: Database, fake_request: RecordingRequest, code: str, zone: str
) -> None:
    person = Chatter(app, fake_request, 16302, "Ed", code)
    await person.send("/start")
    assert (await get_chat(db, 16302)).timezone == zone


async def test_a_dutch_newcomer_needs_one_tap_for_the_zone(
    app: Any, fake_request: RecordingRequest
) -> None:
    person = Chatter(app, fake_request, 16303, "Anke", "nl")
    await person.send("/start")
    calls = await person.press("ob:l:nl")
    assert [data for _, data in all_buttons(calls)] == ["ob:z:ams", "ob:z:bru"]


def _captions(request: RecordingRequest, chat_id: int) -> list[str]:
    return [
        str(c.params.get("caption") or c.params.get("text"))
        for c in request.calls
        if c.method in ("sendPhoto", "sendMessage") and int(c.params["chat_id"]) == chat_id
    ]


async def test_stats_start_at_sign_up_and_know_free_days(
    app: Any, clock: FakeClock, fake_request: RecordingRequest
) -> None:
    person = await subscriber(app, fake_request, 16304, "en")
    await person.press("ex:d:staande-bekkenrek")
    await person.send("/stats")
    text = _captions(fake_request, 16304)[-1]
    assert "0 of 0" not in text
    clock.advance(days=5)  # Saturday: no reminders on a workday schedule
    await person.send("/stats")
    text = _captions(fake_request, 16304)[-1]
    assert "Today: no reminders" in text and "Today: 0 of" not in text


async def test_breaks_from_exercise_cards_count_against_the_real_goal(
    app: Any, clock: FakeClock, fake_request: RecordingRequest
) -> None:
    """Two Done presses on exercise cards before any reminder: 2 of the 3 a day asks, not
    "2 of 2", and the rule under the numbers says such breaks count."""
    person = await subscriber(app, fake_request, 16305, "nl")
    await person.press("ex:d:staande-bekkenrek")
    await person.press("ex:d:bruggetje")
    await person.press("ex:d:bruggetje")  # a double press is the same break
    await person.send("/stats")
    text = _captions(fake_request, 16305)[-1]
    assert "Vandaag: <b>2</b> van 3" in text
    assert "Huidige reeks: <b>0 dagen</b>" in text  # today is still open, not met
    assert "2 rekpauzes" in text and "via /oefening telt ook" in text
    clock.advance(hours=1)
    await person.press("ex:d:knieen-naar-borst")
    await person.send("/stats")
    text = _captions(fake_request, 16305)[-1]
    assert "Vandaag: <b>3</b> van 3" in text and "Huidige reeks: <b>1 dag</b>" in text


# ------------------------------------------------- "done when": newcomers without /help


async def test_an_english_newcomer_onboards_with_buttons_and_typed_answers(
    app: Any, db: Database, fake_request: RecordingRequest
) -> None:
    person = Chatter(app, fake_request, 16310, "Bo", "en")
    calls = await person.send("/start")
    calls = await person.press_button(calls, "English")
    assert "Step 2 of 3" in texts(calls)[0]
    calls = await person.send("EST")  # a typed answer to the bot's own question
    assert "Step 3 of 3" in texts(calls)[0] and "New York (EST/EDT)" in texts(calls)[0]
    calls = await person.press_button(calls, "Sounds good")
    assert "Your first stretch break is" in texts(calls)[0]
    chat = await get_chat(db, 16310)
    assert chat.onboarded and chat.active and chat.timezone == "America/New_York"


async def test_a_dutch_newcomer_onboards_typing_a_city_at_the_first_step(
    app: Any, db: Database, fake_request: RecordingRequest
) -> None:
    person = Chatter(app, fake_request, 16311, "Anke", "nl")
    await person.send("/start")
    calls = await person.send("Gent")
    assert "Stap 3 van 3" in texts(calls)[0] and "Brussels (CET/CEST)" in texts(calls)[0]
    calls = await person.press_button(calls, "Zo is het goed")
    assert "Je eerste rekpauze is" in texts(calls)[0]
    chat = await get_chat(db, 16311)
    assert chat.onboarded and chat.active and chat.timezone == "Europe/Brussels"


async def test_a_greeting_during_onboarding_points_back_to_it(
    app: Any, fake_request: RecordingRequest
) -> None:
    person = Chatter(app, fake_request, 16312, "Anke", "nl")
    await person.send("/start")
    [text] = texts(await person.send("hallo"))
    assert "We zijn er bijna" in text and "/start" in text
