"""Choosing, finding and browsing exercises, and recording one as done. No Telegram here."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import get_args

from bot.content.models import Area, Catalogue, Exercise, Kind
from bot.content.routines import exercises_for_place
from bot.storage import chats, completions
from bot.storage.db import Database

AREAS: tuple[str, ...] = get_args(Area)
KINDS: tuple[str, ...] = get_args(Kind)
PAGE_SIZE = 5
#: A second press of the same Done button within this window is the same completion.
DOUBLE_PRESS = timedelta(seconds=60)


def random_exercise(
    catalogue: Catalogue,
    place: str,
    *,
    exclude: str | None = None,
    rng: random.Random | None = None,
) -> Exercise:
    """A random exercise for the place, not `exclude` when there is any other."""
    candidates = exercises_for_place(catalogue, place) or exercises_for_place(catalogue, "home")
    others = [e for e in candidates if e.id != exclude] or candidates
    return (rng or random).choice(others)


def find_exercise(catalogue: Catalogue, exercise_id: str) -> Exercise | None:
    try:
        return catalogue.exercise(exercise_id)
    except KeyError:
        return None


@dataclass(frozen=True)
class Page:
    items: list[Exercise]
    page: int  # 0-based, clamped into range
    pages: int
    total: int


def browse(catalogue: Catalogue, facet: str, value: str, page: int) -> Page:
    """Exercises of one body area (facet "a") or kind (facet "k"), one page of them."""
    if facet == "a":
        matches = [e for e in catalogue.exercises if value in e.areas]
    elif facet == "k":
        matches = [e for e in catalogue.exercises if e.kind == value]
    else:
        raise ValueError(f"unknown facet {facet!r}")
    pages = max(1, math.ceil(len(matches) / PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    return Page(matches[page * PAGE_SIZE : (page + 1) * PAGE_SIZE], page, pages, len(matches))


async def record_done(
    db: Database,
    *,
    chat_id: int,
    user_id: int,
    exercise_id: str,
    source: str,
    now: datetime,
    user_name: str | None = None,
) -> str:
    """Record a completion: "recorded", "duplicate" (double press) or "no_chat" (not
    registered, so there is nowhere to keep it)."""
    async with db.session() as session:
        if await chats.get(session, chat_id) is None:
            return "no_chat"
        if await completions.done_since(
            session, chat_id, user_id, exercise_id, source, now - DOUBLE_PRESS
        ):
            return "duplicate"
        await completions.record(
            session,
            chat_id=chat_id,
            user_id=user_id,
            now=now,
            source=source,
            exercise_id=exercise_id,
            user_name=user_name,
        )
        return "recorded"
