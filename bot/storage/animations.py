"""The file_ids of uploaded exercise animations: the only SQL for that table."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import AnimationFile


async def lookup(
    session: AsyncSession, bot_id: int, exercise_id: str, content_hash: str
) -> str | None:
    """The file_id this bot got for exactly this file, or None when it must upload it."""
    return await session.scalar(
        select(AnimationFile.file_id).where(
            AnimationFile.bot_id == bot_id,
            AnimationFile.exercise_id == exercise_id,
            AnimationFile.content_hash == content_hash,
        )
    )


async def remember(
    session: AsyncSession, bot_id: int, exercise_id: str, content_hash: str, file_id: str
) -> None:
    """Keep the file_id of an upload and drop the ids of the exercise's older renderings
    (Telegram keeps those files; we no longer send them). When two first sends upload at
    once, the id stored first stays."""
    await session.execute(
        delete(AnimationFile).where(
            AnimationFile.bot_id == bot_id,
            AnimationFile.exercise_id == exercise_id,
            AnimationFile.content_hash != content_hash,
        )
    )
    if await lookup(session, bot_id, exercise_id, content_hash) is not None:
        return
    try:
        async with session.begin_nested():
            session.add(
                AnimationFile(
                    bot_id=bot_id,
                    exercise_id=exercise_id,
                    content_hash=content_hash,
                    file_id=file_id,
                )
            )
    except IntegrityError:
        pass


async def forget(session: AsyncSession, bot_id: int, exercise_id: str, content_hash: str) -> None:
    """Telegram refused the stored id (say, the bot's token was replaced): upload again."""
    await session.execute(
        delete(AnimationFile).where(
            AnimationFile.bot_id == bot_id,
            AnimationFile.exercise_id == exercise_id,
            AnimationFile.content_hash == content_hash,
        )
    )
