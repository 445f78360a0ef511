"""The rate limiter: per-chat pace, and which answers are retried for how long."""

from __future__ import annotations

import asyncio
import itertools
import math
from datetime import timedelta
from typing import Any

import httpx
import pytest
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.sending import Lane, RateLimiter, SendPolicy, SlidingWindow, is_send, retry_after_seconds
from tests.conftest import FakeClock
from tests.reminder_kit import FakeSleep, limiter


def _setup(**kw: Any) -> tuple[RateLimiter, FakeSleep, FakeClock]:
    clock = FakeClock()
    sleep = FakeSleep(clock)
    return limiter(clock, sleep, **kw), sleep, clock


async def _call(rl: RateLimiter, chat_id: object, endpoint: str = "sendMessage", **kw: Any) -> Any:
    async def ok(*_: Any, **__: Any) -> bool:
        return True

    return await rl.process_request(ok, (), {}, endpoint, {"chat_id": chat_id}, kw.get("policy"))


async def test_private_chat_sends_are_paced_after_a_small_burst() -> None:
    rl, sleep, _ = _setup(chat_burst=3, chat_interval=1.0, overall_max_rate=0)
    for _ in range(6):
        await _call(rl, 42)
    assert sleep.waits == pytest.approx([1.0, 1.0, 1.0])


async def test_after_a_restart_each_chat_starts_as_if_its_burst_was_just_spent() -> None:
    """The previous process may have sent a burst to this chat a moment ago (kill -9, then a
    quick start): until a burst's worth of time has passed, the sustained pace only."""
    rl, sleep, clock = _setup(
        chat_burst=3, chat_interval=1.0, overall_max_rate=0, restart_guard=True
    )
    for _ in range(3):
        await _call(rl, 42)
    assert sleep.waits == pytest.approx([1.0, 1.0, 1.0])
    clock.advance(seconds=10)  # long after the start: the burst is back
    sleep.waits.clear()
    for _ in range(3):
        await _call(rl, 7)
    assert sleep.waits == []


def test_the_production_limiter_guards_restarts() -> None:
    assert RateLimiter.for_rate(30)._fresh_until > 0
    assert RateLimiter.for_rate(0)._fresh_until == -math.inf  # pacing off


async def test_other_chats_groups_and_non_sends_are_not_held_up_by_one_chat() -> None:
    rl, sleep, _ = _setup(chat_burst=1, overall_max_rate=0)
    await _call(rl, 42)
    await _call(rl, 43)
    await _call(rl, 42, "editMessageText")
    await _call(rl, 42, "sendChatAction")
    await _call(rl, -100, "sendMessage")  # groups: AIORateLimiter's 20 a minute
    assert sleep.waits == []
    await _call(rl, 42)
    assert sleep.waits == pytest.approx([1.0])


def test_is_send() -> None:
    assert is_send("sendMessage") and is_send("sendPhoto") and is_send("copyMessage")
    assert not is_send("sendChatAction") and not is_send("editMessageText")


def _script(*answers: BaseException | None) -> Any:
    remaining = list(answers)
    calls: list[int] = []

    async def callback(*_: Any, **__: Any) -> Any:
        calls.append(1)
        answer = remaining.pop(0) if remaining else None
        if answer is not None:
            raise answer
        return {"ok": True}

    callback.calls = calls  # type: ignore[attr-defined]
    return callback


async def test_429_waits_and_retries_within_the_budget() -> None:
    rl, sleep, _ = _setup()
    callback = _script(RetryAfter(3), RetryAfter(4))
    policy = SendPolicy(60)
    await rl.process_request(callback, (), {}, "sendMessage", {"chat_id": 5}, policy)
    assert sleep.waits == pytest.approx([3.1, 4.1]) and policy.attempts == 3


async def test_429_beyond_the_budget_is_raised() -> None:
    rl, _, _ = _setup()
    with pytest.raises(RetryAfter):
        await rl.process_request(
            _script(RetryAfter(30)), (), {}, "sendMessage", {"chat_id": 5}, SendPolicy(10)
        )


