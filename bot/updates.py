"""How updates get from Telegram to the handlers: fetched (`Poller`), parsed (`parse_update`),
and processed fairly (`FairUpdateProcessor`).

Why not python-telegram-bot's Updater: it confirms every fetched update to Telegram with its
next getUpdates call, before the update is processed, so a SIGTERM lost the updates still in
the queue; and one update its parser refuses (an older self-hosted Bot API server can send a
`poll` without `allows_revoting`) made every getUpdates call fail, for good. The poller here
confirms an update only once it has been processed (within a bounded window), and skips, counts
and confirms an update it cannot parse.

Why not the base class's concurrency limit alone: BaseUpdateProcessor takes one of its slots
*before* `do_process_update` runs, so updates waiting for their chat's turn held slots that
other chats needed. Here the base class's semaphore never limits; an update waits for its
chat's turn first and only then for one of the slots, and a chat's waiting updates are bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import time
import warnings
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from telegram import Bot, Update
from telegram.error import InvalidToken, RetryAfter, TelegramError
from telegram.ext import BaseUpdateProcessor
from telegram.warnings import PTBUserWarning

from bot import metrics
from bot.outgoing import SendPolicy
from bot.sending import retry_after_seconds

log = logging.getLogger(__name__)

# Poller calls getUpdates through do_api_request on purpose: Bot.get_updates parses the whole
# batch and fails on the first update it cannot parse.
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.getUpdates'", category=PTBUserWarning)

#: Updates running at once, across chats (as python-telegram-bot's default for concurrency).
MAX_CONCURRENT_UPDATES = 256
#: A chat's updates waiting for their turn; beyond this the oldest waiting one is dropped.
MAX_PENDING_PER_CHAT = 20
#: Updates waiting (for their chat's turn or a slot) beyond which /readyz reports a backlog.
BACKLOG_LIMIT = 500
#: The base class's semaphore: high enough never to limit (our own slots do).
_UNBOUNDED = 2**30


def parse_update(data: object, bot: Bot | None) -> Update | None:
    """The update, or None when python-telegram-bot cannot parse it: then it is counted and
    logged once with its id (never its payload, which holds user text) and must be skipped."""
    update_id = data.get("update_id") if isinstance(data, dict) else None
    try:
        if not isinstance(data, dict) or not isinstance(update_id, int):
            raise ValueError("no update_id")
        return Update.de_json(data, bot)
    except Exception as exc:  # the library's parser raises TypeError, KeyError, ValueError...
        metrics.UPDATES_UNPARSABLE.inc()
        log.warning("skipped update %s: cannot parse it (%s)", update_id, type(exc).__name__)
        return None


GO, DROPPED, ABANDONED = "go", "dropped", "abandoned"  # what a waiting update is told


@dataclass(eq=False)
class _Waiting:
    update: object
    coroutine: Awaitable[Any]
    turn: asyncio.Future[str]


@dataclass(eq=False)
class _Chat:
    waiting: deque[_Waiting] = field(default_factory=deque)
    warned: bool = False


def _close(coroutine: Awaitable[Any]) -> None:
    """A dropped update's handler coroutine is never awaited: close it, so Python does not
    warn "coroutine was never awaited"."""
    if inspect.iscoroutine(coroutine):
        coroutine.close()


class FairUpdateProcessor(BaseUpdateProcessor):
    """Updates of one chat run in order, one at a time; chats run concurrently.

    An update first waits for its chat's turn, then for one of `max_concurrent` slots, so a
    chat with 500 pending updates holds one slot and everybody else is served meanwhile. When
    more than `max_pending` of a chat's updates wait, the oldest waiting one is dropped:
    `on_flood` is called for the first drop of a flood (to say "slow down" once), and
    `on_done` for every update that is finished or dropped (the poller confirms it then).
    """

    def __init__(
        self,
        max_concurrent: int = MAX_CONCURRENT_UPDATES,
        *,
        max_pending: int = MAX_PENDING_PER_CHAT,
        backlog_limit: int = BACKLOG_LIMIT,
    ) -> None:
        super().__init__(_UNBOUNDED)
        self._slots = asyncio.Semaphore(max_concurrent)
        self.max_pending = max_pending
        self.backlog_limit = backlog_limit
        self._chats: dict[int, _Chat] = {}
        self._queued = 0
        self._want_slot = 0
        self._tasks: set[asyncio.Task[Any]] = set()
        self.on_flood: Callable[[Update], None] | None = None
        self.on_done: Callable[[int], None] | None = None

    @property
    def backlog(self) -> int:
        """Updates received and not started yet."""
        return self._queued + self._want_slot

    def backlog_problem(self) -> str | None:
        backlog = self.backlog
        if backlog > self.backlog_limit:
            return f"{backlog} updates waiting (> {self.backlog_limit})"
        return None

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        done = True
        try:
            chat = update.effective_chat if isinstance(update, Update) else None
            if chat is None:
                await self._run(coroutine)
                return
            state = self._chats.get(chat.id)
            if state is None:
                self._chats[chat.id] = state = _Chat()
            else:  # the chat is busy: wait for its turn
                entry = _Waiting(update, coroutine, asyncio.get_running_loop().create_future())
                state.waiting.append(entry)
                self._queued += 1
                if len(state.waiting) > self.max_pending:
                    self._drop(state, state.waiting.popleft())
                try:
                    turn = await entry.turn
                    if turn != GO:
                        done = turn == DROPPED  # abandoned ones are not confirmed
                        return
                except asyncio.CancelledError:
                    if entry in state.waiting:
                        state.waiting.remove(entry)
                        self._queued -= 1
                    _close(coroutine)
                    raise
            try:
                await self._run(coroutine)
            finally:
                self._next_turn(chat.id, state)
        except asyncio.CancelledError:
            done = False  # abandoned at shutdown: not done, so not confirmed
            raise
        finally:
            if task is not None:
                self._tasks.discard(task)
            update_id = update.update_id if isinstance(update, Update) else None
            if done and update_id is not None and self.on_done is not None:
                self.on_done(update_id)

    async def abandon(self, grace: float = 1.0) -> int:
        """Stop processing what is still waiting or running (the stop budget is spent);
        returns how many updates were abandoned. They are not confirmed to Telegram."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=grace)
        return len(tasks)

    async def _run(self, coroutine: Awaitable[Any]) -> None:
        self._want_slot += 1
        try:
            await self._slots.acquire()
        finally:
            self._want_slot -= 1
        try:
            await coroutine
        finally:
            self._slots.release()

    def _drop(self, state: _Chat, entry: _Waiting) -> None:
        self._queued -= 1
        _close(entry.coroutine)
        if not entry.turn.done():
            entry.turn.set_result(DROPPED)
        metrics.UPDATES_DROPPED.inc()
        if not state.warned and isinstance(entry.update, Update):
            state.warned = True
            log.warning("chat floods: dropping its oldest waiting updates")
            if self.on_flood is not None:
                self.on_flood(entry.update)

    def _next_turn(self, chat_id: int, state: _Chat) -> None:
        while state.waiting:
            entry = state.waiting.popleft()
            self._queued -= 1
            if not entry.turn.done():
                entry.turn.set_result(GO)
                return
        del self._chats[chat_id]

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        """Updates still waiting when the Application shuts down are not processed (the
        poller did not confirm them, so Telegram delivers them again to the next start)."""
        for state in self._chats.values():
            while state.waiting:
                entry = state.waiting.popleft()
                self._queued -= 1
                _close(entry.coroutine)
                if not entry.turn.done():
                    entry.turn.set_result(ABANDONED)


