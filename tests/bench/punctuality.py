"""Punctuality: how late reminders arrive, for subscribers spread over an hour and for a burst.

Both parts run the live bot of throughput.py (real Application, JobQueue tick every
TICK_SECONDS, real RateLimiter, real HTTP to the stand-in at 30 msg/s).

Spread: N subscribers (default 1,000), each with one daily time in a random minute of a
60-minute window (09:30-10:29 Amsterdam), so ~N/60 are due at the start of each minute. An
hour of wall time would be mostly idle, so the shared clock skips it: for each due minute, in
order, the benchmark waits a random real delay in [0, TICK_SECONDS) (a random tick phase), then
moves the clock forward to that minute and waits until its reminders have all arrived. The
clock only jumps while nothing is due or in flight, and otherwise runs at real speed, so every
lateness below is real seconds: lateness = the stand-in's clock when it stored the message -
the due instant. Target: p99 < TICK_SECONDS + 1 s.

Burst: N chats (default 10,000) due at one instant (throughput.run_burst); completion = last
send - due instant (including the tick phase), against the physical bound N / 30 msg/s.
Target: completion <= 1.05 x bound.

    python tests/bench/punctuality.py --spread 1000 --burst 10000
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # this worktree's `bot`

from tests.bench.common import FIRST_ID, Stopwatch, emit, machine, percentile, print_table
from tests.bench.common import quantiles as quantiles_of
from tests.bench.throughput import DUE, JumpClock, bench_bot, hhmm, run_burst, wait_for

WINDOW_START = DUE - 30 * 60  # 09:30 Amsterdam


async def run_spread(
    subscribers: int,
    *,
    minutes: int = 60,
    limit: float = 30.0,
    tick_seconds: float = 5.0,
    database_url: str | None = None,
    seed_value: int = 1,
    freeze_heap: bool = False,
) -> dict[str, Any]:
    """Subscribers due across `minutes` minutes; lateness of each one's reminder."""
    rng = random.Random(seed_value)
    due = {FIRST_ID + i: WINDOW_START + 60 * rng.randrange(minutes) for i in range(subscribers)}
    times = {chat_id: [hhmm(instant)] for chat_id, instant in due.items()}
    clock = JumpClock(WINDOW_START - 600)
    watch = Stopwatch()
    async with bench_bot(
        due,
        clock=clock,
        freeze_heap=freeze_heap,
        limit=limit,
        tick_seconds=tick_seconds,
        database_url=database_url,
        times=times,
    ) as (live, recorder):
        expected = 0
        for instant in sorted(set(due.values())):
            expected += sum(1 for d in due.values() if d == instant)
            await asyncio.sleep(rng.uniform(0, tick_seconds))
            clock.jump_to(instant)
            await wait_for(live.server, recorder, expected, 30 + expected / limit)
        await asyncio.sleep(tick_seconds + 1)  # a duplicate would show up now
        await live.app.bot_data.dispatcher.drain()
        stats = live.server.stats
        http_429 = stats.too_many_requests + stats.errors_by_status.get(429, 0)
    lateness = [recorder.at[c] - due[c] for c in recorder.at]
    counts = recorder.counts
    return {
        "subscribers": subscribers,
        "minutes": minutes,
        "tick_seconds": tick_seconds,
        "lost": subscribers - len(counts),
        "duplicates": sum(n - 1 for n in counts.values() if n > 1),
        "http_429": http_429,
        "lateness_p50_s": round(percentile(lateness, 50), 3),
        "lateness_p99_s": round(percentile(lateness, 99), 3),
        "lateness_max_s": round(max(lateness), 3) if lateness else None,
        "target_p99_s": tick_seconds + 1,
        "wall_s": round(watch.elapsed, 1),
        "series_lateness_quantiles": quantiles_of(lateness),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spread", type=int, default=1000, help="subscribers over the window")
    parser.add_argument("--minutes", type=int, default=60, help="length of the window")
    parser.add_argument("--burst", type=int, default=10_000, help="chats due at once (0: skip)")
    parser.add_argument("--limit", type=float, default=30.0, help="the stand-in's msg/s limit")
    parser.add_argument("--tick-seconds", type=float, default=5.0, help="TICK_SECONDS")
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--out", help="also write the full result (with series) as JSON")
    args = parser.parse_args(argv)
    common = {
        "limit": args.limit,
        "tick_seconds": args.tick_seconds,
        "database_url": args.database_url,
        "freeze_heap": True,  # a process of its own, as `rekpauze run`
    }
    result: dict[str, Any] = {"benchmark": "punctuality"}
    if args.spread:
        spread = asyncio.run(run_spread(args.spread, minutes=args.minutes, **common))
        print_table(
            f"Spread: {args.spread} subscribers over {args.minutes} minutes",
            [
                ("lateness p50", f"{spread['lateness_p50_s']} s"),
                (
                    "lateness p99",
                    f"{spread['lateness_p99_s']} s  (target < {spread['target_p99_s']} s)",
                ),
                ("lateness max", f"{spread['lateness_max_s']} s"),
                (
                    "lost / duplicates / 429s",
                    (f"{spread['lost']} / {spread['duplicates']} / {spread['http_429']}"),
                ),
                ("wall time", f"{spread['wall_s']} s"),
            ],
        )
        result["spread"] = {k: v for k, v in spread.items() if not k.startswith("series_")}
        result["series_spread_lateness_quantiles"] = spread["series_lateness_quantiles"]
    if args.burst:
        burst = asyncio.run(run_burst(args.burst, **common))
        print_table(
            f"Burst: {args.burst} chats due at once",
            [
                ("lateness p50", f"{burst['lateness_p50_s']} s"),
                ("lateness p99", f"{burst['lateness_p99_s']} s"),
                ("last send after due", f"{burst['completion_s']} s"),
                ("bound N / limit", f"{burst['bound_s']} s"),
                ("completion / bound", f"{burst['completion_over_bound']}  (target <= 1.05)"),
                (
                    "lost / duplicates / 429s",
                    (f"{burst['lost']} / {burst['duplicates']} / {burst['http_429']}"),
                ),
            ],
        )
        keep = (
            "chats", "achieved_per_s", "ratio", "lost", "duplicates", "http_429",
            "first_send_after_due_s", "lateness_p50_s", "lateness_p99_s", "completion_s",
            "bound_s", "completion_over_bound", "wall_s",
        )  # fmt: skip
        result["burst"] = {k: burst[k] for k in keep}
        result["series_burst_lateness_quantiles"] = burst["series_lateness_quantiles"]
    result["machine"] = machine()
    emit(result, args.out)


if __name__ == "__main__":
    main()
