"""Process life cycle shared by the parts of the bot: the scheduler heartbeat that /readyz
reads, and the shutdown hooks that SIGTERM runs.

How the engine uses them (through ``services(context)`` or ``app.bot_data["services"]``)::

    svc.heartbeat.register(settings.tick_seconds, svc.clock())  # when the tick is scheduled
    svc.heartbeat.beat(svc.clock())                # at the end of every tick, leader or not
    svc.shutdown.add("dispatcher", stop_and_drain, order=DRAIN)
    svc.shutdown.add("leader lease", release_lease, order=RELEASE)

Both live in memory on purpose: they describe this process, not the service's state.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

log = logging.getLogger(__name__)

ShutdownCallback = Callable[[], Awaitable[None]]

# Shutdown order: stop producing work, let what is in flight finish, then let go of locks.
STOP = 10
DRAIN = 20
RELEASE = 30

# A stale heartbeat is this many tick intervals old, but never less than MIN_STALE_SECONDS.
STALE_INTERVALS = 3
MIN_STALE_SECONDS = 15.0


@dataclass
class Heartbeat:
    """The scheduler's sign of life.

    Until a scheduler registers, readiness does not depend on it: a bot without a
    dispatcher (or before it has started) is not "stuck", it just has nothing to tick.
    After `register`, the first beat is expected within the stale window from then.
    """

    interval: float | None = None
    registered_at: datetime | None = None
    last: datetime | None = None

    def register(self, interval_seconds: float, now: datetime) -> None:
        self.interval = interval_seconds
        self.registered_at = now

    def beat(self, now: datetime) -> None:
        self.last = now
        if self.registered_at is None:
            self.registered_at = now

    @property
    def registered(self) -> bool:
        return self.interval is not None

    @property
    def stale_after(self) -> float:
        return max(STALE_INTERVALS * (self.interval or 0.0), MIN_STALE_SECONDS)

    def age(self, now: datetime) -> float | None:
        """Seconds since the last beat (or since registering); None when nothing to measure."""
        since = self.last or self.registered_at
        return None if since is None else max((now - since).total_seconds(), 0.0)

    def healthy(self, now: datetime) -> bool:
        if not self.registered:
            return True
        age = self.age(now)
        return age is None or age <= self.stale_after


@dataclass(order=True)
class _Hook:
    order: int
    seq: int
    name: str = field(compare=False)
    callback: ShutdownCallback = field(compare=False)


@dataclass
class ShutdownHooks:
    """Async callables run once on SIGTERM/SIGINT, after updates stopped, before the
    Application stops: by `order`, then in registration order.

    The whole run is bounded by a budget; each hook gets what is left of it but at least
    `floor` seconds, so a slow drain cannot keep the leader lock from being released.
    A failing or timed-out hook is logged and the next one still runs.
    """

    floor: float = 1.0
    _hooks: list[_Hook] = field(default_factory=list)

    def add(self, name: str, callback: ShutdownCallback, *, order: int = DRAIN) -> None:
        self._hooks.append(_Hook(order, len(self._hooks), name, callback))

    @property
    def names(self) -> list[str]:
        return [hook.name for hook in sorted(self._hooks)]

    async def run(self, budget: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + budget
        hooks, self._hooks = sorted(self._hooks), []
        for hook in hooks:
            timeout = max(deadline - loop.time(), self.floor)
            try:
                await asyncio.wait_for(hook.callback(), timeout)
                log.info("shutdown: %s done", hook.name)
            except TimeoutError:
                log.warning("shutdown: %s did not finish within %.1f s", hook.name, timeout)
            except Exception as exc:
                log.error("shutdown: %s failed: %r", hook.name, exc, exc_info=exc)


class Children:
    """Child processes a job is waiting for (the capacity model). A shutdown kills them first,
    so the waiting job returns on its own instead of being cancelled mid-wait, which the
    scheduler would report as a traceback."""

    def __init__(self) -> None:
        self._running: set[asyncio.subprocess.Process] = set()
        self.stopping = False

    @contextlib.contextmanager
    def track(self, child: asyncio.subprocess.Process) -> Iterator[None]:
        self._running.add(child)
        try:
            yield
        finally:
            self._running.discard(child)

    async def kill_all(self) -> None:
        self.stopping = True
        running = list(self._running)
        for child in running:
            if child.returncode is None:
                child.kill()
        for child in running:
            await child.wait()
