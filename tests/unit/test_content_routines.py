"""Routine choice: office routines stay off the floor, no repeats, same seed same answer."""

from __future__ import annotations

import random

import pytest

from bot.content import Catalogue, exercises_for_place, load_catalogue, pick_routine
from bot.content.models import OFFICE_POSITIONS, Routine
from bot.content.timing import (
    ROUTINE_MAX_SECONDS,
    ROUTINE_MIN_SECONDS,
    SETUP_SECONDS,
    SWITCH_SECONDS,
    routine_time,
)
from bot.services.exercises import random_exercise


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


def _positions(catalogue: Catalogue, routine: Routine) -> set[str]:
    found: set[str] = set()
    for item in routine.items:
        exercise = catalogue.exercise(item.exercise)
        found |= {item.position} if item.position else set(exercise.positions)
    return found


def test_office_routines_are_standing_or_seated(catalogue: Catalogue) -> None:
    office = catalogue.routines_for("office")
    assert len(office) >= 3
    for routine in office:
        assert _positions(catalogue, routine) <= OFFICE_POSITIONS, routine.id
        for item in routine.items:
            exercise = catalogue.exercise(item.exercise)
            assert exercise.desk_ok and not exercise.equipment, routine.id


def test_routines_take_about_a_minute(catalogue: Catalogue) -> None:
    """The dosage (holds with their rounds and sides) plus own setup time fits the break."""
    for routine in catalogue.routines:
        low, high = routine_time(catalogue, routine)
        assert low <= ROUTINE_MAX_SECONDS and high >= ROUTINE_MIN_SECONDS, routine.id


def test_routine_length_is_computed_from_the_dosage(catalogue: Catalogue) -> None:
    # 000: 3 x 20 s of holding, plus getting into position and two releases: not 60 s.
    assert (
        routine_time(catalogue, catalogue.routine("kantoor-bekkenrek"))
        == (60 + SETUP_SECONDS + 2 * SWITCH_SECONDS,) * 2
    )
    # 001: 3 x 10 s with both knees; 003: child's pose 30 s to 1 minute.
    low, high = routine_time(catalogue, catalogue.routine("thuis-knieen-kindhouding"))
    assert low == 30 + SETUP_SECONDS + 2 * SWITCH_SECONDS + 30 + SETUP_SECONDS
    assert high == low + 30


def test_no_strength_exercise_in_a_stretch_break(catalogue: Catalogue) -> None:
    for routine in catalogue.routines:
        for item in routine.items:
            assert catalogue.exercise(item.exercise).kind != "strength", routine.id


def test_exercises_for_office(catalogue: Catalogue) -> None:
    office = exercises_for_place(catalogue, "office")
    assert {e.id for e in office} == {
        "staande-bekkenrek",
        "heupbuigerstretch",
        "zijwaartse-rek",
        "transversus-aanspannen",
    }
    for exercise in office:
        assert set(exercise.positions) & OFFICE_POSITIONS
    home = {e.id for e in exercises_for_place(catalogue, "home")}
    assert home == {e.id for e in catalogue.exercises} - {"buikplank", "zijplank"}


def test_random_pick_never_offers_a_name_only_exercise(catalogue: Catalogue) -> None:
    rng = random.Random(3)
    picked = {random_exercise(catalogue, "home", rng=rng).id for _ in range(500)}
    assert picked == {e.id for e in catalogue.exercises if e.offered}
    assert {"buikplank", "zijplank"}.isdisjoint(picked)


@pytest.mark.parametrize("place", ["office", "home"])
def test_pick_only_routines_for_the_place(catalogue: Catalogue, place: str) -> None:
    rng = random.Random(1)
    for _ in range(50):
        assert place in pick_routine(catalogue, place, [], rng).places


def test_no_repeat_of_last_five_when_possible(catalogue: Catalogue) -> None:
    home = catalogue.routines_for("home")
    assert len(home) > 5
    rng = random.Random(7)
    recent: list[str] = []
    for _ in range(200):
        routine = pick_routine(catalogue, "home", recent, rng)
        assert routine.id not in recent[:5]
        recent.insert(0, routine.id)


def test_least_recently_used_when_all_were_recent(catalogue: Catalogue) -> None:
    office = sorted(r.id for r in catalogue.routines_for("office"))
    assert len(office) <= 5
    recent = list(reversed(office))  # most recent first: office[0] was used longest ago
    chosen = pick_routine(catalogue, "office", recent, random.Random(3))
    assert chosen.id == office[0]
    rng = random.Random(5)
    history: list[str] = []
    for _ in range(40):
        routine = pick_routine(catalogue, "office", history, rng)
        if history:
            assert routine.id != history[0]
        history.insert(0, routine.id)


def test_deterministic_with_seed(catalogue: Catalogue) -> None:
    def run(seed: int) -> list[str]:
        rng = random.Random(seed)
        return [pick_routine(catalogue, "home", ["thuis-kindhouding"], rng).id for _ in range(20)]

    assert run(42) == run(42)
    assert len(set(run(42))) > 1


def test_unknown_place_raises(catalogue: Catalogue) -> None:
    with pytest.raises(LookupError):
        pick_routine(catalogue, "beach", [], random.Random(0))
