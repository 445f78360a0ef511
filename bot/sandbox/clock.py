"""Clocks for the stand-in: the real one, and a manual one tests advance instead of sleeping."""

from __future__ import annotations

import time
from collections.abc import Callable

Clock = Callable[[], float]
"""Returns the current Unix time in seconds; message dates, flood windows and expiry use it."""


def system_clock() -> float:
    return time.time()


class ManualClock:
    """A clock that only moves when told to, so flood windows can be crossed without sleeping."""

    def __init__(self, start: float = 1_750_000_000.0) -> None:
        self.now = float(start)

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        """Move forward by `seconds` and return the new time."""
        if seconds < 0:
            raise ValueError("a clock does not run backwards")
        self.now += seconds
        return self.now

    def set(self, timestamp: float) -> None:
        self.now = float(timestamp)


class ScaledClock:
    """Real time running `speed` times faster from the moment it is made (sandbox --speed)."""

    def __init__(self, speed: float, start: float | None = None) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self._origin = time.time() if start is None else start
        self._real_origin = time.monotonic()

    def __call__(self) -> float:
        return self._origin + (time.monotonic() - self._real_origin) * self.speed

    def advance(self, seconds: float) -> float:
        """Jump forward by `seconds` and keep running: a test skips to just before a due
        minute instead of waiting for it, and still sees real lateness after it."""
        if seconds < 0:
            raise ValueError("a clock does not run backwards")
        self._origin += seconds
        return self()
