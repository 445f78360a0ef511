"""The reminder tick through the real Application and a fake Bot API: on time, exactly once,
grace window, recovery after a crash, DST, rotation, pause, and Telegram's error answers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from telegram.error import TimedOut

from bot.outbox import Outbox
from bot.scheduling.dispatcher import Dispatcher
from bot.services import onboarding
from bot.storage.db import Database
from bot.storage.models import DeliveryStatus
from tests.conftest import FakeClock
from tests.fakes import RecordingRequest
from tests.reminder_kit import (
    FakeSleep,
    add_chat,
    all_deliveries,
    get_chat,
    make_dispatcher,
    run,
)

# 2026-11-23 is a Monday; Amsterdam is UTC+1, so 10:00 local is 09:00 UTC.
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def app(paced_app: Any) -> Any:
    return paced_app


async def test_a_due_chat_gets_one_reminder_with_steps_and_buttons(
    dispatcher: Dispatcher, db: Database, fake_request: RecordingRequest
) -> None:
    await add_chat(db, 1, next_due_at=T0)
    await add_chat(db, 2, next_due_at=T0 + timedelta(minutes=1))
    report = await run(dispatcher, T0 + timedelta(seconds=2))
    assert report.reminders == 1
    [sent] = fake_request.delivered()
    assert int(sent["chat_id"]) == 1
    assert "1." in sent["text"] and "<b>" in sent["text"]
    buttons = [b for row in sent["reply_markup"]["inline_keyboard"] for b in row]
    assert [b["callback_data"].split(":")[1] for b in buttons[:6]] == [
        "d",
        "l",
        "m",
        "a",
        "s",
        "v",
    ]
    assert buttons[6]["callback_data"] == "sf:s"  # the safety note, one tap away
    [row] = await all_deliveries(db, 1)
    assert (row.status, row.attempts, row.slot_at) == ("sent", 1, T0)
    assert row.message_id is not None and row.routine_id
    chat = await get_chat(db, 1)
    assert chat is not None and chat.next_due_at == datetime(2026, 11, 23, 12, 30, tzinfo=UTC)
    # Ticking again, however often, sends nothing more.
    for seconds in (3, 5, 30, 60):
        await run(dispatcher, T0 + timedelta(seconds=seconds))
    assert len(fake_request.delivered(1)) == 1


async def test_concurrent_ticks_in_one_process_send_each_slot_once(
    dispatcher: Dispatcher, db: Database, fake_request: RecordingRequest
) -> None:
    for chat_id in range(1, 41):
        await add_chat(db, chat_id, next_due_at=T0 - timedelta(seconds=chat_id))
    now = T0 + timedelta(seconds=1)
    await asyncio.gather(*(dispatcher.tick(now) for _ in range(5)))
    await dispatcher.drain()
    assert sorted(int(p["chat_id"]) for p in fake_request.delivered()) == list(range(1, 41))


async def test_two_workers_on_two_engines_send_each_slot_once(
    app: Any, db: Database, database_url: str, clock: FakeClock, fake_request: RecordingRequest
) -> None:
    """Row claims (SKIP LOCKED on PostgreSQL) plus the unique delivery row, without a leader."""
    for chat_id in range(1, 61):
        await add_chat(db, chat_id, next_due_at=T0 - timedelta(seconds=chat_id % 7))
    other_db = Database(database_url)
    try:
        first = make_dispatcher(app, db, clock, use_leader=False, batch_size=7)
        second = make_dispatcher(app, other_db, clock, use_leader=False, batch_size=7)
        now = T0 + timedelta(seconds=1)
        await asyncio.gather(first.tick(now), second.tick(now), first.tick(now), second.tick(now))
        await asyncio.gather(first.drain(), second.drain())
    finally:
        await other_db.dispose()
    assert sorted(int(p["chat_id"]) for p in fake_request.delivered()) == list(range(1, 61))
    assert len(await all_deliveries(db)) == 60


async def test_a_missed_slot_within_the_grace_window_is_sent_once_older_ones_are_skipped(
    dispatcher: Dispatcher, db: Database, fake_request: RecordingRequest
) -> None:
    restart = T0 + timedelta(minutes=25)
    # 10:10 local, 15 minutes before the restart: sent.
    await add_chat(db, 1, next_due_at=T0 + timedelta(minutes=10), times=["10:10", "14:00"])
    await add_chat(db, 2, next_due_at=T0)  # 10:00, 25 minutes before: skipped
    await add_chat(db, 3, next_due_at=T0 - timedelta(days=3))  # down for days: no flood
    report = await run(dispatcher, restart)
    assert [int(p["chat_id"]) for p in fake_request.delivered()] == [1]
    assert report.skipped == 2
    chat2, chat3 = await get_chat(db, 2), await get_chat(db, 3)
    assert chat2 is not None and chat3 is not None
    assert chat2.next_due_at == datetime(2026, 11, 23, 12, 30, tzinfo=UTC)
    assert chat3.next_due_at == datetime(2026, 11, 23, 12, 30, tzinfo=UTC)
    await run(dispatcher, restart + timedelta(minutes=1))
    assert len(fake_request.delivered()) == 1


async def test_only_the_latest_of_several_missed_slots_is_sent(
    dispatcher: Dispatcher, db: Database, fake_request: RecordingRequest
) -> None:
    await add_chat(db, 1, next_due_at=T0, times=["10:00", "10:05", "10:10"])
    await run(dispatcher, T0 + timedelta(minutes=12))
    [row] = await all_deliveries(db, 1)
    assert row.slot_at == T0 + timedelta(minutes=10)
    assert len(fake_request.delivered()) == 1


async def _walk(dispatcher: Dispatcher, db: Database, chat_id: int, until: datetime) -> list:
    """Tick a few seconds after each due moment until `until`; the slots that were sent."""
    while True:
        chat = await get_chat(db, chat_id)
        assert chat is not None
        if chat.next_due_at is None or chat.next_due_at > until:
            break
        due = chat.next_due_at
        await run(dispatcher, due + timedelta(seconds=3))
        # A tick in the middle of a repeated (fold) hour must not fire again.
        await run(dispatcher, due + timedelta(minutes=61))
    return [row.slot_at for row in await all_deliveries(db, chat_id)]


async def test_dst_in_amsterdam_gap_and_fold_fire_once(
    dispatcher: Dispatcher, db: Database, fake_request: RecordingRequest
) -> None:
    # Spring forward 2026-03-29 02:00 -> 03:00; fall back 2026-10-25 03:00 -> 02:00.
    start = datetime(2026, 3, 27, 12, 0, tzinfo=UTC)
    await add_chat(db, 1, next_due_at=datetime(2026, 3, 28, 1, 30, tzinfo=UTC), times=["02:30"])
    sent = await _walk(dispatcher, db, 1, start + timedelta(days=3))
    assert sent == [
        datetime(2026, 3, 28, 1, 30, tzinfo=UTC),  # 02:30 CET
        datetime(2026, 3, 29, 1, 30, tzinfo=UTC),  # 02:30 does not exist: 03:30 CEST
        datetime(2026, 3, 30, 0, 30, tzinfo=UTC),  # 02:30 CEST
    ]
    await add_chat(db, 2, next_due_at=datetime(2026, 10, 24, 0, 30, tzinfo=UTC), times=["02:30"])
    sent = await _walk(dispatcher, db, 2, datetime(2026, 10, 26, 12, 0, tzinfo=UTC))
    assert sent == [
        datetime(2026, 10, 24, 0, 30, tzinfo=UTC),  # 02:30 CEST
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC),  # first 02:30 (CEST), not the second
        datetime(2026, 10, 26, 1, 30, tzinfo=UTC),  # 02:30 CET
    ]
    # One message per delivery row: no slot was sent twice.
    assert len(fake_request.delivered()) == len(await all_deliveries(db))


async def test_dst_in_new_york_gap_and_fold_fire_once(dispatcher: Dispatcher, db: Database) -> None:
    # Spring forward 2026-03-08 02:00 -> 03:00; fall back 2026-11-01 02:00 -> 01:00.
    tz = "America/New_York"
    await add_chat(
        db, 1, next_due_at=datetime(2026, 3, 7, 6, 30, tzinfo=UTC), times=["01:30", "02:30"], tz=tz
    )
    sent = await _walk(dispatcher, db, 1, datetime(2026, 3, 9, 4, 0, tzinfo=UTC))
    assert sent == [
        datetime(2026, 3, 7, 6, 30, tzinfo=UTC),  # 01:30 EST
        datetime(2026, 3, 7, 7, 30, tzinfo=UTC),  # 02:30 EST
        datetime(2026, 3, 8, 6, 30, tzinfo=UTC),  # 01:30 EST
        datetime(2026, 3, 8, 7, 30, tzinfo=UTC),  # 02:30 does not exist: 03:30 EDT
    ]
    await add_chat(
        db, 2, next_due_at=datetime(2026, 11, 1, 5, 30, tzinfo=UTC), times=["01:30"], tz=tz
    )
    sent = await _walk(dispatcher, db, 2, datetime(2026, 11, 2, 12, 0, tzinfo=UTC))
    assert sent == [
        datetime(2026, 11, 1, 5, 30, tzinfo=UTC),  # first 01:30 (EDT); the EST one is skipped
        datetime(2026, 11, 2, 6, 30, tzinfo=UTC),  # 01:30 EST
    ]


async def test_working_days_only(dispatcher: Dispatcher, db: Database) -> None:
    # Friday 2026-11-27 15:30 local; the next workday slot is Monday 10:00.
    await add_chat(db, 1, next_due_at=datetime(2026, 11, 27, 14, 30, tzinfo=UTC), days=0b0011111)
    await run(dispatcher, datetime(2026, 11, 27, 14, 30, 5, tzinfo=UTC))
    chat = await get_chat(db, 1)
    assert chat is not None and chat.next_due_at == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


async def test_rotation_never_repeats_one_of_the_last_five(
    dispatcher: Dispatcher, db: Database
) -> None:
    await add_chat(db, 1, next_due_at=T0, place="home", times=["10:00", "13:30", "15:30"])
    await _walk(dispatcher, db, 1, T0 + timedelta(days=10))
    routines = [row.routine_id for row in await all_deliveries(db, 1)]
    assert len(routines) >= 30
    for index in range(len(routines)):
        window = routines[max(0, index - 5) : index]
        assert routines[index] not in window, (index, routines)


async def test_pause_sends_nothing_until_it_ends(
    dispatcher: Dispatcher, db: Database, fake_request: RecordingRequest
) -> None:
    # next_due_at still points into the pause (set before it): nothing is sent.
    until = T0 + timedelta(days=2)
    await add_chat(db, 1, next_due_at=T0, paused_until=until)
    await run(dispatcher, T0 + timedelta(seconds=5))
    assert fake_request.delivered() == []
    chat = await get_chat(db, 1)
    assert chat is not None and chat.next_due_at == datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


async def test_a_crash_between_insert_and_send_is_recovered_once_by_the_next_worker(
    app: Any, db: Database, clock: FakeClock, fake_request: RecordingRequest
) -> None:
    """Worker A writes the rows and dies before sending (kill -9). Worker B leaves them alone
    while A's heartbeat is fresh (A might be sending), then sends each exactly once."""
    for chat_id in (1, 2, 3):
        await add_chat(db, chat_id, next_due_at=T0)
    crashed = make_dispatcher(app, db, clock, worker_id="a")
    crashed._spawn = lambda job: None  # type: ignore[method-assign]  # dies before sending
    assert (await crashed.tick(T0 + timedelta(seconds=1))).reminders == 3
    rows = await all_deliveries(db)
    assert {r.status for r in rows} == {"pending"} and fake_request.delivered() == []

    successor = make_dispatcher(app, db, clock, worker_id="b")
    report = await run(successor, T0 + timedelta(seconds=6))
    assert not report.leader and fake_request.delivered() == []
    report = await run(successor, T0 + timedelta(seconds=22))  # A's lease has lapsed
    assert report.leader and report.recovered == 3
    assert sorted(int(p["chat_id"]) for p in fake_request.delivered()) == [1, 2, 3]
    assert {r.status for r in await all_deliveries(db)} == {"sent"}
    await run(successor, T0 + timedelta(seconds=40))
    assert len(fake_request.delivered()) == 3


