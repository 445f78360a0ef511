"""Team breaks in a group, through the real Application and the in-process fake Bot API:
admin-only settings, anonymous admins, the Done-only reminder and its coalesced "who moved"
edit, removal and re-adding, migration to a supergroup, the team's /stats."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from telegram import Update
from telegram.ext import Job

from bot import telegram_html
from bot.handlers.groups import refresh_job_name
from bot.i18n import t
from bot.scheduling.dispatcher import Dispatcher
from bot.services import groups
from bot.storage import completions, conversation
from bot.storage.db import Database
from bot.storage.models import Completion, DigestSchedule, KeyValue
from tests.conftest import FakeClock
from tests.fakes import RecordingRequest, message_update, user_dict
from tests.reminder_kit import (
    FakeSleep,
    add_chat,
    all_deliveries,
    callback_update,
    get_chat,
    make_app,
    run,
)

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Monday 10:00 in Amsterdam
GROUP = -100500
GROUP_CHAT = {"id": GROUP, "type": "supergroup", "title": "Team <Rug>"}
ANKE, BO, CAS = user_dict(11, "Anke", "nl"), user_dict(12, "Bo", "nl"), user_dict(13, "<Cas>")
ANONYMOUS_ADMIN_BOT = {"id": 1087968824, "is_bot": True, "first_name": "Group"}


@pytest.fixture
def app(paced_app: Any) -> Any:
    return paced_app


def members(request: RecordingRequest, **statuses: str) -> None:
    """Script getChatMember for the group: Anke, Bo, Cas by first name."""
    ids = {"anke": 11, "bo": 12, "cas": 13}
    request.default_member_status = "member"
    for name, status in statuses.items():
        request.member_status[(GROUP, ids[name])] = status


async def say(app: Any, text: str, user: dict[str, Any], **kw: Any) -> None:
    await app.process_update(message_update(app.bot, text, user=user, chat=GROUP_CHAT, **kw))


async def press(app: Any, data: str, message_id: int, user: dict[str, Any]) -> None:
    await app.process_update(
        callback_update(
            app.bot, data, chat_id=GROUP, message_id=message_id, user=user, chat_type="supergroup"
        )
    )


def markup(params: dict[str, Any]) -> Any:
    value = params.get("reply_markup")
    return json.loads(value) if isinstance(value, str) else value


def reminders(request: RecordingRequest) -> list[dict[str, Any]]:
    """Reminder messages sent to the group (those carrying r1: buttons)."""
    return [p for p in request.delivered(GROUP) if "r1:" in json.dumps(markup(p) or {})]


def answers(request: RecordingRequest) -> list[str]:
    return [str(p.get("text", "")) for p in request.sent("answerCallbackQuery")]


def pending_refresh(app: Any, chat_id: int = GROUP) -> list[Job[Any]]:
    return [j for j in app.job_queue.get_jobs_by_name(refresh_job_name(chat_id)) if not j.removed]


async def fire_refresh(app: Any, chat_id: int = GROUP) -> None:
    """What the JobQueue does REFRESH_SECONDS after the first press (no waiting in tests)."""
    [job] = pending_refresh(app, chat_id)
    job.schedule_removal()
    await job.run(app)


async def group_reminder(dispatcher: Dispatcher, db: Database, **kw: Any) -> tuple[int, int]:
    kw.setdefault("language", "nl")
    await add_chat(db, GROUP, next_due_at=T0, chat_type="supergroup", **kw)
    await run(dispatcher, T0 + timedelta(seconds=2))
    row = (await all_deliveries(db, GROUP))[-1]
    assert row.message_id is not None
    return row.id, row.message_id


# --- the reminder and who moved --------------------------------------------------------------


async def test_five_presses_make_one_edit_that_shows_everyone_who_moved(
    app: Any, dispatcher: Dispatcher, db: Database, fake_request: RecordingRequest
) -> None:
    fake_request.member_counts[GROUP] = 8  # seven people and the bot
    delivery_id, message_id = await group_reminder(dispatcher, db)
    [sent] = fake_request.delivered(GROUP)
    assert [b["callback_data"] for row in markup(sent)["inline_keyboard"] for b in row] == [
        f"r1:d:{delivery_id}",
        f"r1:v:{delivery_id}",
        "sf:s",
    ]  # Done, Show me and the safety note only: Later, Another and Skip would change it for
    # everyone

    dee, eva = user_dict(14, "Dee"), user_dict(15, "Eva")
    for user in (ANKE, BO, CAS, BO, dee, eva):  # Bo twice
        await press(app, f"r1:d:{delivery_id}", message_id, user)
    assert answers(fake_request) == [
        "Genoteerd. Goed gedaan!",
        "Genoteerd. Goed gedaan!",
        "Genoteerd. Goed gedaan!",
        "Voor jou al genoteerd.",
        "Genoteerd. Goed gedaan!",
        "Genoteerd. Goed gedaan!",
    ]
    assert fake_request.sent("editMessageText") == []  # nothing yet: the edit is coalesced
    [job] = pending_refresh(app)
    delay = job.job.trigger.run_date - datetime.now(UTC)
    assert timedelta(seconds=2) < delay <= timedelta(seconds=groups.REFRESH_SECONDS)

    await fire_refresh(app)
    [edit] = fake_request.sent("editMessageText")
    assert int(edit["chat_id"]) == GROUP and int(edit["message_id"]) == message_id
    assert edit["text"].startswith(sent["text"])
    assert edit["text"].endswith("<b>5 van 7 hebben bewogen:</b> Anke, Bo, &lt;Cas&gt;, Dee, Eva")
    assert markup(edit) == markup(sent)  # the Done button stays for the others
    async with db.session() as session:
        assert await completions.for_delivery(session, delivery_id) == [
            (11, "Anke"),
            (12, "Bo"),
            (13, "<Cas>"),
            (14, "Dee"),
            (15, "Eva"),
        ]
    assert pending_refresh(app) == []

    # A later press schedules the next edit, again after the window.
    await press(app, f"r1:d:{delivery_id}", message_id, user_dict(16, "Fa"))
    assert len(pending_refresh(app)) == 1
    await fire_refresh(app)
    assert "6 van 7 hebben bewogen" in fake_request.sent("editMessageText")[-1]["text"]


async def test_a_restart_loses_at_most_the_pending_edit_never_a_completion(
    app: Any,
    dispatcher: Dispatcher,
    db: Database,
    clock: FakeClock,
    settings: Any,
    fake_request: RecordingRequest,
) -> None:
    delivery_id, message_id = await group_reminder(dispatcher, db)
    await press(app, f"r1:d:{delivery_id}", message_id, ANKE)
    # The process dies with the edit pending; a new one starts and Bo presses Done.
    restarted = make_app(settings, db, clock, fake_request, FakeSleep(clock))
    async with restarted:
        await press(restarted, f"r1:d:{delivery_id}", message_id, BO)
        await fire_refresh(restarted)
    assert (
        "2 van 2 hebben bewogen:</b> Anke, Bo" in fake_request.sent("editMessageText")[-1]["text"]
    )


async def test_without_a_member_count_the_edit_still_names_who_moved(
    app: Any, dispatcher: Dispatcher, db: Database, fake_request: RecordingRequest
) -> None:
    delivery_id, message_id = await group_reminder(dispatcher, db, language="en")
    fake_request.fail("getChatMemberCount", 400, "Bad Request: chat not found")
    await press(app, f"r1:d:{delivery_id}", message_id, CAS)
    await fire_refresh(app)
    assert fake_request.sent("editMessageText")[-1]["text"].endswith("<b>1 moved:</b> &lt;Cas&gt;")


async def test_later_another_and_skip_are_for_admins_in_a_group(
    app: Any, dispatcher: Dispatcher, db: Database, fake_request: RecordingRequest
) -> None:
    members(fake_request, anke="creator")
    delivery_id, message_id = await group_reminder(dispatcher, db)
    await press(app, f"r1:s:{delivery_id}", message_id, BO)  # an old or forged button
    assert answers(fake_request)[-1] == t("nl", "groups.admins_only_short")
    chat = await get_chat(db, GROUP)
    assert chat is not None and chat.next_due_at is not None
    before = chat.next_due_at
    await press(app, f"r1:s:{delivery_id}", message_id, ANKE)
    chat = await get_chat(db, GROUP)
    assert chat is not None and chat.next_due_at != before  # skipped today, by an admin


# --- who may change what ---------------------------------------------------------------------


async def test_a_non_admin_cannot_change_the_times_and_is_told_why(
    app: Any, db: Database, clock: FakeClock, fake_request: RecordingRequest
) -> None:
    members(fake_request, anke="creator", bo="member")
    await say(app, "/start@rekpauze_bot", ANKE)
    assert (await get_chat(db, GROUP)) is not None
    times = (await get_chat(db, GROUP)).times  # type: ignore[union-attr]
    active = (await get_chat(db, GROUP)).active  # type: ignore[union-attr]

    await say(app, "/tijden@rekpauze_bot 09:00", BO)
    assert fake_request.texts(GROUP)[-1] == t("nl", "groups.admins_only")
    assert (await get_chat(db, GROUP)).times == times  # type: ignore[union-attr]
    for command in ("/pauze", "/stoppen", "/instellingen", "/verwijder", "/export", "/start"):
        await say(app, command, BO)
        assert fake_request.texts(GROUP)[-1] == t("nl", "groups.admins_only"), command
    for data in ("st:l:en", "st:s", "ob:l:en", "dl:y:1"):
        await press(app, data, 1, BO)
        assert answers(fake_request)[-1] == t("nl", "groups.admins_only_short"), data
    chat = await get_chat(db, GROUP)
    assert chat is not None and chat.active == active and chat.language == "nl"

    # Everyone may look, help and exercise; /help says who may change what.
    await say(app, "/stats", BO)
    assert "week van het team" in fake_request.texts(GROUP)[-1]
    await say(app, "/hulp", BO)
    assert fake_request.texts(GROUP)[-1].endswith(t("nl", "groups.help"))
    await say(app, "/oefening", BO)
    assert fake_request.texts(GROUP)[-1] != t("nl", "groups.admins_only")

    # The creator can.
    await say(app, "/tijden@rekpauze_bot 09:00 12:00", ANKE)
    assert (await get_chat(db, GROUP)).times == ["09:00", "12:00"]  # type: ignore[union-attr]


BYPASS_FORMS = (
    "/stop!",
    "/stoppen.",
    "/times, 06:30",
    "/times\u200b 07:45",
    "/tijden@rekpauze_bot, 06:30",
    "/pause.",
    "/pauze!",
    "/language, en",
    "/days, sat",
    "/export.",
    "/delete!",
    "/settings.",
)


@pytest.mark.parametrize("chat_type", ["group", "supergroup"])
async def test_punctuation_after_a_command_does_not_get_a_member_past_the_gate(
    app: Any, db: Database, fake_request: RecordingRequest, chat_type: str
) -> None:
    """Telegram ends the command entity at the first character that cannot be part of it,
    and CommandHandler runs that command: "/stop!" is /stop. The gate reads the same entity."""
    group_chat = {**GROUP_CHAT, "type": chat_type}
    members(fake_request, anke="creator", bo="member")
    await app.process_update(
        message_update(app.bot, "/start@rekpauze_bot", user=ANKE, chat=group_chat)
    )
    before = await get_chat(db, GROUP)
    assert before is not None
    for text in BYPASS_FORMS:
        sent = len(fake_request.calls)
        await app.process_update(message_update(app.bot, text, user=BO, chat=group_chat))
        assert fake_request.texts(GROUP)[-1] == t("nl", "groups.admins_only"), text
        assert [c.method for c in fake_request.calls[sent:]] in (
            ["getChatMember", "sendMessage"],
            ["sendMessage"],  # the admin answer came from the cache
        ), text
    after = await get_chat(db, GROUP)
    assert after is not None
    assert (after.active, after.times, after.days, after.language, after.paused_until) == (
        before.active,
        before.times,
        before.days,
        before.language,
        before.paused_until,
    )
    assert fake_request.sent("sendDocument") == []  # no export with the members' names


async def test_a_member_cannot_register_a_group_with_start_and_a_full_stop(
    app: Any, db: Database, fake_request: RecordingRequest
) -> None:
    members(fake_request, bo="member")
    for text in ("/start.", "/start!", "/start@rekpauze_bot."):
        await say(app, text, BO)
        assert fake_request.texts(GROUP)[-1] == t("nl", "groups.admins_only"), text
    assert await get_chat(db, GROUP) is None


async def test_admin_answers_are_cached_for_seconds_not_minutes(
    app: Any, db: Database, clock: FakeClock, fake_request: RecordingRequest
) -> None:
    members(fake_request, bo="administrator")
    await say(app, "/start", BO)
    await say(app, "/tijden 09:00", BO)
    assert len(fake_request.sent("getChatMember")) == 1  # the second check came from memory
    assert (await get_chat(db, GROUP)).times == ["09:00"]  # type: ignore[union-attr]
    fake_request.member_status[(GROUP, 12)] = "member"  # Bo is no longer an admin
    clock.advance(seconds=groups.ADMIN_CACHE.total_seconds() + 1)
    await say(app, "/tijden 11:00", BO)
    assert len(fake_request.sent("getChatMember")) == 2
    assert fake_request.texts(GROUP)[-1] == t("nl", "groups.admins_only")
    assert (await get_chat(db, GROUP)).times == ["09:00"]  # type: ignore[union-attr]


async def test_a_failed_member_lookup_refuses_politely(
    app: Any, db: Database, fake_request: RecordingRequest
) -> None:
    fake_request.fail("getChatMember", 400, "Bad Request: user not found")
    await say(app, "/start", ANKE)
    assert fake_request.texts(GROUP) == [t("nl", "groups.admins_only")]
    assert await get_chat(db, GROUP) is None


async def test_an_anonymous_admin_writes_as_the_group(
    app: Any, db: Database, fake_request: RecordingRequest
) -> None:
    members(fake_request)  # nobody is an admin by user id
    anonymous = {"sender_chat": GROUP_CHAT}
    update = message_update(app.bot, "/start", user=ANONYMOUS_ADMIN_BOT, chat=GROUP_CHAT)
    await app.process_update(_with(update, app, anonymous))
    assert await get_chat(db, GROUP) is not None
    assert fake_request.sent("getChatMember") == []
    # Someone posting as a linked channel is not an admin of the group.
    channel = {"sender_chat": {"id": -100999, "type": "channel", "title": "News"}}
    update = message_update(app.bot, "/tijden 09:00", user=ANONYMOUS_ADMIN_BOT, chat=GROUP_CHAT)
    await app.process_update(_with(update, app, channel))
    assert fake_request.texts(GROUP)[-1] == t("en", "groups.admins_only")  # no language_code
    assert (await get_chat(db, GROUP)).times != ["09:00"]  # type: ignore[union-attr]


def _with(update: Update, app: Any, fields: dict[str, Any]) -> Update:
    payload = update.to_dict()
    payload["message"].update(fields)
    return Update.de_json(payload, app.bot)


async def test_privacy_mode_command_forms(
    app: Any, db: Database, fake_request: RecordingRequest
) -> None:
    """With privacy mode the bot sees commands (bare or /cmd@bot) and buttons only."""
    await say(app, "/start@rekpauze_bot", ANKE)
    await say(app, "/TIJDEN@Rekpauze_Bot 08:30", ANKE)
    assert (await get_chat(db, GROUP)).times == ["08:30"]  # type: ignore[union-attr]
    before = len(fake_request.calls)
    await say(app, "/tijden@other_bot 09:00", ANKE)  # for another bot: not ours to answer
    await say(app, "/unknown", ANKE)  # may be another bot's: no "unknown command" noise
    assert len(fake_request.calls) == before
    assert (await get_chat(db, GROUP)).times == ["08:30"]  # type: ignore[union-attr]
    await say(app, "/unknown@rekpauze_bot", ANKE)
    assert fake_request.texts(GROUP)[-1] == t("nl", "fallback.unknown_command")


async def test_onboarding_in_a_group_uses_buttons_and_commands_only(
    app: Any, db: Database, fake_request: RecordingRequest
) -> None:
    members(fake_request, anke="administrator")
    await say(app, "/start@rekpauze_bot", ANKE)
    first = fake_request.texts(GROUP)[-1]
    assert t("nl", "groups.intro") in first
    await press(app, "ob:l:nl", 1, ANKE)
    step = fake_request.sent("editMessageText")[-1]["text"]
    assert step == t("nl", "groups.step_timezone") and "/tijdzone" in step
    await say(app, "/tijdzone@rekpauze_bot Europe/Berlin", ANKE)  # a zone without a button
    assert "Stap 3 van 3" in fake_request.texts(GROUP)[-1]
    await press(app, "ob:c", 1, ANKE)
    chat = await get_chat(db, GROUP)
    assert chat is not None and chat.onboarded and chat.timezone == "Europe/Berlin"
    assert chat.type == "supergroup" and chat.days == 0b0011111 and len(chat.times) == 3


# --- removed, added back, migrated -----------------------------------------------------------


def _my_chat_member(app: Any, old: str, new: str, chat: dict[str, Any] = GROUP_CHAT) -> Update:
    bot = {"id": 777000111, "is_bot": True, "first_name": "Rekpauze", "username": "rekpauze_bot"}
    payload = {
        "update_id": 90_000 + len(old) + len(new),
        "my_chat_member": {
            "chat": chat,
            "from": ANKE,
            "date": 1_700_000_000,
            "old_chat_member": {"status": old, "user": bot},
            "new_chat_member": {"status": new, "user": bot, "until_date": 0}
            if new == "kicked"
            else {"status": new, "user": bot},
        },
    }
    return Update.de_json(payload, app.bot)


async def test_removing_the_bot_stops_reminders_and_start_brings_them_back(
    app: Any, dispatcher: Dispatcher, db: Database, clock: FakeClock, fake_request: RecordingRequest
) -> None:
    await group_reminder(dispatcher, db)
    await app.process_update(_my_chat_member(app, "member", "kicked"))
    chat = await get_chat(db, GROUP)
    assert chat is not None and chat.blocked and chat.next_due_at is None
    await run(dispatcher, T0 + timedelta(days=1, seconds=2))
    await run(dispatcher, T0 + timedelta(days=2, seconds=2))
    assert len(reminders(fake_request)) == 1

    await app.process_update(_my_chat_member(app, "left", "member"))
    assert fake_request.texts(GROUP)[-1] == t("nl", "groups.added")
    clock.now = T0 + timedelta(days=2, hours=1)
    await say(app, "/start", ANKE)
    chat = await get_chat(db, GROUP)
    assert chat is not None and not chat.blocked and chat.next_due_at is not None
    await run(dispatcher, chat.next_due_at + timedelta(seconds=2))
    assert len(reminders(fake_request)) == 2


async def test_a_403_on_send_stops_the_group_too(
    app: Any, dispatcher: Dispatcher, db: Database, fake_request: RecordingRequest
) -> None:
    fake_request.fail(
        "sendMessage", 403, "Forbidden: bot was kicked from the supergroup chat", chat_id=GROUP
    )
    await add_chat(db, GROUP, next_due_at=T0, chat_type="supergroup")
    await run(dispatcher, T0 + timedelta(seconds=2))
    chat = await get_chat(db, GROUP)
    assert chat is not None and chat.blocked and chat.next_due_at is None


async def test_migration_keeps_subscription_settings_state_and_digests(
    app: Any, db: Database, clock: FakeClock, fake_request: RecordingRequest
) -> None:
    old = {"id": -42, "type": "group", "title": "Team"}
    await app.process_update(message_update(app.bot, "/start", user=ANKE, chat=old))
    await app.process_update(message_update(app.bot, "/tijden 09:15 14:00", user=ANKE, chat=old))
    async with db.session() as session:
        await completions.record(
            session, chat_id=-42, user_id=11, now=T0, source="exercise", user_name="Anke"
        )
        session.add(DigestSchedule(chat_id=-42, kind="summary", due_at=T0 + timedelta(days=4)))
        assert await conversation.get(session, "onboarding", -42) == "language"

    update = message_update(app.bot, "", user=ANKE, chat=old)
    payload = update.to_dict()
    payload["message"].pop("text")
    payload["message"].pop("entities", None)
    payload["message"]["migrate_to_chat_id"] = GROUP
    await app.process_update(Update.de_json(payload, app.bot))

    assert await get_chat(db, -42) is None
    moved = await get_chat(db, GROUP)
    assert moved is not None and moved.type == "supergroup"
    assert moved.times == ["09:15", "14:00"] and moved.language == "nl"
    async with db.session() as session:
        assert await conversation.get(session, "onboarding", GROUP) == "language"
        assert await session.get(KeyValue, "onboarding:-42") is None
        digest = await session.get(DigestSchedule, (GROUP, "summary"))
        assert digest is not None
        count = await session.scalar(
            select(func.count()).select_from(Completion).where(Completion.chat_id == GROUP)
        )
        assert count == 1
    # Onboarding goes on in the supergroup where it left off.
    await press(app, "ob:l:nl", 1, ANKE)
    assert fake_request.sent("editMessageText")[-1]["text"] == t("nl", "groups.step_timezone")


# --- the team's /stats -----------------------------------------------------------------------


async def test_team_stats_show_the_week_per_day_and_per_member(
    app: Any, db: Database, clock: FakeClock, fake_request: RecordingRequest
) -> None:
    await say(app, "/start", ANKE)
    await say(app, "/stats", BO)
    assert fake_request.texts(GROUP)[-1] == t("nl", "groups.stats.empty", week="23 nov – 29 nov")
    clock.now = T0 + timedelta(days=2, hours=1)  # Wednesday 11:00
    async with db.session() as session:
        for user_id, name, day, n in (
            (11, "Anke", 0, 2),
            (12, "Bo", 0, 1),
            (12, "Bo", 2, 2),
            (13, "<Cas>", 2, 3),
            (13, "<Cas>", -1, 5),  # last week's Sunday: not this week
        ):
            for k in range(n):
                await completions.record(
                    session,
                    chat_id=GROUP,
                    user_id=user_id,
                    now=T0 + timedelta(days=day, minutes=k),
                    source="exercise",
                    user_name=name,
                )
    await say(app, "/stats", ANKE)
    text = fake_request.texts(GROUP)[-1]
    assert text == "\n".join(
        [
            "<b>De week van het team, 23 nov – 29 nov</b>",
            "",
            "ma 23 nov: <b>3</b>",
            "di 24 nov: <b>0</b>",
            "wo 25 nov: <b>5</b>",
            "",
            "<b>8</b> rekpauzes in totaal",
            "",
            "<b>Per persoon deze week</b>",
            "&lt;Cas&gt;: 3",
            "Bo: 3",
            "Anke: 2",
        ]
    )
    assert fake_request.photos(GROUP) == []
    telegram_html.check_message(text)
