"""Routine choice: office routines stay off the floor, no repeats, same seed same answer."""

from __future__ import annotations

import random

import pytest

from bot.content import Catalogue, exercises_for_place, load_catalogue, pick_routine
from bot.content.models import OFFICE_POSITIONS, Routine


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
    for routine in catalogue.routines:
        assert 45 <= routine.total_seconds <= 90, routine.id


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
    assert len(exercises_for_place(catalogue, "home")) == len(catalogue.exercises)


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
