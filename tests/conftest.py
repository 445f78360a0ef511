"""Shared fixtures: a migrated database (SQLite, or PostgreSQL from TEST_DATABASE_URL) and
the real Application wired to an in-process fake Bot API."""

from __future__ import annotations

import gc
import os
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.storage.db import Database
from bot.storage.models import Base
from tests.fakes import TOKEN, RecordingRequest

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")

# Rendered animations are keyed by their pose file and renderer version, so every test (and
# every test run: build/ is ignored by git) may share them; each is rendered at most once
# instead of once per test. Bot processes the tests start inherit it.
os.environ.setdefault(
    "ANIMATION_CACHE_DIR", str(Path(__file__).resolve().parents[1] / "build" / "test-animations")
)


class FakeClock:
    """An injected clock: tests move time forward instead of sleeping."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        from datetime import timedelta

        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return TEST_DATABASE_URL or f"sqlite+aiosqlite:///{tmp_path / 'test.sqlite3'}"


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    await database.upgrade()
    if TEST_DATABASE_URL:
        async with database.engine.begin() as connection:
            for table in reversed(Base.metadata.sorted_tables):
                await connection.execute(table.delete())
    yield database
    await database.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(database_url: str) -> Settings:
    # SEND_RATE_PER_SECOND=0: no flood-control pacing against the in-process fake (the
    # reminder engine's tests pace on a fake clock instead).
    return Settings(  # type: ignore[call-arg]
        TELEGRAM_BOT_TOKEN=TOKEN, DATABASE_URL=database_url, SEND_RATE_PER_SECOND=0
    )


@pytest.fixture
def fake_request() -> Iterator[RecordingRequest]:
    """The in-process Bot API; the test fails if the bot sent something Telegram refuses."""
    request = RecordingRequest()
    yield request
    assert request.refused == [], [(call.method, why) for call, why in request.refused]


@pytest.fixture
async def app(
    settings: Settings, db: Database, clock: FakeClock, fake_request: RecordingRequest
) -> AsyncIterator[Any]:
    from bot.app import build_application

    application = build_application(
        settings,
        db,
        token=TOKEN,
        clock=clock,
        request=fake_request,
        get_updates_request=RecordingRequest(),
    )
    async with application:
        yield application


@pytest.fixture
def sleep(clock: FakeClock) -> Any:
    """The rate limiter's sleep: moves the fake clock on instead of waiting."""
    from tests.reminder_kit import FakeSleep

    return FakeSleep(clock)


@pytest.fixture
async def paced_app(
    settings: Settings, db: Database, clock: FakeClock, fake_request: RecordingRequest, sleep: Any
) -> AsyncIterator[Any]:
    """The Application with the production rate limiter on the fake clock and `sleep`: the
    reminder engine's tests see its pacing without waiting. A module that wants it for all
    its tests overrides `app` with it."""
    from tests.reminder_kit import make_app

    application = make_app(settings, db, clock, fake_request, sleep)
    async with application:
        yield application


@pytest.fixture
def dispatcher(app: Any, db: Database, clock: FakeClock) -> Any:
    """A dispatcher for the module's `app`, as one worker process has it."""
    from tests.reminder_kit import make_dispatcher

    return make_dispatcher(app, db, clock)


@pytest.fixture(autouse=True)
def _heap_not_frozen() -> Iterator[None]:
    """No test may freeze the test process's heap (bot.app.freeze_heap, run by start-up):
    it would keep every later test's garbage alive. Start-up runs with freeze=False
    in-process; a `rekpauze run` subprocess test checks the freeze."""
    yield
    frozen = gc.get_freeze_count()
    gc.unfreeze()
    assert not frozen, f"the test froze {frozen} objects of the test process's heap"
