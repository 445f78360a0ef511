"""Throughput: N chats due in the same minute, sent through the Bot API stand-in at 30/s.

What runs is what `rekpauze run` runs: the real Application (built by bot.app), its JobQueue
ticking the real Dispatcher every TICK_SECONDS, the real RateLimiter, and PTB's HTTP client
talking over loopback to the stand-in (bot.sandbox.server), which enforces Telegram's flood
limits (30 sends in any sliding second, per-chat limits) and answers 429 with retry_after
beyond them. The database is a fresh SQLite file (or --database-url).

Method:
- all N chats get next_due_at = D (one instant); the shared clock (stand-in and bot) starts
  at D, so the bot's first tick takes them (punctuality.py instead starts it ten minutes
  before D and jumps to D after a random real delay: a random phase of the tick interval);
- the stand-in reports every stored message to a listener, which records the chat and the
  instant (time.monotonic); the stand-in's own flood counters give the 429s;
- achieved rate = (sends - 1) / (last send - first send): the sending window, first to last
  send, so start-up and the tick phase are not counted against the sender;
- lost = chats with no message once 30 s passed without a send, duplicates = messages beyond
  one per chat (counted at the stand-in), and the database's delivery rows must all read
  "sent";
- completion = last send - D, against the physical bound N / limit (the punctuality target).

With `--process`, the bot is `rekpauze run` as a process of its own (as deployed), and only
the stand-in (Telegram's side) runs in the benchmark's process: the two no longer share one
event loop and one core. The chats then fall due at the next whole minute of the real clock,
at least 15 s after seeding (the bot starts meanwhile); CPU is the bot process's.

With `--paid-rate R` (issue 20, paid broadcasts): the bot runs with PAID_BROADCAST_RATE=R and
PAID_BROADCAST_AFTER_SECONDS=--paid-after (default 0: every reminder already late when it
starts is flagged), and the stand-in lets sends with `allow_paid_broadcast` through up to R in
any sliding second (sends without it keep 30); the ratio is then against R, and
`paid_sends` counts the flagged sends the stand-in accepted.

    python tests/bench/throughput.py --chats 1000
    python tests/bench/throughput.py --chats 10000 --paid-rate 200
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import random
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # this worktree's `bot`

from sqlalchemy import delete, func, insert, select

from bot.sandbox.limits import FloodLimits
from bot.sandbox.runner import live_bot
from bot.sandbox.server import BotAPIServer, BotEvent
from bot.scheduling.defaults import default_times
from bot.storage.db import Database
from bot.storage.models import ALL_DAYS, Base, Chat, Delivery
from tests.bench.common import (
    FIRST_ID,
    emit,
    machine,
    percentile,
    print_table,
    quantiles,
)

# Due instant of the burst: a Monday 10:00 in Amsterdam.
DUE = datetime(2026, 6, 1, 8, 0, tzinfo=UTC).timestamp()


class JumpClock:
    """Unix seconds running at real speed, which a benchmark may move forward at once (to
    skip idle time); stand-in and bot share it, so both see the same instants."""

    def __init__(self, start: float) -> None:
        self._offset = start - time.monotonic()

    def __call__(self) -> float:
        return time.monotonic() + self._offset

    def jump_to(self, instant: float) -> None:
        """Move forward to `instant` (never backward)."""
        if instant > self():
            self._offset = instant - time.monotonic()


def _first_last(span: list[float], value: float) -> None:
    """Keep `span` as [the first value, the latest value]."""
    span[1:] = [value]
    if len(span) == 1:
        span.append(value)


@dataclass
class Recorder:
    """The stand-in's view: each message to a watched chat, with its instant."""

    clock: JumpClock
    watched: set[int]
    counts: Counter[int] = field(default_factory=Counter)
    mono: list[float] = field(default_factory=list)
    at: dict[int, float] = field(default_factory=dict)  # chat -> clock instant of 1st message
    cpu: list[float] = field(default_factory=list)  # process CPU seconds at first, last message
    cpu_probe: Any = time.process_time  # the sender's CPU seconds so far
    # With --process: the stand-in's own CPU (this process), to tell which side was short
    standin_cpu: list[float] = field(default_factory=list)
    standin_probe: Any = None

    def __call__(self, event: BotEvent) -> None:
        if event.kind != "message" or event.chat.id not in self.watched:
            return
        self.counts[event.chat.id] += 1
        self.mono.append(time.monotonic())
        _first_last(self.cpu, self.cpu_probe())
        if self.standin_probe is not None:
            _first_last(self.standin_cpu, self.standin_probe())
        self.at.setdefault(event.chat.id, self.clock())

    @property
    def received(self) -> int:
        return len(self.counts)


