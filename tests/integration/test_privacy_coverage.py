"""Issue 14, point 4: /export holds, and /delete erases, every row with the user's id or name,
in every table. The first test reads the SQLAlchemy metadata (after importing every module of
bot.storage, so a new table in a new module counts too) and fails when a column is neither
covered by bot.storage.privacy nor listed below as unable to hold a user id or name."""

from __future__ import annotations

import importlib
import json
import pkgutil
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

import bot.storage
from bot.services.broadcast import create_draft
from bot.services.privacy import erase_chat, export_document
from bot.storage import privacy
from bot.storage.db import Database
from bot.storage.models import Base, Chat, Completion, Delivery, DigestSchedule, KeyValue

#: Columns that cannot hold a user id or name, and why.
CANNOT_HOLD_A_USER: dict[str, str] = {
    "chats.type": "private, group or supergroup",
    "chats.language": "nl or en",
    "chats.timezone": "an IANA zone name",
    "chats.times": "HH:MM times",
    "chats.days": "a weekday bit mask",
    "chats.place": "office or home",
    "chats.paused_until": "a timestamp",
    "chats.active": "a flag",
    "chats.blocked": "a flag",
    "chats.onboarded": "a flag",
    "chats.safety_shown": "a flag",
    "chats.weekly_summary": "a flag",
    "chats.evening_nudge": "a flag",
    "chats.next_due_at": "a timestamp",
    "chats.created_at": "a timestamp",
    "chats.updated_at": "a timestamp",
    "state.expires_at": "a timestamp",
    "deliveries.id": "a sequence number",
    "deliveries.slot_at": "a timestamp",
    "deliveries.kind": "a DeliveryKind",
    "deliveries.routine_id": "a catalogue routine id",
    "deliveries.status": "a DeliveryStatus",
    "deliveries.attempts": "a count",
    "deliveries.message_id": "Telegram's message number within the chat",
    "deliveries.error": "the Bot API's error text (never user text)",
    "deliveries.sent_at": "a timestamp",
    "deliveries.created_at": "a timestamp",
    "deliveries.due_at": "a timestamp",
    "deliveries.claimed_by": "the worker's host name and process id (server data)",
    "digest_schedule.kind": "summary or nudge",
    "digest_schedule.due_at": "a timestamp",
    "completions.id": "a sequence number",
    "completions.delivery_id": "a deliveries.id",
    "completions.exercise_id": "a catalogue exercise id",
    "completions.source": "reminder, exercise or guided",
    "completions.completed_at": "a timestamp",
    "calendars.url_encrypted": "the calendar address, encrypted (a secret: erased, not exported)",
    "calendars.host": "the calendar server's host name (exported)",
    "calendars.last_ok_at": "a timestamp",
    "calendars.failures": "a count",
    "calendars.last_error": "a FetchErrorCode",
    "calendars.checked_at": "a timestamp",
    "calendars.failure_notified_at": "a timestamp",
    "calendars.created_at": "a timestamp",
    "busy_intervals.start_at": "a timestamp (busy times only, never what)",
    "busy_intervals.end_at": "a timestamp",
    "animation_files.bot_id": "the bot's own id (a file_id belongs to one bot)",
    "animation_files.exercise_id": "a catalogue exercise id",
    "animation_files.content_hash": "the rendered file's hash",
    "animation_files.file_id": "Telegram's id of the uploaded animation (the bot's file)",
    "animation_files.created_at": "a timestamp",
}


def all_columns() -> set[str]:
    for module in pkgutil.walk_packages(bot.storage.__path__, "bot.storage."):
        if ".migrations" not in module.name:
            importlib.import_module(module.name)
    return {
        f"{table.name}.{column.name}"
        for table in Base.metadata.tables.values()
        for column in table.columns
    }


