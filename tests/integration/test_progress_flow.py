"""/stats, /summary and /nudge through the real Application, and the summary and nudge job
called directly with an injected `now`: exactly once, never after 21:00, true to the numbers."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from io import BytesIO
from typing import Any
from zoneinfo import ZoneInfo

from PIL import Image
from sqlalchemy import func, select

from bot import telegram_html
from bot.outbox import Outbox
from bot.services import digests
from bot.services.charts import HEIGHT_PX, WIDTH_PX
from bot.services.reports import set_evening_nudge, set_weekly_summary
from bot.services.subscribers import register
from bot.storage import chats, completions
from bot.storage.db import Database
from bot.storage.models import WORKDAYS, Delivery, DigestSchedule
from tests.conftest import FakeClock
from tests.fakes import RecordingRequest, message_update, user_dict

AMS = ZoneInfo("Europe/Amsterdam")
TIMES = ["10:00", "13:30", "16:00"]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def ams(y: int, m: int, d: int, hh: int, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=AMS).astimezone(UTC)


async def _send(app: Any, text: str, **kwargs: Any) -> None:
    await app.process_update(message_update(app.bot, text, **kwargs))


async def _subscriber(
    db: Database, chat_id: int, *, lang: str = "nl", created: datetime, times: list[str] = TIMES
) -> None:
    await register(db, chat_id, chat_type="private", language=lang, now=created)
    async with db.session() as session:
        chat = await chats.get(session, chat_id)
        assert chat is not None
        chat.times, chat.days, chat.timezone, chat.created_at = (
            times,
            WORKDAYS,
            "Europe/Amsterdam",
            created,
        )
        chat.active = chat.onboarded = True  # as after onboarding's last step


async def _done(db: Database, chat_id: int, day: date, n: int, times: list[str] = TIMES) -> None:
    """n reminders of a day delivered and pressed Done, as the engine records them; the other
    reminders of that day delivered but not done."""
    async with db.session() as session:
        for i, hhmm in enumerate(times):
            slot = datetime.combine(day, datetime.strptime(hhmm, "%H:%M").time(), AMS)
            values: dict[str, Any] = {
                "chat_id": chat_id,
                "slot_at": slot.astimezone(UTC),
                "kind": "reminder",
                "status": "sent",
            }
            if "due_at" in Delivery.__table__.c:
                values["due_at"] = values["slot_at"]
            delivery = Delivery(**values)
            session.add(delivery)
            await session.flush()
            if i < n:
                assert await completions.record(
                    session,
                    chat_id=chat_id,
                    user_id=chat_id,
                    now=slot.astimezone(UTC) + timedelta(minutes=2),
                    source="reminder",
                    delivery_id=delivery.id,
                )


def _check_png(data: bytes) -> None:
    assert data.startswith(PNG_SIGNATURE)
    with Image.open(BytesIO(data)) as image:
        assert image.size == (WIDTH_PX, HEIGHT_PX)


# --- /stats ----------------------------------------------------------------------------------


async def test_stats_before_start_asks_for_start(app: Any, fake_request: RecordingRequest) -> None:
    await _send(app, "/stats", user=user_dict(3001, "Ann", "en"))
    assert "/start" in fake_request.texts(3001)[-1]
    assert not fake_request.photos()


async def test_stats_for_a_new_subscriber_is_friendly_and_has_no_empty_chart(
    app: Any, fake_request: RecordingRequest
) -> None:
    await _send(app, "/start", user=user_dict(3002, "Bram", "nl"))
    await _send(app, "/voortgang", user=user_dict(3002, "Bram", "nl"))
    text = fake_request.texts(3002)[-1]
    assert "Nog geen rekpauzes geteld" in text and "Gedaan" in text
    assert not fake_request.photos(3002)


async def test_stats_after_done_presses_shows_count_streak_and_a_chart(
    app: Any, db: Database, clock: FakeClock, fake_request: RecordingRequest
) -> None:
    await _subscriber(db, 3003, created=ams(2026, 11, 16, 8))
    await _done(db, 3003, date(2026, 11, 19), 3)  # Thu
    await _done(db, 3003, date(2026, 11, 20), 3)  # Fri; weekend off
    await _done(db, 3003, date(2026, 11, 23), 3)  # Mon
    await _done(db, 3003, date(2026, 11, 24), 2)  # Tue: so far 2 of 3 at 16:30
    clock.now = ams(2026, 11, 24, 16, 30)
    await _send(app, "/stats", user=user_dict(3003, "Cor", "nl"))
    [(png, caption)] = fake_request.photos(3003)
    _check_png(png)
    assert caption is not None
    telegram_html.check_message(caption, limit=telegram_html.MAX_CAPTION)
    assert "Vandaag: <b>2</b> van 3" in caption
    assert "Huidige reeks: <b>3 dagen</b>" in caption
    assert "Langste reeks: 3 dagen" in caption
    assert "Deze week: doel gehaald op 1 van 2 dagen, 5 rekpauzes" in caption
    # Monday to Wednesday of the week before: no reminder went out (before the engine ran),
    # so they are excused rather than missed.
    assert "16–22 nov: doel gehaald op 2 van 2 dagen, 6 rekpauzes" in caption


async def test_stats_show_a_week_with_a_forgiven_day_and_a_week_with_a_broken_streak(
    app: Any, db: Database, clock: FakeClock, fake_request: RecordingRequest
) -> None:
    await _subscriber(db, 3004, lang="en", created=ams(2026, 11, 9, 8))
    # Week of 9 Nov: two missed days; the first is forgiven, the second breaks the streak.
    for day, done in ((9, 3), (10, 1), (11, 3), (12, 0), (13, 3)):
        await _done(db, 3004, date(2026, 11, day), done)
    # Week of 16 Nov: one missed day, forgiven: the streak goes on.
    for day, done in ((16, 3), (17, 3), (18, 1), (19, 3)):
        await _done(db, 3004, date(2026, 11, day), done)
    clock.now = ams(2026, 11, 20, 9)
    await _send(app, "/stats", user=user_dict(3004, "Dee", "en"))
    [(png, caption)] = fake_request.photos(3004)
    _check_png(png)
    assert caption is not None
    assert "Today: <b>0</b> of 3" in caption
    assert "Current streak: <b>4 days</b>" in caption  # 13, 16, 17, 19 (18 forgiven)
    assert "Best streak: 4 days" in caption
    assert "9–15 Nov: goal met on 3 of 5 days, 10 breaks, 1 day repaired, 1 day missed" in caption
    assert "16–22 Nov: goal met on 3 of 5 days, 10 breaks, 1 day repaired\n" in caption
    assert "one missed day per week is forgiven" in caption


# --- switches --------------------------------------------------------------------------------


async def test_summary_and_nudge_switches(
    app: Any, db: Database, clock: FakeClock, fake_request: RecordingRequest
) -> None:
    user = user_dict(3005, "Eef", "nl")
    await _send(app, "/start", user=user)
    await _send(app, "/samenvatting aan", user=user)
    assert "staat <b>aan</b>" in fake_request.texts(3005)[-1]
    await _send(app, "/duwtje on", user=user)
    told = fake_request.texts(3005)[-1]
    assert "avondduwtje staat <b>aan</b>" in told
    async with db.session() as session:
        chat = await chats.get(session, 3005)
    assert chat is not None
    last = max(chat.times)  # the nudge's own time is told, an hour after the last reminder
    expected = f"{int(last[:2]) + 1:02d}:{last[3:]}"
    assert f"om <b>{expected}</b>" in told
    async with db.session() as session:
        chat = await chats.get(session, 3005)
        assert chat is not None and chat.weekly_summary and chat.evening_nudge
        kinds = set(await session.scalars(select(DigestSchedule.kind)))
    assert kinds == {"summary", "nudge"}
    await _send(app, "/summary off", user=user)
    await _send(app, "/nudge", user=user)  # no argument: tells the state
    assert "staat <b>aan</b>" in fake_request.texts(3005)[-1]
    async with db.session() as session:
        kinds = set(await session.scalars(select(DigestSchedule.kind)))
    assert kinds == {"nudge"}


async def test_switches_explain_themselves_in_a_group_and_for_late_schedules(
    app: Any, db: Database, clock: FakeClock, fake_request: RecordingRequest
) -> None:
    group = {"id": -100777, "type": "group", "title": "Team"}
    await _send(app, "/nudge on", user=user_dict(3006, "Fay", "en"), chat=group)
    assert "private chat" in fake_request.texts(-100777)[-1]
    await _subscriber(db, 3007, lang="en", created=clock.now, times=["18:00", "21:30"])
    await _send(app, "/nudge on", user=user_dict(3007, "Gus", "en"))
    assert "no nudge will come" in fake_request.texts(3007)[-1]


# --- the job: evening nudge ------------------------------------------------------------------


async def test_nudge_once_an_hour_after_the_last_reminder_when_the_goal_was_missed(
    app: Any, db: Database, fake_request: RecordingRequest
) -> None:
    monday = date(2026, 11, 23)
    await _subscriber(db, 3010, created=ams(2026, 11, 20, 8))
    await set_evening_nudge(db, 3010, True, now=ams(2026, 11, 20, 8))
    await _done(db, 3010, monday, 1)
    assert await digests.run_due(db, Outbox(app.bot, db), ams(2026, 11, 23, 16, 59)) == 0
    assert await digests.run_due(db, Outbox(app.bot, db), ams(2026, 11, 23, 17, 0)) == 1
    assert fake_request.texts(3010) == ["Vandaag deed je 1 van je 3 rekpauzes. Nog één minuut nu?"]
    # One tap away: a button for an exercise (issue 16, point 9).
    assert "tk:ex" in str(fake_request.delivered(3010)[-1]["reply_markup"])
    assert await digests.run_due(db, Outbox(app.bot, db), ams(2026, 11, 23, 17, 1)) == 0
    # A stale schedule row (a restart, a second process) cannot send it twice.
    async with db.session() as session:
        row = await session.get(DigestSchedule, (3010, "nudge"))
        assert row is not None
        assert row.due_at.replace(tzinfo=UTC) == ams(2026, 11, 24, 17)  # tomorrow
        row.due_at = ams(2026, 11, 23, 17)
    assert await digests.run_due(db, Outbox(app.bot, db), ams(2026, 11, 23, 17, 2)) == 0
    assert len(fake_request.texts(3010)) == 1
    async with db.session() as session:
        kinds = list(await session.scalars(select(Delivery.status).where(Delivery.kind == "nudge")))
    assert kinds == ["sent"]


async def test_concurrent_ticks_send_one_nudge(
    app: Any, db: Database, fake_request: RecordingRequest
) -> None:
    await _subscriber(db, 3011, lang="en", created=ams(2026, 11, 20, 8))
    await set_evening_nudge(db, 3011, True, now=ams(2026, 11, 20, 8))
    now = ams(2026, 11, 23, 17, 0)
    await asyncio.gather(*(digests.run_due(db, Outbox(app.bot, db), now) for _ in range(3)))
    assert fake_request.texts(3011) == ["No stretch break yet today. One minute now still counts."]
    # The minute is one tap away: a button, not a command to type.
    [nudge] = [c for c in fake_request.calls if c.method == "sendMessage"]
    assert "tk:ex" in str(nudge.params["reply_markup"])


async def test_no_nudge_when_the_goal_was_met_or_after_21(
    app: Any, db: Database, fake_request: RecordingRequest
) -> None:
    await _subscriber(db, 3012, created=ams(2026, 11, 20, 8))
    await set_evening_nudge(db, 3012, True, now=ams(2026, 11, 20, 8))
    await _done(db, 3012, date(2026, 11, 23), 3)
    # A late reminder: nudge at 21:00 at the latest; a bot that was down until 21:05 skips it.
    await _subscriber(db, 3013, created=ams(2026, 11, 20, 8), times=["09:00", "20:30"])
    await set_evening_nudge(db, 3013, True, now=ams(2026, 11, 20, 8))
    # Last reminder at 21:30: never a nudge.
    await _subscriber(db, 3014, created=ams(2026, 11, 20, 8), times=["12:00", "21:30"])
    await set_evening_nudge(db, 3014, True, now=ams(2026, 11, 20, 8))
    async with db.session() as session:
        assert await session.get(DigestSchedule, (3014, "nudge")) is not None  # re-checked daily

    assert await digests.run_due(db, Outbox(app.bot, db), ams(2026, 11, 23, 17, 0)) == 0
    assert await digests.run_due(db, Outbox(app.bot, db), ams(2026, 11, 23, 21, 5)) == 0
    for minute in range(0, 180, 7):
        await digests.run_due(
            db, Outbox(app.bot, db), ams(2026, 11, 23, 21) + timedelta(minutes=minute)
        )
    assert fake_request.texts() == []
    # The next day the 20:30 schedule gets its nudge at 21:00 sharp, not later (and 3012, who
    # did nothing on Tuesday, gets Tuesday's at 17:00).
    await digests.run_due(db, Outbox(app.bot, db), ams(2026, 11, 24, 20, 59))
    assert fake_request.texts(3013) == []
    assert len(fake_request.texts(3012)) == 1
    assert await digests.run_due(db, Outbox(app.bot, db), ams(2026, 11, 24, 21, 0)) == 1
    assert len(fake_request.texts(3013)) == 1
    await digests.run_due(db, Outbox(app.bot, db), ams(2026, 11, 24, 21, 1))
    assert fake_request.texts(3014) == []


# --- the job: weekly summary -----------------------------------------------------------------


async def _summary_week(db: Database, chat_id: int, met_days: int, lang: str = "nl") -> None:
    await _subscriber(db, chat_id, lang=lang, created=ams(2026, 11, 16, 8))
    await set_weekly_summary(db, chat_id, True, now=ams(2026, 11, 16, 8))
    for i in range(5):
        await _done(db, chat_id, date(2026, 11, 23) + timedelta(days=i), 3 if i < met_days else 1)


async def test_weekly_summary_once_on_friday_with_a_sentence_true_to_the_numbers(
    app: Any, db: Database, fake_request: RecordingRequest
) -> None:
    await _summary_week(db, 3020, 5)
    await _summary_week(db, 3021, 4)
    await _summary_week(db, 3022, 2)
    await _summary_week(db, 3023, 0, lang="en")
    for day in range(23, 27):  # Monday to Thursday: nothing
        assert await digests.run_due(db, Outbox(app.bot, db), ams(2026, 11, day, 17, 0)) == 0
    assert await digests.run_due(db, Outbox(app.bot, db), ams(2026, 11, 27, 16, 59)) == 0
    assert await digests.run_due(db, Outbox(app.bot, db), ams(2026, 11, 27, 17, 0)) == 4
    assert await digests.run_due(db, Outbox(app.bot, db), ams(2026, 11, 27, 17, 1)) == 0
    captions = {}
    for chat_id in (3020, 3021, 3022, 3023):
        [(png, caption)] = fake_request.photos(chat_id)
        _check_png(png)
        assert caption is not None
        telegram_html.check_message(caption, limit=telegram_html.MAX_CAPTION)
        captions[chat_id] = caption
    assert "elke dag je doel gehaald (5 van 5)" in captions[3020]
    assert "op 4 van 5 dagen je doel gehaald: de gewoonte zit erin" in captions[3021]
    assert "op 2 van 5 dagen je doel gehaald; elke minuut telt" in captions[3022]
    assert "5 stretch breaks this week, but no day with all 3 yet" in captions[3023]
    # The nudge does not also go out at the summary moment.
    assert fake_request.texts() == []
    async with db.session() as session:
        sent = await session.scalar(
            select(func.count()).select_from(Delivery).where(Delivery.kind == "summary")
        )
        row = await session.get(DigestSchedule, (3020, "summary"))
    assert sent == 4
    assert row is not None and row.due_at.replace(tzinfo=UTC) == ams(2026, 12, 4, 17)


async def test_paused_chats_get_no_summary_and_no_nudge(
    app: Any, db: Database, fake_request: RecordingRequest
) -> None:
    await _summary_week(db, 3030, 1)
    await set_evening_nudge(db, 3030, True, now=ams(2026, 11, 16, 8))
    async with db.session() as session:
        chat = await chats.get(session, 3030)
        assert chat is not None
        chat.paused_until = ams(2026, 11, 30, 0)
    for day in range(23, 28):
        await digests.run_due(db, Outbox(app.bot, db), ams(2026, 11, day, 17, 0))
    assert fake_request.photos() == [] and fake_request.texts() == []


class _FlakyBot:
    """Refuses the first send with the given error, then accepts."""

    def __init__(self, error: Exception) -> None:
        self.error: Exception | None = error
        self.sent: list[str] = []

    async def send_message(self, chat_id: int, text: str, **_: Any) -> Any:
        if self.error is not None:
            error, self.error = self.error, None
            raise error
        self.sent.append(text)
        return type("Message", (), {"message_id": 42})()


async def test_a_refused_nudge_is_retried_and_a_blocked_chat_left_alone(db: Database) -> None:
    from telegram.error import Forbidden, RetryAfter

    for chat_id in (3040, 3041):
        await _subscriber(db, chat_id, lang="en", created=ams(2026, 11, 20, 8))
        await set_evening_nudge(db, chat_id, True, now=ams(2026, 11, 20, 8))
    async with db.session() as session:
        row = await session.get(DigestSchedule, (3041, "nudge"))
        assert row is not None
        row.due_at = ams(2026, 11, 30, 9)  # out of the way for the first part
    flaky = _FlakyBot(RetryAfter(timedelta(seconds=3)))
    assert await digests.run_due(db, Outbox(flaky, db), ams(2026, 11, 23, 17, 0)) == 0  # type: ignore[arg-type]
    assert await digests.run_due(db, Outbox(flaky, db), ams(2026, 11, 23, 17, 1)) == 1  # type: ignore[arg-type]
    assert await digests.run_due(db, Outbox(flaky, db), ams(2026, 11, 23, 17, 2)) == 0  # type: ignore[arg-type]
    assert len(flaky.sent) == 1

    blocked = _FlakyBot(Forbidden("Forbidden: bot was blocked by the user"))
    async with db.session() as session:
        await session.delete(await session.get(DigestSchedule, (3040, "nudge")))
        row = await session.get(DigestSchedule, (3041, "nudge"))
        assert row is not None
        row.due_at = ams(2026, 11, 24, 17)
    assert await digests.run_due(db, Outbox(blocked, db), ams(2026, 11, 24, 17, 0)) == 0  # type: ignore[arg-type]
    assert await digests.run_due(db, Outbox(blocked, db), ams(2026, 11, 25, 17, 0)) == 0  # type: ignore[arg-type]
    assert blocked.sent == []
    async with db.session() as session:
        chat = await chats.get(session, 3041)
        assert chat is not None and chat.blocked


async def test_stats_in_a_group_shows_the_teams_week_and_each_member(
    app: Any, db: Database, clock: FakeClock, fake_request: RecordingRequest
) -> None:
    group = {"id": -100888, "type": "group", "title": "Team"}
    await _send(app, "/start", user=user_dict(4001, "<Anke>", "nl"), chat=group)
    async with db.session() as session:
        for user_id, n in ((4001, 2), (4002, 3)):
            for k in range(n):
                await completions.record(
                    session,
                    chat_id=-100888,
                    user_id=user_id,
                    now=clock.now - timedelta(minutes=k),
                    source="exercise",
                    user_name="<Anke>" if user_id == 4001 else "Bo",
                )
    await _send(app, "/stats", user=user_dict(4001, "<Anke>", "nl"), chat=group)
    # The team's week as text (see tests/integration/test_groups.py for more).
    assert fake_request.photos(-100888) == []
    text = fake_request.texts(-100888)[-1]
    assert text.startswith("<b>De week van het team")
    assert "<b>5</b> rekpauzes in totaal" in text
    assert text.endswith("Bo: 3\n&lt;Anke&gt;: 2")