async def test_a_live_workers_sends_in_flight_are_not_taken_over(
    app: Any, db: Database, clock: FakeClock, fake_request: RecordingRequest
) -> None:
    await add_chat(db, 1, next_due_at=T0)
    slow = make_dispatcher(app, db, clock, worker_id="slow", use_leader=False)
    slow._spawn = lambda job: None  # type: ignore[method-assign]  # still "sending"
    await slow.tick(T0)
    other = make_dispatcher(app, db, clock, worker_id="other", use_leader=False)
    for seconds in (5, 10, 15, 20, 25, 30):
        await slow.tick(T0 + timedelta(seconds=seconds))  # heartbeat renewed
        await run(other, T0 + timedelta(seconds=seconds))
    assert fake_request.delivered() == []


async def test_orphans_older_than_the_grace_window_expire_unsent(
    app: Any, db: Database, clock: FakeClock, fake_request: RecordingRequest
) -> None:
    await add_chat(db, 1, next_due_at=T0)
    crashed = make_dispatcher(app, db, clock, worker_id="a")
    crashed._spawn = lambda job: None  # type: ignore[method-assign]
    await crashed.tick(T0)
    successor = make_dispatcher(app, db, clock, worker_id="b")
    report = await run(successor, T0 + timedelta(minutes=21))
    assert report.expired == 1 and fake_request.delivered() == []
    [row] = await all_deliveries(db)
    assert row.status == "expired"


