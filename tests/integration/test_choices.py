"""Issue 16, points 5, 6, 9 and 10, tried again as a new user would: a button for every
choice, the current one marked ✓, one "saved" line above the refreshed screen, Stop
confirmed, and messages that agree with /settings."""

from __future__ import annotations

from typing import Any

from bot.storage.db import Database
from tests.fakes import RecordingRequest
from tests.integration.chatter import all_buttons, answers, texts
from tests.integration.test_commands import subscriber
from tests.reminder_kit import get_chat


async def test_pause_buttons_from_the_settings_screen(
    app: Any, db: Database, fake_request: RecordingRequest
) -> None:
    person = await subscriber(app, fake_request, 16200, "en")
    await person.send("/settings")
    calls = await person.press("ch:pm")
    labels = [label for label, _ in all_buttons(calls)]
    assert labels[:4] == ["Rest of today", "3 days", "1 week", "Until a date…"]
    calls = await person.press("ch:p:7")
    [screen] = texts(calls)
    assert screen.startswith("✅ Saved.") and "paused until" in screen
    assert "Saved" in answers(calls)[0]
    assert (await get_chat(db, 16200)).paused_until is not None


async def test_pause_until_a_typed_date(
    app: Any, db: Database, fake_request: RecordingRequest
) -> None:
    person = await subscriber(app, fake_request, 16201, "nl")
    await person.send("/pauze")
    [asked] = texts(await person.press("ch:pu"))
    assert "Tot welke datum" in asked
    [text] = texts(await person.send("vrijdag"))
    assert "Gepauzeerd" in text and "vr 27 nov" in text


async def test_stop_is_confirmed_and_state_messages_match_settings(
    app: Any, db: Database, fake_request: RecordingRequest
) -> None:
    person = await subscriber(app, fake_request, 16202, "nl")
    await person.send("/instellingen")
    calls = await person.press("ch:sc")
    assert "Alle herinneringen stoppen?" in texts(calls)[0]
    assert (await get_chat(db, 16202)).active  # nothing happened yet
    calls = await person.press("st:h")
    assert "Status: actief" in texts(calls)[0]
    calls = await person.press("ch:sc")
    calls = await person.press("ch:sy")
    [screen] = texts(calls)
    assert screen.startswith("✅ Opgeslagen.") and "gestopt" in screen
    assert not (await get_chat(db, 16202)).active
    # After /stoppen, /pauze does not claim to pause.
    [text] = texts(await person.send("/pauze"))
    assert "zijn gestopt" in text and "Gepauzeerd" not in text
    [text] = texts(await person.send("/instellingen"))
    assert "gestopt" in text


async def test_resume_when_already_on_says_so(app: Any, fake_request: RecordingRequest) -> None:
    person = await subscriber(app, fake_request, 16203, "nl")
    [text] = texts(await person.send("/hervat"))
    assert "staan al aan" in text and "weer aan" not in text


async def test_the_times_picker(app: Any, db: Database, fake_request: RecordingRequest) -> None:
    person = await subscriber(app, fake_request, 16204, "en")
    await person.send("/times 9:00 13:00")
    await person.send("/settings")
    calls = await person.press("ch:t")
    data = [d for _, d in all_buttons(calls)]
    assert "ch:tr:0900" in data and "ch:tr:1300" in data
    assert ("➕ Add 14:00", "ch:ta:1400") in all_buttons(calls)
    calls = await person.press("ch:tp:1415")
    assert ("➕ Add 14:15", "ch:ta:1415") in all_buttons(calls)
    steps = [d for _, d in all_buttons(calls) if d.startswith("ch:tp:")]
    assert steps == ["ch:tp:1315", "ch:tp:1400", "ch:tp:1430", "ch:tp:1515"]
    calls = await person.press("ch:ta:1415")
    assert texts(calls)[0].startswith("✅ Saved.")
    assert ("➕ Add 15:15", "ch:ta:1515") in all_buttons(calls)  # an hour after the last
    assert list((await get_chat(db, 16204)).times) == ["09:00", "13:00", "14:15"]
    await person.press("ch:tr:0900")
    await person.press("ch:tr:1300")
    calls = await person.press("ch:tr:1415")  # the last one stays
    assert "at least one" in answers(calls)[0]
    assert list((await get_chat(db, 16204)).times) == ["14:15"]


async def test_times_without_an_argument_offers_the_picker_too(
    app: Any, db: Database, fake_request: RecordingRequest
) -> None:
    person = await subscriber(app, fake_request, 16206, "nl")
    await person.send("/tijden 9:00 13:00")
    calls = await person.send("/tijden")
    [text] = texts(calls)
    assert "<code>" in text  # the typed form is still explained
    buttons = all_buttons(calls)
    assert ("✕ 09:00", "ch:tr:0900") in buttons and ("✕ 13:00", "ch:tr:1300") in buttons
    add = [data for _, data in buttons if data.startswith("ch:ta:")]
    assert add == ["ch:ta:1400"]
    await person.press("ch:ta:1400")
    assert list((await get_chat(db, 16206)).times) == ["09:00", "13:00", "14:00"]


async def test_summary_and_nudge_are_buttons_with_the_current_choice_marked(
    app: Any, db: Database, fake_request: RecordingRequest
) -> None:
    person = await subscriber(app, fake_request, 16205, "nl")
    calls = await person.send("/duwtje misschien")
    assert all_buttons(calls) == [("Aan", "ch:en:1"), ("✓ Uit", "ch:en:0")]
    # The word is not silently ignored (issue 16, point 9).
    assert texts(calls)[0].startswith("“misschien” is geen aan of uit, dus er is niets veranderd.")
    assert not (await get_chat(db, 16205)).evening_nudge
    calls = await person.press("ch:en:1")
    assert texts(calls)[0].startswith("✅ Opgeslagen.")
    assert all_buttons(calls) == [("✓ Aan", "ch:en:1"), ("Uit", "ch:en:0")]
    assert (await get_chat(db, 16205)).evening_nudge
    calls = await person.send("/samenvatting")
    assert ("Aan", "ch:ws:1") in all_buttons(calls)


async def test_place_and_language_mark_the_current_choice(
    app: Any, fake_request: RecordingRequest
) -> None:
    person = await subscriber(app, fake_request, 16206, "nl")
    calls = await person.send("/plek")
    assert ("✓ Kantoor", "st:p:office") in all_buttons(calls)
    calls = await person.send("/taal")
    assert ("✓ 🇳🇱 Nederlands", "st:l:nl") in all_buttons(calls)


async def test_a_typed_pause_length_answers_the_pause_question(
    app: Any, db: Database, fake_request: RecordingRequest
) -> None:
    person = await subscriber(app, fake_request, 16207, "nl")
    await person.send("/pauze")
    [text] = texts(await person.send("1 week"))
    assert "Gepauzeerd" in text and "ma 30 nov" in text
    assert (await get_chat(db, 16207)).paused_until is not None


async def test_the_picker_starts_on_a_quarter_hour(
    app: Any, fake_request: RecordingRequest
) -> None:
    person = await subscriber(app, fake_request, 16208, "en")
    await person.send("/times 9:50 13:37")
    calls = await person.press("ch:t")
    assert ("➕ Add 14:30", "ch:ta:1430") in all_buttons(calls)
