"""/admin and /broadcast: who may use them, what they show, and a broadcast that survives
a restart without repeating itself."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from telegram import Update

from bot.app import build_application
from bot.config import Settings
from bot.services import broadcast
from bot.services.broadcast import Broadcaster
from bot.storage.db import Database
from bot.storage.models import Chat, Completion, Delivery, KeyValue
from tests.conftest import FakeClock
from tests.fakes import BOT_USER, TOKEN, RecordingRequest, message_update, user_dict

ADMIN = 4242


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(  # type: ignore[call-arg]
        TELEGRAM_BOT_TOKEN=TOKEN, DATABASE_URL=database_url, ADMIN_USER_IDS=str(ADMIN)
    )


def _app(settings: Settings, db: Database, clock: FakeClock, request: RecordingRequest) -> Any:
    return build_application(
        settings,
        db,
        token=TOKEN,
        clock=clock,
        request=request,
        get_updates_request=RecordingRequest(),
    )


async def _send(app: Any, text: str, user_id: int, lang: str = "en") -> None:
    await app.process_update(message_update(app.bot, text, user=user_dict(user_id, "Ad", lang)))


async def _press(app: Any, data: str, user_id: int = ADMIN, lang: str = "en") -> None:
    update = Update.de_json(
        {
            "update_id": 1,
            "callback_query": {
                "id": "q1",
                "from": user_dict(user_id, "Ad", lang),
                "chat_instance": "ci",
                "data": data,
                "message": {
                    "message_id": 99,
                    "date": 1_700_000_000,
                    "chat": {"id": user_id, "type": "private"},
                    "from": BOT_USER,
                    "text": "preview",
                },
            },
        },
        app.bot,
    )
    await app.process_update(update)


async def _chats(db: Database, ids: list[int], **fields: Any) -> None:
    async with db.session() as session:
        for chat_id in ids:
            values = {"type": "private", "times": ["10:00"], "active": True, "blocked": False}
            session.add(Chat(id=chat_id, **(values | fields)))


def _buttons(request: RecordingRequest) -> list[str]:
    markup = request.sent()[-1]["reply_markup"]
    markup = json.loads(markup) if isinstance(markup, str) else markup
    return [b["callback_data"] for row in markup["inline_keyboard"] for b in row]


async def test_admin_commands_do_not_exist_for_other_users(
    app: Any, fake_request: RecordingRequest
) -> None:
    await _send(app, "/frobnicate", 3001)
    await _send(app, "/admin", 3001)
    await _send(app, "/broadcast hello all", 3001)
    unknown, admin, broadcast_ = fake_request.texts(3001)
    assert admin == unknown == broadcast_
    assert not fake_request.sent("editMessageReplyMarkup")


async def test_admin_overview_counts(
    settings: Settings, db: Database, clock: FakeClock, fake_request: RecordingRequest
) -> None:
    now = clock()
    await _chats(db, [1, 2, 3])
    await _chats(db, [4], blocked=True)
    await _chats(db, [5], paused_until=now + timedelta(days=2))
    async with db.session() as session:
        sent = [
            Delivery(chat_id=c, slot_at=now - timedelta(hours=h), sent_at=now - timedelta(hours=h))
            for c, h in ((1, 1), (2, 1), (3, 30), (1, 30))
        ]
        sent.append(Delivery(chat_id=2, slot_at=now, status="pending"))
        session.add_all(sent)
        await session.flush()
        session.add(Completion(chat_id=1, user_id=1, delivery_id=sent[0].id, completed_at=now))
    app = _app(settings, db, clock, fake_request)
    async with app:
        await _send(app, "/admin", ADMIN)
    [text] = fake_request.texts(ADMIN)
    assert "Subscribers: 5" in text
    assert "Getting reminders now: 3" in text
    assert "Reminders sent today (UTC): 2" in text
    assert "25% (1 of 4 reminders" in text


async def test_admin_shows_reminders_moved_and_skipped_for_meetings(
    settings: Settings, db: Database, clock: FakeClock, fake_request: RecordingRequest
) -> None:
    now = clock()  # Monday 09:00 UTC
    await _chats(db, [1, 2])

    def row(chat: int, hours_ago: float, *, late: int = 0, **fields: Any) -> Delivery:
        slot = now - timedelta(hours=hours_ago)
        return Delivery(chat_id=chat, slot_at=slot, due_at=slot + timedelta(minutes=late), **fields)

    async with db.session() as session:
        session.add_all(
            [
                row(1, 2, late=47, status="sent", sent_at=now),  # moved today, sent
                row(2, 0.5, late=47, status="scheduled"),  # moved today, still waiting
                row(1, 1, status="busy"),  # skipped today
                row(1, 50, late=20, status="sent"),  # moved, last 7 days
                row(2, 50, status="busy"),  # skipped, last 7 days
                row(2, 30, status="sent"),  # sent at its slot: neither
                row(2, 3, status="done_before"),  # replaced by a break: neither
                row(1, 2, late=10, status="sent", kind="snooze"),  # a snooze: neither
                row(1, 24 * 9, late=30, status="sent"),  # older than a week
                row(2, 24 * 9, status="busy"),
            ]
        )
    app = _app(settings, db, clock, fake_request)
    async with app:
        await _send(app, "/admin", ADMIN)
        await _send(app, "/admin", ADMIN, "nl")
        await _send(app, "/admin", ADMIN, "fr")
    english, dutch, french = fake_request.texts(ADMIN)
    assert (
        "today (UTC): 2 reminders moved past a meeting, 1 skipped because they could not move; "
        "last 7 days: 3 moved, 2 skipped" in english
    )
    assert "vandaag (UTC): 2 herinneringen verschoven" in dutch and "3 verschoven, 2 " in dutch
    assert "aujourd'hui (UTC) : 2 rappels décalés" in french and "3 décalés, 2 sautés" in french


async def test_admin_shows_paid_broadcasts_only_once_they_are_on(
    settings: Settings, db: Database, clock: FakeClock, fake_request: RecordingRequest
) -> None:
    from bot import metrics

    app = _app(settings, db, clock, fake_request)
    async with app:
        await _send(app, "/admin", ADMIN)
    assert "paid broadcast" not in fake_request.texts(ADMIN)[-1]

    metrics.PAID_BROADCASTS.inc(3)
    count = metrics.paid_broadcasts()
    paid = settings.model_copy(update={"paid_broadcast_rate": 200.0})
    for lang, words in (("en", "paid broadcasts"), ("nl", "betaalde broadcast"), ("fr", "payante")):
        app = _app(paid, db, clock, fake_request)
        async with app:
            await _send(app, "/admin", ADMIN, lang)
        text = fake_request.texts(ADMIN)[-1]
        assert words in text and f": {count} (" in text and "200" in text, text


async def test_broadcast_preview_escapes_and_cancel_sends_nothing(
    settings: Settings, db: Database, clock: FakeClock, fake_request: RecordingRequest
) -> None:
    await _chats(db, [11, 12])
    app = _app(settings, db, clock, fake_request)
    async with app:
        await _send(app, "/broadcast", ADMIN, "nl")
        assert "/broadcast" in fake_request.texts(ADMIN)[-1]
        await _send(app, "/broadcast Onderhoud <zondag> & maandag", ADMIN, "nl")
        preview = fake_request.texts(ADMIN)[-1]
        assert "2 privégesprekken" in preview
        assert "Onderhoud &lt;zondag&gt; &amp; maandag" in preview
        ok, no = _buttons(fake_request)
        await _press(app, no, lang="nl")
        await _press(app, ok, lang="nl")  # too late: the draft is gone
    texts = fake_request.texts(ADMIN)
    assert "geannuleerd" in texts[-2] and "al verstuurd of geannuleerd" in texts[-1]
    assert not fake_request.texts(11) and not fake_request.texts(12)


class SlowAfter(RecordingRequest):
    """Answers like RecordingRequest and tells the test once `n` broadcasts went out."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.n = n
        self.reached = asyncio.Event()

    async def do_request(self, url: str, method: str, request_data: Any = None, **kw: Any) -> Any:
        result = await super().do_request(url, method, request_data, **kw)
        if len([p for p in self.sent() if int(p["chat_id"]) < 1000]) >= self.n:
            self.reached.set()
        return result