async def test_the_standby_takes_over_within_30_seconds_and_at_once_after_shutdown(
    app: Any, db: Database, clock: FakeClock, fake_request: RecordingRequest
) -> None:
    active = make_dispatcher(app, db, clock, worker_id="active")
    standby = make_dispatcher(app, db, clock, worker_id="standby")
    assert (await active.tick(T0)).leader
    assert not (await standby.tick(T0 + timedelta(seconds=5))).leader
    await add_chat(db, 1, next_due_at=T0 + timedelta(seconds=10))
    # The active one dies at T0 (it stops ticking); the standby keeps ticking every 5 s.
    took_over = None
    for seconds in range(10, 60, 5):
        if (await run(standby, T0 + timedelta(seconds=seconds))).leader:
            took_over = seconds
            break
    assert took_over is not None and took_over <= 30
    assert len(fake_request.delivered(1)) == 1
    # A clean shutdown hands over immediately.
    await standby.shutdown()
    assert (await active.tick(T0 + timedelta(seconds=took_over + 1))).leader


async def test_403_blocks_the_chat_after_one_try_until_start(
    dispatcher: Dispatcher, db: Database, fake_request: RecordingRequest, clock: FakeClock
) -> None:
    await add_chat(db, 1, next_due_at=T0)
    fake_request.fail("sendMessage", 403, "Forbidden: bot was blocked by the user", chat_id=1)
    await run(dispatcher, T0 + timedelta(seconds=1))
    chat = await get_chat(db, 1)
    assert chat is not None and chat.blocked and chat.next_due_at is None
    [row] = await all_deliveries(db, 1)
    assert (row.status, row.attempts) == ("blocked", 1)
    for days in range(1, 4):
        await run(dispatcher, T0 + timedelta(days=days))
    assert len(fake_request.sent()) == 1  # tried once, then left alone
    registration = await onboarding.begin(  # what /start does
        db, 1, chat_type="private", language="en", now=T0 + timedelta(days=4)
    )
    assert not registration.chat.blocked
    chat = await get_chat(db, 1)
    assert chat is not None and not chat.blocked
    assert chat.next_due_at == datetime(2026, 11, 27, 12, 30, tzinfo=UTC)