async def test_network_errors_back_off_exponentially() -> None:
    rl, sleep, _ = _setup()
    connect = TimedOut()
    connect.__cause__ = httpx.ConnectTimeout("connect")  # never reached Telegram
    callback = _script(NetworkError("Bad Gateway"), connect, NetworkError("500"), None)
    await rl.process_request(callback, (), {}, "sendMessage", {"chat_id": 5}, SendPolicy(600))
    assert len(sleep.waits) == 3
    assert 0.8 <= sleep.waits[0] <= 1.2 and 3.2 <= sleep.waits[2] <= 4.8


async def test_a_read_timeout_is_not_retried() -> None:
    """Telegram may have delivered it (issue 14, point 5): a second copy is worse."""
    rl, sleep, _ = _setup()
    late = TimedOut()
    late.__cause__ = httpx.ReadTimeout("read")
    callback = _script(late, None)
    with pytest.raises(TimedOut):
        await rl.process_request(callback, (), {}, "sendMessage", {"chat_id": 5}, SendPolicy(600))
    assert len(callback.calls) == 1 and sleep.waits == []


@pytest.mark.parametrize("error", [Forbidden("blocked"), BadRequest("chat not found")])
async def test_answers_are_not_retried(error: Exception) -> None:
    rl, sleep, _ = _setup()
    callback = _script(error)
    with pytest.raises(type(error)):
        await rl.process_request(callback, (), {}, "sendMessage", {"chat_id": 5}, None)
    assert len(callback.calls) == 1 and sleep.waits == []


def test_sliding_window_never_lets_more_than_the_limit_into_any_period() -> None:
    window = SlidingWindow(3, 1.0)
    starts = [window.reserve(0.0) for _ in range(7)]
    assert starts == [0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 2.0]
    assert window.reserve(5.0) == 0.0


async def test_a_burst_to_many_chats_is_paced_to_the_overall_rate() -> None:
    rl, _, clock = _setup(overall_max_rate=30)
    start = clock.now
    sent_at = []
    for chat_id in range(1, 91):
        await _call(rl, chat_id)
        sent_at.append((clock.now - start).total_seconds())
    for index in range(30, 90):  # any 30 consecutive sends span a second or more
        assert sent_at[index] - sent_at[index - 30] >= 1.0
    assert sent_at[-1] < 89 / (30 * 0.98) + 0.01  # and not slower than 98% of the limit


async def test_a_group_gets_at_most_20_per_minute() -> None:
    rl, _, clock = _setup()
    start = clock.now
    for _ in range(21):
        await _call(rl, -100)
    assert (clock.now - start).total_seconds() == pytest.approx(60.5)


async def test_rate_zero_paces_nothing() -> None:
    rl = RateLimiter.for_rate(0)
    for _ in range(10):
        await _call(rl, 42)
        await _call(rl, -100)
    assert rl._free is None and rl.paid_max_rate == 0 and not rl._chat_tat and not rl._groups


async def test_member_lookups_do_not_use_a_groups_send_budget() -> None:
    rl, _, clock = _setup()
    start = clock.now
    for _ in range(30):
        await _call(rl, -100, "getChatMember")
    for _ in range(20):
        await _call(rl, -100)
    assert (clock.now - start).total_seconds() < 5


async def test_a_send_waits_while_the_limit_is_in_flight_or_answered_within_a_second() -> None:
    """Telegram counts arrivals, which come before the answers: 30 requests answered late
    (held up on the way) keep the 31st back until a second after those answers."""
    clock = FakeClock()
    sleep = FakeSleep(clock)
    lane = Lane(30, sleep, sleep.monotonic)
    for _ in range(30):
        await lane.turn()  # departed, not answered yet
    clock.advance(seconds=0.5)  # held up on the way
    answered_at = clock.now
    for _ in range(30):
        lane.answered(sleep.monotonic())
    await lane.turn()
    assert (clock.now - answered_at).total_seconds() >= 1.0


class _HeldUpSleep(FakeSleep):
    """A sleep whose `late_call`-th wake-up comes `by` seconds late: the event loop was busy
    (a tick claiming a batch) when the timer was due."""

    def __init__(self, clock: FakeClock, late_call: int, by: float) -> None:
        super().__init__(clock)
        self.late_call, self.by = late_call, by

    async def __call__(self, seconds: float) -> None:
        await super().__call__(seconds)
        if len(self.waits) == self.late_call:
            self.clock.advance(seconds=self.by)
        await asyncio.sleep(0)  # the others queue up meanwhile, as in a real sleep


