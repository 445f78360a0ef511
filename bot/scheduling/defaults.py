"""A new subscriber's schedule: the campaign's three daily moments, spread per chat.

Everyone due at exactly 10:00:00 would put a whole country in one second's send queue, so
each chat gets a stable offset of up to 15 minutes around each default time
(`default_times`). One bot sends about 30 messages a second, 1,800 a minute, so a window of
31 minutes holds 55,800 sends: `load_aware_times` instead puts each moment at the least-loaded
minute of a wider window, judged by the demand of the chats already there.
"""

from __future__ import annotations

import hashlib
from datetime import date, time, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from bot.scheduling.timemath import local_instant, zone

if TYPE_CHECKING:  # numpy loads with the first load-aware choice, not with the bot
    import numpy as np

DEFAULT_TIMES = ("10:00", "13:30", "15:30")
SPREAD_MINUTES = 15


def spread_minutes(chat_id: int, index: int) -> int:
    """A stable offset in [-15, +15] minutes for the chat's index-th default time."""
    digest = hashlib.blake2b(f"{chat_id}:{index}".encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big") % (2 * SPREAD_MINUTES + 1) - SPREAD_MINUTES


def default_times(chat_id: int) -> list[str]:
    times = []
    for index, base in enumerate(DEFAULT_TIMES):
        hour, minute = map(int, base.split(":"))
        total = hour * 60 + minute + spread_minutes(chat_id, index)
        times.append(f"{total // 60:02d}:{total % 60:02d}")
    return times


DEFAULT_WINDOW_MINUTES = 45


def _tie_break(chat_id: int, index: int) -> int:
    digest = hashlib.blake2b(f"load:{chat_id}:{index}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


@lru_cache(maxsize=16384)
def candidate_slots(
    tz_name: str, days: int, base_minute: int, window: int, week_of: date
) -> np.ndarray:
    """Where each candidate time lands: for every local minute base-window..base+window (rows),
    the flat index (UTC weekday * 1440 + UTC minute) of its slot on each of the chat's days in
    the week from `week_of` (columns), DST-correct through timemath.local_instant."""
    import numpy as np

    tz = zone(tz_name)
    week = [week_of + timedelta(days=offset) for offset in range(7)]
    active = [day for day in week if days >> day.weekday() & 1]
    rows = []
    for minute in range(base_minute - window, base_minute + window + 1):
        minute %= 24 * 60
        at = _clock(minute)
        instants = [local_instant(day, at, tz) for day in active]
        rows.append([i.weekday() * 1440 + i.hour * 60 + i.minute for i in instants])
    index = np.asarray(rows, dtype=np.int64).reshape(2 * window + 1, len(active))
    index.flags.writeable = False
    return index


def _clock(minute: int) -> time:
    return time(minute // 60, minute % 60)


def load_aware_minutes(
    chat_id: int,
    load: np.ndarray,
    tz_name: str,
    days: int,
    *,
    window_minutes: int = DEFAULT_WINDOW_MINUTES,
    week_of: date,
) -> list[int]:
    """Local minutes of the day for the chat's three moments (see `load_aware_times`)."""
    import numpy as np

    flat = np.asarray(load, dtype=np.float64).ravel()
    if flat.shape != (7 * 24 * 60,):
        raise ValueError("load must hold 7 x 1440 UTC minutes")
    chosen: list[int] = []
    for index, base in enumerate(DEFAULT_TIMES):
        hour, minute = map(int, base.split(":"))
        base_minute = hour * 60 + minute
        slots = candidate_slots(tz_name, days & 0b1111111, base_minute, window_minutes, week_of)
        candidates = (base_minute + np.arange(-window_minutes, window_minutes + 1)) % (24 * 60)
        if slots.shape[1] == 0:  # no days: no load to weigh; keep the spread
            worst = total = np.zeros(len(candidates))
        else:
            loads = flat[slots]
            worst, total = loads.max(axis=1), loads.sum(axis=1)
        # wide windows overlap: never the same minute for two moments
        worst = np.where(np.isin(candidates, chosen), np.inf, worst)
        best = np.flatnonzero(worst == worst.min())
        best = best[total[best] == total[best].min()]
        chosen.append(int(candidates[best[_tie_break(chat_id, index) % len(best)]]))
    return chosen


def load_aware_times(
    chat_id: int,
    load: np.ndarray,
    tz_name: str,
    days: int,
    *,
    window_minutes: int = DEFAULT_WINDOW_MINUTES,
    week_of: date,
) -> list[str]:
    """A new chat's default times, each at the least-loaded minute within `window_minutes` of
    its campaign moment.

    `load` is the demand per UTC weekday and minute (7 x 1440, capacity.weekly_load) for the
    week from `week_of`. A candidate's load is the busiest of the minutes it would fall in on
    the chat's days, then their sum; ties go to a minute picked by a hash of the chat id, so
    the result is stable per chat for a given load (and on an empty bot spreads like
    `default_times`). Pure: `load` is not changed, and nothing here touches times a
    subscriber chose; the caller stores the result once, at registration.
    """
    minutes = load_aware_minutes(
        chat_id, load, tz_name, days, window_minutes=window_minutes, week_of=week_of
    )
    return [f"{m // 60:02d}:{m % 60:02d}" for m in sorted(minutes)]
