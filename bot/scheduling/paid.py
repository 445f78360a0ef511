"""When a reminder goes out as a paid broadcast (Bot API 7.11, `allow_paid_broadcast`).

Telegram lets a bot send about 30 messages a second for free; a message sent with
`allow_paid_broadcast` may go beyond that, up to 1000 a second, and Telegram charges Stars for
each message beyond the free rate. So a reminder is flagged only when the free rate is failing
it: when it is already later than the threshold (PAID_BROADCAST_AFTER_SECONDS), or when the
capacity model (bot.scheduling.capacity) predicts, at the free rate, that the reminders of its
due minute end up later than that. The prediction lets a known wave (everyone's 10:00) start
at the paid rate instead of first falling a threshold behind. Pure: the caller passes `now`.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.scheduling.timemath import as_utc


@dataclass(frozen=True)
class LateMinutes:
    """UTC minutes (runs of minute offsets from `start`, both ends included) whose reminders
    the capacity model predicts later than the threshold at the free send rate."""

    start: datetime
    runs: tuple[tuple[int, int], ...] = ()

    @classmethod
    def from_runs(cls, start: datetime, runs: Sequence[Sequence[int]]) -> LateMinutes:
        return cls(as_utc(start), tuple(sorted((int(a), int(b)) for a, b in runs)))

    def covers(self, due_at: datetime) -> bool:
        """Whether a reminder due at `due_at` falls in a predicted-late minute."""
        minute = int((as_utc(due_at) - self.start).total_seconds() // 60)
        index = bisect_right(self.runs, (minute, 1 << 62)) - 1
        return index >= 0 and self.runs[index][0] <= minute <= self.runs[index][1]


@dataclass
class PaidBroadcasts:
    """The rule, with the latest prediction (the capacity job replaces `forecast`)."""

    after: timedelta
    forecast: LateMinutes | None = field(default=None)

    def pays(self, due_at: datetime, now: datetime) -> bool:
        """Flag this reminder's send: it is, or is predicted to be, later than `after`."""
        if as_utc(now) - as_utc(due_at) > self.after:
            return True
        return self.forecast is not None and self.forecast.covers(due_at)