async def test_400_chat_not_found_blocks_too(
    dispatcher: Dispatcher, db: Database, fake_request: RecordingRequest
) -> None:
    await add_chat(db, 1, next_due_at=T0)
    fake_request.fail("sendMessage", 400, "Bad Request: chat not found")
    await run(dispatcher, T0)
    chat = await get_chat(db, 1)
    assert chat is not None and chat.blocked


async def test_429_waits_retry_after_and_delivers(
    dispatcher: Dispatcher,
    db: Database,
    fake_request: RecordingRequest,
    sleep: FakeSleep,
) -> None:
    await add_chat(db, 1, next_due_at=T0)
    fake_request.fail(
        "sendMessage", 429, "Too Many Requests: retry after 7", parameters={"retry_after": 7}
    )
    await run(dispatcher, T0)
    assert len(fake_request.sent()) == 2 and len(fake_request.delivered()) == 1
    assert sleep.waits == [pytest.approx(7.1)]
    [row] = await all_deliveries(db, 1)
    assert (row.status, row.attempts) == ("sent", 2)


async def test_5xx_and_connect_timeouts_retry_with_growing_backoff(
    dispatcher: Dispatcher,
    db: Database,
    fake_request: RecordingRequest,
    sleep: FakeSleep,
) -> None:
    await add_chat(db, 1, next_due_at=T0)
    fake_request.fail("sendMessage", 502, "Bad Gateway", times=2)
    fake_request.fail("sendMessage", 500, "Internal Server Error")
    connect = TimedOut()  # before the request was written: safe to send again (bot.retry)
    connect.__cause__ = httpx.ConnectTimeout("connect")
    fake_request.fail("sendMessage", exception=connect)
    await run(dispatcher, T0)
    assert len(fake_request.delivered()) == 1
    assert len(sleep.waits) == 4
    assert sleep.waits == sorted(sleep.waits) and sleep.waits[-1] > 2 * sleep.waits[0]
    [row] = await all_deliveries(db, 1)
    assert (row.status, row.attempts) == ("sent", 5)


