"""Stored file_ids of uploaded animations: per bot, per exact file (content hash)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.content.loader import get_catalogue
from bot.services.animations import Animations, exercise_card, fits_caption, guided_caption
from bot.storage import animations as stored
from bot.storage.db import Database


async def test_a_file_id_belongs_to_one_bot_and_one_rendering(db: Database) -> None:
    async with db.session() as session:
        await stored.remember(session, 1, "childs-pose", "aaaa", "CgAC-first")
    async with db.session() as session:
        assert await stored.lookup(session, 1, "childs-pose", "aaaa") == "CgAC-first"
        assert await stored.lookup(session, 2, "childs-pose", "aaaa") is None  # another bot
        assert await stored.lookup(session, 1, "childs-pose", "bbbb") is None  # re-rendered
        # Two first sends at once: the id stored first stays.
        await stored.remember(session, 1, "childs-pose", "aaaa", "CgAC-second")
        assert await stored.lookup(session, 1, "childs-pose", "aaaa") == "CgAC-first"
    async with db.session() as session:  # the new rendering's id replaces the old one's
        await stored.remember(session, 1, "childs-pose", "bbbb", "CgAC-new")
    async with db.session() as session:
        assert await stored.lookup(session, 1, "childs-pose", "aaaa") is None
        assert await stored.lookup(session, 1, "childs-pose", "bbbb") == "CgAC-new"
        await stored.forget(session, 1, "childs-pose", "bbbb")
        assert await stored.lookup(session, 1, "childs-pose", "bbbb") is None


def test_every_card_and_guided_caption_fits_telegram() -> None:
    catalogue = get_catalogue()
    for exercise in catalogue.exercises:
        for lang in ("nl", "en"):
            card = exercise_card(exercise, lang, catalogue)
            assert fits_caption(card.caption), (exercise.id, lang)
            assert exercise.name.get(lang).split()[0] in card.caption
            assert card.follow_up is None or not fits_caption(card.follow_up)
            assert fits_caption(guided_caption(exercise, lang))


async def test_show_me_sends_once_per_reminder_within_two_minutes(
    db: Database, tmp_path: Path
) -> None:
    shown = Animations(db, tmp_path)
    at = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    assert shown.first_show(-5, 1, at)
    assert not shown.first_show(-5, 1, at + timedelta(seconds=90))
    assert shown.first_show(-5, 2, at)  # another reminder
    assert shown.first_show(-6, 1, at)  # another chat
    assert shown.first_show(-5, 1, at + timedelta(minutes=2, seconds=1))
