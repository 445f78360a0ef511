"""Flood control as Telegram applies it: a global send rate and per-chat limits.

Telegram documents the limits only loosely ("about 30 messages per second", "avoid more than one
message per second in a chat", "no more than 20 messages per minute in a group") and answers 429
with `retry_after` beyond them. The stand-in applies those numbers exactly, so a bot that stays
within them here stays within them on the real server.

What counts:
- sends (sendMessage, sendPhoto, sendDocument) count against the global window and their chat;
- paid broadcasts (a send with `allow_paid_broadcast`, Bot API 7.11): Telegram lets them go
  past the free rate up to 1000 a second, charging Stars for each message beyond the free
  amount. Read here as: a send without the flag is refused once `global_per_second` sends
  without it left in the last second (the free budget), a flagged one once
  `paid_per_second` sends of either kind did (the total). Per-chat limits apply to both;
- edits (editMessage*) never count against the global window; when `count_edits` is on they use a
  per-chat limiter of their own with the same numbers, so a countdown that edits once a second
  passes while an edit storm does not.
A refused call consumes nothing, so retrying after `retry_after` succeeds.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

from bot.sandbox.clock import Clock


@dataclass(frozen=True)
class FloodLimits:
    """The numbers flood control uses; `FloodLimits.off()` disables it for tests that don't care."""

    enabled: bool = True
    global_per_second: int = 30
    """Sends without `allow_paid_broadcast` across all chats in any sliding one-second window."""
    paid_per_second: int = 1000
    """Sends of any kind in any sliding second beyond which a flagged send is refused (0: the
    flag is not honoured, as for a bot without paid broadcasts)."""
    private_per_second: float = 1.0
    """Sustained sends per second into one private chat (token bucket refill rate)."""
    private_burst: int = 5
    """Sends a private chat may receive back to back before the sustained rate applies."""
    group_per_minute: int = 20
    """Sends into one group or supergroup in any sliding 60-second window."""
    count_edits: bool = True
    """Apply the per-chat limits to edits too, in a separate budget from sends."""

    @classmethod
    def off(cls) -> FloodLimits:
        return cls(enabled=False)


class _Bucket:
    """Token bucket for one private chat: `burst` tokens, refilled at `rate` per second."""

    __slots__ = ("tokens", "updated")

    def __init__(self, tokens: float, now: float) -> None:
        self.tokens = tokens
        self.updated = now


class FloodControl:
    """Decides whether a send or edit may go out now; returns the wait in seconds if not."""

    GLOBAL_WINDOW = 1.0
    GROUP_WINDOW = 60.0

    def __init__(self, limits: FloodLimits, clock: Clock) -> None:
        self.limits = limits
        self._clock = clock
        self._global: deque[float] = deque()  # sends without the paid flag
        self._total: deque[float] = deque()  # every send, flagged or not
        self._private: dict[tuple[int, bool], _Bucket] = {}
        self._group: dict[tuple[int, bool], deque[float]] = {}

    def check(
        self, chat_id: int, *, is_group: bool, edit: bool = False, paid: bool = False
    ) -> float | None:
        """Record the call and return None if allowed, else the seconds until it would be.
        `paid`: a send with `allow_paid_broadcast` (see the module docstring)."""
        limits = self.limits
        if not limits.enabled or (edit and not limits.count_edits):
            return None
        now = self._clock()
        waits: list[float] = []
        paid = paid and not edit and limits.paid_per_second > 0
        if not edit:
            for window in (self._global, self._total):
                while window and window[0] <= now - self.GLOBAL_WINDOW:
                    window.popleft()
            window, limit = (
                (self._total, limits.paid_per_second)
                if paid
                else (self._global, limits.global_per_second)
            )
            if len(window) >= limit:
                waits.append(window[len(window) - limit] + self.GLOBAL_WINDOW - now)
        key = (chat_id, edit)
        if is_group:
            times = self._group.get(key)
            if times is None:
                times = self._group[key] = deque()
            while times and times[0] <= now - self.GROUP_WINDOW:
                times.popleft()
            if len(times) >= limits.group_per_minute:
                waits.append(times[0] + self.GROUP_WINDOW - now)
        else:
            bucket = self._private.get(key)
            if bucket is None:
                bucket = self._private[key] = _Bucket(float(limits.private_burst), now)
            elapsed = max(0.0, now - bucket.updated)
            bucket.tokens = min(
                float(limits.private_burst), bucket.tokens + elapsed * limits.private_per_second
            )
            bucket.updated = now
            if bucket.tokens < 1.0:
                waits.append((1.0 - bucket.tokens) / limits.private_per_second)
        if waits:
            return max(waits)
        if not edit:
            self._total.append(now)
            if not paid:
                self._global.append(now)
        if is_group:
            self._group[key].append(now)
        else:
            self._private[key].tokens -= 1.0
        return None

    def forget_chat(self, chat_id: int) -> None:
        """Drop a chat's state (deleted or migrated chats) so memory stays bounded."""
        for edit in (False, True):
            self._private.pop((chat_id, edit), None)
            self._group.pop((chat_id, edit), None)


def retry_after_seconds(wait: float) -> int:
    """Telegram reports whole seconds, never zero."""
    return max(1, math.ceil(wait - 1e-9))
