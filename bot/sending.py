"""Sending within Telegram's limits, and retrying what Telegram asks us to retry.

python-telegram-bot's AIORateLimiter paces the bot as a whole (30 a second) and each group (20
a minute) with leaky buckets that let a whole period's worth through at once, so a burst can
put 60 sends into one sliding second (or 21 into a group's minute) and earn a 429 that stalls
every request. It has no per-private-chat limit and retries nothing by default. `RateLimiter`
implements PTB's `BaseRateLimiter` itself, keeps AIORateLimiter's rule that a 429 holds back
every request until its wait is over, and paces with reservations that never cross a sliding
window:

- overall (free): requests with a chat id evenly spaced at 98% of `overall_max_rate` a second
  (turns lost while the event loop was busy are made up at twice the pace), never more than
  `overall_max_rate` departures in any second; and a request leaves only
  while fewer than `overall_max_rate` are in flight or were answered within the last second.
  Telegram counts arrivals, and a request arrives before it is answered, so the server never
  sees more than the limit in a second however long the event loop or the network held some
  requests up between leaving the limiter and arriving (departure spacing alone cannot
  promise that: requests held up on the way arrive together with the ones sent after them);
- paid broadcasts (requests with `allow_paid_broadcast`, Bot API 7.11): a lane of their own
  with the same three rules at `paid_max_rate`, counting every departure, free or paid, so
  free sends keep `overall_max_rate` and paid ones bring the total up to `paid_max_rate`
  (Telegram charges Stars for each message beyond the free 30 a second; without a paid rate
  a flagged request takes the free lane). The per-chat and per-group paces still apply;
- groups: at most 20 sends and edits per group in any 60.5 seconds (member look-ups are not
  paced);
- private chats: about one send (and separately one edit) a second, after a burst of 3;
- retries: a 429 waits `retry_after` (holding back every request, as PTB does) and retries;
  5xx and connection errors retry with exponential backoff; both only while the call's
  `SendPolicy` budget lasts (for a reminder: until its grace window ends). A read timeout or a
  connection lost after the request was written is NOT retried (bot.retry.retryable): Telegram
  may have delivered the message, and a second copy is worse than an error. The remaining
  window: such a send ends as an error although it may have been delivered (a reminder's row
  is then `failed`, never sent again; an interactive reply shows the generic apology).

403, 400 and ChatMigrated are not retried here: they are answers, handled by the caller.
Reservations are taken without an await in between, so no lock is needed; the sleep function
and the clock are injectable so tests never wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
import time
import warnings
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from datetime import timedelta
from typing import Any

from telegram.error import BadRequest, NetworkError, RetryAfter
from telegram.ext import BaseRateLimiter
from telegram.warnings import PTBDeprecationWarning

from bot.outgoing import SendPolicy
from bot.retry import retryable

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
JSON = bool | dict[str, Any] | list[dict[str, Any]]

# Endpoints that put a new message into a chat (what Telegram's per-chat limit counts).
_NOT_A_SEND = frozenset({"sendChatAction"})
_ALSO_A_SEND = frozenset({"copyMessage", "copyMessages", "forwardMessage", "forwardMessages"})

OVERALL_MARGIN = 0.98  # pace at 98% of the limit...
OVERALL_WINDOW = 1.0  # ...and never more than the limit in any second of departures
GROUP_PERIOD = 60.5


def retry_after_seconds(exc: RetryAfter) -> float:
    """The wait Telegram asked for, in seconds. PTB 22 hands a timedelta when PTB_TIMEDELTA is
    on (bot/__init__.py opts in) and whole seconds, with a deprecation warning on every read,
    when the environment turned it off; both are read here, without the warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def is_send(endpoint: str) -> bool:
    return (endpoint.startswith("send") and endpoint not in _NOT_A_SEND) or (
        endpoint in _ALSO_A_SEND
    )


class SlidingWindow:
    """At most `limit` reservations in any `period`: the next one starts no earlier than the
    limit-th last one plus the period. Reservations must be taken in time order."""

    __slots__ = ("limit", "period", "times")

    def __init__(self, limit: int, period: float) -> None:
        self.limit = limit
        self.period = period
        self.times: deque[float] = deque(maxlen=limit)

    def reserve(self, now: float) -> float:
        """Take the earliest allowed start at or after `now`; the seconds to wait for it."""
        start = now if len(self.times) < self.limit else max(now, self.times[0] + self.period)
        self.times.append(start)
        return start - now

    def idle(self, now: float) -> bool:
        return not self.times or self.times[-1] <= now - self.period


