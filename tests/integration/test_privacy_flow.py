"""/privacy, /safety, /export and /delete."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from bot.storage.db import Database
from bot.storage.models import Chat, Completion, Delivery, KeyValue
from tests.conftest import FakeClock
from tests.fakes import RecordingRequest
from tests.integration.chatter import Chatter, all_buttons, answers, texts
from tests.integration.test_commands import subscriber


async def _counts(db: Database, chat_id: int) -> dict[str, int]:
    async with db.session() as session:
        return {
            "chats": await session.scalar(select(func.count()).where(Chat.id == chat_id)),
            "deliveries": await session.scalar(
                select(func.count()).where(Delivery.chat_id == chat_id)
            ),
            "completions": await session.scalar(
                select(func.count()).where(Completion.chat_id == chat_id)
            ),
            "state": await session.scalar(
                select(func.count()).where(KeyValue.key.like(f"%:{chat_id}"))
            ),
        }  # type: ignore[return-value]


async def _with_history(db: Database, chat_id: int) -> None:
    async with db.session() as session:
        delivery = Delivery(
            chat_id=chat_id,
            slot_at=datetime(2026, 11, 23, 9, 7, tzinfo=UTC),
            routine_id="kantoor-1",
            status="sent",
        )
        session.add(delivery)
        await session.flush()
        session.add(
            Completion(
                chat_id=chat_id,
                user_id=chat_id,
                delivery_id=delivery.id,
                source="reminder",
                completed_at=datetime(2026, 11, 23, 9, 8, tzinfo=UTC),
            )
        )
        # Another chat's rows must survive the deletion untouched.
        session.add(Chat(id=chat_id + 1, times=["10:00"]))


async def test_export_contains_everything_about_the_chat(
    app: Any, db: Database, fake_request: RecordingRequest
) -> None:
    person = await subscriber(app, fake_request, 5001, "nl")
    await _with_history(db, 5001)
    await person.press("ex:d:staande-bekkenrek")
    calls = await person.send("/export")
    [document] = [c for c in calls if c.method == "sendDocument"]
    assert "Alles wat over dit gesprek bewaard is" in document.params["caption"]
    [(filename, content)] = document.files.values()
    assert filename == "rekpauze-5001.json"
    data = json.loads(content)
    assert data["chat"]["id"] == 5001 and data["chat"]["timezone"] == "Europe/Amsterdam"
    assert data["chat"]["times"] and data["chat"]["onboarded"] is True
    assert [d["routine_id"] for d in data["deliveries"]] == ["kantoor-1"]
    assert sorted(c["source"] for c in data["completions"]) == ["exercise", "reminder"]
    assert all(c["chat_id"] == 5001 for c in data["completions"])


async def test_export_before_start(app: Any, fake_request: RecordingRequest) -> None:
    stranger = Chatter(app, fake_request, 5002, "S", "en")
    [text] = texts(await stranger.send("/export"))
    assert "nothing" in text


async def test_delete_asks_then_erases_every_row(
    app: Any, db: Database, fake_request: RecordingRequest
) -> None:
    person = await subscriber(app, fake_request, 5003, "en")
    await _with_history(db, 5003)
    calls = await person.send("/delete")
    assert "Erase everything?" in texts(calls)[0]
    no, yes = sorted(d for _, d in all_buttons(calls))
    calls = await person.press(no)
    assert "Nothing was erased" in texts(calls)[0]
    assert (await _counts(db, 5003))["chats"] == 1
    calls = await person.press(yes)
    assert "erased" in texts(calls)[0]
    assert await _counts(db, 5003) == {"chats": 0, "deliveries": 0, "completions": 0, "state": 0}
    assert (await _counts(db, 5004))["chats"] == 1  # someone else's chat stays
    # Afterwards the bot treats the chat as new.
    assert "/start" in texts(await person.send("/settings"))[0]


async def test_delete_during_onboarding_erases_the_conversation_state(
    app: Any, db: Database, fake_request: RecordingRequest
) -> None:
    person = Chatter(app, fake_request, 5005, "O", "nl")
    await person.send("/start")
    assert (await _counts(db, 5005))["state"] == 1
    calls = await person.send("/verwijder")
    yes = next(d for _, d in all_buttons(calls) if d.startswith("dl:y"))
    await person.press(yes)
    assert await _counts(db, 5005) == {"chats": 0, "deliveries": 0, "completions": 0, "state": 0}


async def test_an_old_delete_confirmation_erases_nothing(
    app: Any, db: Database, clock: FakeClock, fake_request: RecordingRequest
) -> None:
    person = await subscriber(app, fake_request, 5006, "nl")
    calls = await person.send("/verwijder")
    yes = next(d for _, d in all_buttons(calls) if d.startswith("dl:y"))
    clock.advance(hours=1)
    calls = await person.press(yes)
    assert "werkt niet meer" in answers(calls)[0]
    assert (await _counts(db, 5006))["chats"] == 1


async def test_privacy_and_safety_in_both_languages(
    app: Any, fake_request: RecordingRequest
) -> None:
    nl = Chatter(app, fake_request, 5007, "N", "nl")
    en = Chatter(app, fake_request, 5008, "E", "en")
    assert "/verwijder" in texts(await nl.send("/privacy"))[0]
    assert "/delete" in texts(await en.send("/privacy"))[0]
    assert texts(await nl.send("/veiligheid"))[0].startswith("<b>")
    assert texts(await en.send("/safety"))[0].startswith("<b>")
