"""Broadcasts: one admin text to every active private chat, paced, resumable after a restart.

Progress lives in the `state` table, so a restart continues where the last process stopped:

- ``broadcast:draft:<token>``  the previewed text, until the admin confirms or cancels;
- ``broadcast:run:<token>``    JSON with the text, a cursor (the last chat id handled, chats
  go in id order), counters, and a lease (owner, lease_until).

Every write to a run is a compare-and-swap on the whole value, so two bot processes on one
database never send the same broadcast at once: one holds the lease and renews it with each
message; the other takes over once the lease has expired. A message is recorded after
Telegram accepted it, so a crash between the two repeats at most that one message; a
graceful stop finishes the message in flight first and repeats nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot import metrics
from bot.context import Services
from bot.i18n import t
from bot.storage.db import Database
from bot.storage.models import Chat, KeyValue

log = logging.getLogger(__name__)

DRAFT = "broadcast:draft:"
RUN = "broadcast:run:"
MAX_TEXT = 3500  # leaves room for the preview's header within Telegram's 4096
DRAFT_TTL = timedelta(days=1)
LEASE = timedelta(seconds=60)
# Leaves most of Telegram's ~30 messages/s to reminders, which must not wait for a broadcast.
PER_SECOND = 20.0
BATCH = 200
NETWORK_RETRIES = 3


def recipients_filter() -> Any:
    return (Chat.type == "private") & Chat.active.is_(True) & Chat.blocked.is_(False)


async def count_recipients(db: Database) -> int:
    async with db.session() as session:
        return int(
            await session.scalar(select(func.count()).select_from(Chat).where(recipients_filter()))
            or 0
        )


async def create_draft(
    db: Database, *, text: str, admin_chat: int, lang: str, now: datetime
) -> str:
    token = secrets.token_hex(6)
    value = json.dumps({"text": text, "admin_chat": admin_chat, "lang": lang})
    async with db.session() as session:
        session.add(KeyValue(key=DRAFT + token, value=value, expires_at=now + DRAFT_TTL))
    return token


async def cancel_draft(db: Database, token: str) -> bool:
    """True when this call removed the draft (a second press finds nothing)."""
    async with db.session() as session:
        result = await session.execute(delete(KeyValue).where(KeyValue.key == DRAFT + token))
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def confirm_draft(db: Database, token: str, now: datetime) -> bool:
    """Turn the draft into a run, once: the delete is the claim, so a double press or two
    admins confirming at once start one broadcast."""
    async with db.session() as session:
        draft = await session.get(KeyValue, DRAFT + token)
        if draft is None:
            return False
        result = await session.execute(
            delete(KeyValue).where(KeyValue.key == DRAFT + token, KeyValue.value == draft.value)
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            return False
        run = json.loads(draft.value) | {
            "created_at": now.isoformat(),
            "status": "sending",
            "cursor": None,
            "sent": 0,
            "blocked": 0,
            "failed": 0,
            "owner": None,
            "lease_until": None,
        }
        session.add(KeyValue(key=RUN + token, value=json.dumps(run), expires_at=None))
    return True


@dataclass
class Run:
    key: str
    raw: str
    data: dict[str, Any]


class Broadcaster:
    """Sends the running broadcasts of this process, one at a time."""

    def __init__(self, application: Any, *, per_second: float = PER_SECOND) -> None:
        self.application = application
        self.per_second = per_second
        self.owner = uuid.uuid4().hex
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()

    @property
    def services(self) -> Services:
        return self.application.bot_data["services"]  # type: ignore[no-any-return,unused-ignore]

    @property
    def busy(self) -> bool:
        return self._task is not None and not self._task.done()

    async def poll(self) -> None:
        """Start sending a run that nobody holds (new, or left by a stopped or dead process)."""
        if self.busy or self._stop.is_set():
            return
        run = await self._claim_next()
        if run is not None:
            self._task = asyncio.create_task(self._send_run(run), name=f"broadcast {run.key}")

    async def wait(self) -> None:
        """Until the current run (if any) ends; for tests and for shutdown."""
        if self._task is not None:
            await asyncio.shield(self._task)

    async def stop(self) -> None:
        """Shutdown hook: finish the message in flight, record it, release the lease."""
        self._stop.set()
        task = self._task
        if task is None or task.done():
            return
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:  # the shutdown budget ran out: stop it hard
            task.cancel()
            raise

    # -- storage ------------------------------------------------------------------------

    async def _runs(self) -> list[Run]:
        async with self.services.db.session() as session:
            rows = await session.scalars(
                select(KeyValue).where(KeyValue.key.startswith(RUN)).order_by(KeyValue.key)
            )
            runs = [Run(row.key, row.value, json.loads(row.value)) for row in rows]
        return sorted(
            (r for r in runs if r.data.get("status") == "sending"),
            key=lambda r: r.data.get("created_at", ""),
        )

    async def _save(self, run: Run, changes: dict[str, Any]) -> bool:
        """Compare-and-swap: False when another process changed the run meanwhile."""
        data = run.data | changes
        raw = json.dumps(data)
        async with self.services.db.session() as session:
            result = await session.execute(
                update(KeyValue)
                .where(KeyValue.key == run.key, KeyValue.value == run.raw)
                .values(value=raw)
            )
        if not result.rowcount:  # type: ignore[attr-defined]
            return False
        run.raw, run.data = raw, data
        return True

    def _lease(self) -> dict[str, Any]:
        return {"owner": self.owner, "lease_until": (self.services.clock() + LEASE).isoformat()}

    async def _claim_next(self) -> Run | None:
        now = self.services.clock()
        for run in await self._runs():
            until = run.data.get("lease_until")
            held = until is not None and datetime.fromisoformat(until) > now
            if held and run.data.get("owner") != self.owner:
                continue
            if await self._save(run, self._lease()):
                return run
        return None

    async def _recipients(self, cursor: int | None) -> list[int]:
        query = select(Chat.id).where(recipients_filter()).order_by(Chat.id).limit(BATCH)
        if cursor is not None:
            query = query.where(Chat.id > cursor)
        async with self.services.db.session() as session:
            return list(await session.scalars(query))

    async def _mark_blocked(self, chat_id: int) -> None:
        async with self.services.db.session() as session:
            await session.execute(update(Chat).where(Chat.id == chat_id).values(blocked=True))

    # -- sending ------------------------------------------------------------------------

    async def _pause(self, seconds: float) -> None:
        """Wait, but wake at once when the process is stopping."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), seconds)

    async def _deliver(self, chat_id: int, text: str) -> str:
        """Send to one chat; the outcome is sent, blocked, failed, or stopped."""
        attempts = 0
        while not self._stop.is_set():
            try:
                await self.application.bot.send_message(chat_id, text)
                return "sent"
            except RetryAfter as exc:
                wait = exc.retry_after
                await self._pause(wait.total_seconds() if isinstance(wait, timedelta) else wait)
            except Forbidden:
                await self._mark_blocked(chat_id)
                return "blocked"
            except BadRequest as exc:
                if "chat not found" in str(exc).lower():
                    await self._mark_blocked(chat_id)
                    return "blocked"
                log.warning("broadcast to chat %s refused: %s", chat_id, exc)
                return "failed"
            except NetworkError as exc:
                attempts += 1
                if attempts > NETWORK_RETRIES:
                    log.warning("broadcast to chat %s failed: %r", chat_id, exc)
                    return "failed"
                await self._pause(2.0**attempts)
            except TelegramError as exc:
                log.warning("broadcast to chat %s failed: %r", chat_id, exc)
                return "failed"
        return "stopped"

    async def _send_run(self, run: Run) -> None:
        loop = asyncio.get_running_loop()
        log.info("broadcast %s: sending (cursor %s)", run.key, run.data.get("cursor"))
        text: str = run.data["text"]
        next_at = loop.time()
        try:
            while not self._stop.is_set():
                batch = await self._recipients(run.data.get("cursor"))
                if not batch:
                    await self._finish(run)
                    return
                for chat_id in batch:
                    await self._pause(next_at - loop.time())
                    if self._stop.is_set():
                        break
                    next_at = max(next_at, loop.time()) + 1.0 / self.per_second
                    outcome = await self._deliver(chat_id, text)
                    if outcome == "stopped":
                        break
                    metrics.BROADCAST_MESSAGES.labels(outcome).inc()
                    changes = {"cursor": chat_id, outcome: run.data[outcome] + 1} | self._lease()
                    if not await self._save(run, changes):
                        log.warning("broadcast %s: taken over by another process", run.key)
                        return
            await self._save(run, {"owner": None, "lease_until": None})
            log.info("broadcast %s: paused at chat %s", run.key, run.data.get("cursor"))
        except Exception as exc:
            log.error("broadcast %s failed: %r", run.key, exc, exc_info=exc)

    async def _finish(self, run: Run) -> None:
        data = run.data
        await self._save(run, {"status": "done", "owner": None, "lease_until": None})
        log.info(
            "broadcast %s: done, %s sent, %s blocked, %s failed",
            run.key,
            data["sent"],
            data["blocked"],
            data["failed"],
        )
        text = t(
            data.get("lang", "en"),
            "admin.broadcast.done",
            sent=data["sent"],
            blocked=data["blocked"],
            failed=data["failed"],
        )
        try:
            await self.application.bot.send_message(data["admin_chat"], text)
        except TelegramError as exc:
            log.warning("could not tell chat %s the broadcast ended: %r", data["admin_chat"], exc)


def broadcaster(application: Any) -> Broadcaster:
    return application.bot_data["broadcaster"]  # type: ignore[no-any-return,unused-ignore]