class Blocking(RecordingRequest):
    """Chat 23 has blocked the bot."""

    async def do_request(self, url: str, method: str, request_data: Any = None, **kw: Any) -> Any:
        params = dict(request_data.parameters) if request_data else {}
        if url.endswith("sendMessage") and int(params.get("chat_id", 0)) == 23:
            return self._error(403, "Forbidden: bot was blocked by the user")
        return await super().do_request(url, method, request_data, **kw)


async def _confirm_broadcast(app: Any, request: RecordingRequest, text: str) -> None:
    await _send(app, f"/broadcast {text}", ADMIN)
    ok, _ = _buttons(request)
    await _press(app, ok)


async def test_broadcast_goes_to_active_private_chats_and_marks_blocked_ones(
    settings: Settings, db: Database, clock: FakeClock
) -> None:
    await _chats(db, [21, 22, 23, 24])
    await _chats(db, [25], active=False)
    await _chats(db, [26], blocked=True)
    await _chats(db, [-100123], type="group")
    request = Blocking()
    app = _app(settings, db, clock, request)
    async with app:
        app.bot_data.broadcaster.per_second = 1000
        await _confirm_broadcast(app, request, "Hallo <allemaal>")
        await asyncio.wait_for(app.bot_data.broadcaster.wait(), 10)
    got = sorted(int(p["chat_id"]) for p in request.sent() if p["text"] == "Hallo &lt;allemaal&gt;")
    assert got == [21, 22, 24]
    async with db.session() as session:
        blocked = await session.get(Chat, 23)
        assert blocked is not None and blocked.blocked
    assert "Sent: 3. Blocked the bot: 1. Failed: 0." in request.texts(ADMIN)[-1]


