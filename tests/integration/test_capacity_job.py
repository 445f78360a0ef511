"""The running bot's capacity prediction: the model runs in a child process
(`rekpauze capacity --json`), and its line reaches /admin and its numbers the gauges."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from bot import jobs, metrics
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
    assert set(found["lines"]) == {"nl", "en"}

    settings = app.bot_data.settings
    app.bot_data.settings = settings.model_copy(
        update={"database_url": database_url, "send_rate_per_second": 1.0}
    )
    await jobs.predict_capacity(SimpleNamespace(bot_data=app.bot_data))  # type: ignore[arg-type]
    assert app.bot_data.capacity == found
    assert metrics.CAPACITY_P99.collect()[0].samples[0].value == found["p99_s"]
