"""Guided mode as a pure function of (steps, elapsed seconds).

A step without a hold is shown for READ_SECONDS; a step with a hold gets PREP_SECONDS to get
into position, then counts down its hold. The job that edits the message only asks "what is
on screen after t seconds?" and renders the answer, so tests never sleep and a missed tick
(a slow edit, a restart) cannot put the countdown out of step.
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


@dataclass(frozen=True)
class Frame:
    """What the guided message shows: step `index`, its phase and the seconds left."""

    index: int
    phase: str  # "read", "prepare", "hold" or "done"
    remaining: int | None = None


def durations(steps: Sequence[GuidedStep]) -> list[int]:
    return [
        PREP_SECONDS + step.hold_seconds if step.hold_seconds else READ_SECONDS for step in steps
    ]


def step_start(steps: Sequence[GuidedStep], index: int) -> int:
    """Seconds from the start of guided mode to the start of step `index`."""
    return sum(durations(steps)[:index])


def total_seconds(steps: Sequence[GuidedStep]) -> int:
    return sum(durations(steps))


def frame_at(steps: Sequence[GuidedStep], elapsed: float) -> Frame:
    """The frame `elapsed` seconds after guided mode started (negative counts as 0)."""
    elapsed = max(0.0, elapsed)
    start = 0
    for index, (step, length) in enumerate(zip(steps, durations(steps), strict=True)):
        end = start + length
        if elapsed < end:
            if not step.hold_seconds:
                return Frame(index, "read")
            hold_start = start + PREP_SECONDS
            if elapsed < hold_start:
                return Frame(index, "prepare", step.hold_seconds)
            return Frame(index, "hold", max(1, math.ceil(end - elapsed)))
        start = end
    return Frame(len(steps), "done")
