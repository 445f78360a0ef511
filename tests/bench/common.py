"""Shared helpers for the benchmarks: seeding, percentiles, tables, the machine description.

The scripts in tests/bench/ are plain programs (`python tests/bench/X.py --help`), kept out of
the default test run; each prints a readable table and, as its last line, one JSON object.
"""

from __future__ import annotations

import json
import os
import platform
import random
import sqlite3
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

from bot.scheduling.defaults import default_times
from bot.scheduling.timemath import local_instant, parse_hhmm, zone
from bot.storage.models import WORKDAYS

RESULTS = ROOT / "docs" / "benchmarks"

# Where subscribers live: mostly the Netherlands and Flanders, some elsewhere.
TIMEZONES: tuple[tuple[str, float], ...] = (
    ("Europe/Amsterdam", 0.70),
    ("Europe/Brussels", 0.18),
    ("Europe/London", 0.04),
    ("America/Paramaribo", 0.02),
    ("America/Curacao", 0.02),
    ("Asia/Jakarta", 0.02),
    ("America/New_York", 0.02),
)
LANGUAGES = (("nl", 0.75), ("en", 0.25))
PLACES = (("office", 0.6), ("home", 0.4))


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), linear interpolation between closest ranks."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def quantiles(values: Sequence[float], points: int = 101) -> list[float]:
    """`points` evenly spaced percentiles, 0 to 100 (enough to draw a distribution)."""
    return [round(percentile(values, 100 * i / (points - 1)), 4) for i in range(points)]


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def print_table(title: str, rows: Sequence[tuple[str, Any]]) -> None:
    """A two-column table on stdout."""
    width = max((len(name) for name, _ in rows), default=0)
    print(f"\n{title}")
    print("-" * max(len(title), width + 20))
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    sys.stdout.flush()


def emit(result: dict[str, Any], out: str | None = None) -> None:
    """The last stdout line: one JSON object; also saved to `out` (with extra series)."""
    if out:
        path = Path(out)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(result, indent=1) + "\n")
    summary = {k: v for k, v in result.items() if not k.startswith("series_")}
    print(json.dumps(summary, separators=(",", ":")), flush=True)


def machine() -> dict[str, Any]:
    """What the figures were taken on."""
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gb = None
    try:
        import psutil

        ram_gb = round(psutil.virtual_memory().total / 2**30, 1)
    except ImportError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gb": ram_gb,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "os": platform.platform(terse=True),
        "load_avg_1m_at_end": round(os.getloadavg()[0], 2),
    }


def weighted(rng: random.Random, choices: Sequence[tuple[str, float]]) -> str:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


@dataclass(frozen=True)
class SeedRow:
    """One subscriber as the bulk seeders write it."""

    id: int
    language: str
    timezone: str
    times: list[str]
    place: str
    next_due_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": "private",
            "language": self.language,
            "timezone": self.timezone,
            "times": self.times,
            "days": WORKDAYS,
            "place": self.place,
            "paused_until": None,
            "active": self.next_due_at is not None,
            "blocked": False,
            "onboarded": True,
            "safety_shown": True,
            "weekly_summary": False,
            "evening_nudge": False,
            "next_due_at": self.next_due_at,
        }


# A Monday well away from daylight-saving changes: the day the scale benchmarks spread over.
SEED_DAY = date(2026, 6, 1)
FIRST_ID = 100_000_001


def subscribers(
    count: int, *, day: date = SEED_DAY, seed: int = 1, inactive: float = 0.03
) -> Iterator[SeedRow]:
    """`count` subscribers with the default times (defaults.default_times), a timezone mix
    and each one's next due moment at one of its three slots of `day`: the spread of
    next_due_at over a working day. A few have stopped (next_due_at NULL)."""
    rng = random.Random(seed)
    cache: dict[tuple[tuple[str, ...], str, int], datetime] = {}
    for i in range(count):
        chat_id = FIRST_ID + i
        times = default_times(chat_id)
        tz = weighted(rng, TIMEZONES)
        due: datetime | None = None
        if rng.random() >= inactive:
            slot = rng.randrange(3)
            key = (tuple(times), tz, slot)
            if key not in cache:
                cache[key] = local_instant(day, parse_hhmm(times[slot]), zone(tz))
            due = cache[key]
        yield SeedRow(chat_id, weighted(rng, LANGUAGES), tz, times, weighted(rng, PLACES), due)


class Stopwatch:
    """perf_counter seconds since creation (or the last `restart`)."""

    def __init__(self) -> None:
        self.start = time.perf_counter()

    def restart(self) -> None:
        self.start = time.perf_counter()

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.start
