"""A new subscriber's schedule: the campaign's three daily moments, spread per chat.

Everyone due at exactly 10:00:00 would put a whole country in one second's send queue, so
each chat gets a stable offset of up to 15 minutes around each default time.
"""

from __future__ import annotations

import hashlib

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
