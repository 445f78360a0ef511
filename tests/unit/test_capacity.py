"""The capacity model: demand per minute from schedules, the fluid queue, load-aware defaults."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from bot.scheduling import capacity
from bot.scheduling.defaults import (
    DEFAULT_TIMES,
    DEFAULT_WINDOW_MINUTES,
    default_times,
    load_aware_minutes,
    load_aware_times,
)
from bot.scheduling.timemath import next_due, slots
from bot.storage.models import ALL_DAYS, WORKDAYS

MONDAY = datetime(2026, 6, 1, tzinfo=UTC)
TZS = ("Europe/Amsterdam", "Europe/London", "America/New_York", "Asia/Kolkata", "UTC")


def _run(rows: Sequence[capacity.ScheduleRow], rate: float, start: datetime = MONDAY, **kw: object):
    demand = capacity.demand(capacity.aggregate(rows, start))
    return demand, capacity.simulate(demand, rate, **kw)  # type: ignore[arg-type]


def test_a_burst_of_120_in_one_minute_at_one_per_second_by_hand() -> None:
    # 120 sends due Monday 10:00 UTC, 1 msg/s: they leave over [0, 120] s, uniformly.
    demand, prediction = _run([(["10:00"], 0b1, "UTC", None, 120)], 1.0)
    per_minute = demand.per_minute()
    assert per_minute[600] == 120 and per_minute.sum() == 120
    assert prediction.reminders_due == 120 and prediction.sent == pytest.approx(120)
    assert prediction.skipped == 0
    # backlog just after the arrivals: 120, then 60 one minute on, then empty
    assert prediction.backlog[600:603].tolist() == pytest.approx([120, 60, 0])
    assert prediction.lateness_p50_s == pytest.approx(60, abs=0.01)
    assert prediction.lateness_p99_s == pytest.approx(118.8, abs=0.01)
    assert prediction.lateness_max_s == pytest.approx(120)
    assert prediction.peak_backlog_at == MONDAY + timedelta(minutes=600)
    monday = prediction.days[0]
    assert (monday.day, monday.due, monday.sent) == (date(2026, 6, 1), 120, pytest.approx(120))
    # p99 < 60 s needs at most 60.6 sends in the minute: 60 subscribers, 60 too many now
    assert capacity.headroom(demand, 1.0) == -60


def test_backlog_carries_over_and_late_sends_are_skipped_past_max_late() -> None:
    # 6000 sends at 10:00 at 1 msg/s, max 60 minutes late: 3600 go out, 2400 are skipped
    _, prediction = _run([(["10:00"], 0b1, "UTC", None, 6000)], 1.0, max_late_minutes=60)
    assert prediction.sent == pytest.approx(3600)
    assert prediction.skipped_too_late == pytest.approx(2400)
    assert prediction.skipped_closer_to_next == 0
    assert prediction.lateness_max_s == pytest.approx(3600)
    # FIFO: a later minute's sends wait behind the earlier backlog
    _, two = _run([(["10:00"], 0b1, "UTC", None, 90), (["10:01"], 0b1, "UTC", None, 30)], 1.0)
    assert two.backlog[600:602].tolist() == pytest.approx([90, 60])
    assert two.lateness_max_s == pytest.approx(60 + 30)  # 30 more behind 30 left over
    assert two.sent == pytest.approx(120)


def test_the_tick_delays_a_light_minute_by_a_uniform_phase() -> None:
    # One send due at 10:00 and a 5-second tick of unknown phase: it leaves when the first
    # tick at or after 10:00 claims it, uniformly 0 to 5 s late (averaged over the phases).
    rows: list[capacity.ScheduleRow] = [(["10:00"], 0b1, "UTC", None, 1)]
    _, instant = _run(rows, 30.0)
    assert instant.lateness_max_s == pytest.approx(1 / 30)
    for phases in (1, 5, 20):
        _, ticked = _run(rows, 30.0, tick_seconds=5.0, tick_phases=phases)
        assert ticked.sent == pytest.approx(1)
        assert ticked.lateness_p50_s == pytest.approx(2.5 + 1 / 60, abs=0.02)
        assert ticked.lateness_p99_s == pytest.approx(4.95, abs=0.05)
        assert ticked.lateness_max_s == pytest.approx(5 + 1 / 30)


def test_the_tick_hardly_matters_behind_a_backlog() -> None:
    # 3600 sends at 10:00 and 30 at 10:01, 30 msg/s: the 10:01 ones wait behind the backlog
    # whenever the tick claims them; only the backlog's own start moves by the phase.
    rows: list[capacity.ScheduleRow] = [
        (["10:00"], 0b1, "UTC", None, 3600),
        (["10:01"], 0b1, "UTC", None, 30),
    ]
    _, instant = _run(rows, 30.0)
    _, ticked = _run(rows, 30.0, tick_seconds=5.0)
    assert instant.lateness_p50_s == pytest.approx(60.25, abs=0.01)  # 1815th of 3630
    assert ticked.lateness_p50_s == pytest.approx(60.25 + 2.5, abs=0.3)
    assert ticked.lateness_max_s - instant.lateness_max_s == pytest.approx(5.0, abs=0.1)
    assert ticked.sent == pytest.approx(3630)


def test_a_tick_that_does_not_divide_the_minute_and_bad_ticks() -> None:
    # A 7-second tick: the phase within each minute differs, the average delay is still
    # half a tick for light minutes.
    rows: list[capacity.ScheduleRow] = [(["10:00", "11:00", "12:00"], 0b1, "UTC", None, 1)]
    _, ticked = _run(rows, 30.0, tick_seconds=7.0, tick_phases=7)
    assert float(
        np.average((ticked.lateness.low + ticked.lateness.high) / 2, weights=ticked.lateness.weight)
    ) == pytest.approx(3.5 + 1 / 60, abs=0.01)
    demand = capacity.demand(capacity.aggregate(rows, MONDAY))
    with pytest.raises(ValueError):
        capacity.simulate(demand, 30.0, tick_seconds=61)
    with pytest.raises(ValueError):
        capacity.simulate(demand, 30.0, tick_seconds=-1)


def test_a_slot_closer_to_the_next_one_is_skipped() -> None:
    # Each chat: 10:00 and 10:20. 3000 chats at 1 msg/s: a 10:00 send later than 10 minutes
    # (half the gap) is closer to 10:20 and skipped; the 10:20 ones then wait behind nothing.
    rows: list[capacity.ScheduleRow] = [(["10:00", "10:20"], 0b1, "UTC", None, 3000)]
    _, prediction = _run(rows, 1.0)
    assert prediction.skipped_closer_to_next == pytest.approx(3000 - 600)
    _, without = _run(rows, 1.0, skip_closer_to_next=False)
    assert without.skipped_closer_to_next == 0
    assert without.skipped_too_late > 0  # only the 60-minute rule is left
    assert without.skipped < prediction.skipped


def test_the_week_is_dst_correct() -> None:
    # Amsterdam springs forward on Sunday 29 March 2026: 10:00 local is 09:00 UTC before,
    # 08:00 UTC after; 02:30 does not exist that day and fires at 01:30 UTC, once, like 03:30.
    start = datetime(2026, 3, 23, tzinfo=UTC)
    rows: list[capacity.ScheduleRow] = [
        (["10:00"], ALL_DAYS, "Europe/Amsterdam", None, 1),
        (["02:30", "03:30"], ALL_DAYS, "Europe/Amsterdam", None, 1),
    ]
    demand = capacity.demand(capacity.aggregate(rows, start))
    per_minute = demand.per_minute()
    due = {start + timedelta(minutes=int(m)): per_minute[m] for m in np.flatnonzero(per_minute)}
    ten = sorted(at for at in due if at.minute == 0 and at.hour in (8, 9))
    assert [at.hour for at in ten] == [9] * 6 + [8]
    sunday = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert due[sunday] == 1  # 02:30 and 03:30 meet in one instant, sent once
    assert per_minute.sum() == 7 + 13


def _reference(rows: list[capacity.ScheduleRow], start: datetime) -> Counter[tuple[int, int]]:
    """Per subscriber, straight from timemath: (minute, gap to the next slot) -> sends."""
    end = start + timedelta(days=7)
    out: Counter[tuple[int, int]] = Counter()
    for times, days, tz_name, paused_until, count in rows:
        assert not isinstance(times, str)
        every = list(slots(times, days, tz_name, start.date() - timedelta(days=2), count_days=12))
        for slot, following in zip(every, [*every[1:], None][: len(every)], strict=True):
            if not start <= slot < end or (paused_until and slot < paused_until):
                continue
            gap = capacity.GAP_CAP
            if following is not None:
                gap = min(int((following - slot).total_seconds() // 60), capacity.GAP_CAP)
            out[(int((slot - start).total_seconds() // 60), gap)] += count
    return out


@pytest.mark.parametrize("start", [MONDAY, datetime(2026, 10, 21, 13, 7, tzinfo=UTC)])
def test_grouped_demand_equals_the_per_subscriber_computation(start: datetime) -> None:
    rng = random.Random(7)
    rows: list[capacity.ScheduleRow] = []
    for chat_id in range(400):
        if rng.random() < 0.6:
            times = default_times(chat_id % 40)
        else:
            times = [f"{rng.randrange(24):02d}:{rng.choice((0, 30, 45, 59)):02d}" for _ in range(3)]
        paused = None
        if rng.random() < 0.3:
            paused = start + timedelta(minutes=rng.randrange(-600, 12 * 1440))
        days = rng.choice((WORKDAYS, ALL_DAYS, 0b1000001, 0))
        rows.append((times, days, rng.choice(TZS), paused, 1))
    population = capacity.aggregate(rows, start)
    assert population.subscribers == 400
    assert len(population.groups) < 400  # identical schedules were grouped
    demand = capacity.demand(population)
    got = Counter(
        {
            (int(m), int(g)): round(float(s))
            for m, g, s in zip(demand.minute, demand.gap, demand.sends, strict=True)
        }
    )
    assert got == _reference(rows, start)


def test_pauses_follow_next_due() -> None:
    # A pause until 10:00:30 Tuesday skips Tuesday 10:00 (as next_due does) and keeps Wednesday's.
    paused = MONDAY + timedelta(days=1, hours=10, seconds=30)
    demand = capacity.demand(capacity.aggregate([(["10:00"], ALL_DAYS, "UTC", paused, 1)], MONDAY))
    first = MONDAY + timedelta(minutes=int(demand.minute.min()))
    assert first == next_due(
        times=["10:00"], days=ALL_DAYS, tz_name="UTC", after=MONDAY, paused_until=paused
    )


def test_summary_figures_scale_with_the_mix() -> None:
    rows: list[capacity.ScheduleRow] = [(["10:00", "14:00"], WORKDAYS, "UTC", None, 1000)]
    demand, prediction = _run(rows, 30.0)
    assert prediction.fits()
    more = capacity.headroom(demand, 30.0)
    assert more is not None and more > 0
    bigger = capacity.simulate(demand.scaled((1000 + more) / 1000), 30.0)
    assert bigger.fits()
    over = capacity.simulate(demand.scaled((1000 + more + 2) / 1000), 30.0)
    assert not over.fits()
    assert capacity.busiest_minutes(demand, 1) == [(MONDAY + timedelta(hours=10), 1000.0)]


def _week_load(rows: list[capacity.ScheduleRow]) -> np.ndarray:
    return capacity.weekly_load(rows, MONDAY)


def test_weekly_load_folds_the_week_onto_weekdays() -> None:
    start = MONDAY + timedelta(days=2, hours=12)  # a Wednesday noon: the week wraps around
    load = capacity.weekly_load(
        [(["10:00"], ALL_DAYS, "UTC", MONDAY + timedelta(days=30), 5)], start
    )
    assert load.shape == (7, 1440)
    assert load[:, 600].tolist() == [5.0] * 7  # the pause is left out on purpose
    assert load.sum() == 35


def test_load_aware_defaults_stay_in_the_window_and_are_stable() -> None:
    load = _week_load([(["10:00"], WORKDAYS, "Europe/Amsterdam", None, 500)])
    before = load.copy()
    for chat_id in range(200):
        times = load_aware_times(chat_id, load, "Europe/Amsterdam", WORKDAYS, week_of=MONDAY.date())
        assert times == load_aware_times(
            chat_id, load, "Europe/Amsterdam", WORKDAYS, week_of=MONDAY.date()
        )
        for got, base in zip(times, DEFAULT_TIMES, strict=True):
            distance = abs(int(got[:2]) * 60 + int(got[3:]) - int(base[:2]) * 60 - int(base[3:]))
            assert distance <= DEFAULT_WINDOW_MINUTES
        assert times[0] != "10:00"  # the one loaded minute is avoided
    np.testing.assert_array_equal(load, before)  # pure: nothing moved, chosen times included
    # on an empty bot, ties spread chats over the window by their id
    empty = np.zeros((7, 1440))
    firsts = {
        load_aware_times(c, empty, "UTC", WORKDAYS, week_of=MONDAY.date())[0] for c in range(300)
    }
    assert len(firsts) > 60


def test_overlapping_windows_never_give_one_minute_twice() -> None:
    # ±60: 13:30 and 15:30 share 14:30; load everywhere but there pulls both moments to it
    load = np.full((7, 1440), 100.0)
    load[:, 14 * 60 + 30 - 120] = 0  # 14:30 in Amsterdam in June is 12:30 UTC
    times = load_aware_times(
        1, load, "Europe/Amsterdam", WORKDAYS, window_minutes=60, week_of=MONDAY.date()
    )
    assert len(set(times)) == 3 and times == sorted(times)
    assert "14:30" in times


def test_load_aware_defaults_spread_demand_under_the_limit() -> None:
    # At 1 msg/s (60 a minute; 30 msg/s and 150,000 is the same at scale) 5,000 Amsterdam
    # subscribers on today's defaults overflow the 31-minute windows; placed one by one by
    # load, the 91-minute windows hold them.
    week_of = MONDAY.date()
    load = np.zeros((7, 1440))
    flat = load.ravel()
    count = 5_000
    chosen: Counter[tuple[int, ...]] = Counter()
    for chat_id in range(count):
        minutes = load_aware_minutes(chat_id, load, "Europe/Amsterdam", WORKDAYS, week_of=week_of)
        chosen[tuple(minutes)] += 1
        for minute in minutes:
            utc = (minute - 120) % 1440  # CEST in June
            flat[np.arange(5) * 1440 + utc] += 1
    assert load.max() <= 60
    assert load.max() - load[0, load[0] > 0].min() <= 1  # water-filled evenly
    rows = [([f"{m // 60:02d}:{m % 60:02d}" for m in k], WORKDAYS, "Europe/Amsterdam", None, n)
            for k, n in chosen.items()]  # fmt: skip
    _, aware = _run(rows, 1.0)
    today_rows: Counter[tuple[str, ...]] = Counter(tuple(default_times(c)) for c in range(count))
    _, today = _run(
        [(list(k), WORKDAYS, "Europe/Amsterdam", None, n) for k, n in today_rows.items()], 1.0
    )
    assert aware.fits() and aware.lateness_p99_s < 60
    assert not today.fits() and today.lateness_p99_s > 10 * aware.lateness_p99_s


def test_summary_line_in_both_languages() -> None:
    demand, prediction = _run([(["10:00"], WORKDAYS, "UTC", None, 100)], 30.0)
    more = capacity.headroom(demand, 30.0)
    en = capacity.summary_line(prediction, demand, more, "en")
    nl = capacity.summary_line(prediction, demand, more, "nl")
    assert en != nl
    assert more is not None and "30" in en and str(more) in en
    assert "\n" not in en and "\n" not in nl


# --- early start of crowded minutes (issue 20) -----------------------------------------------


def test_early_start_rule() -> None:
    from bot.scheduling.rules import early_start

    # 4800 sends at 50 msg/s take 96 s: start 48 s early, centred on the minute
    assert early_start(4800, 50, 60) == 48
    assert early_start(4800, 50, 30) == 30  # capped
    assert early_start(9000, 50, 60) == 60  # 180 s of sending: the cap again
    assert early_start(3000, 50, 60) == 0  # exactly 60 s: it fits, sent on time
    assert early_start(3001, 50, 60) == pytest.approx(30.01)
    assert early_start(4800, 50, 0) == 0  # switched off
    assert early_start(4800, 0, 60) == 0  # no pacing: nothing is crowded


def test_a_crowded_minute_starts_early_by_half_its_sending_time() -> None:
    # 4800 sends due Monday 10:00 UTC at 50 msg/s: 96 s of sending, so the minute starts
    # E = 4800 / (2 * 50) = 48 s early and its sends leave over [-48, +48] s around 10:00.
    rows: list[capacity.ScheduleRow] = [(["10:00"], 0b1, "UTC", None, 4800)]
    _, on_time = _run(rows, 50.0)
    assert on_time.lateness_max_s == pytest.approx(96)
    assert on_time.sent_early == 0 and on_time.earliness_max_s == 0
    _, early = _run(rows, 50.0, early_start_max_s=60)
    assert early.sent == pytest.approx(4800) and early.skipped == 0
    assert early.lateness_max_s == pytest.approx(48)  # D / (2 r): bounded
    assert early.earliness_max_s == pytest.approx(48)  # exactly E early at the start
    assert early.sent_early == pytest.approx(2400)  # half before 10:00, half after
    assert early.lateness_p50_s == pytest.approx(0, abs=0.01)  # an early send is 0 late
    assert early.lateness_p99_s == pytest.approx(-48 + 0.99 * 96, abs=0.01)
    assert early.earliness_p99_s == pytest.approx(-48 + 0.99 * 96, abs=0.01)
    assert early.early_start_max_s == 60
    # the backlog is counted at 10:00 as before (it joined the queue at 09:59:12)
    assert early.backlog[600] == pytest.approx(4800)
    # a lower cap: 30 s early, the rest trails the minute
    _, capped = _run(rows, 50.0, early_start_max_s=30)
    assert capped.earliness_max_s == pytest.approx(30)
    assert capped.lateness_max_s == pytest.approx(96 - 30)
    assert capped.sent_early == pytest.approx(1500)


def test_a_minute_that_fits_is_never_sent_early() -> None:
    # 3000 sends at 50 msg/s take exactly 60 s: on time, none early, whatever the cap
    rows: list[capacity.ScheduleRow] = [(["10:00"], 0b1, "UTC", None, 3000)]
    _, plain = _run(rows, 50.0)
    _, early = _run(rows, 50.0, early_start_max_s=60)
    assert early.sent_early == 0 and early.earliness_max_s == 0 and early.earliness_p99_s == 0
    assert early.lateness_max_s == pytest.approx(plain.lateness_max_s) == pytest.approx(60)
    assert early.lateness_p99_s == pytest.approx(plain.lateness_p99_s)


def test_an_early_minute_waits_behind_the_earlier_backlog() -> None:
    # 2400 due at 10:00 (48 s, fits: on time), then 4800 at 10:01 (crowded, E = 48 s): the
    # 10:01 sends may start at 10:00:12, which is when the 10:00 ones are done; due order holds.
    rows: list[capacity.ScheduleRow] = [
        (["10:00"], 0b1, "UTC", None, 2400),
        (["10:01"], 0b1, "UTC", None, 4800),
    ]
    _, prediction = _run(rows, 50.0, early_start_max_s=60)
    assert prediction.sent == pytest.approx(7200)
    assert prediction.earliness_max_s == pytest.approx(12)
    assert prediction.lateness_max_s == pytest.approx(96 - 12)
    assert prediction.sent_early == pytest.approx(600)


def test_skips_keep_their_deadline_from_the_due_minute_when_early() -> None:
    # 6000 due at 10:00 at 1 msg/s with a 60-minute maximum: the minute starts 60 s early, so
    # 3660 leave before the deadline (10:00 + 60 min) and 2340 are skipped, none lost silently.
    rows: list[capacity.ScheduleRow] = [(["10:00"], 0b1, "UTC", None, 6000)]
    _, prediction = _run(rows, 1.0, max_late_minutes=60, early_start_max_s=60)
    assert prediction.sent == pytest.approx(3660)
    assert prediction.skipped_too_late == pytest.approx(2340)
    assert prediction.lateness_max_s == pytest.approx(3600)
    assert prediction.sent_early == pytest.approx(60)


def test_early_start_beyond_a_minute_is_refused() -> None:
    demand = capacity.demand(capacity.aggregate([(["10:00"], 0b1, "UTC", None, 1)], MONDAY))
    with pytest.raises(ValueError, match="early start"):
        capacity.simulate(demand, 30.0, early_start_max_s=61)