async def seed(url: str, due: dict[int, float], times: dict[int, list[str]]) -> None:
    """Bulk-insert the chats (core executemany), after emptying the tables."""
    db = Database(url)
    try:
        await db.upgrade()
        rng = random.Random(3)
        rows = [
            {
                "id": chat_id,
                "type": "private",
                "language": rng.choice(("nl", "nl", "nl", "en")),
                "timezone": "Europe/Amsterdam",
                "times": times[chat_id],
                "days": ALL_DAYS,
                "place": rng.choice(("office", "home")),
                "active": True,
                "blocked": False,
                "onboarded": True,
                "safety_shown": True,
                "next_due_at": datetime.fromtimestamp(instant, UTC),
            }
            for chat_id, instant in due.items()
        ]
        async with db.engine.begin() as conn:
            for table in reversed(Base.metadata.sorted_tables):
                await conn.execute(delete(table))
            for start in range(0, len(rows), 5000):
                await conn.execute(insert(Chat), rows[start : start + 5000])
    finally:
        await db.dispose()


async def delivery_statuses(db: Database) -> dict[str, int]:
    async with db.session() as session:
        rows = await session.execute(
            select(Delivery.status, func.count()).group_by(Delivery.status)
        )
        return {status: int(n) for status, n in rows}


def hhmm(instant: float) -> str:
    """The Amsterdam wall-clock minute of an instant (a chat's time for it)."""
    local = datetime.fromtimestamp(instant, UTC).astimezone(ZoneInfo("Europe/Amsterdam"))
    return f"{local.hour:02d}:{local.minute:02d}"


@contextlib.asynccontextmanager
async def bench_bot(
    due: dict[int, float],
    *,
    clock: JumpClock,
    limit: float,
    tick_seconds: float,
    database_url: str | None,
    times: dict[int, list[str]] | None = None,
    freeze_heap: bool = False,
    paid_rate: float = 0,
    paid_after: float = 0,
) -> Any:
    """Seed the chats, start stand-in + real bot, and yield (live bot, recorder).
    freeze_heap as `rekpauze run` does; only when the benchmark runs as its own process.
    paid_rate: PAID_BROADCAST_RATE for the bot and the stand-in's paid limit (0: off)."""
    times = times or {chat_id: default_times(chat_id) for chat_id in due}
    with tempfile.TemporaryDirectory(prefix="rk-bench-") as tmp:
        url = database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.sqlite3'}"
        await seed(url, due, times)
        recorder = Recorder(clock, set(due))

        def prepare(server: BotAPIServer) -> None:
            for chat_id in due:
                server.add_user(f"U{chat_id}", user_id=chat_id, started=True)
            server.add_listener(recorder)

        limits = FloodLimits(
            global_per_second=math.ceil(limit), paid_per_second=math.floor(paid_rate)
        )
        overrides = {"SEND_RATE_PER_SECOND": limit, "TICK_SECONDS": tick_seconds}
        if paid_rate:
            overrides |= {
                "PAID_BROADCAST_RATE": paid_rate,
                "PAID_BROADCAST_AFTER_SECONDS": paid_after,
            }
        async with live_bot(
            unix_clock=clock,
            database_url=url,
            limits=limits,
            settings_overrides=overrides,
            prepare=prepare,
            freeze_heap=freeze_heap,
        ) as live:
            yield live, recorder