#: Seconds Telegram holds a getUpdates call open when there is nothing to deliver.
POLL_TIMEOUT = 10.0
#: Updates confirmed although not processed yet, so each answer can still bring new ones
#: (Telegram returns at most 100 updates from the offset on).
HOLD_BACK = 50
#: While updates are in flight and the last answer brought nothing new, the pause before the
#: next call (Telegram answers at once, with the unconfirmed updates).
BUSY_PAUSE = 0.25
#: No answer from getUpdates for this long (beyond the poll timeout) and /readyz fails.
STALE_AFTER = 60.0


class Poller:
    """Long polling that confirms an update to Telegram only after it was processed.

    Telegram confirms every update below the `offset` of a getUpdates call. The offset sent is
    the lowest update id still in flight (received and not finished), but never more than
    HOLD_BACK below the next new one, so a slow update cannot keep the bot blind to newer ones.
    Updates Telegram sends again are recognised by their id and skipped. On stop, the last call
    confirms only what was finished: the rest arrives again at the next start (at least once;
    an update that was half processed when the budget ran out can be processed twice).
    """

    def __init__(
        self,
        bot: Bot,
        queue: asyncio.Queue[object],
        *,
        allowed_updates: Sequence[str],
        timeout: float = POLL_TIMEOUT,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.bot = bot
        self.queue = queue
        self.allowed_updates = list(allowed_updates)
        self.timeout = timeout
        self.monotonic = monotonic
        self._in_flight: set[int] = set()
        self._next: int | None = None
        self._progress = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.last_answer: float | None = None
        self.failures = 0  # getUpdates calls failed in a row

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def finished(self, update_id: int) -> None:
        self._in_flight.discard(update_id)
        self._progress.set()

    def offset(self) -> int | None:
        if self._next is None:
            return None
        if not self._in_flight:
            return self._next
        return max(min(self._in_flight), self._next - HOLD_BACK)

    async def start(self, *, drop_pending: bool = False) -> None:
        """Remove a webhook (getUpdates is refused while one is set), then poll."""
        await self.bot.delete_webhook(drop_pending_updates=drop_pending)
        self.last_answer = self.monotonic()
        self._task = asyncio.create_task(self._loop(), name="rekpauze:poller")

    async def stop(self) -> None:
        """Stop fetching. A getUpdates call under way is abandoned: whatever it would have
        returned stays unconfirmed."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def confirm(self) -> None:
        """Tell Telegram which updates are done; the others come again at the next start."""
        offset = self.offset()
        if offset is None:
            return
        try:
            await self._get_updates(offset, wait=0, limit=1)
        except TelegramError as exc:
            log.warning("could not confirm processed updates (%s); they may come again", exc)
        if self._in_flight:
            count = len(self._in_flight)
            log.info("stopping: %d updates not processed; Telegram sends them again", count)

    def problem(self) -> str | None:
        """Why updates are not being fetched, for /readyz; None when all is well."""
        if self.last_answer is None:
            return None  # webhook mode, or not started
        if self._task is not None and self._task.done():
            return "update fetching stopped"
        silent = self.monotonic() - self.last_answer
        if silent > self.timeout + STALE_AFTER:
            return f"no answer from getUpdates for {silent:.0f} s"
        return None

    async def _get_updates(self, offset: int | None, *, wait: float, limit: int = 100) -> Any:
        kwargs: dict[str, Any] = {
            "timeout": wait,
            "limit": limit,
            "allowed_updates": self.allowed_updates,
        }
        if offset is not None:
            kwargs["offset"] = offset
        extra: dict[str, Any] = {}
        if getattr(self.bot, "rate_limiter", None) is not None:
            # No retries in the rate limiter: the loop has its own backoff, and the final
            # confirmation must fit in the shutdown budget.
            extra["rate_limit_args"] = SendPolicy(budget_seconds=0)
        return await self.bot.do_api_request(
            "getUpdates", api_kwargs=kwargs, read_timeout=wait + 10, **extra
        )

    async def _loop(self) -> None:
        while self._task is not None:
            try:
                raw = await self._get_updates(self.offset(), wait=self.timeout)
            except InvalidToken:
                log.error("getUpdates: the token was refused; check TELEGRAM_BOT_TOKEN")
                raise
            except TelegramError as exc:
                self.failures += 1
                pause = (
                    retry_after_seconds(exc)
                    if isinstance(exc, RetryAfter)
                    else min(2**self.failures, 30)
                )
                log.warning("getUpdates failed (%s); again in %.0f s", exc, pause)
                await asyncio.sleep(pause)
                continue
            self.failures = 0
            self.last_answer = self.monotonic()
            fresh = self.accept(raw if isinstance(raw, list) else [])
            if not fresh and self._in_flight:
                self._progress.clear()
                # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation
                # when the event is set at the same moment.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(BUSY_PAUSE):
                        await self._progress.wait()

    def accept(self, raw: list[Any]) -> int:
        """Queue the updates not seen before; returns how many were new."""
        fresh = 0
        for item in raw:
            update_id = item.get("update_id") if isinstance(item, dict) else None
            if not isinstance(update_id, int):
                parse_update(item, self.bot)  # counted and logged; nothing to confirm by
                continue
            if self._next is not None and update_id < self._next:
                continue  # sent again because not confirmed yet
            self._next = update_id + 1
            fresh += 1
            update = parse_update(item, self.bot)
            if update is None:
                continue  # skipped: confirmed with the next offset
            self._in_flight.add(update_id)
            self.queue.put_nowait(update)
        return fresh
