"""Sending within Telegram's limits, and retrying what Telegram asks us to retry.

python-telegram-bot's AIORateLimiter already paces the bot as a whole (30 messages a second)
and each group (20 a minute), but it has no per-private-chat limit and retries nothing by
default. `RateLimiter` extends it with:

- a per-chat pace for message sends to private chats (about one a second, with a small
  burst), so a reminder and a few replies never trip the per-chat flood limit;
- retries: a 429 waits `retry_after` (holding back every request, as PTB does) and retries;
  5xx and network errors retry with exponential backoff; both only while the call's
  `SendPolicy` budget lasts (for a reminder: until its grace window ends).

403, 400 and ChatMigrated are not retried here: they are answers, handled by the caller.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from telegram.error import BadRequest, NetworkError, RetryAfter
from telegram.ext import AIORateLimiter

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
JSON = bool | dict[str, Any] | list[dict[str, Any]]

# Endpoints that put a new message into a chat (what Telegram's per-chat limit counts).
_NOT_A_SEND = frozenset({"sendChatAction"})
_ALSO_A_SEND = frozenset({"copyMessage", "copyMessages", "forwardMessage", "forwardMessages"})


@dataclass
class SendPolicy:
    """Per-call retry budget, passed as `rate_limit_args=`; `attempts` is filled in."""

    budget_seconds: float
    attempts: int = 0


def retry_after_seconds(exc: RetryAfter) -> float:
    value = getattr(exc, "_retry_after", None)
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(exc.retry_after)  # type: ignore[arg-type]


def is_send(endpoint: str) -> bool:
    return (endpoint.startswith("send") and endpoint not in _NOT_A_SEND) or (
        endpoint in _ALSO_A_SEND
    )


class RateLimiter(AIORateLimiter):
    """AIORateLimiter plus a per-private-chat pace and bounded retries (see module doc)."""

    def __init__(
        self,
        *,
        overall_max_rate: float = 30,
        group_max_rate: float = 20,
        chat_interval: float = 1.0,
        chat_burst: int = 3,
        default_budget: float = 15.0,
        backoff_base: float = 1.0,
        backoff_max: float = 30.0,
        sleep: Sleep = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__(
            overall_max_rate=overall_max_rate,
            overall_time_period=1,
            group_max_rate=group_max_rate,
            group_time_period=60,
            max_retries=0,
        )
        self.chat_interval = chat_interval
        self.chat_burst = max(1, chat_burst)
        self.default_budget = default_budget
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self._sleep = sleep
        self._monotonic = monotonic
        self._rng = rng or random.Random()
        self._chat_tat: dict[int, float] = {}  # GCRA "theoretical arrival time" per chat

    def _chat_delay(self, chat_id: int) -> float:
        """Reserve the chat's next send slot; how long to wait for it (GCRA, no lock needed:
        reserving happens without an await in between)."""
        now = self._monotonic()
        if len(self._chat_tat) > 10_000:
            self._chat_tat = {k: v for k, v in self._chat_tat.items() if v > now}
        tat = max(self._chat_tat.get(chat_id, now), now) + self.chat_interval
        self._chat_tat[chat_id] = tat
        return max(0.0, tat - self.chat_burst * self.chat_interval - now)

    async def _pace(self, endpoint: str, data: dict[str, Any]) -> None:
        chat_id = data.get("chat_id")
        with contextlib.suppress(TypeError, ValueError):
            chat_id = int(chat_id)  # type: ignore[arg-type]
        if isinstance(chat_id, int) and chat_id > 0 and self.chat_interval and is_send(endpoint):
            delay = self._chat_delay(chat_id)
            if delay:
                await self._sleep(delay)

    def _backoff(self, attempt: int) -> float:
        base = min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1))
        return base * self._rng.uniform(0.8, 1.2)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSON]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: SendPolicy | int | None,
    ) -> JSON:
        policy = (
            rate_limit_args
            if isinstance(rate_limit_args, SendPolicy)
            else SendPolicy(self.default_budget)
        )
        chat = data.get("chat_id") is not None
        group: int | str | bool = False
        chat_id = data.get("chat_id")
        with contextlib.suppress(TypeError, ValueError):
            chat_id = int(chat_id)  # type: ignore[arg-type]
        if (isinstance(chat_id, int) and chat_id < 0) or isinstance(chat_id, str):
            group = chat_id
        paid = bool(data.get("allow_paid_broadcast", False))
        deadline = self._monotonic() + policy.budget_seconds
        while True:
            policy.attempts += 1
            try:
                await self._pace(endpoint, data)
                return await self._run_request(
                    chat=chat,
                    group=group,
                    allow_paid_broadcast=paid,
                    callback=callback,
                    args=args,
                    kwargs=kwargs,
                )
            except RetryAfter as exc:
                wait = retry_after_seconds(exc) + 0.1
                if self._monotonic() + wait > deadline:
                    raise
                log.info("429 on %s: retrying after %.1f s", endpoint, wait)
                self._retry_after_event.clear()
                try:
                    await self._sleep(wait)
                finally:
                    self._retry_after_event.set()
            except BadRequest:
                raise
            except NetworkError as exc:  # 5xx, timeouts, connection errors
                wait = self._backoff(policy.attempts)
                if self._monotonic() + wait > deadline:
                    raise
                log.info("%s on %s: retrying after %.1f s", exc, endpoint, wait)
                await self._sleep(wait)
