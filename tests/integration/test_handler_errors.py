"""Telegram answers a handler must take in its stride (found by the e2e storm and garbage
tests): a user who blocks the bot mid-conversation, a button press answered too late."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.storage.db import Database
from bot.storage.models import Completion
from tests.conftest import FakeClock
from tests.fakes import RecordingRequest, message_update, user_dict
from tests.reminder_kit import add_chat, all_deliveries, callback_update, get_chat, make_dispatcher
from tests.reminder_kit import run as run_tick

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


async def test_a_user_who_blocked_the_bot_mid_conversation_is_left_alone_quietly(
    app: Any, db: Database, fake_request: RecordingRequest, caplog: pytest.LogCaptureFixture
) -> None:
    await add_chat(db, 1001, next_due_at=T0, language="nl")
    fake_request.fail("sendMessage", 403, "Forbidden: bot was blocked by the user")
    with caplog.at_level(logging.INFO):
        await app.process_update(message_update(app.bot, "/help", user=user_dict(1001)))
    chat = await get_chat(db, 1001)
    assert chat is not None and chat.blocked and chat.next_due_at is None
    assert len(fake_request.sent()) == 1  # no second try to say something went wrong
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]


async def test_a_done_press_answered_too_late_still_counts_and_edits(
    app: Any,
    db: Database,
    clock: FakeClock,
    fake_request: RecordingRequest,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await add_chat(db, 1, next_due_at=T0)
    await run_tick(make_dispatcher(app, db, clock), T0 + timedelta(seconds=2))
    [row] = await all_deliveries(db, 1)
    assert row.message_id is not None
    fake_request.fail(
        "answerCallbackQuery",
        400,
        "Bad Request: query is too old and response timeout expired or query ID is invalid",
    )
    with caplog.at_level(logging.INFO):
        await app.process_update(
            callback_update(app.bot, f"r1:d:{row.id}", chat_id=1, message_id=row.message_id)
        )
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Completion)) == 1
    [edit] = fake_request.sent("editMessageText")
    assert "Done" in edit["text"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
