"""The issue's "Done when", tried as a new team would, over real HTTP against the Bot API
stand-in (privacy mode on, group flood limits on): the bot is in a group, the owner sets it
up with /start@bot and buttons, the group receives its reminder, two members press Done and
the message shows both, a member cannot change the times and is told why, and removing the
bot stops the reminders.

Updates are fetched with getUpdates and handed to the real Application one batch at a time,
and the coalesced edit job is run directly: the clock is a fake that the rate limiter and the
stand-in share, so nothing waits for real time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.handlers.groups import refresh_job_name
from bot.i18n import t
from bot.sandbox.server import BotAPIServer
from bot.sandbox.state import Chat as StandInChat
from bot.sandbox.state import StoredMessage
from bot.storage.db import Database
from tests.conftest import FakeClock
from tests.reminder_kit import get_chat, make_dispatcher, run
from tests.standin_kit import PolledBot, polled_app, stand_in

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # Monday 09:00 in Amsterdam


@pytest.fixture
async def server(clock: FakeClock) -> AsyncIterator[BotAPIServer]:
    async with stand_in(clock, T0) as running:
        yield running


class Team(PolledBot):
    """The bot (real Application, real HTTP) and a way to let it take its updates."""

    async def refresh(self, chat: StandInChat) -> None:
        """The coalesced edit, as the JobQueue would run it a few seconds after the press."""
        [job] = self.app.job_queue.get_jobs_by_name(refresh_job_name(chat.id))
        job.schedule_removal()
        await job.run(self.app)


@pytest.fixture
async def team(
    server: BotAPIServer, db: Database, clock: FakeClock, database_url: str
) -> AsyncIterator[Team]:
    async with polled_app(server, db, clock, database_url) as app:
        yield Team(app, server)


def bot_messages(server: BotAPIServer, chat: StandInChat) -> list[StoredMessage]:
    return [m for m in server.messages(chat) if m.from_bot]


async def test_a_team_gets_reminders_moves_together_and_can_remove_the_bot(
    team: Team, server: BotAPIServer, db: Database, clock: FakeClock
) -> None:
    anke = server.add_user("Anke", language_code="nl")
    bo = server.add_user("Bo", language_code="nl")
    cas = server.add_user("Cas", language_code="en")
    group = server.add_group("Team <Rug>", owner=anke, members=[bo, cas])
    assert server.privacy_mode
    bot_name = server.bot.username

    # The owner sets the group up with commands and buttons only (privacy mode).
    await server.send_text(anke, "Zullen we de rekbot proberen?", group)  # not seen by the bot
    await server.send_text(anke, f"/start@{bot_name}", group)
    await team.deliver()
    [welcome] = bot_messages(server, group)
    assert t("nl", "groups.intro") in (welcome.source or "")
    await server.press_button(anke, welcome, "✓ 🇳🇱 Nederlands")
    await team.deliver()
    await server.press_button(anke, welcome, "Amsterdam (CET/CEST)")
    await team.deliver()
    await server.press_button(anke, welcome, welcome.buttons[0][0]["text"])  # confirm
    await team.deliver()
    chat = await get_chat(db, group.id)
    assert chat is not None and chat.onboarded and chat.timezone == "Europe/Amsterdam"
    times = list(chat.times)

    # A member cannot change the times, and is told why.
    await server.send_text(bo, "/tijden 07:00", group)
    await team.deliver()
    assert bot_messages(server, group)[-1].source == t("nl", "groups.admins_only")
    assert (await get_chat(db, group.id)).times == times  # type: ignore[union-attr]
    # Nor with punctuation after the command, which Telegram's entity leaves out of it.
    for text in ("/stop!", "/tijden, 06:30", f"/pauze@{bot_name}.", "/export."):
        await server.send_text(bo, text, group)
        await team.deliver()
        assert bot_messages(server, group)[-1].source == t("nl", "groups.admins_only"), text
    chat = await get_chat(db, group.id)
    assert chat is not None and chat.active and chat.paused_until is None
    assert chat.times == times
    assert not server.calls_to("sendDocument")

    # The group receives its reminder, with one Done button for everyone.
    dispatcher = make_dispatcher(team.app, db, clock)
    assert chat.next_due_at is not None
    await run(dispatcher, chat.next_due_at + timedelta(seconds=2))
    reminder = bot_messages(server, group)[-1]
    assert reminder.button_labels == ["✅ Gedaan", "🎬 Laat zien", "🩺 Veilig oefenen"]

    # Two members press Done; after the coalesced edit the message shows both.
    edits = len(server.calls_to("editMessageText"))
    first = await server.press_button(anke, reminder, "✅ Gedaan")
    second = await server.press_button(bo, reminder, "✅ Gedaan")
    await team.deliver()
    assert first.answer_text == second.answer_text == "Genoteerd. Goed gedaan!"
    assert reminder.edit_date is None
    await team.refresh(group)
    assert reminder.edit_date is not None
    assert (reminder.text or "").endswith("2 van 3 hebben bewogen: Anke, Bo")
    assert reminder.button_labels == ["✅ Gedaan", "🎬 Laat zien", "🩺 Veilig oefenen"]
    assert len(server.calls_to("editMessageText")) == edits + 1

    # /stats shows the team's week to anyone.
    await server.send_text(cas, f"/stats@{bot_name}", group)
    await team.deliver()
    stats = bot_messages(server, group)[-1].source or ""
    assert "<b>2</b> rekpauzes in totaal" in stats and "Anke: 1" in stats and "Bo: 1" in stats

    # Removing the bot stops the reminders.
    server.remove_bot_from_group(group, by=anke)
    await team.deliver()
    stopped = await get_chat(db, group.id)
    assert stopped is not None and stopped.blocked and stopped.next_due_at is None
    sends = len(server.calls_to("sendMessage"))
    for day in (1, 2, 3):
        await run(dispatcher, T0 + timedelta(days=day, hours=8))
    assert len(server.calls_to("sendMessage")) == sends
    assert not server.stats.too_many_requests


async def test_a_group_that_becomes_a_supergroup_keeps_its_subscription(
    team: Team, server: BotAPIServer, db: Database, clock: FakeClock
) -> None:
    anke = server.add_user("Anke", language_code="nl")
    bo = server.add_user("Bo", language_code="nl")
    group = server.add_group("Team", owner=anke, members=[bo])
    await server.send_text(anke, "/start", group)
    await team.deliver()
    [welcome] = bot_messages(server, group)
    for label in ("✓ 🇳🇱 Nederlands", "Amsterdam (CET/CEST)"):
        await server.press_button(anke, welcome, label)
        await team.deliver()
    await server.press_button(anke, welcome, welcome.buttons[0][0]["text"])  # confirm
    await server.send_text(anke, "/tijden 09:30 14:00", group)
    await team.deliver()
    supergroup = server.migrate_group(group)
    await team.deliver()  # the migrate_to / migrate_from service messages
    assert await get_chat(db, group.id) is None
    moved = await get_chat(db, supergroup.id)
    assert moved is not None and moved.times == ["09:30", "14:00"]
    assert moved.type == "supergroup" and moved.next_due_at is not None

    dispatcher = make_dispatcher(team.app, db, clock)
    await run(dispatcher, moved.next_due_at + timedelta(seconds=2))
    reminder = bot_messages(server, supergroup)[-1]
    await server.press_button(bo, reminder, "✅ Gedaan")
    await team.deliver()
    await team.refresh(supergroup)
    assert (reminder.text or "").endswith("1 van 2 heeft bewogen: Bo")
    # Still only admins may change settings in the supergroup.
    await server.send_text(bo, "/stoppen", supergroup)
    await team.deliver()
    assert bot_messages(server, supergroup)[-1].source == t("nl", "groups.admins_only")
    assert (await get_chat(db, supergroup.id)).active  # type: ignore[union-attr]
