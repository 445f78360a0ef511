"""/export and /delete: everything stored about a chat, out as JSON or gone for good."""

from __future__ import annotations

import json
from datetime import datetime

from bot.storage import privacy
from bot.storage.db import Database

EXPORT_FORMAT = 1


async def export_document(db: Database, chat_id: int, now: datetime) -> bytes | None:
    """A JSON document of every row about the chat; None when nothing is stored."""
    async with db.session() as session:
        rows = await privacy.export_rows(session, chat_id)
    if rows is None:
        return None
    document = {"format": EXPORT_FORMAT, "exported_at": now.isoformat(), **rows}
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=False).encode()


async def erase_chat(db: Database, chat_id: int) -> bool:
    """Erase every row about the chat in one transaction; False when there was nothing."""
    async with db.session() as session:
        return await privacy.erase(session, chat_id)
