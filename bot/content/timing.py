"""How long a routine takes: the articles' dosages plus the bot's own time to get into position.

The sourced part (holds, movement time) comes from the chosen dosage; everything added here is
Rekpauze's own pacing and is shown to users labelled as such. The loader refuses a routine
whose sourced time does not fit the one-minute break (001: "drie keer per dag één minuut").
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.content.models import Catalogue, Dosage, Exercise, Routine, RoutineItem

#: Own pacing: getting into position, once per exercise of a routine.
SETUP_SECONDS = 10
#: Own pacing: letting go and starting again between two holds (rounds or sides).
SWITCH_SECONDS = 5
#: A reminder routine is "one minute"; allow some slack either way.
ROUTINE_MIN_SECONDS = 45
ROUTINE_MAX_SECONDS = 90


@dataclass(frozen=True)
class ItemTime:
    """Seconds one routine item takes, as a range; `sourced` when the article gives the time."""

    low: int
    high: int
    sourced: bool


def pauses(dosage: Dosage) -> int:
    """Own-pacing seconds around a timed dosage: setup, and a switch between holds."""
    if dosage.hold_seconds:
        return SETUP_SECONDS + SWITCH_SECONDS * (dosage.rounds * dosage.sides - 1)
    return SETUP_SECONDS


def item_dosage(exercise: Exercise, item: RoutineItem) -> Dosage | None:
    return exercise.dosage_from(item.dosage_source) if item.dosage_source else None


def item_time(exercise: Exercise, item: RoutineItem) -> ItemTime:
    dosage = item_dosage(exercise, item)
    span = dosage.timed_seconds() if dosage else None
    if dosage is not None and span is not None:
        extra = pauses(dosage)
        return ItemTime(span.min + extra, span.max + extra, sourced=True)
    own = item.own_seconds or 0
    return ItemTime(own, own, sourced=False)


def routine_time(catalogue: Catalogue, routine: Routine) -> tuple[int, int]:
    """(least, most) seconds the routine takes when every dosage is done in full."""
    times = [item_time(catalogue.exercise(i.exercise), i) for i in routine.items]
    return sum(t.low for t in times), sum(t.high for t in times)
