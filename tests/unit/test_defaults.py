from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.scheduling.defaults import DEFAULT_TIMES, default_times


def _minutes(hhmm: str) -> int:
    hour, minute = map(int, hhmm.split(":"))
    return hour * 60 + minute


@given(st.integers(min_value=-(10**13), max_value=10**13))
def test_default_times_are_within_15_minutes_and_stable(chat_id: int) -> None:
    times = default_times(chat_id)
    assert times == default_times(chat_id)
    assert len(times) == 3
    for got, base in zip(times, DEFAULT_TIMES, strict=True):
        assert abs(_minutes(got) - _minutes(base)) <= 15


def test_default_times_spread_subscribers() -> None:
    seen = {tuple(default_times(chat_id)) for chat_id in range(1000, 1200)}
    assert len(seen) > 150
