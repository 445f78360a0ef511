"""The capacity read on a real database, and `rekpauze capacity` on it."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.scheduling import capacity
from bot.storage import capacity as capacity_storage
from bot.storage.db import Database
from bot.storage.models import ALL_DAYS, WORKDAYS, Chat

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 6, 1, 6, 0, tzinfo=UTC)


async def _seed(db: Database) -> list[capacity.ScheduleRow]:
    """Chats in the database, and the same schedules as the model's rows, chat by chat."""
    chats = []
    for i in range(40):
        times = ["10:00", "13:30", "15:30"] if i % 2 else ["09:00", "14:00"]
        paused = None
        if i % 5 == 0:
            paused = NOW + timedelta(days=2, minutes=i)
        elif i % 5 == 1:
            paused = NOW - timedelta(days=1)  # ended: counts as not paused
        tz = "Europe/Amsterdam" if i % 3 else "Europe/London"
        chats.append(
            Chat(id=1000 + i, times=times, days=WORKDAYS, timezone=tz, paused_until=paused)
        )
    chats.append(Chat(id=2000, times=["10:00"], days=ALL_DAYS, active=False))  # stopped
    chats.append(Chat(id=2001, times=["10:00"], days=ALL_DAYS, blocked=True))  # blocked
    async with db.session() as session:
        session.add_all(chats)
    return [
        (c.times, c.days, c.timezone, c.paused_until, 1)
        for c in chats
        if c.active is not False and not c.blocked
    ]


async def test_grouped_read_gives_the_model_what_the_chats_give_it(db: Database) -> None:
    expected_rows = await _seed(db)
    async with db.session() as session:
        rows = [row async for row in capacity_storage.schedules(session, NOW)]
    assert sum(row[4] for row in rows) == 40  # stopped and blocked chats left out
    assert len(rows) < 40  # grouped in SQL
    assert all(row[3] is None or row[3] > NOW for row in rows)  # ended pauses read as none
    from_db = capacity.demand(capacity.aggregate(rows, NOW))
    direct = capacity.demand(capacity.aggregate(expected_rows, NOW))
    assert from_db.total == direct.total > 0
    assert (from_db.per_minute() == direct.per_minute()).all()
    assert (capacity.weekly_load(rows, NOW) == capacity.weekly_load(expected_rows, NOW)).all()


async def test_capacity_command_prints_the_figures_and_draws_the_chart(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    await _seed(db)
    out = tmp_path / "capacity.png"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "bot.cli", "capacity", "--rate", "0.05", "--out", str(out)],
        env={**env, "PYTHONPATH": str(ROOT), "DATABASE_URL": database_url},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert "subscribers: 40" in text
    assert "busiest minutes (UTC):" in text
    assert "lateness p50" in text and "skipped" in text
    # 0.05 msg/s = 3 a minute: 13 chats due at 09:00 London do not fit
    assert "subscribers too many at the current mix" in text
    # ... so that minute starts early as the dispatcher would (EARLY_START_MAX_SECONDS=60)
    assert "early start (crowded minutes, up to 60 s):" in text
    assert out.read_bytes().startswith(b"\x89PNG")