async def wait_for(server: BotAPIServer, recorder: Recorder, expected: int, limit: float) -> None:
    """Until `expected` chats have their message, or `limit` seconds (then the rest is lost)."""
    with contextlib.suppress(TimeoutError):
        await server.wait_until(lambda: recorder.received >= expected, timeout=limit)


async def wait_while_sending(
    server: BotAPIServer, recorder: Recorder, expected: int, stall: float = 30.0
) -> None:
    """Until `expected` chats have their message, or no message came for `stall` seconds
    (then the rest is lost): a slow sender is measured, not cut off."""
    while recorder.received < expected:
        before = len(recorder.mono)
        await wait_for(server, recorder, expected, stall)
        if len(recorder.mono) == before:
            return


async def run_burst(
    chats: int,
    *,
    limit: float = 30.0,
    tick_seconds: float = 5.0,
    database_url: str | None = None,
    seed_value: int = 1,
    settle: float | None = None,
    random_phase: bool = True,
    freeze_heap: bool = False,
    paid_rate: float = 0,
    paid_after: float = 0,
) -> dict[str, Any]:
    """The benchmark's core: N chats due at one instant through the live bot.

    random_phase: wait a random part of a tick interval before the chats fall due (for
    lateness; the throughput window, first to last send, does not depend on it).
    paid_rate: paid broadcasts on at that rate; the ratio is then against it."""
    rng = random.Random(seed_value)
    rate = paid_rate or limit  # what the sender may reach
    # Without a random phase the chats are due when the bot starts: its first tick takes them.
    clock = JumpClock(DUE - 600 if random_phase else DUE)
    due = {FIRST_ID + i: DUE for i in range(chats)}
    times = {chat_id: [hhmm(DUE)] for chat_id in due}
    async with bench_bot(
        due,
        clock=clock,
        freeze_heap=freeze_heap,
        limit=limit,
        tick_seconds=tick_seconds,
        database_url=database_url,
        times=times,
        paid_rate=paid_rate,
        paid_after=paid_after,
    ) as (live, recorder):
        if random_phase:
            await asyncio.sleep(rng.uniform(0, tick_seconds))
        clock.jump_to(DUE)
        started = time.monotonic()
        await wait_while_sending(live.server, recorder, chats)
        # Let a few more ticks pass: a duplicate would show up now.
        await asyncio.sleep(settle if settle is not None else tick_seconds + 1)
        await live.app.bot_data.dispatcher.drain()
        statuses = await delivery_statuses(live.db)
        stats = live.server.stats
        http_429 = stats.too_many_requests + stats.errors_by_status.get(429, 0)
        paid_sends = stats.paid_broadcasts
    return summarise(
        recorder,
        chats=chats,
        due=DUE,
        limit=limit,
        rate=rate,
        paid_rate=paid_rate,
        paid_after=paid_after,
        paid_sends=paid_sends,
        http_429=http_429,
        statuses=statuses,
        tick_seconds=tick_seconds,
        started=started,
    )


