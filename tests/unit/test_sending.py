"""The rate limiter: per-chat pace, and which answers are retried for how long."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from telegram.constants import FloodLimit
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.sending import RateLimiter, SendPolicy, SlidingWindow, is_send
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
    for index in range(30, 90):  # any 30 consecutive sends span more than a second
        assert sent_at[index] - sent_at[index - 30] >= 1.02
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
    assert rl._overall_interval == 0 and not rl._chat_tat and not rl._groups


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
    rl, _, clock = _setup(overall_max_rate=30)
    for _ in range(30):
        await rl._overall_turn()  # departed, not answered yet
    clock.advance(seconds=0.5)  # held up on the way
    answered_at = clock.now
    for _ in range(30):
        rl._answered_now()
    await rl._overall_turn()
    assert (clock.now - answered_at).total_seconds() >= 1.0


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


async def test_paid_broadcasts_skip_the_chat_pace_but_keep_telegrams_paid_limit() -> None:
    rl, sleep, clock = _setup(chat_burst=1, chat_interval=1.0)

    async def ok(*_: Any, **__: Any) -> bool:
        return True

    start = clock.now
    data = {"chat_id": 42, "allow_paid_broadcast": True}
    for _ in range(FloodLimit.PAID_MESSAGES_PER_SECOND):
        await rl.process_request(ok, (), {}, "sendMessage", data, None)
    assert sleep.waits == [] and clock.now == start
    await rl.process_request(ok, (), {}, "sendMessage", data, None)
    assert sleep.waits == pytest.approx([1.0])
