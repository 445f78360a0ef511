"""Issue 14, point 7, against the Bot API stand-in: /broadcast measures its text as Telegram
does (UTF-16 units), tells the admin so, and leaves no draft behind."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bot.sandbox.clock import ScaledClock
from bot.sandbox.runner import LiveBot, live_bot
from bot.services import broadcast
from bot.storage.models import KeyValue
from tests.e2e.conftest import assert_nothing_refused

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

ADMIN = 4242


@pytest.fixture
async def bot(clean_database_url: str, request: pytest.FixtureRequest) -> AsyncIterator[LiveBot]:
    async with live_bot(
        unix_clock=ScaledClock(1.0),
        database_url=clean_database_url,
        settings_overrides={"ADMIN_USER_IDS": str(ADMIN)},
    ) as running:
        yield running
    assert_nothing_refused(running.server, request)


async def drafts(bot: LiveBot) -> list[str]:
    async with bot.db.session() as session:
        keys = (await session.execute(select(KeyValue.key))).scalars().all()
    return [key for key in keys if key.startswith(broadcast.DRAFT)]


async def test_broadcast_counts_utf16_units(bot: LiveBot) -> None:
    server = bot.server
    admin = server.add_user("Ada", user_id=ADMIN)
    await server.send_text(admin, "/broadcast " + "💪" * 2100)  # 2,100 characters, 4,200 units
    answer = await server.wait_for_message(admin)
    assert "4200" in (answer.text or "") and "3500" in (answer.text or "")
    assert "emoji" in (answer.text or "")
    assert await drafts(bot) == []

    # Just within the limit: the preview (header included) is accepted by the stand-in.
    await server.send_text(admin, "/broadcast " + "💪" * 1750)
    preview = await server.wait_for_message(admin)
    assert preview.reply_markup is not None
    assert len(await drafts(bot)) == 1


async def test_a_refused_preview_leaves_no_draft(bot: LiveBot) -> None:
    server = bot.server
    admin = server.add_user("Ada", user_id=ADMIN)
    server.fail_next(
        "sendMessage", status=400, description="Bad Request: message is too long", chat_id=admin
    )
    await server.send_text(admin, "/broadcast hello")
    answer = await server.wait_for_message(admin)
    assert "nothing was saved or sent" in (answer.text or "")
    assert await drafts(bot) == []
