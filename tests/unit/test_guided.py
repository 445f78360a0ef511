"""Guided mode's timeline: a pure function of the steps and the seconds elapsed."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.content.loader import get_catalogue
from bot.content.render import GuidedStep, guided_steps
from bot.services.guided import (
    PREP_SECONDS,
    READ_SECONDS,
    Frame,
    frame_at,
    step_start,
    total_seconds,
)

STEPS = [GuidedStep("stand"), GuidedStep("hold it", 20), GuidedStep("again", 20)]


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


def test_step_start_lands_on_the_step() -> None:
    for index in range(len(STEPS)):
        assert frame_at(STEPS, step_start(STEPS, index)).index == index


@given(st.floats(0, 10_000, allow_nan=False), st.floats(0, 10_000, allow_nan=False))
def test_frames_never_go_backwards(a: float, b: float) -> None:
    early, late = sorted((a, b))
    assert frame_at(STEPS, early).index <= frame_at(STEPS, late).index


def test_every_catalogue_exercise_ends() -> None:
    for exercise in get_catalogue().exercises:
        for lang in ("nl", "en"):
            steps = guided_steps(exercise, lang)
            assert frame_at(steps, total_seconds(steps)).phase == "done"
            assert total_seconds(steps) < 30 * 60
