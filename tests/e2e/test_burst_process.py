"""Issues 5, 6 and 8 "done when" against `rekpauze run`: a burst of due reminders cut short by
`kill -9` or by SIGTERM, then a restart. The chats are seeded due in the database the process
uses (within the grace window), so no test waits for a wall-clock minute; the stand-in's
latency stretches the burst over seconds so the stop lands in the middle of it."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.sandbox.server import BotAPIServer
from bot.sandbox.state import User
from bot.storage.db import Database
from bot.storage.models import ALL_DAYS, Chat, Delivery, DeliveryStatus
from tests.e2e.conftest import BotProcess


async def seed_due(db: Database, standin: BotAPIServer, count: int) -> list[User]:
    """`count` onboarded subscribers whose reminder was due half a minute ago; their only
    daily time is hours away, so the slot due now is the one and only reminder in the test."""
    now = datetime.now(UTC)
    later = (now + timedelta(hours=6)).strftime("%H:%M")
    users = [standin.add_user(f"User{i}", started=True) for i in range(count)]
    async with db.session() as session:
        session.add_all(
            Chat(
                id=user.id,
                language="en",
                timezone="UTC",
                times=[later],
                days=ALL_DAYS,
                onboarded=True,
                safety_shown=True,
                next_due_at=now - timedelta(seconds=30),
            )
            for user in users
        )
    return users


def received(standin: BotAPIServer, users: list[User]) -> list[int]:
    """How many reminders each user's chat holds."""
    return [len(standin.messages(user)) for user in users]


def fast_engine(process: BotProcess, **extra: str) -> None:
    """Tick every second and let a dead leader's lease lapse after 5 s (the shortest allowed)."""
    process.env.update(TICK_SECONDS="1", LEADER_LEASE_SECONDS="5", **extra)


async def wait_for(standin: BotAPIServer, condition: Callable[[], bool], seconds: float) -> None:
    await standin.wait_until(condition, timeout=seconds)


async def pending_rows(db: Database) -> int:
    async with db.session() as session:
        stmt = select(func.count()).where(Delivery.status == DeliveryStatus.PENDING)
        return int(await session.scalar(stmt) or 0)


async def pending_chats(db: Database) -> set[int]:
    async with db.session() as session:
        stmt = select(Delivery.chat_id).where(Delivery.status == DeliveryStatus.PENDING)
        return set((await session.execute(stmt)).scalars())


async def all_recorded(db: Database, seconds: float = 10) -> None:
    """Wait (bounded) until the running bot has recorded the answer to every send."""
    async with asyncio.timeout(seconds):  # another process writes: poll the database
        while True:
            if not await pending_rows(db):
                return
            await asyncio.sleep(0.2)


async def test_kill_9_mid_burst_loses_nothing_and_repeats_only_sends_in_flight(
    standin: BotAPIServer, bot_process: BotProcess, db: Database
) -> None:
    count = 200
    users = await seed_due(db, standin, count)
    standin.set_latency(1.0, "sendMessage")  # each send takes effect, then is answered late
    fast_engine(bot_process)
    bot_process.start()

    await wait_for(standin, lambda: sum(received(standin, users)) >= count // 3, 60)
    # Nothing else runs on this loop between reading the stand-in and the kill.
    in_flight = standin.stats.in_flight["sendMessage"]
    sends_before = standin.stats.by_method["sendMessage"]
    reached = {user.id for user in users if standin.messages(user)}
    bot_process.signal(signal.SIGKILL)
    assert await bot_process.wait(10) == -signal.SIGKILL
    await wait_for(standin, lambda: standin.stats.in_flight["sendMessage"] == 0, 10)
    # Requests the dead process had written to its socket but the stand-in read only after
    # the kill were in flight at the kill too.
    late = standin.stats.by_method["sendMessage"] - sends_before
    reached |= {user.id for user in users if standin.messages(user)}
    # Sends whose outcome the dead process never recorded, though the chat has the message:
    # on the wire at the kill, or answered a moment before it and not yet written down.
    unknown = reached & await pending_chats(db)
    assert 0 < len(reached) < count

    standin.set_latency(0, "sendMessage")
    bot_process.start()
    await wait_for(standin, lambda: min(received(standin, users)) >= 1, 60)
    await all_recorded(db)

    twice = {user.id for user in users if len(standin.messages(user)) > 1}
    print(
        f"kill -9: {count} chats, {len(reached)} reached by the kill, {in_flight} sends in "
        f"flight at the stand-in (+{late} read after it), {len(unknown)} outcomes unrecorded, "
        f"{len(twice)} chats got the reminder twice"
    )
    assert max(received(standin, users)) <= 2
    assert twice <= unknown  # the only repeats are sends whose outcome was never recorded
    assert len(unknown) - (in_flight + late) <= 3  # answered but not recorded: a few ms' worth

    bot_process.signal(signal.SIGTERM)
    assert await bot_process.wait(15) == 0
    assert "Traceback" not in bot_process.output()


async def test_sigterm_mid_burst_exits_0_in_time_and_the_restart_sends_the_rest_once(
    standin: BotAPIServer, bot_process: BotProcess, db: Database
) -> None:
    count = 100
    users = await seed_due(db, standin, count)
    standin.set_latency(0.5, "sendMessage")
    # 10 a second: the burst outlasts the 10 s shutdown budget, so not all of it drains.
    fast_engine(bot_process, SEND_RATE_PER_SECOND="10")
    bot_process.start()

    await wait_for(standin, lambda: sum(received(standin, users)) >= 20, 60)
    started = time.monotonic()
    bot_process.signal(signal.SIGTERM)
    assert await bot_process.wait(15) == 0
    stopped_in = time.monotonic() - started
    assert stopped_in < 15
    first_run = sum(received(standin, users))
    assert "Traceback" not in bot_process.output()

    bot_process.start()
    await wait_for(standin, lambda: min(received(standin, users)) >= 1, 60)
    print(
        f"SIGTERM: {count} chats, stopped in {stopped_in:.1f} s with {first_run} delivered, "
        "the rest after the restart"
    )
    await all_recorded(db)
    assert received(standin, users) == [1] * count  # exactly once: the stop drained its sends

    bot_process.signal(signal.SIGTERM)
    assert await bot_process.wait(15) == 0
    assert "Traceback" not in bot_process.output()
