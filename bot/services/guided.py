"""Guided mode as a pure function of (steps, elapsed seconds).

A reading step is shown for READ_SECONDS. A hold gets PREP_SECONDS to get into position, then
counts down its hold; a movement (cat-camel's "5-10 minutes") gets the same preparation, then
says "keep moving" while it counts down. Repetitions have no sourced tempo, so a repetitions
step waits for "Next": the timeline stops there, and "Next" starts a new timeline at the
following step (`start`). The job that edits the message only asks "what is on screen after t
seconds?" and renders the answer, so tests never sleep and a missed tick (a slow edit, a
restart) cannot put the countdown out of step.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from bot.content.render import GuidedStep

READ_SECONDS = 10
PREP_SECONDS = 5
#: Seconds between edits of the guided message: visible countdown, far below rate limits.
TICK_SECONDS = 5

#: Phases: "read", "prepare" then "hold", "prepare_move" then "move", "reps" (waits for
#: "Next"), and "done".
_PREPARE = {"hold": "prepare", "move": "prepare_move"}


@dataclass(frozen=True)
class Frame:
    """What the guided message shows: step `index`, its phase and the seconds left."""

    index: int
    phase: str
    remaining: int | None = None


def duration(step: GuidedStep) -> float:
    """Seconds the step is on screen; infinite for repetitions (they wait for "Next")."""
    if step.kind in _PREPARE and step.seconds:
        return PREP_SECONDS + step.seconds
    if step.kind == "reps":
        return math.inf
    return READ_SECONDS


def total_seconds(steps: Sequence[GuidedStep], start: int = 0) -> float:
    """Seconds from step `start` to the end without pressing anything (inf if a step waits)."""
    return sum(duration(step) for step in steps[start:])


def frame_at(steps: Sequence[GuidedStep], elapsed: float, start: int = 0) -> Frame:
    """The frame `elapsed` seconds after guided mode started at step `start` (negative
    counts as 0)."""
    elapsed = max(0.0, elapsed)
    begin = 0.0
    for index in range(start, len(steps)):
        step = steps[index]
        end = begin + duration(step)
        if elapsed < end:
            if step.kind == "reps":
                return Frame(index, "reps")
            prepare = _PREPARE.get(step.kind)
            if prepare is None or not step.seconds:
                return Frame(index, "read")
            if elapsed < begin + PREP_SECONDS:
                return Frame(index, prepare, step.seconds)
            return Frame(index, step.kind, max(1, math.ceil(end - elapsed)))
        begin = end
    return Frame(len(steps), "done")
