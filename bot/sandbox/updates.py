"""Pending updates and how they reach the bot: long polling (getUpdates) or webhook POSTs.

Telegram keeps unconfirmed updates until the bot confirms them with a higher offset, ends a
long poll as soon as one arrives, ends the older of two concurrent polls with 409, and
retries a webhook POST until the bot's server answers 2xx. This module does the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import telegram

from .clock import Clock
from .validation import ApiError

log = logging.getLogger(__name__)

OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
CONFLICT_POLL = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is "
    "running"
)
CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete "
    "the webhook first"
)


@dataclass
class Webhook:
    """The webhook the bot set, and the last delivery error (as getWebhookInfo reports it)."""

    url: str
    secret_token: str | None
    max_connections: int
    allowed_updates: list[str] | None
    ip_address: str | None
    last_error_date: int | None = None
    last_error_message: str | None = None


class UpdateQueue:
    """The updates waiting for the bot, oldest first."""

    def __init__(
        self,
        *,
        clock: Clock,
        on_change: Callable[[], None],
        max_pending: int,
        retry_delay: float,
    ) -> None:
        self.clock = clock
        self.on_change = on_change
        self.max_pending = max_pending
        self.retry_delay = retry_delay
        self.pending: deque[dict[str, Any]] = deque()
        self._last_update_id = 100_000
        self.allowed: frozenset[str] | None = None
        self._poll_waiter: asyncio.Future[str] | None = None
        self.webhook: Webhook | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._webhook_wakeup: asyncio.Event | None = None
        self._session: aiohttp.ClientSession | None = None

    def push(self, kind: str, payload: telegram.TelegramObject) -> None:
        """Queue one update of `kind` (e.g. "message"), unless the bot did not ask for it."""
        allowed = self.allowed
        if (kind in OPT_IN_UPDATES) if allowed is None else (kind not in allowed):
            return
        self._last_update_id += 1
        fields: dict[str, Any] = {kind: payload}
        update = telegram.Update(self._last_update_id, **fields)
        self.pending.append(update.to_dict())
        while len(self.pending) > self.max_pending:
            self.pending.popleft()
        if self._poll_waiter is not None and not self._poll_waiter.done():
            self._poll_waiter.set_result("update")
        if self._webhook_wakeup is not None:
            self._webhook_wakeup.set()

    def confirm(self, offset: int) -> None:
        """Forget updates below `offset` (a negative offset keeps only the last -offset)."""
        pending = self.pending
        if offset < 0:
            while len(pending) > -offset:
                pending.popleft()
            return
        while pending and pending[0]["update_id"] < offset:
            pending.popleft()

    async def poll(self, limit: int, timeout: float) -> list[dict[str, Any]]:  # noqa: ASYNC109
        """Up to `limit` pending updates, waiting up to `timeout` seconds for the first."""
        if self.webhook is not None:
            raise ApiError(409, CONFLICT_WEBHOOK)
        previous = self._poll_waiter
        if previous is not None and not previous.done():
            previous.set_result("conflict")  # Telegram ends the older request with 409
        if not self.pending and timeout > 0:
            waiter: asyncio.Future[str] = asyncio.get_running_loop().create_future()
            self._poll_waiter = waiter
            try:
                reason = await asyncio.wait_for(asyncio.shield(waiter), timeout)
            except TimeoutError:
                reason = "timeout"
            finally:
                if self._poll_waiter is waiter:
                    self._poll_waiter = None
            if reason == "conflict":
                raise ApiError(409, CONFLICT_POLL)
            if self.webhook is not None:
                raise ApiError(409, CONFLICT_WEBHOOK)
        return list(itertools.islice(self.pending, limit))

    async def set_webhook(self, hook: Webhook) -> None:
        """Deliver updates to `hook` from now on; a running long poll ends with 409."""
        await self.stop_webhook()
        self.webhook = hook
        if self._poll_waiter is not None and not self._poll_waiter.done():
            self._poll_waiter.set_result("webhook")
        self._webhook_wakeup = asyncio.Event()
        self._webhook_wakeup.set()
        self._webhook_task = asyncio.create_task(self._deliver_webhooks())

    async def stop_webhook(self) -> None:
        self.webhook = None
        task, self._webhook_task = self._webhook_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def close(self) -> None:
        """End long polls and webhook delivery (the server is stopping)."""
        if self._poll_waiter is not None and not self._poll_waiter.done():
            self._poll_waiter.set_result("stopped")
        await self.stop_webhook()
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _deliver_webhooks(self) -> None:
        """POST pending updates to the webhook one at a time, in order, retrying failures."""
        assert self._webhook_wakeup is not None
        if self._session is None:
            self._session = aiohttp.ClientSession()
        session = self._session
        while self.webhook is not None:
            if not self.pending:
                self._webhook_wakeup.clear()
                await self._webhook_wakeup.wait()
                continue
            hook = self.webhook
            update = self.pending[0]
            headers = {"Content-Type": "application/json"}
            if hook.secret_token:
                headers["X-Telegram-Bot-Api-Secret-Token"] = hook.secret_token
            error: str | None = None
            try:
                async with session.post(
                    hook.url,
                    data=json.dumps(update),
                    headers=headers,
                    timeout=aiohttp.ClientTimeout(total=10),
                ) as response:
                    if not 200 <= response.status < 300:
                        error = (
                            f"Wrong response from the webhook: {response.status} {response.reason}"
                        )
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                error = f"Connection failed: {exc.__class__.__name__}"
            if error is None:
                if self.pending and self.pending[0] is update:
                    self.pending.popleft()
                    self.on_change()
            else:
                hook.last_error_date = int(self.clock())
                hook.last_error_message = error
                log.debug("webhook delivery failed: %s", error)
                await asyncio.sleep(self.retry_delay)