class Lane:
    """One global pace (see the module docstring): departures evenly spaced at 98% of `rate`,
    never more than `rate` in any second, and one only while fewer than `rate` are in flight
    or were answered within the last second. `count` records a departure another lane
    granted, so a lane for a total (the paid one) sees every request that left."""

    def __init__(self, rate: float, sleep: Sleep, monotonic: Callable[[], float]) -> None:
        # Evenly spaced, no burst: a burst of concurrent requests reaches the server spread
        # by connection set-up, and the next second's requests would then overlap it.
        self.interval = 1 / (rate * OVERALL_MARGIN)
        self.limit = max(1, int(rate))
        self._due = 0.0  # the schedule: one turn every interval
        self._next = 0.0  # the earliest next departure (the schedule, or catching up to it)
        self._lock = asyncio.Lock()
        self._departures: deque[float] = deque(maxlen=self.limit)
        self._in_flight = 0  # requests that left and are not answered yet
        self._answered: deque[float] = deque()  # when they were answered, last second only
        self._queued = 0  # requests waiting for (or taking) their turn
        self._backlog = False  # whether others were waiting when the last turn was taken
        self._sleep = sleep
        self._monotonic = monotonic

    def _unanswered_wait(self, now: float) -> float:
        """Seconds until fewer than the limit are in flight or answered within a second."""
        answered = self._answered
        while answered and answered[0] <= now - 1.0:
            answered.popleft()
        if self._in_flight + len(answered) < self.limit:
            return 0.0
        return answered[0] + 1.0 - now if answered else 0.01  # else: wait for an answer

    async def turn(self) -> float:
        """One request at a time takes its turn (FIFO): evenly spaced, and never more than the
        limit in any second of actual departures, even after the event loop was held up.
        Returns the departure instant; the caller must call `answered` once it is answered."""
        self._queued += 1
        try:
            return await self._take_turn()
        finally:
            self._queued -= 1

    async def _take_turn(self) -> float:
        async with self._lock:
            while True:
                now = self._monotonic()
                recent = self._departures
                full = len(recent) == recent.maxlen
                window = recent[0] + OVERALL_WINDOW - now if full else 0.0
                wait = max(self._next - now, window, self._unanswered_wait(now))
                if wait <= 1e-4:  # a tenth of a millisecond: not worth a sleep
                    break
                await self._sleep(wait)
            self.count(now)
            # Keep to the schedule after a late wake-up. With requests queued, lateness is the
            # event loop held up (a tick claiming a batch): those turns are made up, as far as
            # the window and the in-flight rule allow (they alone bound what reaches the
            # server in a second), at twice the pace rather than at once: a burst opens a
            # connection per request, and httpcore then checks every pooled connection on each
            # request for seconds. After an idle spell no turns are banked (no burst).
            late = now - self._due
            allowed = OVERALL_WINDOW if self._backlog else self.interval
            base = self._due if 0 <= late < allowed else now
            self._due = base + self.interval
            self._next = max(self._due, now + self.interval / 2)
            self._backlog = self._queued > 1
            return now

    def count(self, now: float) -> None:
        """A departure at `now` (the latest so far), in flight until `answered`."""
        self._departures.append(now)
        self._in_flight += 1

    def answered(self, now: float) -> None:
        self._in_flight -= 1
        self._answered.append(now)