def test_every_column_is_covered_by_export_and_delete_or_cannot_hold_a_user() -> None:
    columns = all_columns()
    uncovered = columns - privacy.PERSONAL_COLUMNS - set(CANNOT_HOLD_A_USER)
    assert not uncovered, (
        f"{sorted(uncovered)}: can these hold a user id or name? Then export and erase them in "
        "bot/storage/privacy.py (PERSONAL_COLUMNS); if not, add them to CANNOT_HOLD_A_USER"
    )
    assert columns >= privacy.PERSONAL_COLUMNS  # no stale entries
    assert not privacy.PERSONAL_COLUMNS & set(CANNOT_HOLD_A_USER)
    assert set(CANNOT_HOLD_A_USER) >= privacy.SERVER_COLUMNS


ZORA, OTHER, GROUP = 7001, 7002, -7100
T = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


async def seed(db: Database) -> None:
    """Zora's private chat with a pending and a sent reminder, a digest schedule, onboarding
    state and a broadcast draft; her and Otto's completions in a group."""
    async with db.session() as session:
        session.add_all([Chat(id=ZORA, times=["09:00"]), Chat(id=OTHER), Chat(id=GROUP)])
        await session.flush()
        for hour, status in ((8, "sent"), (9, "pending")):
            session.add(
                Delivery(
                    chat_id=ZORA,
                    slot_at=T.replace(hour=hour),
                    status=status,
                    claimed_by="host-1234-abcd",
                )
            )
        session.add(DigestSchedule(chat_id=ZORA, kind="summary", due_at=T))
        session.add(KeyValue(key=f"onboarding:{ZORA}", value="{}"))
        session.add(KeyValue(key=f"onboarding:{OTHER}", value="{}"))
        for user, name in ((ZORA, "Zora"), (OTHER, "Otto")):
            session.add(
                Completion(
                    chat_id=GROUP, user_id=user, user_name=name, source="reminder", completed_at=T
                )
            )
        session.add(Completion(chat_id=ZORA, user_id=ZORA, source="exercise", completed_at=T))
    await create_draft(db, text="hello", admin_chat=ZORA, lang="en", now=T)


async def rows_about(db: Database, user_id: int, name: str) -> list[tuple[str, dict[str, Any]]]:
    """Every row in every table with the id or the name in any column."""
    found = []
    async with db.session() as session:
        for table in Base.metadata.sorted_tables:
            for row in (await session.execute(select(table))).mappings():
                values = [str(v) for v in row.values() if v is not None]
                if any(
                    v == str(user_id) or f":{user_id}" in v or f": {user_id}" in v or name in v
                    for v in values
                ):
                    found.append((table.name, dict(row)))
    return found


async def test_export_holds_and_delete_erases_every_row_about_the_user(db: Database) -> None:
    await seed(db)
    about_zora = await rows_about(db, ZORA, "Zora")
    assert {table for table, _ in about_zora} == {
        "chats",
        "deliveries",
        "digest_schedule",
        "state",
        "completions",
    }
    document = await export_document(db, ZORA, T)
    assert document is not None
    exported = json.loads(document)
    assert len(exported["deliveries"]) == 2 and len(exported["digest_schedule"]) == 1
    assert {(c["chat_id"], c["user_name"]) for c in exported["completions"]} == {
        (GROUP, "Zora"),
        (ZORA, None),
    }
    assert len(exported["conversation_state"]) == 2  # onboarding and the broadcast draft
    exported_rows = sum(
        len(v) if isinstance(v, list) else int(v is not None)  # "calendar": None, none linked
        for k, v in exported.items()
        if k not in ("format", "exported_at") and v is not None
    )
    assert exported_rows == len(about_zora)
    text = document.decode()
    assert "claimed_by" not in text and "host-1234" not in text

    assert await erase_chat(db, ZORA)
    assert await rows_about(db, ZORA, "Zora") == []
    others = await rows_about(db, OTHER, "Otto")
    assert {table for table, _ in others} == {"chats", "state", "completions"}


async def test_a_group_member_without_a_private_chat_can_export_and_delete(db: Database) -> None:
    async with db.session() as session:
        session.add(Chat(id=GROUP))
        await session.flush()
        session.add(Completion(chat_id=GROUP, user_id=ZORA, user_name="Zora", completed_at=T))
    document = await export_document(db, ZORA, T)
    assert document is not None and json.loads(document)["chat"] is None
    assert await erase_chat(db, ZORA)
    assert await rows_about(db, ZORA, "Zora") == []