async def test_5xx_retries_stop_when_the_grace_window_ends(
    dispatcher: Dispatcher,
    db: Database,
    fake_request: RecordingRequest,
    sleep: FakeSleep,
) -> None:
    await add_chat(db, 1, next_due_at=T0)
    fake_request.fail("sendMessage", 500, "Internal Server Error", times=1000)
    await run(dispatcher, T0)
    assert fake_request.delivered() == []
    assert sum(sleep.waits) <= 20 * 60
    assert 40 < len(fake_request.sent()) < 100
    [row] = await all_deliveries(db, 1)
    assert row.status == "failed" and row.error


async def test_group_migration_keeps_the_subscription_under_the_new_id(
    dispatcher: Dispatcher, db: Database, fake_request: RecordingRequest
) -> None:
    await add_chat(db, -100, next_due_at=T0, chat_type="group", times=["10:00", "14:00"])
    fake_request.fail(
        "sendMessage",
        400,
        "Bad Request: group chat was upgraded to a supergroup chat",
        chat_id=-100,
        parameters={"migrate_to_chat_id": -1001234},
    )
    await run(dispatcher, T0)
    assert [int(p["chat_id"]) for p in fake_request.delivered()] == [-1001234]
    assert await get_chat(db, -100) is None
    moved = await get_chat(db, -1001234)
    assert moved is not None
    assert (moved.type, moved.times) == ("supergroup", ["10:00", "14:00"])
    assert moved.next_due_at == datetime(2026, 11, 23, 13, 0, tzinfo=UTC)
    [row] = await all_deliveries(db, -1001234)
    assert row.status == DeliveryStatus.SENT


