"""The pure part of the tick: which slot to send now and when the chat is next due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.scheduling.rules import Plan, plan_due
from bot.storage.models import ALL_DAYS, WORKDAYS, Chat

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Monday 10:00 in Amsterdam
GRACE = timedelta(minutes=20)


def chat(**kw: object) -> Chat:
    values: dict[str, object] = {
        "id": 1,
        "times": ["10:00", "13:30", "15:30"],
        "days": ALL_DAYS,
        "timezone": "Europe/Amsterdam",
        "active": True,
        "blocked": False,
        "paused_until": None,
        "next_due_at": T0,
    }
    values.update(kw)
    return Chat(**values)


def plan(row: Chat, now: datetime, grace: timedelta) -> Plan:
    """The dispatcher's question for a claimed chat: its stored next due moment has come."""
    return plan_due(row, row.next_due_at, now, grace)


def test_on_time() -> None:
    result = plan(chat(), T0 + timedelta(seconds=3), GRACE)
    assert result.slot == T0
    assert result.next_due == datetime(2026, 11, 23, 12, 30, tzinfo=UTC)
    assert result.skipped == 0


def test_not_yet_due_is_left_alone() -> None:
    result = plan(chat(next_due_at=T0 + timedelta(hours=1)), T0, GRACE)
    assert result.slot is None and result.next_due == T0 + timedelta(hours=1)


def test_within_grace_is_sent_beyond_it_is_skipped() -> None:
    assert plan(chat(), T0 + GRACE, GRACE).slot == T0
    late = plan(chat(), T0 + GRACE + timedelta(seconds=1), GRACE)
    assert late.slot is None and late.skipped == 1
    assert late.next_due == datetime(2026, 11, 23, 12, 30, tzinfo=UTC)


def test_after_days_of_downtime_only_a_slot_within_grace_is_sent() -> None:
    now = datetime(2026, 11, 26, 12, 40, tzinfo=UTC)  # 13:40 local, three days later
    result = plan(chat(next_due_at=T0), now, GRACE)
    assert result.slot == datetime(2026, 11, 26, 12, 30, tzinfo=UTC)
    assert result.next_due == datetime(2026, 11, 26, 14, 30, tzinfo=UTC)


def test_of_several_due_slots_within_grace_only_the_latest_is_sent() -> None:
    result = plan(chat(times=["10:00", "10:05", "10:10"]), T0 + timedelta(minutes=11), GRACE)
    assert result.slot == T0 + timedelta(minutes=10) and result.skipped == 2


def test_pause_is_respected_even_when_next_due_predates_it() -> None:
    result = plan(chat(paused_until=T0 + timedelta(days=1, hours=1)), T0, GRACE)
    assert result.slot is None
    assert result.next_due == datetime(2026, 11, 24, 12, 30, tzinfo=UTC)


def test_inactive_or_blocked_chats_are_unscheduled() -> None:
    assert plan(chat(active=False), T0, GRACE) == plan(chat(blocked=True), T0, GRACE)
    assert plan(chat(active=False), T0, GRACE).next_due is None


def test_workdays_jump_over_the_weekend() -> None:
    friday = datetime(2026, 11, 27, 14, 30, tzinfo=UTC)
    result = plan(chat(next_due_at=friday, days=WORKDAYS), friday, GRACE)
    assert result.slot == friday
    assert result.next_due == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def test_naive_datetimes_from_sqlite_are_read_as_utc() -> None:
    result = plan(chat(next_due_at=T0.replace(tzinfo=None)), T0, GRACE)
    assert result.slot == T0