class RateLimiter(BaseRateLimiter[SendPolicy | int]):
    """Window-exact pacing, a per-private-chat pace and bounded retries (see the module
    docstring). `rate_limit_args` is a `SendPolicy`; anything else gets `default_budget`."""

    def __init__(
        self,
        *,
        overall_max_rate: float = 30,
        paid_max_rate: float = 0,
        group_max_rate: int = 20,
        chat_interval: float = 1.0,
        chat_burst: int = 3,
        default_budget: float = 15.0,
        backoff_base: float = 1.0,
        backoff_max: float = 30.0,
        sleep: Sleep = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        restart_guard: bool = False,
    ) -> None:
        # Set except while a 429's wait runs: every request waits for it just before it
        # goes on the wire, as in AIORateLimiter.
        self._resume = asyncio.Event()
        self._resume.set()
        # The free lane paces every request with a chat id; paid broadcasts take the paid
        # lane when there is one, which counts the free lane's departures too (a total).
        self._free = Lane(overall_max_rate, sleep, monotonic) if overall_max_rate else None
        paid = self._free is not None and paid_max_rate > overall_max_rate
        self._paid = Lane(paid_max_rate, sleep, monotonic) if paid else None
        self.group_max_rate = group_max_rate
        self._groups: dict[int | str, SlidingWindow] = {}
        self.chat_interval = chat_interval
        self.chat_burst = max(1, chat_burst)
        self.default_budget = default_budget
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self._sleep = sleep
        self._monotonic = monotonic
        self._rng = rng or random.Random()
        self._chat_tat: dict[tuple[int, bool], float] = {}  # GCRA theoretical arrival times
        # A new process does not know what the previous one sent in its last seconds, while
        # Telegram's per-chat budget still remembers: with the guard, every chat starts as if
        # it had just had its burst, so a restart (a deploy, a crash) paces each chat at the
        # sustained rate until a burst's worth of time has passed, instead of meeting 429s
        # (each of which holds back every send for its retry_after).
        self._fresh_until = (
            self._monotonic() + self.chat_burst * chat_interval if restart_guard else -math.inf
        )

    async def initialize(self) -> None:
        """Nothing to set up: the limiter holds only in-memory reservations."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    @classmethod
    def for_rate(cls, overall_max_rate: float, paid_max_rate: float = 0) -> RateLimiter:
        """The limiter for SEND_RATE_PER_SECOND and PAID_BROADCAST_RATE; a send rate of 0
        paces nothing (retries still apply)."""
        if not overall_max_rate:
            return cls(overall_max_rate=0, group_max_rate=0, chat_interval=0)
        return cls(
            overall_max_rate=overall_max_rate, paid_max_rate=paid_max_rate, restart_guard=True
        )

    @property
    def paid_max_rate(self) -> float:
        """The total rate paid broadcasts may bring the bot to (0: no paid lane)."""
        return self._paid.limit if self._paid is not None else 0

    def _chat_delay(self, key: tuple[int, bool]) -> float:
        """Reserve the chat's next slot (GCRA: `chat_burst` at once, then one per interval)."""
        now = self._monotonic()
        if len(self._chat_tat) > 10_000:
            self._chat_tat = {k: v for k, v in self._chat_tat.items() if v > now}
        # A chat first seen while fresh starts with its burst spent (see __init__).
        first = max(now, self._fresh_until)
        tat = max(self._chat_tat.get(key, first), now) + self.chat_interval
        self._chat_tat[key] = tat
        return max(0.0, tat - self.chat_burst * self.chat_interval - now)

    def _group_window(self, group: int | str) -> SlidingWindow:
        if len(self._groups) > 10_000:
            now = self._monotonic()
            self._groups = {k: w for k, w in self._groups.items() if not w.idle(now)}
        window = self._groups.get(group)
        if window is None:
            window = self._groups[group] = SlidingWindow(self.group_max_rate, GROUP_PERIOD)
        return window

    async def _wait(self, delay: float) -> None:
        if delay > 0:
            await self._sleep(delay)

    async def _pace(self, endpoint: str, data: dict[str, Any], paid: bool) -> list[Lane]:
        """Wait for the chat's, then the group's, then the bot's turn (each reservation is
        taken after the previous wait, so every window sees its reservations in order).
        Returns the lanes the request departed in (each must hear `answered`)."""
        chat_id = data.get("chat_id")
        if chat_id is None:
            return []
        with contextlib.suppress(TypeError, ValueError):
            chat_id = int(chat_id)
        edit = endpoint.startswith("editMessage")
        if isinstance(chat_id, int) and chat_id > 0:
            if self.chat_interval and (edit or is_send(endpoint)):
                await self._wait(self._chat_delay((chat_id, edit)))
        elif self.group_max_rate and (edit or is_send(endpoint)):
            # Only what appears in the group counts: getChatMember and the like are not paced.
            await self._wait(self._group_window(chat_id).reserve(self._monotonic()))
        if paid and self._paid is not None:
            await self._paid.turn()
            return [self._paid]
        if self._free is None:
            return []
        left = await self._free.turn()
        if self._paid is None:
            return [self._free]
        self._paid.count(left)  # the paid lane's limit is a total
        return [self._free, self._paid]

    async def _run(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSON]],
        args: Any,
        kwargs: dict[str, Any],
    ) -> JSON:
        """Send once no 429's wait is running."""
        await self._resume.wait()
        return await callback(*args, **kwargs)

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
        paid = bool(data.get("allow_paid_broadcast", False))
        deadline = self._monotonic() + policy.budget_seconds
        while True:
            policy.attempts += 1
            try:
                lanes = await self._pace(endpoint, data, paid)
                policy.on_wire = True
                try:
                    return await self._run(callback, args, kwargs)
                finally:
                    policy.on_wire = False
                    now = self._monotonic()
                    for lane in lanes:
                        lane.answered(now)
            except RetryAfter as exc:
                wait = retry_after_seconds(exc) + 0.1
                if self._monotonic() + wait > deadline:
                    raise
                log.info("429 on %s: retrying after %.1f s", endpoint, wait)
                self._resume.clear()
                try:
                    await self._sleep(wait)
                finally:
                    self._resume.set()
            except BadRequest:
                raise
            except NetworkError as exc:  # 5xx, timeouts, connection errors
                if not retryable(exc, on_wire=True):  # Telegram may have it: never twice
                    raise
                wait = self._backoff(policy.attempts)
                if self._monotonic() + wait > deadline:
                    raise
                log.info("%s on %s: retrying after %.1f s", exc, endpoint, wait)
                await self._sleep(wait)