async def _queued_departures(sleep: FakeSleep, count: int, rate: float) -> list[float]:
    """`count` requests queued at once on one lane; the seconds at which each one left."""
    lane = Lane(rate, sleep, sleep.monotonic)
    start = sleep.monotonic()

    async def send() -> float:
        left = await lane.turn()
        lane.answered(left)  # answered at once
        return left - start

    return sorted(await asyncio.gather(*(send() for _ in range(count))))


@pytest.mark.parametrize(("late_call", "held_up"), [(50, 0.05), (50, 0.2), (400, 0.3)])
async def test_turns_the_event_loop_held_up_are_made_up_within_the_window(
    late_call: int, held_up: float
) -> None:
    """With requests queued, a late wake-up costs no throughput: the lost turns are made up
    (at twice the pace, not in one burst), and still never more than the limit in a second."""
    clock = FakeClock()
    left = await _queued_departures(_HeldUpSleep(clock, late_call, held_up), 2000, 200)
    assert left[-1] < 1999 / (200 * 0.98) + 0.01  # as if it had never been held up
    for index in range(200, 2000):
        assert left[index] - left[index - 200] >= 1.0
    gaps = [b - a for a, b in itertools.pairwise(left)]
    assert min(gaps) >= 0.5 / (200 * 0.98) - 1e-5  # no burst: at most twice the pace


async def test_an_idle_spell_banks_no_turns() -> None:
    """No request was waiting: the next ones are spaced from now, not sent in a burst."""
    clock = FakeClock()
    sleep = FakeSleep(clock)
    lane = Lane(200, sleep, sleep.monotonic)
    lane.answered(await lane.turn())
    clock.advance(seconds=0.5)
    start = sleep.monotonic()
    left = []
    for _ in range(5):
        left.append(await lane.turn() - start)
        lane.answered(left[-1] + start)
    assert left == pytest.approx([i / (200 * 0.98) for i in range(5)], abs=1e-5)


async def test_a_429_holds_back_every_request_until_its_wait_is_over() -> None:
    """As PTB's AIORateLimiter does: the chat that earned the 429 and every other chat wait."""
    asleep, release = asyncio.Event(), asyncio.Event()
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        asleep.set()
        await release.wait()

    rl = RateLimiter(sleep=sleep, overall_max_rate=0, chat_interval=0)
    sent: list[int] = []

    def to(chat_id: int, *answers: BaseException) -> Any:
        script = _script(*answers)

        async def callback(*args: Any, **kwargs: Any) -> Any:
            result = await script(*args, **kwargs)
            sent.append(chat_id)
            return result

        return callback

    first = asyncio.create_task(
        rl.process_request(to(1, RetryAfter(2)), (), {}, "sendMessage", {"chat_id": 1}, None)
    )
    await asleep.wait()
    other = asyncio.create_task(
        rl.process_request(to(2), (), {}, "sendMessage", {"chat_id": 2}, None)
    )
    for _ in range(20):  # let `other` run as far as it can
        await asyncio.sleep(0)
    assert waits == pytest.approx([2.1]) and sent == [] and not other.done()
    release.set()
    await asyncio.gather(first, other)
    assert sorted(sent) == [1, 2]


async def _timed_burst(
    rl: RateLimiter, clock: FakeClock, chats: range, *, paid: bool
) -> list[float]:
    """Send to each chat in turn; the seconds from the start at which each one left."""
    start = clock.now
    left: list[float] = []

    async def stamp(*_: Any, **__: Any) -> bool:
        left.append((clock.now - start).total_seconds())
        return True

    for chat_id in chats:
        data = {"chat_id": chat_id, "allow_paid_broadcast": True} if paid else {"chat_id": chat_id}
        await rl.process_request(stamp, (), {}, "sendMessage", data, None)
    return left