async def test_the_application_wires_the_limiter_and_one_tick_job(app: Any) -> None:
    from bot import jobs
    from bot.sending import RateLimiter

    assert isinstance(app.bot.rate_limiter, RateLimiter)
    assert isinstance(app.bot_data.dispatcher, Dispatcher)
    jobs.schedule_all(app)
    [job] = app.job_queue.get_jobs_by_name("dispatcher")
    assert job.job.trigger.interval == timedelta(seconds=5)
    job.schedule_removal()
    svc = app.bot_data
    assert svc.heartbeat.registered
    assert {"reminder sends", "leader lease"} <= set(svc.shutdown.names)


async def test_the_tick_job_uses_the_services_clock(
    app: Any, db: Database, clock: FakeClock, fake_request: RecordingRequest
) -> None:
    from types import SimpleNamespace

    from bot import jobs

    await add_chat(db, 1, next_due_at=clock.now)
    await jobs.reminder_tick(SimpleNamespace(bot_data=app.bot_data))  # type: ignore[arg-type]
    await app.bot_data.dispatcher.drain()
    assert len(fake_request.delivered(1)) == 1
    assert app.bot_data.heartbeat.last == clock.now
    await app.bot_data.dispatcher.shutdown()


async def test_a_worker_never_takes_over_its_own_sends_after_a_slow_tick(
    app: Any, db: Database, clock: FakeClock, fake_request: RecordingRequest
) -> None:
    await add_chat(db, 1, next_due_at=T0)
    slow = make_dispatcher(app, db, clock, worker_id="slow")
    slow._spawn = lambda job: None  # type: ignore[method-assign]  # still "sending"
    await slow.tick(T0)
    report = await slow.tick(T0 + timedelta(minutes=2))  # its own heartbeat had lapsed
    assert report.recovered == 0


class _GatedBot:
    """A bot whose first send is on the wire until `release` is set, while the others wait
    for their turn (as behind the rate limiter) and never get one."""

    rate_limiter = True

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.on_wire = asyncio.Event()
        self.sent: list[int] = []

    async def send_message(self, chat_id: int, *_: Any, rate_limit_args: Any, **__: Any) -> Any:
        if self.on_wire.is_set():
            await asyncio.Event().wait()  # waiting for a turn that never comes
        rate_limit_args.on_wire = True
        self.on_wire.set()
        await self.release.wait()
        self.sent.append(chat_id)
        return type("Message", (), {"message_id": len(self.sent)})()


async def test_stop_finishes_the_send_on_the_wire_and_leaves_the_queue_for_the_successor(
    app: Any, db: Database, clock: FakeClock, fake_request: RecordingRequest
) -> None:
    for chat_id in (1, 2, 3):
        await add_chat(db, chat_id, next_due_at=T0)
    gated = _GatedBot()
    first = make_dispatcher(app, db, clock, worker_id="first")
    first.sender = Outbox(gated, db)  # type: ignore[arg-type]
    await first.tick(T0 + timedelta(seconds=1))
    await asyncio.wait_for(gated.on_wire.wait(), 5)

    stopping = asyncio.create_task(first.shutdown(wait_seconds=5))
    for _ in range(100):  # the queued sends are abandoned at once, the one on the wire not
        await asyncio.sleep(0)
    assert first.in_flight == 1 and not stopping.done()
    gated.release.set()
    await asyncio.wait_for(stopping, 5)
    rows = {row.chat_id: row.status for row in await all_deliveries(db)}
    assert sorted(rows.values()) == ["pending", "pending", "sent"]

    # The successor takes the abandoned ones over at once (the lease was released).
    successor = make_dispatcher(app, db, clock, worker_id="successor")
    report = await run(successor, T0 + timedelta(seconds=2))
    assert report.recovered == 2
    assert [gated.sent, sorted(int(p["chat_id"]) for p in fake_request.delivered())] == [
        [c for c, s in rows.items() if s == "sent"],
        sorted(c for c, s in rows.items() if s == "pending"),
    ]