async def test_broadcast_resumes_after_a_graceful_restart_without_repeating(
    settings: Settings, db: Database, clock: FakeClock
) -> None:
    recipients = list(range(101, 111))
    await _chats(db, recipients)
    first = SlowAfter(4)
    app = _app(settings, db, clock, first)
    async with app:
        app.bot_data.broadcaster.per_second = 1000
        await _confirm_broadcast(app, first, "Nieuw in Rekpauze")
        await asyncio.wait_for(first.reached.wait(), 10)
        await app.bot_data.shutdown.run(budget=5)  # what SIGTERM does
    done_first = [int(p["chat_id"]) for p in first.sent() if int(p["chat_id"]) in recipients]
    assert 4 <= len(done_first) < len(recipients)

    second = RecordingRequest()
    app2 = _app(settings, db, clock, second)  # a new process on the same database
    async with app2:
        await app2.bot_data.broadcaster.poll()
        await asyncio.wait_for(app2.bot_data.broadcaster.wait(), 10)
    done_second = [int(p["chat_id"]) for p in second.sent() if int(p["chat_id"]) in recipients]
    assert sorted(done_first + done_second) == recipients  # everyone once, nobody twice
    assert "Sent: 10." in second.texts(ADMIN)[-1]


async def test_a_crashed_senders_lease_is_taken_over_only_after_it_expires(
    settings: Settings, db: Database, clock: FakeClock
) -> None:
    await _chats(db, [201, 202, 203])
    token = await broadcast.create_draft(db, text="hoi", admin_chat=ADMIN, lang="en", now=clock())
    assert await broadcast.confirm_draft(db, token, clock())
    assert not await broadcast.confirm_draft(db, token, clock())  # a double press: one run
    async with db.session() as session:  # a process died holding the lease after chat 201
        row = await session.get(KeyValue, broadcast.RUN + token)
        assert row is not None
        lease = (clock() + broadcast.LEASE).isoformat()
        dead = {"cursor": 201, "sent": 1, "owner": "dead", "lease_until": lease}
        row.value = json.dumps(json.loads(row.value) | dead)
    request = RecordingRequest()
    app = _app(settings, db, clock, request)
    async with app:
        sender: Broadcaster = app.bot_data.broadcaster
        sender.per_second = 1000
        await sender.poll()
        assert not sender.busy  # still leased by the dead process
        clock.advance(seconds=61)
        await sender.poll()
        await asyncio.wait_for(sender.wait(), 10)
    assert sorted(int(p["chat_id"]) for p in request.sent() if p["text"] == "hoi") == [202, 203]
    async with db.session() as session:
        value = json.loads(
            (
                await session.scalar(
                    select(KeyValue.value).where(KeyValue.key == broadcast.RUN + token)
                )
            )
            or "{}"
        )
    assert value["status"] == "done" and value["sent"] == 3 and value["owner"] is None


async def test_non_admin_cannot_confirm_a_draft(
    settings: Settings, db: Database, clock: FakeClock, fake_request: RecordingRequest
) -> None:
    await _chats(db, [301])
    app = _app(settings, db, clock, fake_request)
    async with app:
        await _send(app, "/broadcast hi", ADMIN)
        ok, _ = _buttons(fake_request)
        await _press(app, ok, user_id=3002)
    assert not fake_request.texts(301)
    async with db.session() as session:
        drafts = await session.scalars(
            select(KeyValue.key).where(KeyValue.key.startswith(broadcast.DRAFT))
        )
        assert len(list(drafts)) == 1


async def test_admin_numbers_are_not_shown_in_a_group(
    settings: Settings, db: Database, clock: FakeClock, fake_request: RecordingRequest
) -> None:
    app = _app(settings, db, clock, fake_request)
    group = {"id": -100777, "type": "group", "title": "Team"}
    async with app:
        # Addressed to the bot by name: in a group a bare /command may be another bot's.
        for text in ("/frobnicate@rekpauze_bot", "/admin@rekpauze_bot"):
            await app.process_update(
                message_update(app.bot, text, user=user_dict(ADMIN, "Ad", "en"), chat=group)
            )
    unknown, admin = fake_request.texts(-100777)
    assert admin == unknown
