"""Choosing the routine for a reminder: pure, deterministic given the rng, easy to test."""

from __future__ import annotations

import random
from collections.abc import Sequence

from bot.content.models import Catalogue, Exercise, Routine

#: How many of a chat's latest routines we try not to repeat.
RECENT_WINDOW = 5


def pick_routine(
    catalogue: Catalogue, place: str, recent: Sequence[str], rng: random.Random
) -> Routine:
    """A routine for `place` that is not among `recent` (most recent first, last five used).

    When every routine for the place was used recently, the least recently used one is taken,
    so a chat never gets the same break twice in a row if there is any alternative.
    Raises LookupError when the catalogue has no routine for the place.
    """
    candidates = sorted(catalogue.routines_for(place), key=lambda r: r.id)
    if not candidates:
        raise LookupError(f"no routine for place {place!r}")
    window = list(recent[:RECENT_WINDOW])
    fresh = [r for r in candidates if r.id not in window]
    if fresh:
        return rng.choice(fresh)
    # All candidates were used within the window: the one used longest ago wins.
    return max(candidates, key=lambda r: window.index(r.id))


def exercises_for_place(catalogue: Catalogue, place: str) -> list[Exercise]:
    """Exercises to offer at the place: at the office only standing or seated, desk-friendly
    ones; never one the article only names (plank, side plank), whose steps are not traceable."""
    offered = [e for e in catalogue.exercises if e.offered]
    if place == "office":
        return [e for e in offered if e.office_ok]
    return offered