def _skips() -> dict[str, float]:
    from bot import metrics

    return {c: metrics.REMINDERS_SKIPPED.labels(c)._value.get() for c in ("down", "late", "next")}


async def test_a_reminder_45_minutes_late_under_load_is_sent_and_3_hours_after_a_restart_not(
    app: Any, db: Database, clock: FakeClock, fake_request: RecordingRequest
) -> None:
    """Issue 20: overload never drops a reminder silently. A slot that fell due while the bot
    ran is sent up to MAX_LATE_MINUTES late; one missed while it was down keeps the grace
    window; each skip is counted by cause."""
    clock.now = T0
    running = make_dispatcher(app, db, clock, max_late=timedelta(minutes=60), worker_id="a")
    await add_chat(db, 1, next_due_at=T0 + timedelta(minutes=5), times=["10:05", "15:00"])
    before = _skips()
    await run(running, T0 + timedelta(minutes=50))  # 45 minutes late: the queue held it back
    assert len(fake_request.delivered(1)) == 1
    assert _skips() == before

    # A chat whose slot fell due three hours before this worker started: skipped, counted.
    await add_chat(db, 2, next_due_at=T0, times=["10:00", "18:00"])
    clock.now = T0 + timedelta(hours=3)
    restarted = make_dispatcher(app, db, clock, max_late=timedelta(minutes=60), worker_id="b")
    await running.release()
    await run(restarted, clock.now)
    assert fake_request.delivered(2) == []
    assert _skips()["down"] == before["down"] + 1
    chat = await get_chat(db, 2)
    assert chat is not None and chat.next_due_at == datetime(2026, 11, 23, 17, 0, tzinfo=UTC)


def _flagged(sent: dict[str, Any]) -> bool:
    return str(sent.get("allow_paid_broadcast", "")).lower() in ("true", "1")


async def test_a_reminder_later_than_the_threshold_goes_out_as_a_paid_broadcast(
    app: Any, db: Database, clock: FakeClock, fake_request: RecordingRequest
) -> None:
    """Issue 20, paid broadcasts: only a reminder the free rate has already made later than
    PAID_BROADCAST_AFTER_SECONDS carries allow_paid_broadcast, and it is counted."""
    from bot import metrics
    from bot.scheduling.paid import PaidBroadcasts

    clock.now = T0 - timedelta(minutes=5)
    dispatcher = make_dispatcher(app, db, clock, paid=PaidBroadcasts(timedelta(seconds=60)))
    await add_chat(db, 1, next_due_at=T0 - timedelta(minutes=2), times=["09:58"])
    await add_chat(db, 2, next_due_at=T0)
    before = metrics.paid_broadcasts()
    clock.now = T0 + timedelta(seconds=30)  # chat 1 is 150 s late, chat 2 30 s
    await run(dispatcher, clock.now)
    [late] = fake_request.delivered(1)
    [on_time] = fake_request.delivered(2)
    assert _flagged(late) and not _flagged(on_time)
    assert metrics.paid_broadcasts() == before + 1
    assert {row.status for row in await all_deliveries(db)} == {DeliveryStatus.SENT}


async def test_a_reminder_in_a_minute_the_model_predicts_late_is_paid_from_the_start(
    app: Any, db: Database, clock: FakeClock, fake_request: RecordingRequest
) -> None:
    from bot.scheduling.paid import LateMinutes, PaidBroadcasts

    midnight = T0.replace(hour=0)
    forecast = LateMinutes.from_runs(midnight, [(9 * 60, 9 * 60 + 2)])  # 09:00-09:02 UTC
    clock.now = T0
    dispatcher = make_dispatcher(
        app, db, clock, paid=PaidBroadcasts(timedelta(seconds=60), forecast)
    )
    await add_chat(db, 1, next_due_at=T0)
    await add_chat(db, 2, next_due_at=T0 + timedelta(minutes=3), times=["10:03"])
    await run(dispatcher, clock.now)
    assert _flagged(fake_request.delivered(1)[0])
    clock.now = T0 + timedelta(minutes=3)
    await run(dispatcher, clock.now)
    assert not _flagged(fake_request.delivered(2)[0])  # 10:03 is not in the forecast


