"""Guided mode's timeline: a pure function of the steps and the seconds elapsed.

Holds count down, movements "keep going", repetitions wait for "Next"; nothing ends before the
article's dosage can be done.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.content.loader import get_catalogue
from bot.content.models import Exercise
from bot.content.render import GuidedStep, guided_steps
from bot.handlers.exercises import guided_screen
from bot.services.guided import (
    PREP_SECONDS,
    READ_SECONDS,
    Frame,
    frame_at,
    total_seconds,
)
from bot.telegram_html import check_message

STEPS = [GuidedStep("stand"), GuidedStep("hold it", "hold", 20), GuidedStep("again", "hold", 20)]
MOVE = [GuidedStep("get down"), GuidedStep("alternate", "move", 300)]
REPS = [GuidedStep("get down"), GuidedStep("set 1", "reps"), GuidedStep("set 2", "reps")]


def test_frames_follow_the_timeline() -> None:
    assert frame_at(STEPS, 0) == Frame(0, "read")
    assert frame_at(STEPS, READ_SECONDS - 0.1) == Frame(0, "read")
    assert frame_at(STEPS, READ_SECONDS) == Frame(1, "prepare", 20)
    hold_start = READ_SECONDS + PREP_SECONDS
    assert frame_at(STEPS, hold_start) == Frame(1, "hold", 20)
    assert frame_at(STEPS, hold_start + 5) == Frame(1, "hold", 15)
    assert frame_at(STEPS, hold_start + 19.5) == Frame(1, "hold", 1)
    assert frame_at(STEPS, hold_start + 20) == Frame(2, "prepare", 20)
    assert frame_at(STEPS, total_seconds(STEPS)) == Frame(3, "done")
    assert frame_at(STEPS, -5) == Frame(0, "read")


def test_a_movement_keeps_going_for_its_duration() -> None:
    assert frame_at(MOVE, READ_SECONDS) == Frame(1, "prepare_move", 300)
    assert frame_at(MOVE, READ_SECONDS + PREP_SECONDS + 100) == Frame(1, "move", 200)
    assert frame_at(MOVE, READ_SECONDS + PREP_SECONDS + 299.5).phase == "move"
    assert frame_at(MOVE, READ_SECONDS + PREP_SECONDS + 300) == Frame(2, "done")


def test_repetitions_wait_for_next() -> None:
    assert frame_at(REPS, READ_SECONDS) == Frame(1, "reps")
    assert frame_at(REPS, 10**9) == Frame(1, "reps")  # no time ever ends a set
    assert total_seconds(REPS) == math.inf
    # "Next" starts a new timeline at the following step.
    assert frame_at(REPS, 0, start=2) == Frame(2, "reps")
    assert frame_at(REPS, 10**9, start=3) == Frame(3, "done")


def test_start_skips_the_steps_before() -> None:
    assert frame_at(STEPS, 0, start=2) == Frame(2, "prepare", 20)
    assert frame_at(STEPS, PREP_SECONDS + 5, start=2) == Frame(2, "hold", 15)


@given(
    st.floats(0, 10_000, allow_nan=False),
    st.floats(0, 10_000, allow_nan=False),
    st.integers(0, 3),
)
def test_frames_never_go_backwards(a: float, b: float, start: int) -> None:
    early, late = sorted((a, b))
    for steps in (STEPS, MOVE, REPS):
        assert frame_at(steps, early, start).index <= frame_at(steps, late, start).index


def _frames(exercise: Exercise, lang: str) -> list[tuple[str, int, Frame]]:
    """Every distinct screen of a guided run, pressing "Next" whenever a step waits; with the
    seconds the run took so far."""
    steps = guided_steps(exercise, lang, get_catalogue())
    seen: list[tuple[str, int, Frame]] = []
    start, elapsed, clock = 0, 0, 0
    while True:
        frame = frame_at(steps, elapsed, start)
        text = check_message(guided_screen(get_catalogue(), exercise, lang, frame)[0]).text
        if not seen or seen[-1][2] != frame:
            seen.append((text, clock, frame))
        if frame.phase == "done":
            return seen
        if frame.phase == "reps":
            start, elapsed = frame.index + 1, 0
            continue
        elapsed += 1
        clock += 1


OFFERED = [e for e in get_catalogue().exercises if e.offered]


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("exercise", OFFERED, ids=[e.id for e in OFFERED])
def test_every_offered_exercise_ends(exercise: Exercise, lang: str) -> None:
    frames = _frames(exercise, lang)
    assert frames[-1][2].phase == "done"
    assert frames[-1][1] < 30 * 60


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_guided_cat_camel_never_says_hold(lang: str) -> None:
    cat = get_catalogue().exercise("kattenrug-holrug")
    frames = _frames(cat, lang)
    assert any(frame.phase == "move" for _, _, frame in frames)
    for text, _, _ in frames:
        lowered = text.lower()
        assert "vasthouden" not in lowered and "houd vast" not in lowered
        assert "hold" not in lowered
    moving = next(text for text, _, frame in frames if frame.phase == "move")
    assert ("Ga zo 5 tot 10 minuten door" if lang == "nl" else "Keep going for 5 to 10") in moving


def test_guided_bird_dog_waits_for_every_set() -> None:
    """3 sets of 20 repetitions per side: no clock can finish them, only "Next" after each."""
    bird = get_catalogue().exercise("superman-handen-knieen")
    steps = guided_steps(bird, "en", get_catalogue())
    sets = [i for i, s in enumerate(steps) if s.kind == "reps"]
    assert len(sets) == 3
    assert all("20 repetitions per side" in steps[i].text for i in sets)
    # However long nobody presses, it stays on the first set.
    assert frame_at(steps, 10**9) == Frame(sets[0], "reps")
    for i, index in enumerate(sets):
        nxt = sets[i + 1] if i + 1 < len(sets) else len(steps)
        assert frame_at(steps, 10**9, start=index + 1).index == nxt


def test_a_hold_lasts_its_sourced_seconds() -> None:
    bekkenrek = get_catalogue().exercise("staande-bekkenrek")
    steps = guided_steps(bekkenrek, "nl", get_catalogue())
    holds = [s.seconds for s in steps if s.kind == "hold"]
    assert holds == [20, 20, 20]  # 000: "Houd deze positie 20 seconden vast ... herhaal driemaal"
    assert total_seconds(steps) >= sum(holds) + 3 * PREP_SECONDS


def test_name_only_exercises_are_not_offered() -> None:
    catalogue = get_catalogue()
    assert {e.id for e in catalogue.exercises if not e.offered} == {"buikplank", "zijplank"}