def summarise(
    recorder: Recorder,
    *,
    chats: int,
    due: float,
    limit: float,
    rate: float,
    paid_rate: float,
    paid_after: float,
    paid_sends: int,
    http_429: int,
    statuses: dict[str, int],
    tick_seconds: float,
    started: float,
) -> dict[str, Any]:
    """The result object, from what the stand-in recorded."""
    counts = recorder.counts
    window = (recorder.mono[-1] - recorder.mono[0]) if len(recorder.mono) > 1 else 0.0
    sends = len(recorder.mono)
    achieved = (sends - 1) / window if window > 0 else 0.0
    lateness = [recorder.at[c] - due for c in recorder.at]
    series = [0] * (int(window) + 1)
    for instant in recorder.mono:
        series[int(instant - recorder.mono[0])] += 1
    completion = max(lateness) if lateness else float("nan")
    bound = chats / rate
    # The whole process (bot, stand-in, SQLite's thread) over the sending window: CPU
    # seconds per send and the share of one core it used (near 1: bound by one core).
    cpu = recorder.cpu[1] - recorder.cpu[0] if len(recorder.cpu) == 2 else 0.0
    standin = recorder.standin_cpu
    extra = (
        {"standin_cpu_share_of_window": round((standin[1] - standin[0]) / window, 3)}
        if len(standin) == 2 and window > 0
        else {}
    )
    return {
        "benchmark": "throughput_paid" if paid_rate else "throughput",
        "chats": chats,
        "limit_per_s": rate,
        "free_limit_per_s": limit,
        "paid_rate_per_s": paid_rate or None,
        "paid_after_s": paid_after if paid_rate else None,
        "paid_sends": paid_sends,
        "sends": sends,
        "achieved_per_s": round(achieved, 2),
        "ratio": round(achieved / rate, 4),
        "window_s": round(window, 2),
        "cpu_ms_per_send": round(1000 * cpu / max(1, sends - 1), 3),
        "cpu_share_of_window": round(cpu / window, 3) if window > 0 else None,
        "lost": chats - len(counts),
        "duplicates": sum(n - 1 for n in counts.values() if n > 1),
        "http_429": http_429,
        "db_statuses": statuses,
        "tick_seconds": tick_seconds,
        "first_send_after_due_s": round(min(lateness), 3) if lateness else None,
        "completion_s": round(completion, 2),
        "bound_s": round(bound, 2),
        "completion_over_bound": round(completion / bound, 4) if bound else None,
        "lateness_p50_s": round(percentile(lateness, 50), 3),
        "lateness_p99_s": round(percentile(lateness, 99), 3),
        "wall_s": round(time.monotonic() - started, 1),
        "series_sends_per_s": series,
        "series_lateness_quantiles": quantiles(lateness),
    } | extra


async def run_burst_process(
    chats: int,
    *,
    limit: float = 30.0,
    tick_seconds: float = 5.0,
    database_url: str | None = None,
    paid_rate: float = 0,
    paid_after: float = 0,
) -> dict[str, Any]:
    """The same burst with the bot as `rekpauze run` in its own process (see --process)."""
    import psutil

    from bot.sandbox.runner import SANDBOX_TOKEN
    from tests.processes import BotProcess, cli_env, free_port

    rate = paid_rate or limit
    clock = JumpClock(time.time())  # the real clock, which the bot process reads too
    due_at = math.ceil((time.time() + 15) / 60) * 60.0
    due = {FIRST_ID + i: due_at for i in range(chats)}
    with tempfile.TemporaryDirectory(prefix="rk-bench-") as tmp:
        url = database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.sqlite3'}"
        await seed(url, due, {chat_id: [hhmm(due_at)] for chat_id in due})
        recorder = Recorder(clock, set(due))
        server = BotAPIServer(
            SANDBOX_TOKEN,
            clock=clock,
            limits=FloodLimits(
                global_per_second=math.ceil(limit), paid_per_second=math.floor(paid_rate)
            ),
        )
        for chat_id in due:
            server.add_user(f"U{chat_id}", user_id=chat_id, started=True)
        server.add_listener(recorder)
        await server.start()
        settings = {
            "TELEGRAM_BOT_TOKEN": SANDBOX_TOKEN,
            "TELEGRAM_API_BASE_URL": server.base_url,
            "DATABASE_URL": url,
            "HTTP_HOST": "127.0.0.1",
            "HTTP_PORT": str(free_port()),
            "LOG_LEVEL": "WARNING",
            "SEND_RATE_PER_SECOND": f"{limit:g}",
            "TICK_SECONDS": f"{tick_seconds:g}",
        }
        if paid_rate:
            settings |= {
                "PAID_BROADCAST_RATE": f"{paid_rate:g}",
                "PAID_BROADCAST_AFTER_SECONDS": f"{paid_after:g}",
            }
        bot = BotProcess(cli_env(**settings), Path(tmp) / "bot.log")
        bot.start()
        try:
            assert bot.proc is not None
            usage = psutil.Process(bot.proc.pid)
            recorder.cpu_probe = lambda: sum(usage.cpu_times()[:2])
            recorder.standin_probe = time.process_time
            started = time.monotonic()
            await wait_for(server, recorder, 1, due_at - time.time() + 30)  # the first send
            await wait_while_sending(server, recorder, chats)
            await asyncio.sleep(tick_seconds + 1)  # a duplicate would show up now
            code, _ = await bot.terminate(30)
            assert code == 0, bot.output()[-2000:]
            db = Database(url)
            try:
                statuses = await delivery_statuses(db)
            finally:
                await db.dispose()
        finally:
            bot.stop()
            await server.stop()
        stats = server.stats
        return summarise(
            recorder,
            chats=chats,
            due=due_at,
            limit=limit,
            rate=rate,
            paid_rate=paid_rate,
            paid_after=paid_after,
            paid_sends=stats.paid_broadcasts,
            http_429=stats.too_many_requests + stats.errors_by_status.get(429, 0),
            statuses=statuses,
            tick_seconds=tick_seconds,
            started=started,
        ) | {"bot": "rekpauze run, a process of its own"}


