"""/start onboarding: three steps, both languages, state that survives a restart."""

from __future__ import annotations

from typing import Any

from bot.app import build_application
from bot.config import Settings
from bot.services import onboarding
from bot.storage import chats
from bot.storage.db import Database
from tests.conftest import FakeClock
from tests.fakes import TOKEN, RecordingRequest
from tests.integration.chatter import Chatter, all_buttons, answers, texts


async def _chat(db: Database, chat_id: int) -> Any:
    async with db.session() as session:
        return await chats.get(session, chat_id)


async def test_dutch_user_completes_onboarding_with_one_taps(
    app: Any, db: Database, fake_request: RecordingRequest
) -> None:
    anke = Chatter(app, fake_request, 2001, "Anke", "nl")
    calls = await anke.send("/start")
    [text] = texts(calls)
    assert "Welkom bij Rekpauze, Anke" in text and "Stap 1 van 3" in text
    assert ("✓ 🇳🇱 Nederlands", "ob:l:nl") in all_buttons(calls)

    calls = await anke.press_button(calls, "Nederlands")
    [text] = texts(calls)
    assert "Stap 2 van 3" in text
    assert [data for _, data in all_buttons(calls)] == ["ob:z:ams", "ob:z:bru"]

    calls = await anke.press_button(calls, "Brussels (CET/CEST)")
    [text] = texts(calls)
    chat = await _chat(db, 2001)
    assert "Stap 3 van 3" in text and chat.timezone == "Europe/Brussels"
    assert all(time in text for time in chat.times) and "werkdagen" in text

    calls = await anke.press_button(calls, "Zo is het goed")
    done, safety = texts(calls)
    assert "Klaar" in done
    assert "/veiligheid" in safety
    chat = await _chat(db, 2001)
    assert chat.onboarded and chat.safety_shown and chat.next_due_at is not None
    assert await onboarding.current_step(db, 2001) is None

    # /start again: never resets anything, no safety note again.
    calls = await anke.send("/start")
    [text] = texts(calls)
    assert "Welkom terug" in text
    assert (await _chat(db, 2001)).timezone == "Europe/Brussels"


async def test_english_user_types_a_city_and_switches_language_on_the_way(
    app: Any, db: Database, fake_request: RecordingRequest
) -> None:
    bo = Chatter(app, fake_request, 2002, "Bo", "en")
    calls = await bo.send("/start")
    assert "Welcome to Rekpauze, Bo" in texts(calls)[0]
    calls = await bo.press("ob:l:en")
    assert "Step 2 of 3" in texts(calls)[0]
    calls = await bo.send("Londen")
    [text] = texts(calls)
    assert "Step 3 of 3" in text and "London (GMT/BST)" in text
    calls = await bo.press("ob:c")
    assert "All set" in texts(calls)[0]
    assert (await _chat(db, 2002)).timezone == "Europe/London"


async def test_typed_timezone_errors_are_explained(
    app: Any, db: Database, fake_request: RecordingRequest
) -> None:
    cas = Chatter(app, fake_request, 2003, "Cas", "nl")
    await cas.send("/start")
    await cas.press("ob:l:nl")
    [text] = texts(await cas.send("Amsterdm"))
    assert "Europe/Amsterdam" in text and "Bedoel je" in text
    [text] = texts(await cas.send("<script>\x00\x07" + "x" * 5000))
    assert "&lt;script&gt;" in text and "\x00" not in text
    assert (await onboarding.current_step(db, 2003)) == onboarding.TIMEZONE


async def test_shared_location_sets_the_timezone_offline(
    app: Any, db: Database, fake_request: RecordingRequest
) -> None:
    dirk = Chatter(app, fake_request, 2004, "Dirk", "nl")
    await dirk.send("/start")
    await dirk.press("ob:l:nl")
    calls = await dirk.share_location(51.05, 3.72)  # Gent
    assert "Stap 3 van 3" in texts(calls)[0]
    assert (await _chat(db, 2004)).timezone == "Europe/Brussels"
    await dirk.press("ob:c")
    # After onboarding a location still just changes the timezone.
    calls = await dirk.share_location(40.71, -74.0)  # New York
    assert "New York (EST/EDT)" in texts(calls)[0]
    assert (await _chat(db, 2004)).timezone == "America/New_York"


async def test_old_and_forged_onboarding_buttons_change_nothing(
    app: Any, db: Database, fake_request: RecordingRequest
) -> None:
    eva = Chatter(app, fake_request, 2005, "Eva", "en")
    await eva.send("/start")
    for data in ("ob:c", "ob:z:ams", "ob:l:de", "ob:l", "ob:z:xxx", "ob", "ob:l:nl:extra"):
        calls = await eva.press(data)
        assert texts(calls) == []
        assert answers(calls) and "no longer works" in answers(calls)[0]
    chat = await _chat(db, 2005)
    assert chat.language == "en" and not chat.onboarded
    assert await onboarding.current_step(db, 2005) == onboarding.LANGUAGE


async def test_onboarding_resumes_after_a_restart(
    settings: Settings, db: Database, clock: FakeClock, fake_request: RecordingRequest
) -> None:
    first = build_application(settings, db, token=TOKEN, clock=clock, request=fake_request)
    async with first:
        fien = Chatter(first, fake_request, 2006, "Fien", "nl")
        await fien.send("/start")
        await fien.press("ob:l:en")
    # A new process on the same database: the step comes from the database.
    second_request = RecordingRequest()
    second = build_application(settings, db, token=TOKEN, clock=clock, request=second_request)
    async with second:
        fien = Chatter(second, second_request, 2006, "Fien", "nl")
        calls = await fien.send("/start")
        [text] = texts(calls)
        assert "Welcome back, Fien" in text and "Step 2 of 3" in text
        calls = await fien.send("Europe/Amsterdam")
        assert "Step 3 of 3" in texts(calls)[0]
        await fien.press("ob:c")
    chat = await _chat(db, 2006)
    assert chat.onboarded and chat.language == "en" and chat.timezone == "Europe/Amsterdam"


async def test_onboarding_in_a_group_replies_to_the_group(
    app: Any, db: Database, fake_request: RecordingRequest
) -> None:
    group = {"id": -100200300, "type": "supergroup", "title": "Team <Rug>"}
    member = Chatter(app, fake_request, 2007, "Gert", "nl", chat=group)
    calls = await member.send("/start@rekpauze_bot")
    assert [int(c.params["chat_id"]) for c in calls if c.method == "sendMessage"] == [-100200300]
    await member.press("ob:l:nl")
    await member.press("ob:z:ams")
    await member.press("ob:c")
    chat = await _chat(db, -100200300)
    assert chat.onboarded and chat.type == "supergroup"