async def test_without_paid_broadcasts_no_reminder_is_ever_flagged(
    app: Any, db: Database, clock: FakeClock, fake_request: RecordingRequest, settings: Any
) -> None:
    from bot.scheduling import dispatcher as dispatcher_module

    assert settings.paid_broadcast_rate == 0
    built = dispatcher_module.from_settings(
        Outbox(app.bot, db), app.bot_data.catalogue, settings, db, clock
    )
    assert built.paid is None
    on = settings.model_copy(update={"paid_broadcast_rate": 200.0})
    paid = dispatcher_module.from_settings(
        Outbox(app.bot, db), app.bot_data.catalogue, on, db, clock
    ).paid
    assert paid is not None and paid.after == timedelta(seconds=60)

    clock.now = T0 - timedelta(minutes=50)
    built = dispatcher_module.from_settings(
        Outbox(app.bot, db), app.bot_data.catalogue, settings, db, clock
    )
    await add_chat(db, 1, next_due_at=T0 - timedelta(minutes=45), times=["09:15"])
    clock.now = T0
    await run(built, clock.now)  # 45 minutes late under load: sent, but never paid for
    [sent] = fake_request.delivered(1)
    assert not _flagged(sent)


async def test_under_load_a_slot_nearer_to_the_next_one_than_to_its_own_is_skipped(
    app: Any, db: Database, clock: FakeClock, fake_request: RecordingRequest
) -> None:
    clock.now = T0
    dispatcher = make_dispatcher(app, db, clock, max_late=timedelta(minutes=60))
    await add_chat(db, 1, next_due_at=T0, times=["10:00", "10:50"])
    before = _skips()
    await run(dispatcher, T0 + timedelta(minutes=30))  # 30 late, the next slot 20 away
    assert fake_request.delivered(1) == []
    assert _skips()["next"] == before["next"] + 1
    await run(dispatcher, T0 + timedelta(minutes=50, seconds=2))
    assert len(fake_request.delivered(1)) == 1


async def test_answers_that_arrive_together_are_committed_together(
    app: Any, db: Database, clock: FakeClock, fake_request: RecordingRequest, monkeypatch: Any
) -> None:
    """Group commit: at hundreds of sends a second one transaction per answer was a tenth of
    the bot's CPU; answers queued while a write runs go into the next one, and every row is
    still recorded before drain() returns."""
    from bot.scheduling import dispatcher as dispatcher_module

    writes: list[int] = []  # rows per statement
    finish_many = dispatcher_module.deliveries.finish_many

    async def counting_finish(session: Any, answers: Any) -> None:
        writes.append(len(answers))
        await finish_many(session, answers)

    monkeypatch.setattr(dispatcher_module.deliveries, "finish_many", counting_finish)
    clock.now = T0
    dispatcher = make_dispatcher(app, db, clock)
    for chat_id in range(1, 41):
        await add_chat(db, chat_id, next_due_at=T0)
    await run(dispatcher, T0)
    assert len(fake_request.delivered()) == 40 and sum(writes) == 40
    assert len(writes) < 40  # fewer statements (and transactions) than answers
    rows = await all_deliveries(db)
    assert len(rows) == 40 and {row.status for row in rows} == {DeliveryStatus.SENT}
    assert {(row.attempts, row.error) for row in rows} == {(1, None)}
    assert all(row.sent_at is not None and T0 <= row.sent_at <= clock.now for row in rows)
    assert len({row.message_id for row in rows}) == 40 and None not in {r.message_id for r in rows}
