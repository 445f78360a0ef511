"""Issue 16, point 13: the terminal sandbox shows button toasts and alerts (the stand-in
records them as `answer_text`), writes pictures and files where they can be opened, and
runs every periodic job in step with its fast clock."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

from bot import jobs
from bot.app import build_application
from bot.config import Settings
from bot.sandbox.server import BotAPIServer, ManualClock
from bot.sandbox.terminal import Terminal
from bot.storage.db import Database
from tests.conftest import FakeClock
from tests.fakes import TOKEN, RecordingRequest
from tests.integration.test_standin import png


@pytest.fixture
async def server() -> AsyncIterator[BotAPIServer]:
    stand_in = BotAPIServer(clock=ManualClock())
    await stand_in.start()
    yield stand_in
    await stand_in.stop()


async def test_toasts_and_alerts_are_printed(server: BotAPIServer) -> None:
    out = io.StringIO()
    terminal = Terminal(out, color=False, now=lambda: datetime(2026, 11, 23, 9, tzinfo=UTC))
    server.add_listener(terminal.show)
    user = server.add_user("Anke", language_code="nl")
    await server.send_text(user, "/start")  # a bot cannot write first
    async with Bot(server.token, base_url=server.base_url) as bot:
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("Gedaan", callback_data="d")]])
        sent = await bot.send_message(user.id, "Rekpauze!", reply_markup=markup)
        stored = server.chat(user).messages[sent.message_id]
        first = await server.press_button(user, stored, "Gedaan")
        await bot.answer_callback_query(first.id, "Genoteerd 💪")
        second = await server.press_button(user, stored, "Gedaan")
        await bot.answer_callback_query(second.id, "Al genoteerd", show_alert=True)
    printed = out.getvalue()
    assert "[toast] Genoteerd 💪" in printed
    assert "[alert] Al genoteerd" in printed


async def test_pictures_and_files_are_written_to_the_printed_folder(
    server: BotAPIServer, tmp_path: Path
) -> None:
    out = io.StringIO()
    terminal = Terminal(
        out,
        color=False,
        now=lambda: datetime(2026, 11, 23, 9, tzinfo=UTC),
        files_dir=tmp_path,
        file_content=server.file_content,
    )
    server.add_listener(terminal.show)
    user = server.add_user("Anke", language_code="nl")
    await server.send_text(user, "/start")
    picture, export = png(), b'{"chat": {}}'
    async with Bot(server.token, base_url=server.base_url) as bot:
        await bot.send_photo(user.id, picture, caption="stats")
        await bot.send_document(user.id, export, filename="rekpauze-export.json")
    printed = out.getvalue()
    saved = _files(tmp_path)
    assert [p.name for p, _ in saved] == ["image-2.png", "rekpauze-export.json"]
    assert [content for _, content in saved] == [picture, export]
    assert f"saved to {saved[0][0]}" in printed and f"saved to {saved[1][0]}" in printed


def _files(folder: Path) -> list[tuple[Path, bytes]]:
    return [(path, path.read_bytes()) for path in sorted(folder.iterdir())]


def _intervals(app: Any) -> dict[str, float]:
    return {job.name: job.job.trigger.interval.total_seconds() for job in app.job_queue.jobs()}


async def test_every_job_keeps_its_pace_on_a_fast_sandbox_clock(
    settings: Settings, db: Database, clock: FakeClock
) -> None:
    """At --speed 100 a job meant to run every 60 clock seconds runs every 0.6 real ones (the
    weekly summary came 7 simulated hours late when only the tick was scaled); nothing spins
    faster than 0.2 s."""
    settings = settings.model_copy(update={"send_rate_per_second": 30.0})
    fast = build_application(
        settings, db, token=TOKEN, clock=clock, clock_speed=100, request=RecordingRequest()
    )
    async with fast:
        jobs.schedule_all(fast)
        scaled = _intervals(fast)
        heartbeat = fast.bot_data.heartbeat.interval
    normal = build_application(settings, db, token=TOKEN, clock=clock, request=RecordingRequest())
    async with normal:
        jobs.schedule_all(normal)
        real = _intervals(normal)
    assert set(scaled) == set(real) >= {"dispatcher", "digests", "calendar refresh"}
    assert real["digests"] == 60 and scaled["digests"] == pytest.approx(0.6)
    assert real["calendar refresh"] == 900 and scaled["calendar refresh"] == pytest.approx(9)
    assert scaled["capacity prediction"] == pytest.approx(18)
    assert scaled["dispatcher"] == pytest.approx(0.2)  # 5 / 100 = 0.05, held at 0.2
    assert heartbeat == pytest.approx(20)  # 0.2 real seconds are 20 on the clock
