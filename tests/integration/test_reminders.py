"""Reminder buttons through the real Application: Done, 10 minutes later, Another exercise,
Skip today, and forged or stale button data."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.scheduling.dispatcher import Dispatcher
from bot.storage.db import Database
from bot.storage.models import Completion
from tests.conftest import FakeClock
from tests.fakes import RecordingRequest, message_update, user_dict
from tests.reminder_kit import (
    add_chat,
    all_deliveries,
    callback_update,
    get_chat,
    make_dispatcher,
    run,
)

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Monday 10:00 in Amsterdam


@pytest.fixture
def app(paced_app: Any) -> Any:
    return paced_app


async def _reminder(
    dispatcher: Dispatcher, db: Database, request: RecordingRequest, chat_id: int = 1, **kw: Any
) -> tuple[int, int]:
    """Send chat `chat_id` its 10:00 reminder; (delivery id, message id)."""
    kw.setdefault("next_due_at", T0)
    await add_chat(db, chat_id, **kw)
    await run(dispatcher, T0 + timedelta(seconds=2))
    row = (await all_deliveries(db, chat_id))[-1]
    assert row.message_id is not None
    return row.id, row.message_id


async def _press(app: Any, data: str, chat_id: int, message_id: int, **kw: Any) -> None:
    await app.process_update(
        callback_update(app.bot, data, chat_id=chat_id, message_id=message_id, **kw)
    )


def _answers(request: RecordingRequest) -> list[str]:
    return [str(p.get("text", "")) for p in request.sent("answerCallbackQuery")]


def _markup(params: dict[str, Any]) -> Any:
    markup = params.get("reply_markup")
    return json.loads(markup) if isinstance(markup, str) else markup


async def _completions(db: Database) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(Completion)) or 0)


async def test_done_records_once_and_marks_the_message(
    app: Any, dispatcher: Dispatcher, db: Database, fake_request: RecordingRequest
) -> None:
    delivery_id, message_id = await _reminder(dispatcher, db, fake_request)
    await _press(app, f"r1:d:{delivery_id}", 1, message_id)
    assert await _completions(db) == 1
    [edit] = fake_request.sent("editMessageText")
    assert "Done" in edit["text"] and not _markup(edit)
    await _press(app, f"r1:d:{delivery_id}", 1, message_id)
    assert await _completions(db) == 1
    assert _answers(fake_request) == ["Recorded. Well done!", "Already recorded for you."]


async def test_done_in_a_group_counts_each_member_once(
    app: Any, dispatcher: Dispatcher, db: Database, fake_request: RecordingRequest
) -> None:
    delivery_id, message_id = await _reminder(
        dispatcher, db, fake_request, chat_id=-500, chat_type="group"
    )
    for user in (user_dict(11, "An"), user_dict(12, "Bo"), user_dict(11, "An")):
        await _press(app, f"r1:d:{delivery_id}", -500, message_id, user=user, chat_type="group")
    assert await _completions(db) == 2
    assert fake_request.sent("editMessageText") == []  # the others can still press Done


async def test_later_resends_once_after_ten_minutes_even_after_a_restart(
    app: Any,
    db: Database,
    clock: FakeClock,
    dispatcher: Dispatcher,
    fake_request: RecordingRequest,
) -> None:
    delivery_id, message_id = await _reminder(dispatcher, db, fake_request)
    clock.now = T0 + timedelta(minutes=1)
    await _press(app, f"r1:l:{delivery_id}", 1, message_id)
    [edit] = fake_request.sent("editMessageText")
    assert "10:11" in edit["text"] and not _markup(edit)
    await _press(app, f"r1:l:{delivery_id}", 1, message_id)
    assert _answers(fake_request)[-1] == "This break was already postponed once."

    await run(dispatcher, T0 + timedelta(minutes=5))
    assert len(fake_request.delivered(1)) == 1
    # The bot restarts: a new dispatcher (another worker) sends the snooze from the database.
    await dispatcher.shutdown()
    restarted = make_dispatcher(app, db, clock, worker_id="after-restart")
    await run(restarted, T0 + timedelta(minutes=11, seconds=3))
    first, again = fake_request.delivered(1)
    assert "postponed" in again["text"] and first["text"] in again["text"]
    data = [b["callback_data"] for row in _markup(again)["inline_keyboard"] for b in row]
    assert [d[3] for d in data if d.startswith("r1:")] == ["d", "a", "s", "v"]  # no 2nd "later"
    assert data[-1] == "sf:s"  # the safety note, one tap away
    await run(restarted, T0 + timedelta(minutes=30))
    assert len(fake_request.delivered(1)) == 2
    rows = await all_deliveries(db, 1)
    assert [(r.kind, r.status) for r in rows] == [("reminder", "sent"), ("snooze", "sent")]


async def test_another_exercise_swaps_the_routine_in_place(
    app: Any, dispatcher: Dispatcher, db: Database, fake_request: RecordingRequest
) -> None:
    delivery_id, message_id = await _reminder(dispatcher, db, fake_request, place="home")
    [before] = await all_deliveries(db, 1)
    await _press(app, f"r1:a:{delivery_id}", 1, message_id)
    [after] = await all_deliveries(db, 1)
    assert after.routine_id != before.routine_id
    [edit] = fake_request.sent("editMessageText")
    assert edit["text"] != fake_request.delivered(1)[0]["text"]
    assert _markup(edit) == _markup(fake_request.delivered(1)[0])


async def test_skip_today_moves_the_next_reminder_to_tomorrow(
    app: Any,
    clock: FakeClock,
    dispatcher: Dispatcher,
    db: Database,
    fake_request: RecordingRequest,
) -> None:
    delivery_id, message_id = await _reminder(dispatcher, db, fake_request)
    clock.now = T0 + timedelta(minutes=1)
    await _press(app, f"r1:l:{delivery_id}", 1, message_id)  # a snooze is waiting...
    await _press(app, f"r1:s:{delivery_id}", 1, message_id)  # ...and is cancelled
    chat = await get_chat(db, 1)
    assert chat is not None
    assert chat.next_due_at == datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # Tuesday 10:00
    assert "Tuesday 24 November 10:00" in fake_request.sent("editMessageText")[-1]["text"]
    for minutes in (11, 12, 210, 330, 600):
        await run(dispatcher, T0 + timedelta(minutes=minutes))
    assert len(fake_request.delivered(1)) == 1
    await run(dispatcher, datetime(2026, 11, 24, 9, 0, 3, tzinfo=UTC))
    assert len(fake_request.delivered(1)) == 2


async def test_dutch_chat_gets_dutch_buttons_and_answers(
    app: Any, dispatcher: Dispatcher, db: Database, fake_request: RecordingRequest
) -> None:
    delivery_id, message_id = await _reminder(dispatcher, db, fake_request, language="nl")
    [sent] = fake_request.delivered(1)
    labels = [b["text"] for row in _markup(sent)["inline_keyboard"] for b in row]
    assert labels == [
        "✅ Gedaan",
        "⏰ Over 10 minuten",
        "📅 In overleg",
        "🔄 Andere oefening",
        "⏭ Vandaag overslaan",
        "🎬 Laat zien",
        "🩺 Veilig oefenen",
    ]
    await _press(app, f"r1:s:{delivery_id}", 1, message_id)
    assert "dinsdag 24 november 10:00" in fake_request.sent("editMessageText")[-1]["text"]


@pytest.mark.parametrize(
    "data",
    [
        "r1:d:999999",  # no such delivery
        "r1:x:1",  # unknown action
        "r1:d:01",  # not canonical
        "r1:d:1:extra",
        "r1:d:-1",
        "r1:d:" + "9" * 30,
        "r1:",
        "r1:d:1\n",
    ],
)
async def test_forged_or_stale_buttons_change_nothing(
    app: Any,
    dispatcher: Dispatcher,
    db: Database,
    fake_request: RecordingRequest,
    data: str,
) -> None:
    _, message_id = await _reminder(dispatcher, db, fake_request)
    chat_before = await get_chat(db, 1)
    await _press(app, data, 1, message_id)
    assert _answers(fake_request) == ["This button is no longer valid."]
    assert fake_request.sent("editMessageText") == []
    assert await _completions(db) == 0
    chat_after = await get_chat(db, 1)
    assert chat_before is not None and chat_after is not None
    assert chat_after.next_due_at == chat_before.next_due_at


async def test_buttons_of_another_chat_or_message_are_refused(
    app: Any, dispatcher: Dispatcher, db: Database, fake_request: RecordingRequest
) -> None:
    delivery_id, message_id = await _reminder(dispatcher, db, fake_request)
    await add_chat(db, 2, next_due_at=None)
    await _press(app, f"r1:d:{delivery_id}", 2, message_id)  # someone else's reminder
    await _press(app, f"r1:s:{delivery_id}", 1, message_id + 100)  # another message
    assert _answers(fake_request) == ["This button is no longer valid."] * 2
    assert await _completions(db) == 0


async def test_a_group_upgrade_update_moves_the_subscription(app: Any, db: Database) -> None:
    await add_chat(db, -42, next_due_at=T0, chat_type="group", times=["09:15"])
    update = message_update(app.bot, "", chat={"id": -42, "type": "group", "title": "Team"})
    payload = update.to_dict()
    payload["message"].pop("text")
    payload["message"].pop("entities", None)
    payload["message"]["migrate_to_chat_id"] = -100777
    from telegram import Update

    await app.process_update(Update.de_json(payload, app.bot))
    assert await get_chat(db, -42) is None
    moved = await get_chat(db, -100777)
    assert moved is not None and moved.times == ["09:15"]


# --- issue 16, point 11 -----------------------------------------------------------------------


async def test_a_routine_replaced_with_another_does_not_come_back_at_the_next_slot(
    app: Any, clock: FakeClock, dispatcher: Dispatcher, db: Database
) -> None:
    await add_chat(db, 1, next_due_at=T0, place="office")
    due = T0
    for _ in range(6):
        clock.now = due + timedelta(seconds=2)
        await run(dispatcher, clock.now)
        shown = (await all_deliveries(db, 1))[-1]
        assert shown.message_id is not None
        await _press(app, f"r1:a:{shown.id}", 1, shown.message_id)
        swapped = (await all_deliveries(db, 1))[-1]
        assert swapped.routine_id != shown.routine_id
        chat = await get_chat(db, 1)
        assert chat is not None and chat.next_due_at is not None
        due = chat.next_due_at
        clock.now = due + timedelta(seconds=2)
        await run(dispatcher, clock.now)
        following = (await all_deliveries(db, 1))[-1]
        assert following.id != swapped.id
        assert following.routine_id not in (shown.routine_id, swapped.routine_id)
        chat = await get_chat(db, 1)
        assert chat is not None and chat.next_due_at is not None
        due = chat.next_due_at


async def test_a_snoozed_reminder_s_buttons_stop_acting_once_the_next_one_arrived(
    app: Any,
    clock: FakeClock,
    dispatcher: Dispatcher,
    db: Database,
    fake_request: RecordingRequest,
) -> None:
    delivery_id, message_id = await _reminder(dispatcher, db, fake_request)
    clock.now = T0 + timedelta(minutes=1)
    await _press(app, f"r1:l:{delivery_id}", 1, message_id)
    await run(dispatcher, T0 + timedelta(minutes=12))  # the snooze arrives
    snooze = (await all_deliveries(db, 1))[-1]
    assert snooze.kind == "snooze" and snooze.message_id is not None
    chat = await get_chat(db, 1)
    assert chat is not None and chat.next_due_at is not None
    clock.now = chat.next_due_at + timedelta(seconds=2)
    await run(dispatcher, clock.now)  # the next reminder arrives
    assert (await all_deliveries(db, 1))[-1].kind == "reminder"
    await _press(app, f"r1:s:{snooze.id}", 1, snooze.message_id)
    assert "newer reminder" in _answers(fake_request)[-1]
    edit = fake_request.sent("editMessageText")[-1]
    assert "newer reminder" in edit["text"] and not _markup(edit)
    chat = await get_chat(db, 1)
    assert chat is not None and chat.next_due_at is not None
    assert chat.next_due_at.date() == clock.now.date()  # today was not skipped
