"""Handler latency: `/exercise` and `/settings` through the real Application, in process.

The Application is the one `rekpauze run` builds (bot.app.build_application: every handler,
the per-chat update processor, the error handler), with tests/fakes.py's RecordingRequest in
place of HTTP: it answers like the Bot API (and checks replies as Telegram would) without a
network, so what is timed is the bot's own work, database included. Pacing is off
(SEND_RATE_PER_SECOND=0, as in the integration tests): the rate limiter's waits are
throughput.py's subject, not a handler's. Subscribers are bulk-seeded (onboarded, default
times); each update is built beforehand and `Application.process_update` is timed
(perf_counter), one update at a time, cycling over the subscribers.

    python tests/bench/handler_latency.py --updates 10000 --db sqlite
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # this worktree's `bot`

from sqlalchemy import insert

from bot.app import build_application, freeze_heap
from bot.config import Settings
from bot.storage.db import Database
from bot.storage.models import Chat
from tests.bench.common import (
    Stopwatch,
    emit,
    machine,
    ms,
    percentile,
    print_table,
    subscribers,
)
from tests.bench.scale import PG_SERVER, pg_admin, pg_url
from tests.fakes import TOKEN, RecordingRequest, message_update, user_dict

COMMANDS = ("/exercise", "/settings")
NOW = datetime(2026, 6, 1, 7, 0, tzinfo=UTC)


@contextlib.asynccontextmanager
async def database(kind: str, server: str) -> AsyncIterator[str]:
    with tempfile.TemporaryDirectory(prefix="rk-handlers-") as tmp:
        if kind == "sqlite":
            yield f"sqlite+aiosqlite:///{Path(tmp) / 'handlers.sqlite3'}"
            return
        name = "rk_bench_handlers"
        await pg_admin(server, f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}")
        try:
            yield pg_url(server, name)
        finally:
            await pg_admin(server, f"DROP DATABASE IF EXISTS {name}")


async def run(updates: int, users: int, kind: str, server: str) -> dict[str, Any]:
    async with database(kind, server) as url:
        db = Database(url)
        await db.upgrade()
        people = list(subscribers(users, inactive=0))
        async with db.engine.begin() as conn:
            await conn.execute(insert(Chat), [p.as_dict() for p in people])
        request = RecordingRequest()
        settings = Settings(  # type: ignore[call-arg]
            TELEGRAM_BOT_TOKEN=TOKEN, DATABASE_URL=url, SEND_RATE_PER_SECOND=0, _env_file=None
        )
        app = build_application(
            settings,
            db,
            token=TOKEN,
            clock=lambda: NOW,
            request=request,
            get_updates_request=RecordingRequest(),
        )
        result: dict[str, Any] = {"benchmark": "handler_latency", "db": kind, "users": users}
        try:
            async with app:
                freeze_heap()  # as bot.app.startup does in a running bot
                for command in COMMANDS:
                    timings: list[float] = []
                    for i in range(-100, updates):  # the first 100 warm up, not counted
                        if i == 0:
                            before = len(request.calls)
                        person = people[i % users]
                        update = message_update(
                            app.bot,
                            command,
                            user=user_dict(person.id, f"P{person.id}", person.language),
                        )
                        watch = Stopwatch()
                        await app.process_update(update)
                        if i >= 0:
                            timings.append(watch.elapsed)
                    calls = request.calls[before:]
                    replies = [c for c in calls if c.method in ("sendMessage", "sendPhoto")]
                    failed = [c for c in calls if c.failed]
                    result[command.strip("/")] = {
                        "updates": updates,
                        "p50_ms": ms(percentile(timings, 50)),
                        "p99_ms": ms(percentile(timings, 99)),
                        "max_ms": ms(max(timings)),
                        "replies": len(replies),
                        "refused_or_failed": len(failed),
                    }
        finally:
            await db.dispose()
        result["refused_by_fake_api"] = len(request.refused)
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--updates", type=int, default=10_000, help="updates per command")
    parser.add_argument("--users", type=int, default=500, help="subscribers sending them")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--pg-server", default=PG_SERVER, help="PostgreSQL server URL")
    parser.add_argument("--out", help="also write the result as JSON")
    args = parser.parse_args(argv)
    watch = Stopwatch()
    result = asyncio.run(run(args.updates, args.users, args.db, args.pg_server))
    result["wall_s"] = round(watch.elapsed, 1)
    result["machine"] = machine()
    print_table(
        f"Handler latency on {args.db}, {args.updates} updates each, in process",
        [
            (
                command,
                f"p50 {result[command.strip('/')]['p50_ms']} ms  "
                f"p99 {result[command.strip('/')]['p99_ms']} ms  "
                f"({result[command.strip('/')]['replies']} replies, "
                f"{result[command.strip('/')]['refused_or_failed']} refused)",
            )
            for command in COMMANDS
        ],
    )
    emit(result, args.out)


if __name__ == "__main__":
    main()
