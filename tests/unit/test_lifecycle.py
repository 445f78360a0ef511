"""The heartbeat that /readyz reads and the shutdown hooks SIGTERM runs."""

from __future__ import annotations

import asyncio
import signal
import sys
from datetime import UTC, datetime, timedelta

from bot.lifecycle import DRAIN, RELEASE, STOP, Children, Heartbeat, ShutdownHooks

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_heartbeat_is_healthy_until_a_scheduler_registers() -> None:
    heartbeat = Heartbeat()
    assert not heartbeat.registered
    assert heartbeat.healthy(T0 + timedelta(days=1))


def test_heartbeat_goes_stale_after_a_few_intervals_and_recovers_on_a_beat() -> None:
    heartbeat = Heartbeat()
    heartbeat.register(5.0, T0)
    assert heartbeat.stale_after == 15.0
    assert heartbeat.healthy(T0 + timedelta(seconds=14))  # the first tick has time to come
    assert not heartbeat.healthy(T0 + timedelta(seconds=16))
    heartbeat.beat(T0 + timedelta(seconds=20))
    assert heartbeat.healthy(T0 + timedelta(seconds=21))
    assert heartbeat.age(T0 + timedelta(seconds=21)) == 1.0
    heartbeat.register(30.0, T0)
    assert heartbeat.stale_after == 90.0


async def test_shutdown_hooks_run_in_order_and_a_failure_does_not_stop_the_rest() -> None:
    ran: list[str] = []

    def hook(name: str, fail: bool = False):  # type: ignore[no-untyped-def]
        async def run() -> None:
            ran.append(name)
            if fail:
                raise RuntimeError(name)

        return run

    hooks = ShutdownHooks()
    hooks.add("release", hook("release"), order=RELEASE)
    hooks.add("drain", hook("drain", fail=True), order=DRAIN)
    hooks.add("stop tick", hook("stop tick"), order=STOP)
    hooks.add("drain 2", hook("drain 2"))
    assert hooks.names == ["stop tick", "drain", "drain 2", "release"]
    await hooks.run(budget=5)
    assert ran == ["stop tick", "drain", "drain 2", "release"]
    await hooks.run(budget=5)  # hooks run once
    assert len(ran) == 4


async def test_a_hanging_hook_is_cut_off_and_the_lock_is_still_released() -> None:
    released = asyncio.Event()

    async def hang() -> None:
        await asyncio.Event().wait()

    async def release() -> None:
        released.set()

    hooks = ShutdownHooks(floor=0.05)
    hooks.add("hang", hang, order=DRAIN)
    hooks.add("release", release, order=RELEASE)
    await asyncio.wait_for(hooks.run(budget=0.1), timeout=2)
    assert released.is_set()


async def test_children_are_killed_at_shutdown_so_the_waiting_job_returns() -> None:
    """The capacity job waits on a child process; a shutdown kills it first, and the job's
    wait ends on its own (no cancellation for the scheduler to report)."""
    children = Children()
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "import time; time.sleep(60)", stdout=asyncio.subprocess.PIPE
    )

    async def job() -> int | None:
        with children.track(child):
            await child.communicate()
        return child.returncode

    waiting = asyncio.create_task(job())
    await asyncio.sleep(0)  # the job is waiting on the child
    await asyncio.wait_for(children.kill_all(), 5)
    assert children.stopping
    assert await asyncio.wait_for(waiting, 5) == -signal.SIGKILL
