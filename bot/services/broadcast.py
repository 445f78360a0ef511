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

from bot import metrics
from bot.clock import Clock
from bot.i18n import t
from bot.outgoing import Outgoing, Result, Sender
from bot.storage import chats, state
from bot.storage.db import Database
from bot.telegram_html import utf16_len

log = logging.getLogger(__name__)

DRAFT = "broadcast:draft:"
RUN = "broadcast:run:"
MAX_TEXT = 3500  # UTF-16 units: leaves room for the preview's header within Telegram's 4096
DRAFT_TTL = timedelta(days=1)
LEASE = timedelta(seconds=60)
# Leaves most of Telegram's ~30 messages/s to reminders, which must not wait for a broadcast.
PER_SECOND = 20.0
BATCH = 200
NETWORK_RETRIES = 3


def over_limit(text: str) -> int | None:
    """The text's length as Telegram counts it (UTF-16 units: most emoji count 2) when it is
    over MAX_TEXT, else None."""
    length = utf16_len(text)
    return length if length > MAX_TEXT else None


async def count_recipients(db: Database) -> int:
    async with db.session() as session:
        return await chats.count_broadcast_recipients(session)


async def create_draft(
    db: Database, *, text: str, admin_chat: int, lang: str, now: datetime
) -> str:
    token = secrets.token_hex(6)
    value = json.dumps({"text": text, "admin_chat": admin_chat, "lang": lang})
    async with db.session() as session:
        await state.put(session, DRAFT + token, value, now + DRAFT_TTL)
    return token


async def cancel_draft(db: Database, token: str) -> bool:
    """True when this call removed the draft (a second press finds nothing)."""
    async with db.session() as session:
        return await state.delete_key(session, DRAFT + token)


async def confirm_draft(db: Database, token: str, now: datetime) -> bool:
    """Turn the draft into a run, once: the delete is the claim, so a double press or two
    admins confirming at once start one broadcast."""
    async with db.session() as session:
        draft = await state.take(session, DRAFT + token)
        if draft is None:
            return False
        run = json.loads(draft) | {
            "created_at": now.isoformat(),
            "status": "sending",
            "cursor": None,
            "sent": 0,
            "blocked": 0,
            "failed": 0,
            "owner": None,
            "lease_until": None,
        }
        await state.put(session, RUN + token, json.dumps(run))
    return True


@dataclass
class Run:
    key: str
    raw: str
    data: dict[str, Any]


class Broadcaster:
    """Sends the running broadcasts of this process, one at a time."""

    def __init__(
        self, db: Database, sender: Sender, clock: Clock, *, per_second: float = PER_SECOND
    ) -> None:
        self.db = db
        self.sender = sender
        self.clock = clock
        self.per_second = per_second
        self.owner = uuid.uuid4().hex
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()

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
        async with self.db.session() as session:
            rows = await state.with_prefix(session, RUN)
        runs = [Run(key, value, json.loads(value)) for key, value in rows]
        return sorted(
            (r for r in runs if r.data.get("status") == "sending"),
            key=lambda r: r.data.get("created_at", ""),
        )

    async def _save(self, run: Run, changes: dict[str, Any]) -> bool:
        """Compare-and-swap: False when another process changed the run meanwhile."""
        data = run.data | changes
        raw = json.dumps(data)
        async with self.db.session() as session:
            swapped = await state.swap(session, run.key, run.raw, raw)
        if not swapped:
            return False
        run.raw, run.data = raw, data
        return True

    def _lease(self) -> dict[str, Any]:
        return {"owner": self.owner, "lease_until": (self.clock() + LEASE).isoformat()}

    async def _claim_next(self) -> Run | None:
        now = self.clock()
        for run in await self._runs():
            until = run.data.get("lease_until")
            held = until is not None and datetime.fromisoformat(until) > now
            if held and run.data.get("owner") != self.owner:
                continue
            if await self._save(run, self._lease()):
                return run
        return None

    async def _recipients(self, cursor: int | None) -> list[int]:
        async with self.db.session() as session:
            return await chats.broadcast_recipients(session, cursor, BATCH)

    # -- sending ------------------------------------------------------------------------

    async def _pause(self, seconds: float) -> None:
        """Wait, but wake at once when the process is stopping."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), seconds)

    async def _deliver(self, chat_id: int, text: str) -> str:
        """Send to one chat; the outcome is sent, blocked, failed, or stopped."""
        attempts = 0
        while not self._stop.is_set():
            outcome = await self.sender.deliver(Outgoing(chat_id, text))
            if outcome.result is Result.RETRY and outcome.retry_after is not None:
                await self._pause(outcome.retry_after)
            elif outcome.result is Result.RETRY:
                attempts += 1
                if attempts > NETWORK_RETRIES:
                    log.warning("broadcast to chat %s failed: %s", chat_id, outcome.error)
                    return "failed"
                await self._pause(2.0**attempts)
            elif outcome.result is Result.FAILED:
                log.warning("broadcast to chat %s refused: %s", chat_id, outcome.error)
                return "failed"
            else:
                return outcome.result.value  # sent, or blocked (marked by the outbox)
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
        outcome = await self.sender.deliver(Outgoing(data["admin_chat"], text))
        if not outcome.sent:
            log.warning(
                "could not tell chat %s the broadcast ended: %s", data["admin_chat"], outcome.error
            )