async def test_paid_broadcasts_go_up_to_the_paid_rate_and_free_sends_keep_30() -> None:
    rl, _, clock = _setup(overall_max_rate=30, paid_max_rate=200)
    paid = await _timed_burst(rl, clock, range(1, 601), paid=True)
    for index in range(200, 600):  # any 200 consecutive paid sends span a second or more
        assert paid[index] - paid[index - 200] >= 1.0
    assert paid[-1] < 599 / (200 * 0.98) + 0.01  # and not slower than 98% of 200 a second
    free = await _timed_burst(rl, clock, range(1001, 1091), paid=False)
    for index in range(30, 90):
        assert free[index] - free[index - 30] >= 1.0
    assert free[-1] - free[0] > 89 / 30  # the free budget did not grow with the paid one


async def test_the_paid_rate_is_a_total_that_counts_free_sends() -> None:
    """Free and paid sends at once: each paid send leaves only while fewer than the paid rate
    left (of either kind) within the window, and the free ones still keep to 30."""
    clock = FakeClock()
    sleep = FakeSleep(clock)
    rl = limiter(clock, sleep, overall_max_rate=30, paid_max_rate=100)
    left: list[tuple[float, bool]] = []

    def stamp(paid: bool) -> Any:
        async def callback(*_: Any, **__: Any) -> bool:
            left.append((sleep.monotonic(), paid))
            return True

        return callback

    def send(chat_id: int, paid: bool) -> Any:
        data: dict[str, Any] = {"chat_id": chat_id}
        if paid:
            data["allow_paid_broadcast"] = True
        return rl.process_request(stamp(paid), (), {}, "sendMessage", data, None)

    await asyncio.gather(
        *(send(chat_id, False) for chat_id in range(1, 91)),
        *(send(chat_id, True) for chat_id in range(1001, 1301)),
    )
    assert len(left) == 390
    for at, paid in left:
        window = [p for t, p in left if at - 1.0 < t < at]
        if paid:
            assert len(window) < 100
        else:
            assert sum(not p for p in window) < 30
    assert sum(paid for _, paid in left) == 300


async def test_without_a_paid_rate_a_flagged_send_keeps_the_free_pace() -> None:
    rl, _, clock = _setup(overall_max_rate=30)
    assert rl.paid_max_rate == 0
    left = await _timed_burst(rl, clock, range(1, 91), paid=True)
    for index in range(30, 90):
        assert left[index] - left[index - 30] >= 1.0


async def test_paid_broadcasts_keep_the_chat_pace() -> None:
    """`allow_paid_broadcast` lifts the bot's broadcast limit, not the pace inside one chat."""
    rl, sleep, _ = _setup(chat_burst=1, chat_interval=1.0, paid_max_rate=200)
    data = {"chat_id": 42, "allow_paid_broadcast": True}

    async def ok(*_: Any, **__: Any) -> bool:
        return True

    await rl.process_request(ok, (), {}, "sendMessage", data, None)
    await rl.process_request(ok, (), {}, "sendMessage", data, None)
    assert sum(sleep.waits) == pytest.approx(1.0, abs=0.01)


def test_a_paid_rate_at_or_below_the_free_rate_adds_no_lane() -> None:
    assert RateLimiter.for_rate(30, 30).paid_max_rate == 0
    assert RateLimiter.for_rate(30, 0).paid_max_rate == 0
    assert RateLimiter.for_rate(0, 200).paid_max_rate == 0  # pacing off: nothing to lift
    assert RateLimiter.for_rate(30, 200).paid_max_rate == 200


def test_retry_after_is_read_as_seconds_from_a_timedelta_or_an_int_without_a_warning(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import warnings

    as_timedelta = RetryAfter(timedelta(seconds=3))
    monkeypatch.setenv("PTB_TIMEDELTA", "false")  # the int API, which warns on every read
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PTB's own read while it builds the error
        as_int = RetryAfter(7)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning from our read fails the test
        assert retry_after_seconds(as_int) == 7.0
        monkeypatch.setenv("PTB_TIMEDELTA", "true")
        assert retry_after_seconds(as_timedelta) == 3.0


async def test_a_normal_exchange_of_three_replies_is_not_held_back() -> None:
    """Issue 16, point 16: the production defaults let three replies in a row through at
    once; only a fourth waits for the chat's pace."""
    rl, sleep, _ = _setup(overall_max_rate=0)  # the defaults for the chat pace
    for _ in range(3):
        await _call(rl, 42)
    assert sleep.waits == []
    await _call(rl, 42)
    assert sleep.waits == pytest.approx([1.0])