def report(result: dict[str, Any]) -> None:
    paid = (
        f" (paid broadcasts; free {result['free_limit_per_s']}/s)"
        if result.get("paid_rate_per_s")
        else ""
    )
    print_table(
        f"Throughput: {result['chats']} chats due at once, limit {result['limit_per_s']}/s{paid}",
        [
            ("sent with allow_paid_broadcast", result.get("paid_sends", 0)),
            ("achieved (first to last send)", f"{result['achieved_per_s']} msg/s"),
            ("ratio to the limit", f"{result['ratio']:.3f}  (target >= 0.95)"),
            ("sending window", f"{result['window_s']} s for {result['sends']} sends"),
            (
                "process CPU in the window",
                f"{result['cpu_ms_per_send']} ms a send, {result['cpu_share_of_window']} of a core",
            ),
            (
                "the stand-in's CPU in the window",
                f"{result.get('standin_cpu_share_of_window', '-')} of a core",
            ),
            ("lost", result["lost"]),
            ("duplicates", result["duplicates"]),
            ("429 answers received", result["http_429"]),
            ("delivery rows", result["db_statuses"]),
            ("first send after due", f"{result['first_send_after_due_s']} s (tick phase)"),
            ("last send after due", f"{result['completion_s']} s"),
            ("bound N / limit", f"{result['bound_s']} s"),
            ("completion / bound", f"{result['completion_over_bound']}  (target <= 1.05)"),
        ],
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chats", type=int, default=10_000, help="chats due at once")
    parser.add_argument("--limit", type=float, default=30.0, help="the stand-in's msg/s limit")
    parser.add_argument("--tick-seconds", type=float, default=5.0, help="TICK_SECONDS")
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument(
        "--paid-rate",
        type=float,
        default=0,
        help="PAID_BROADCAST_RATE, and the stand-in's limit for flagged sends (default 0: off)",
    )
    parser.add_argument(
        "--paid-after",
        type=float,
        default=0,
        help="PAID_BROADCAST_AFTER_SECONDS with --paid-rate (default 0)",
    )
    parser.add_argument(
        "--process",
        action="store_true",
        help="run the bot as `rekpauze run` in its own process (the stand-in stays here)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", help="also write the full result (with series) as JSON")
    args = parser.parse_args(argv)
    if args.process:
        result = asyncio.run(
            run_burst_process(
                args.chats,
                limit=args.limit,
                tick_seconds=args.tick_seconds,
                database_url=args.database_url,
                paid_rate=args.paid_rate,
                paid_after=args.paid_after,
            )
        )
        result["machine"] = machine()
        report(result)
        emit(result, args.out)
        return
    result = asyncio.run(
        run_burst(
            args.chats,
            limit=args.limit,
            tick_seconds=args.tick_seconds,
            database_url=args.database_url,
            seed_value=args.seed,
            random_phase=False,
            freeze_heap=True,
            paid_rate=args.paid_rate,
            paid_after=args.paid_after,
        )
    )
    result["machine"] = machine()
    report(result)
    emit(result, args.out)


if __name__ == "__main__":
    main()
