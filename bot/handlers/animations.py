"""Sending exercise animations: the stored file_id when this bot has one, else the file.

bot.services.animations decides what goes in the caption and whether a file was uploaded
before; this module only speaks Telegram.
"""

from __future__ import annotations

import asyncio
import logging

from telegram import Bot, InlineKeyboardMarkup, InputFile, Message
from telegram.error import BadRequest

from bot.content.animation import SIZE
from bot.content.models import Catalogue, Exercise
from bot.services.animations import Animations, Clip, exercise_card

log = logging.getLogger(__name__)

#: What Telegram says when a stored file_id cannot be sent (another bot's, or gone).
_STALE_FILE = ("wrong file identifier", "file_id", "type of file mismatch", "file reference")


async def send_clip(
    bot: Bot,
    animations: Animations,
    chat_id: int,
    clip: Clip,
    caption: str,
    markup: InlineKeyboardMarkup | None = None,
) -> Message:
    """Send one animation: by file_id when this bot uploaded the same file before, and when
    Telegram no longer knows that id, or never saw the file, by uploading it (once)."""
    file_id = await animations.file_id(bot.id, clip)
    if file_id is not None:
        try:
            return await bot.send_animation(chat_id, file_id, caption=caption, reply_markup=markup)
        except BadRequest as exc:
            if not any(sign in str(exc).lower() for sign in _STALE_FILE):
                raise
            log.info("stored file_id for %s refused (%s); uploading again", clip.exercise_id, exc)
            await animations.forget(bot.id, clip)
    content = await asyncio.to_thread(clip.path.read_bytes)
    upload = InputFile(content, filename=clip.path.name)
    message = await bot.send_animation(
        chat_id,
        upload,
        caption=caption,
        reply_markup=markup,
        width=SIZE,
        height=SIZE,
    )
    sent = message.animation or message.document
    if sent is not None:
        await animations.remember(bot.id, clip, sent.file_id)
    return message


async def send_exercise(
    bot: Bot,
    animations: Animations,
    catalogue: Catalogue,
    chat_id: int,
    exercise: Exercise,
    lang: str,
    markup: InlineKeyboardMarkup | None = None,
) -> Message | None:
    """The exercise card with its animation: one message when the card fits the caption,
    else the animation (name and dosage) and then the card as text, which carries the
    keyboard. None when the exercise has no animation: the caller sends today's text card."""
    clip = await animations.clip(exercise.id)
    if clip is None:
        return None
    card = exercise_card(exercise, lang, catalogue)
    if card.follow_up is None:
        return await send_clip(bot, animations, chat_id, clip, card.caption, markup)
    await send_clip(bot, animations, chat_id, clip, card.caption)
    return await bot.send_message(chat_id, card.follow_up, reply_markup=markup)
