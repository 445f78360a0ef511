"""The running bot's capacity prediction: the model runs in a child process
(`rekpauze capacity --json`), and its line reaches /admin and its numbers the gauges."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from bot import jobs, metrics
from bot.i18n import LANGUAGES
from bot.storage.db import Database
from tests.reminder_kit import add_chat


async def test_the_prediction_reaches_the_gauges_and_admin(
    app: Any, db: Database, database_url: str
) -> None:
    for chat_id in range(1, 41):
        await add_chat(db, chat_id, next_due_at=None, times=["10:00"], language="nl")
    found = await jobs.capacity_summary(database_url, 1.0)
    assert set(found) >= {"p99_s", "max_s", "skipped", "more", "lines"}
    assert found["skipped"] == 0 and found["max_s"] > 0  # 40 due in one minute at 1 msg/s
    assert set(found["lines"]) == set(LANGUAGES)

    settings = app.bot_data.settings
    app.bot_data.settings = settings.model_copy(
        update={"database_url": database_url, "send_rate_per_second": 1.0}
    )
    await jobs.predict_capacity(SimpleNamespace(bot_data=app.bot_data))  # type: ignore[arg-type]
    assert app.bot_data.capacity == found
    assert metrics.CAPACITY_P99.collect()[0].samples[0].value == found["p99_s"]


async def test_a_new_subscriber_gets_the_least_loaded_minutes_near_the_campaigns_moments(
    app: Any, db: Database, database_url: str, fake_request: Any
) -> None:
    from datetime import date

    from bot.scheduling.defaults import DEFAULT_WINDOW_MINUTES, load_aware_times
    from tests.fakes import message_update, user_dict
    from tests.reminder_kit import get_chat

    for chat_id in range(1, 41):  # 40 Dutch subscribers at 10:00, 13:30 and 15:30 sharp
        await add_chat(db, chat_id, next_due_at=None, times=["10:00", "13:30", "15:30"])
    settings = app.bot_data.settings
    app.bot_data.settings = settings.model_copy(
        update={"database_url": database_url, "send_rate_per_second": 1.0}
    )
    await jobs.predict_capacity(SimpleNamespace(bot_data=app.bot_data))  # type: ignore[arg-type]
    load = app.bot_data.default_load
    assert load is not None and sum(load.cells) > 0
    expected = load_aware_times(
        5000,
        list(load.cells),
        "Europe/Amsterdam",
        0b0011111,
        window_minutes=DEFAULT_WINDOW_MINUTES,
        week_of=load.week_of,
    )
    before = sum(load.cells)
    await app.process_update(message_update(app.bot, "/start", user=user_dict(5000, "Anke", "nl")))
    chat = await get_chat(db, 5000)
    assert chat is not None and chat.times == expected
    assert "10:00" not in chat.times and "13:30" not in chat.times  # the crowded minutes
    assert sum(load.cells) == before + 15  # its own slots count for the next sign-up
    assert isinstance(load.week_of, date)


async def test_the_capacity_job_hands_the_paid_broadcast_forecast_to_the_dispatcher(
    app: Any, db: Database, database_url: str
) -> None:
    """With PAID_BROADCAST_RATE on, the minutes the model predicts later than
    PAID_BROADCAST_AFTER_SECONDS at the free rate reach the dispatcher's rule."""
    from datetime import UTC, datetime, timedelta

    from bot.scheduling.paid import PaidBroadcasts

    for chat_id in range(1, 41):  # 40 due at 10:00 Amsterdam: 40 s of sending at 1 msg/s
        await add_chat(db, chat_id, next_due_at=None, times=["10:00"], language="nl")
    settings = app.bot_data.settings
    app.bot_data.settings = settings.model_copy(
        update={
            "database_url": database_url,
            "send_rate_per_second": 1.0,
            "paid_broadcast_rate": 200.0,
            "paid_broadcast_after_seconds": 20.0,
        }
    )
    app.bot_data.dispatcher.paid = rule = PaidBroadcasts(timedelta(seconds=20))
    await jobs.predict_capacity(SimpleNamespace(bot_data=app.bot_data))  # type: ignore[arg-type]
    assert rule.forecast is not None and rule.forecast.runs
    start = datetime.fromisoformat(app.bot_data.capacity["start"])
    first, _ = rule.forecast.runs[0]
    due = start + timedelta(minutes=first)
    assert due.astimezone(UTC).minute == 0  # 10:00 local, whatever the UTC offset
    assert rule.pays(due, due)  # paid from its first second: predicted 40 s late
    assert not rule.pays(due - timedelta(minutes=1), due - timedelta(minutes=1))
