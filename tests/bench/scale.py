"""Scale: a bot process's memory and start-up time, and the due-claim query, at N subscribers;
side by side with the per-subscriber-job approach (python-telegram-bot's examples) at the same N.

For each size N, a database (PostgreSQL `rk_bench_<N>`, or a SQLite file) is created, migrated
and bulk-seeded: N subscribers with defaults.default_times, a timezone mix, each one's
next_due_at at one of its three slots of one Monday (the spread over a working day), 3% stopped;
plus --history-days reminder rows per subscriber (what "the last five routines" reads). Then:

- ours, in a fresh process: build the real Application (bot.app.build_application, with an
  in-process fake Bot API), check/apply migrations (Database.upgrade), initialize, start
  (JobQueue with the dispatcher tick and the other periodic jobs) and wait for the first tick.
  start-up = those steps, timed inside the process; RSS = psutil after it (nothing is due at
  that `now`, so nothing is sent);
- baseline, in a fresh process: the same start-up, then what a bot built like PTB's examples
  must do on every start: read every subscriber and schedule one JobQueue.run_daily job per
  subscriber per time (three per subscriber). Start-up and RSS as above, and the ratio to ours.
  Sizes above --baseline-max are not run; their figures are extrapolated linearly from the
  largest measured size, and marked so;
- claim timing, in this process, on the dispatcher's real code: for --ticks instants spread
  over the seeded day, in a transaction that is rolled back afterwards (the dispatcher's own
  commits become savepoints): (1) one claim batch, deliveries.claim_due_chats(now, 200), and
  (2) a whole Dispatcher.tick(now) with sends left out, with a grace window of a day so every
  claimed chat is sent and the tick fills its whole send queue (2,000 chats: 10 claim batches,
  routines picked, delivery rows written, next due moments moved on, the backlog counted):
  the heaviest tick production runs, during a burst. The due backlog at an instant is every
  subscriber due since the start of the day, which is larger than in production, where the
  ticks keep it small; the claim reads only the oldest 200 through the index either way.

    python tests/bench/scale.py --db postgres --sizes 100000,1000000
    python tests/bench/scale.py --db sqlite --sizes 100000
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # this worktree's `bot`

import psutil
from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from bot.app import freeze_heap
from bot.content.loader import get_catalogue
from bot.scheduling.dispatcher import Dispatcher, Job
from bot.storage import deliveries
from bot.storage.db import Database
from bot.storage.models import Chat
from tests.bench.common import (
    SEED_DAY,
    Stopwatch,
    emit,
    machine,
    ms,
    percentile,
    print_table,
    subscribers,
)

PG_SERVER = "postgresql+asyncpg://postgres@127.0.0.1:5432"
WARM_UP = 5  # claim samples not counted (statement compilation and preparation)
# The instant of the start-up tick: before the seeded day, so nothing is due.
STARTUP_NOW = datetime(SEED_DAY.year, SEED_DAY.month, SEED_DAY.day, tzinfo=UTC) - timedelta(
    hours=12
)
TOKEN = "123456789:AAHfakefakefakefakefakefakefakefake"


# --- seeding ---------------------------------------------------------------------------------


def pg_url(server: str, name: str) -> str:
    return f"{server.rstrip('/')}/{name}"


async def pg_admin(server: str, *statements: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(pg_url(server, "postgres").replace("+asyncpg", ""))
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


COLUMNS = (
    "id", "type", "language", "timezone", "times", "days", "place", "paused_until", "active",
    "blocked", "onboarded", "safety_shown", "weekly_summary", "evening_nudge", "next_due_at",
)  # fmt: skip


async def seed_postgres(url: str, count: int, history_days: int) -> None:
    """COPY the subscribers, then INSERT ... SELECT their history, then VACUUM ANALYZE."""
    import asyncpg

    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        batch: list[tuple[Any, ...]] = []
        for row in subscribers(count):
            values = row.as_dict()
            values["times"] = json.dumps(values["times"])
            batch.append(tuple(values[c] for c in COLUMNS))
            if len(batch) == 50_000:
                await conn.copy_records_to_table("chats", records=batch, columns=COLUMNS)
                batch = []
        if batch:
            await conn.copy_records_to_table("chats", records=batch, columns=COLUMNS)
        if history_days:
            routines = [r.id for r in get_catalogue().routines]
            await conn.execute(
                """
                INSERT INTO deliveries (chat_id, slot_at, due_at, kind, routine_id, status,
                                        attempts, sent_at, message_id)
                SELECT c.id, c.next_due_at - make_interval(days => k),
                       c.next_due_at - make_interval(days => k), 'reminder',
                       ($1::text[])[1 + (c.id + k) % array_length($1::text[], 1)],
                       'sent', 1, c.next_due_at - make_interval(days => k), k
                FROM chats c CROSS JOIN generate_series(1, $2) AS k
                WHERE c.next_due_at IS NOT NULL
                """,
                routines,
                history_days,
            )
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()


async def seed_sqlite(db: Database, count: int, history_days: int) -> None:
    """Core executemany for the subscribers (the ORM's own datetime format), then
    INSERT ... SELECT for their history, then ANALYZE."""
    async with db.engine.begin() as conn:
        batch: list[dict[str, Any]] = []
        for row in subscribers(count):
            batch.append(row.as_dict())
            if len(batch) == 20_000:
                await conn.execute(insert(Chat), batch)
                batch = []
        if batch:
            await conn.execute(insert(Chat), batch)
        routines = [r.id for r in get_catalogue().routines]
        for k in range(1, history_days + 1):
            await conn.execute(
                text(
                    """
                    INSERT INTO deliveries (chat_id, slot_at, due_at, kind, routine_id, status,
                                            attempts, sent_at, message_id, created_at)
                    SELECT id, s, s, 'reminder', :r0, 'sent', 1, s, :k, s FROM (
                        SELECT id, strftime('%Y-%m-%d %H:%M:%S', next_due_at, :shift)
                                   || '.000000' AS s
                        FROM chats WHERE next_due_at IS NOT NULL)
                    """
                ),
                {"r0": routines[k % len(routines)], "k": k, "shift": f"-{k} days"},
            )
    async with db.engine.begin() as conn:
        await conn.execute(text("ANALYZE"))


@contextlib.asynccontextmanager
async def seeded(kind: str, count: int, args: argparse.Namespace) -> AsyncIterator[str]:
    """A migrated, seeded database for `count` subscribers; its URL. Dropped afterwards
    unless --keep."""
    watch = Stopwatch()
    with tempfile.TemporaryDirectory(prefix="rk-scale-") as tmp:
        if kind == "postgres":
            name = f"rk_bench_{count}"
            url = pg_url(args.pg_server, name)
            await pg_admin(
                args.pg_server, f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}"
            )
        else:
            url = f"sqlite+aiosqlite:///{Path(tmp) / f'scale_{count}.sqlite3'}"
        db = Database(url)
        try:
            await db.upgrade()
            if kind == "postgres":
                await seed_postgres(url, count, args.history_days)
            else:
                await seed_sqlite(db, count, args.history_days)
        finally:
            await db.dispose()
        print(f"seeded {count:,} subscribers ({kind}) in {watch.elapsed:.1f} s", flush=True)
        seeded_seconds[count] = watch.elapsed
        try:
            yield url
        finally:
            if kind == "postgres" and not args.keep:
                await pg_admin(args.pg_server, f"DROP DATABASE IF EXISTS {name}")


seeded_seconds: dict[int, float] = {}


# --- the child processes ---------------------------------------------------------------------

HEAVY_MODULES = ("matplotlib", "numpy", "PIL", "rapidfuzz", "babel")


async def remind(context: Any) -> None:
    """What each per-user job would do: send one reminder."""
    await context.bot.send_message(context.job.chat_id, "Time to stretch!")


async def schedule_per_user_jobs(app: Any, db: Database) -> int:
    """The approach of PTB's examples: one run_daily job per subscriber per time."""
    from bot.scheduling.timemath import zone

    assert app.job_queue is not None
    jobs = 0
    async with db.session() as session:
        rows = await session.stream(
            select(Chat.id, Chat.timezone, Chat.times, Chat.days).where(
                Chat.active, Chat.blocked.is_(False)
            )
        )
        async for chat_id, tz, times, days in rows:
            ptb_days = tuple((d + 1) % 7 for d in range(7) if days >> d & 1)  # 0 = Sunday
            for value in times:
                hour, minute = map(int, value.split(":"))
                app.job_queue.run_daily(
                    remind,
                    time=dtime(hour, minute, tzinfo=zone(tz)),
                    days=ptb_days,
                    chat_id=chat_id,
                    name=str(chat_id),
                )
                jobs += 1
    return jobs


async def child(mode: str, url: str) -> dict[str, Any]:
    """Start a bot on `url` like `rekpauze run` does (fake Bot API), report time and RSS."""
    from bot.app import build_application, startup
    from bot.config import Settings
    from tests.fakes import RecordingRequest

    watch = Stopwatch()
    db = Database(url)
    await db.upgrade()
    settings = Settings(  # type: ignore[call-arg]
        TELEGRAM_BOT_TOKEN=TOKEN, DATABASE_URL=url, _env_file=None
    )
    app = build_application(
        settings,
        db,
        token=TOKEN,
        clock=lambda: STARTUP_NOW,
        request=RecordingRequest(),
        get_updates_request=RecordingRequest(),
    )
    await app.initialize()
    await startup(app)
    result: dict[str, Any] = {}
    if mode == "baseline":  # restore every subscriber's jobs, as a post_init hook would
        scheduled = Stopwatch()
        result["jobs"] = await schedule_per_user_jobs(app, db)
        result["schedule_s"] = scheduled.elapsed
    await app.start()
    heartbeat = app.bot_data.heartbeat
    async with asyncio.timeout(600):
        while heartbeat.last is None:  # noqa: ASYNC110  (the first dispatcher tick has run)
            await asyncio.sleep(0.005)
    result["startup_s"] = watch.elapsed
    result["modules"] = sorted(m for m in sys.modules if m in HEAVY_MODULES)
    result["rss_mb"] = psutil.Process().memory_info().rss / 2**20
    await app.stop()
    await app.shutdown()
    await db.dispose()
    return result


def run_child(mode: str, url: str, max_rss_mb: float, max_seconds: float) -> dict[str, Any]:
    """Run `child` in a fresh interpreter, killing it beyond the memory or time cap."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, __file__, "--child", mode, "--database-url", url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    watched = psutil.Process(proc.pid)
    peak = 0.0
    while proc.poll() is None:
        with contextlib.suppress(psutil.Error):
            peak = max(peak, watched.memory_info().rss / 2**20)
        if peak > max_rss_mb or time.perf_counter() - started > max_seconds:
            proc.kill()
            proc.wait()
            return {"aborted": f"over {max_rss_mb:.0f} MB or {max_seconds:.0f} s", "peak_mb": peak}
        time.sleep(0.2)
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"{mode} child failed:\n{err[-3000:]}")
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    result["process_s"] = time.perf_counter() - started  # interpreter and imports included
    return result


# --- claim timing ----------------------------------------------------------------------------


class RolledBack:
    """A Database look-alike whose sessions join one outer transaction as savepoints, so
    the dispatcher's commits can be rolled back afterwards."""

    def __init__(self, connection: AsyncConnection, is_sqlite: bool) -> None:
        self.is_sqlite = is_sqlite
        self.sessionmaker = async_sessionmaker(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self.sessionmaker() as session, session.begin():
            yield session


class NoBot:
    """Sends are not part of the tick's database work (they are measured by throughput.py)."""

    rate_limiter = None


async def claim_timing(url: str, ticks: int, full_ticks: int, seed: int = 5) -> dict[str, Any]:
    db = Database(url)
    rng = random.Random(seed)
    try:
        async with db.session() as session:
            first, last = (
                await session.execute(
                    select(text("min(next_due_at)"), text("max(next_due_at)")).select_from(Chat)
                )
            ).one()
        first_at = _aware(first)
        last_at = _aware(last)
        span = (last_at - first_at).total_seconds()
        nows = [first_at + timedelta(seconds=rng.uniform(0, span)) for _ in range(ticks)]
        claim: list[float] = []
        cold: list[float] = []
        count: list[float] = []
        tick: list[float] = []
        claimed: list[int] = []
        backlog: list[int] = []
        freeze_heap()  # as bot.app.startup does in a running bot
        # The first samples are warm-up, not counted: SQLAlchemy compiles each statement once
        # per process and asyncpg prepares it once per connection, as a running bot's first
        # tick does; the cold first claim is reported on its own.
        warm = WARM_UP
        for now in [*nows[:warm], *nows]:
            async with db.engine.connect() as conn:
                outer = await conn.begin()
                session = AsyncSession(bind=conn, join_transaction_mode="create_savepoint")
                watch = Stopwatch()
                rows = await deliveries.claim_due_chats(session, now, 200)
                if warm:
                    cold.append(watch.elapsed)
                    warm -= 1
                    await session.close()
                    await outer.rollback()
                    continue
                claim.append(watch.elapsed)
                assert len(rows) <= 200
                watch.restart()
                backlog.append(await deliveries.count_due_chats(session, now))
                count.append(watch.elapsed)
                await session.close()
                await outer.rollback()
        for index, now in enumerate([nows[-1], *nows[:full_ticks]]):
            async with db.engine.connect() as conn:
                outer = await conn.begin()
                engine = Dispatcher(
                    RolledBack(conn, db.is_sqlite),  # type: ignore[arg-type]
                    NoBot(),  # type: ignore[arg-type]
                    grace=timedelta(days=1),
                    clock=lambda now=now: now,
                    worker_id="bench",
                    rng=random.Random(1),
                )
                spawned: list[Job] = []
                engine._spawn = spawned.append  # type: ignore[method-assign]
                watch = Stopwatch()
                await engine.tick(now)
                if index:  # the first whole tick warms up, not counted
                    tick.append(watch.elapsed)
                    claimed.append(len(spawned))
                await outer.rollback()
        return {
            "claim_samples": ticks,
            "tick_samples": len(tick),
            "claim_first_cold_ms": ms(cold[0]),
            "claim_p50_ms": ms(percentile(claim, 50)),
            "claim_p99_ms": ms(percentile(claim, 99)),
            "count_p50_ms": ms(percentile(count, 50)),
            "count_p99_ms": ms(percentile(count, 99)),
            "tick_p50_ms": ms(percentile(tick, 50)),
            "tick_p99_ms": ms(percentile(tick, 99)),
            "tick_claimed_p50": int(percentile(claimed, 50)),
            "backlog_p50": int(percentile(backlog, 50)),
            "backlog_max": max(backlog),
        }
    finally:
        await db.dispose()


def _aware(value: Any) -> datetime:
    if isinstance(value, str):  # SQLite hands back text for a bare min()/max()
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


# --- main ------------------------------------------------------------------------------------


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 1) if a is not None and b else None


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    rows: list[dict[str, Any]] = []
    for count in [0, *sizes]:
        async with seeded(args.db, count, args) as url:
            row: dict[str, Any] = {"subscribers": count, "seed_s": round(seeded_seconds[count], 1)}
            ours = run_child("ours", url, args.max_rss_mb, args.max_seconds)
            row.update(
                startup_s=round(ours["startup_s"], 3),
                process_s=round(ours["process_s"], 2),
                rss_mb=round(ours["rss_mb"], 1),
            )
            print(f"  ours: {row}", flush=True)
            if count and count <= args.baseline_max:
                base = run_child("baseline", url, args.max_rss_mb, args.max_seconds)
                if "aborted" in base:
                    row["baseline"] = base
                else:
                    row["baseline"] = {
                        "jobs": base["jobs"],
                        "startup_s": round(base["startup_s"], 2),
                        "schedule_s": round(base["schedule_s"], 2),
                        "rss_mb": round(base["rss_mb"], 1),
                        "measured": True,
                    }
                print(f"  baseline: {row['baseline']}", flush=True)
            if count:
                row.update(await claim_timing(url, args.ticks, args.full_ticks))
                print(f"  claims: {row}", flush=True)
            rows.append(row)
    _extrapolate(rows)
    return {"benchmark": "scale", "db": args.db, "history_days": args.history_days, "rows": rows}


def _extrapolate(rows: list[dict[str, Any]]) -> None:
    """Baseline figures for sizes not run: linear in subscribers from the largest measured
    size, over the empty-database figures of ours."""
    empty = rows[0]
    measured = [
        r for r in rows if isinstance(r.get("baseline"), dict) and r["baseline"].get("measured")
    ]
    if not measured:
        return
    ref = measured[-1]
    for row in rows[1:]:
        base = row.get("baseline")
        if base is None or "aborted" in base:
            scale = row["subscribers"] / ref["subscribers"]
            row["baseline"] = {
                "jobs": int(ref["baseline"]["jobs"] * scale),
                "startup_s": round(
                    empty["startup_s"]
                    + (ref["baseline"]["startup_s"] - empty["startup_s"]) * scale,
                    1,
                ),
                "rss_mb": round(
                    empty["rss_mb"] + (ref["baseline"]["rss_mb"] - empty["rss_mb"]) * scale, 0
                ),
                "measured": False,
                "extrapolated_from": ref["subscribers"],
                **({"attempt": base} if base else {}),
            }
    for row in rows[1:]:
        base = row["baseline"]
        base["rss_ratio"] = ratio(base["rss_mb"], row["rss_mb"])
        base["startup_ratio"] = ratio(base["startup_s"], row["startup_s"])


def report(result: dict[str, Any]) -> None:
    lines = []
    for row in result["rows"]:
        n = f"{row['subscribers']:>9,}"
        lines.append(
            (
                f"{n} ours",
                f"RSS {row['rss_mb']:6.1f} MB  start-up {row['startup_s']:.3f} s  "
                + (
                    f"claim p50/p99 {row['claim_p50_ms']}/{row['claim_p99_ms']} ms  "
                    f"full tick p50/p99 {row['tick_p50_ms']}/{row['tick_p99_ms']} ms"
                    if "claim_p50_ms" in row
                    else "(empty database)"
                ),
            )
        )
        base = row.get("baseline")
        if base:
            tag = (
                "measured"
                if base["measured"]
                else f"extrapolated from {base['extrapolated_from']:,}"
            )
            lines.append(
                (
                    f"{n} per-user jobs",
                    f"RSS {base['rss_mb']:6.1f} MB  start-up {base['startup_s']:.2f} s  "
                    f"({base['jobs']:,} run_daily jobs, {tag}; x{base['rss_ratio']} RSS, "
                    f"x{base['startup_ratio']} start-up)",
                )
            )
    print_table(f"Scale on {result['db']}", lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument(
        "--sizes",
        help="comma-separated subscriber counts "
        "(default: 100000,1000000 on postgres, 100000 on sqlite)",
    )
    parser.add_argument("--pg-server", default=PG_SERVER, help="PostgreSQL server URL")
    parser.add_argument("--ticks", type=int, default=200, help="claim samples per size")
    parser.add_argument("--full-ticks", type=int, default=30, help="whole-tick samples per size")
    parser.add_argument(
        "--history-days", type=int, default=2, help="past reminder rows per subscriber"
    )
    parser.add_argument(
        "--baseline-max",
        type=int,
        default=100_000,
        help="largest size to run the per-user-job baseline at (larger ones are extrapolated)",
    )
    parser.add_argument("--max-rss-mb", type=float, default=8000, help="kill a child beyond this")
    parser.add_argument("--max-seconds", type=float, default=1200, help="kill a child after this")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL databases")
    parser.add_argument("--out", help="also write the result as JSON")
    parser.add_argument("--child", choices=("ours", "baseline"), help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(asyncio.run(child(args.child, args.database_url))))
        return
    if args.sizes is None:
        args.sizes = "100000,1000000" if args.db == "postgres" else "100000"
    watch = Stopwatch()
    result = asyncio.run(measure(args))
    result["wall_s"] = round(watch.elapsed, 1)
    result["machine"] = machine()
    if args.db == "postgres":
        result["machine"]["postgres"] = _pg_version(args.pg_server)
    report(result)
    emit(result, args.out)


def _pg_version(server: str) -> str:
    async def version() -> str:
        import asyncpg

        conn = await asyncpg.connect(pg_url(server, "postgres").replace("+asyncpg", ""))
        try:
            return str(await conn.fetchval("SHOW server_version"))
        finally:
            await conn.close()

    return asyncio.run(version())


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
