"""Which animation file goes with an exercise, what it says, and whether this bot already
uploaded it. No Telegram here: handlers send what this returns.

A file is uploaded to Telegram once per bot: the `file_id` Telegram returns is stored, keyed by
the bot, the exercise and the file's content hash, so a re-rendered animation is uploaded
again and an unchanged one never is. Rendering a missing file is a second or two of CPU: it
runs in a worker thread, one at a time, and `rekpauze run` builds them all in a child process
after start-up (bot.content.animation's `__main__`), so the bot itself imports the renderer
(numpy, Pillow, the encoder) only when a file is missing at the moment it is asked for.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from bot import telegram_html
from bot.content.animation import animation_path
from bot.content.models import Catalogue, Exercise, Routine
from bot.content.render import exercise_caption, render_exercise, steps_caption
from bot.storage import animations as stored
from bot.storage.db import Database

#: A second "Show me" on the same reminder within this window sends nothing again.
SHOWN_WINDOW = timedelta(minutes=2)


@dataclass(frozen=True)
class Clip:
    """One rendered animation on disk."""

    exercise_id: str
    path: Path
    content_hash: str


@dataclass(frozen=True)
class Card:
    """An animation's caption, and the text message after it when the card does not fit."""

    caption: str
    follow_up: str | None = None


def fits_caption(text: str) -> bool:
    return telegram_html.parse(text).length <= telegram_html.MAX_CAPTION


def exercise_card(exercise: Exercise, lang: str, catalogue: Catalogue) -> Card:
    """The whole exercise card as the caption when it fits; otherwise the name and dosage,
    followed by the card (steps, cautions and sources must reach the reader either way)."""
    full = render_exercise(exercise, lang, catalogue)
    if fits_caption(full):
        return Card(full)
    caption = exercise_caption(exercise, lang, catalogue)
    if not fits_caption(caption):
        caption = steps_caption(exercise, lang).split("\n", 1)[0]  # the name alone
    return Card(caption, full)


def guided_caption(exercise: Exercise, lang: str) -> str:
    """The name and steps (the animation's alt text); the name alone when they do not fit:
    the guided message that follows shows each step."""
    text = steps_caption(exercise, lang)
    return text if fits_caption(text) else text.split("\n", 1)[0]


def routine_exercises(routine: Routine, catalogue: Catalogue) -> list[Exercise]:
    """The routine's exercises in order, each once."""
    seen: dict[str, Exercise] = {}
    for item in routine.items:
        if item.exercise not in seen:
            try:
                seen[item.exercise] = catalogue.exercise(item.exercise)
            except KeyError:  # the catalogue changed since the reminder was sent
                continue
    return list(seen.values())


def _clip(exercise_id: str, cache_dir: Path) -> Clip | None:
    path = animation_path(exercise_id, cache_dir)
    if path is None:
        return None
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:32]
    return Clip(exercise_id, path, digest)


class Animations:
    """The bot's animations: files on disk (rendered on a miss) and their stored file_ids."""

    def __init__(self, db: Database, cache_dir: Path) -> None:
        self.db = db
        self.cache_dir = cache_dir
        self._clips: dict[str, Clip | None] = {}
        self._render = asyncio.Lock()  # one render at a time: it is all CPU
        self._shown: dict[tuple[int, int], datetime] = {}

    async def clip(self, exercise_id: str) -> Clip | None:
        """The exercise's animation file, None when it has none; rendered off the event loop
        on the first request when it is missing."""
        if exercise_id in self._clips:
            known = self._clips[exercise_id]
            if known is None or known.path.exists():
                return known
        async with self._render:
            clip = await asyncio.to_thread(_clip, exercise_id, self.cache_dir)
        self._clips[exercise_id] = clip
        return clip

    async def file_id(self, bot_id: int, clip: Clip) -> str | None:
        async with self.db.session() as session:
            return await stored.lookup(session, bot_id, clip.exercise_id, clip.content_hash)

    async def remember(self, bot_id: int, clip: Clip, file_id: str) -> None:
        async with self.db.session() as session:
            await stored.remember(session, bot_id, clip.exercise_id, clip.content_hash, file_id)

    async def forget(self, bot_id: int, clip: Clip) -> None:
        async with self.db.session() as session:
            await stored.forget(session, bot_id, clip.exercise_id, clip.content_hash)

    def first_show(self, chat_id: int, delivery_id: int, now: datetime) -> bool:
        """True the first time a reminder's "Show me" is pressed within SHOWN_WINDOW, so a
        group where several people press it gets the animations once."""
        self._shown = {k: at for k, at in self._shown.items() if now - at < SHOWN_WINDOW}
        if (chat_id, delivery_id) in self._shown:
            return False
        self._shown[(chat_id, delivery_id)] = now
        return True
