"""The schedule rule for a slot that has come (issue 19): sent, moved past a meeting, skipped
in one, or replaced by a break done shortly before. Pure: busy intervals and instants in."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.scheduling.rules import (
    Coming,
    Placement,
    SlotPlan,
    coming,
    place_reminder,
    replace_moved,
)
from bot.scheduling.timemath import ALL_DAYS

AMS = ZoneInfo("Europe/Amsterdam")


@dataclass
class Chat:
    times: list[str] = field(default_factory=lambda: ["10:00", "13:30", "15:30"])
    days: int = ALL_DAYS
    timezone: str = "Europe/Amsterdam"
    paused_until: datetime | None = None
    active: bool = True
    blocked: bool = False


def at(day: int, hh: int, mm: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hh, mm, tzinfo=AMS).astimezone(UTC)


SLOT = at(23, 10)


def test_a_free_slot_is_sent_at_its_time() -> None:
    assert place_reminder(Chat(), SLOT) == SlotPlan(Placement.SEND, SLOT)
    other_meeting = [(at(23, 11), at(23, 12))]
    assert place_reminder(Chat(), SLOT, busy=other_meeting) == SlotPlan(Placement.SEND, SLOT)


def test_a_slot_in_a_meeting_moves_to_two_minutes_after_it() -> None:
    busy = [(at(23, 9, 30), at(23, 10, 45))]
    assert place_reminder(Chat(), SLOT, busy=busy) == SlotPlan(Placement.MOVED, at(23, 10, 47))
    # The end is excluded: a meeting that ends at 10:00 does not hold the 10:00 slot.
    assert place_reminder(Chat(), SLOT, busy=[(at(23, 9), SLOT)]).placement is Placement.SEND


def test_back_to_back_meetings_move_it_past_both() -> None:
    busy = [(at(23, 9, 30), at(23, 10, 30)), (at(23, 10, 31), at(23, 11))]
    assert place_reminder(Chat(), SLOT, busy=busy).due_at == at(23, 11, 2)


def test_beyond_the_window_it_is_skipped() -> None:
    busy = [(at(23, 9), at(23, 11, 29))]  # free at 11:31: 91 minutes late
    assert place_reminder(Chat(), SLOT, busy=busy) == SlotPlan(Placement.BUSY, None)
    narrow = place_reminder(Chat(), SLOT, busy=[(SLOT, at(23, 10, 20))], window=timedelta(0))
    assert narrow.placement is Placement.BUSY


def test_never_onto_or_past_the_next_slot() -> None:
    chat = Chat(times=["10:00", "10:30"])
    assert place_reminder(chat, SLOT, busy=[(SLOT, at(23, 10, 27))]).due_at == at(23, 10, 29)
    # 10:30 would land on the next slot: that reminder takes over.
    assert place_reminder(chat, SLOT, busy=[(SLOT, at(23, 10, 28))]).placement is Placement.BUSY


def test_never_past_the_local_day_end() -> None:
    late = at(23, 23, 30)
    chat = Chat(times=["23:30"])
    assert place_reminder(chat, late, busy=[(late, at(23, 23, 57))]).due_at == at(23, 23, 59)
    assert place_reminder(chat, late, busy=[(late, at(23, 23, 58))]).placement is Placement.BUSY


def test_the_window_is_real_minutes_across_a_dst_change() -> None:
    # Sunday 25 Oct 2026, 02:30 CEST; the clocks go back at 03:00 CEST to 02:00 CET.
    slot = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST
    chat = Chat(times=["02:30"])
    meeting_end = slot + timedelta(minutes=80)  # 02:50 CET by the wall clock
    placed = place_reminder(chat, slot, busy=[(slot, meeting_end)])
    assert placed == SlotPlan(Placement.MOVED, meeting_end + timedelta(minutes=2))


def test_a_break_done_within_45_minutes_before_replaces_the_slot() -> None:
    assert place_reminder(Chat(), SLOT, last_done=SLOT - timedelta(minutes=45)) == SlotPlan(
        Placement.DONE, None
    )
    assert place_reminder(Chat(), SLOT, last_done=SLOT - timedelta(minutes=46)).placement is (
        Placement.SEND
    )
    # Done wins over a meeting: there is nothing to move.
    busy = [(at(23, 9, 30), at(23, 10, 45))]
    done = place_reminder(Chat(), SLOT, busy=busy, last_done=SLOT - timedelta(minutes=10))
    assert done.placement is Placement.DONE


# --- a moved reminder checked again (the meeting ran longer, or another was added) ----------

MEETING = (at(23, 9, 30), at(23, 10, 45))  # moved the 10:00 slot to 10:47


def test_a_moved_reminder_whose_time_is_still_free_keeps_it() -> None:
    planned = place_reminder(Chat(), SLOT, busy=[MEETING]).due_at
    assert planned == at(23, 10, 47)
    kept = replace_moved(Chat(), SLOT, planned, busy=[MEETING], now=at(23, 10, 15))
    assert kept == SlotPlan(Placement.MOVED, planned)
    # A meeting that got shorter does not bring it back earlier: 10:47 was promised.
    shorter = [(at(23, 9, 30), at(23, 10, 15))]
    assert replace_moved(Chat(), SLOT, planned, busy=shorter, now=at(23, 10, 15)).due_at == planned


def test_an_extended_meeting_moves_it_again_to_two_minutes_after_the_new_end() -> None:
    extended = [(at(23, 9, 30), at(23, 11, 15))]
    again = replace_moved(Chat(), SLOT, at(23, 10, 47), busy=extended, now=at(23, 10, 15))
    assert again == SlotPlan(Placement.MOVED, at(23, 11, 17))
    # A new meeting over the moved time, right after the first one: past both.
    added = [MEETING, (at(23, 10, 46), at(23, 11, 0))]
    assert replace_moved(Chat(), SLOT, at(23, 10, 47), busy=added, now=at(23, 10, 15)).due_at == (
        at(23, 11, 2)
    )


def test_the_limits_of_the_first_move_hold_for_the_second() -> None:
    # The window counts from the slot: free at 11:31 is 91 minutes after 10:00.
    long = [(at(23, 9, 30), at(23, 11, 29))]
    assert replace_moved(Chat(), SLOT, at(23, 10, 47), busy=long, now=at(23, 10, 15)) == (
        SlotPlan(Placement.BUSY, None)
    )
    # Never onto the next slot (11:00 here), nor past the local day's end.
    chat = Chat(times=["10:00", "11:00"])
    to_eleven = [(at(23, 9, 30), at(23, 10, 58))]
    assert replace_moved(chat, SLOT, at(23, 10, 47), busy=to_eleven, now=at(23, 10, 15)) == (
        SlotPlan(Placement.BUSY, None)
    )
    late = at(23, 23, 30)
    night = [(at(23, 23, 40), at(24, 0, 30))]
    assert replace_moved(Chat(times=["23:30"]), late, at(23, 23, 42), busy=night, now=late) == (
        SlotPlan(Placement.BUSY, None)
    )


def test_when_it_comes_due_in_a_meeting_it_moves_from_now() -> None:
    # Due at 10:47 but the process was down until 11:05, inside a meeting 11:00-11:20.
    busy = [MEETING, (at(23, 11), at(23, 11, 20))]
    assert replace_moved(Chat(), SLOT, at(23, 10, 47), busy=busy, now=at(23, 11, 5)) == (
        SlotPlan(Placement.MOVED, at(23, 11, 22))
    )
    # Free now (the meeting was moved away): sent as planned, at once.
    assert replace_moved(Chat(), SLOT, at(23, 10, 47), busy=[MEETING], now=at(23, 10, 50)) == (
        SlotPlan(Placement.MOVED, at(23, 10, 47))
    )


def test_the_next_reminders_include_one_waiting_for_a_meeting_to_end() -> None:
    """10:20: the 10:00 reminder waits until 10:47. Shown as next, marked moved; not once it
    has gone, nor when the chat stopped or paused since (it will not be sent then)."""
    now, next_due, moved = at(23, 10, 20), at(23, 13, 30), [at(23, 10, 47)]
    assert coming(Chat(), next_due, now, moved) == [
        Coming(at(23, 10, 47), moved=True),
        Coming(at(23, 13, 30)),
        Coming(at(23, 15, 30)),
    ]
    assert coming(Chat(), next_due, at(23, 10, 50), moved)[0] == Coming(at(23, 13, 30))
    assert coming(Chat(active=False), None, now, moved) == []
    paused = coming(Chat(paused_until=at(24, 0)), at(24, 10), now, moved)
    assert paused == [Coming(at(24, 10)), Coming(at(24, 13, 30)), Coming(at(24, 15, 30))]


def test_the_next_reminders_start_at_the_stored_next_due_moment() -> None:
    """Today skipped at 10:20 (next due tomorrow 10:00): today's 13:30 is not listed."""
    tomorrow = coming(Chat(), at(24, 10), at(23, 10, 20))
    assert [item.at for item in tomorrow] == [at(24, 10), at(24, 13, 30), at(24, 15, 30)]
