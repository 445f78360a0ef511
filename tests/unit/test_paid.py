"""Paid broadcasts (issue 20): when a reminder is flagged, the forecast the capacity model
hands the bot, and the settings that switch it on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from bot.config import ConfigError, load_settings
from bot.scheduling import capacity
from bot.scheduling.paid import LateMinutes, PaidBroadcasts

DUE = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def test_a_reminder_later_than_the_threshold_is_paid_and_one_on_time_is_not() -> None:
    rule = PaidBroadcasts(timedelta(seconds=60))
    assert not rule.pays(DUE, DUE + timedelta(seconds=5))
    assert not rule.pays(DUE, DUE + timedelta(seconds=60))  # "later than": not at it
    assert rule.pays(DUE, DUE + timedelta(seconds=61))
    assert rule.pays(DUE.replace(tzinfo=None), DUE + timedelta(minutes=45))  # SQLite's naive UTC


def test_a_predicted_late_minute_is_paid_from_its_first_second() -> None:
    start = datetime(2026, 11, 23, tzinfo=UTC)
    rule = PaidBroadcasts(
        timedelta(seconds=60), LateMinutes.from_runs(start, [[540, 545], [600, 600]])
    )
    assert rule.pays(DUE, DUE)  # 09:00 is minute 540: the wave is predicted
    assert rule.pays(DUE + 5 * MINUTE + timedelta(seconds=59), DUE + 6 * MINUTE)
    assert not rule.pays(DUE + 6 * MINUTE, DUE + 6 * MINUTE)  # 09:06: after the run
    assert not rule.pays(DUE - MINUTE, DUE - MINUTE)
    assert rule.pays(DUE + 60 * MINUTE, DUE + 60 * MINUTE)  # the one-minute run at 10:00
    assert not rule.pays(start - MINUTE, start)  # before the forecast's start


def test_late_runs_are_the_minutes_whose_backlog_takes_longer_than_the_threshold() -> None:
    # 30 msg/s: a backlog of 1,800 is 60 s of sending, 1,801 a little more.
    backlog = np.array([0, 1800, 1801, 5000, 900, 0, 0, 1900, 1900])
    found = capacity.simulate(capacity_demand(), 30.0)  # a real Prediction to reshape
    prediction = _with_backlog(found, backlog)
    assert capacity.late_runs(prediction, 60.0) == [(2, 3), (7, 8)]
    assert capacity.late_runs(prediction, 0.0) == [(1, 4), (7, 8)]
    assert capacity.late_runs(_with_backlog(found, np.zeros(5)), 60.0) == []


def capacity_demand() -> capacity.Demand:
    rows = [(["10:00"], 0b1111111, "Europe/Amsterdam", None, 3000)]
    return capacity.demand(capacity.aggregate(rows, DUE, minutes=120))


def _with_backlog(prediction: capacity.Prediction, backlog: np.ndarray) -> capacity.Prediction:
    from dataclasses import replace

    return replace(prediction, backlog=backlog.astype(float))


def test_the_model_predicts_a_wave_late_and_the_quiet_minutes_not() -> None:
    """3,000 due at 10:00 Amsterdam (09:00 UTC) at 30 msg/s take 100 s: the wave's minute and
    the next one are predicted later than 60 s (backlog 3,000, then 1,200 at 09:01), the
    rest of the horizon not."""
    demand = capacity_demand()
    prediction = capacity.simulate(demand, 30.0)
    runs = capacity.late_runs(prediction, 60.0)
    forecast = LateMinutes.from_runs(demand.start, runs)
    assert forecast.covers(DUE + timedelta(seconds=30))
    assert not forecast.covers(DUE + 2 * MINUTE)
    assert not forecast.covers(DUE - MINUTE)
    assert capacity.late_runs(capacity.simulate(demand, 200.0), 60.0) == []  # 15 s at 200/s


def test_paid_broadcasts_are_off_by_default_and_must_be_above_the_free_rate() -> None:
    settings = load_settings(_env_file=None)
    assert settings.paid_broadcast_rate == 0 and settings.paid_broadcast_after_seconds == 60
    assert load_settings(_env_file=None, PAID_BROADCAST_RATE="").paid_broadcast_rate == 0
    on = load_settings(_env_file=None, PAID_BROADCAST_RATE="200")
    assert on.paid_broadcast_rate == 200
    with pytest.raises(ConfigError, match="PAID_BROADCAST_RATE"):
        load_settings(_env_file=None, PAID_BROADCAST_RATE="30")
    with pytest.raises(ConfigError, match="PAID_BROADCAST_RATE"):
        load_settings(_env_file=None, PAID_BROADCAST_RATE="2000")  # Telegram's cap is 1000
    with pytest.raises(ConfigError, match="SEND_RATE_PER_SECOND"):
        load_settings(_env_file=None, PAID_BROADCAST_RATE="200", SEND_RATE_PER_SECOND="0")
