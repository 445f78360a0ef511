"""tests/bench/day.py on a small population, so the benchmark cannot rot: every scenario's
keys, reminders accounted for, and load-aware placement never worse than today's; --live's
core through the real bot and the stand-in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.bench import day, day_live


def test_model_scenarios_account_for_every_reminder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, chart = tmp_path / "day.json", tmp_path / "day.png"
    argv = ["--model", "--subscribers", "3000", "--rates", "1,5", "--out", str(out)]
    assert day.main([*argv, "--chart", str(chart)]) == 0
    last = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert last == {k: v for k, v in json.loads(out.read_text()).items() if "series_" not in k}
    scenarios = {
        (s["scheme"], s["limit_per_s"], s["early_start_max_s"]): s for s in last["scenarios"]
    }
    assert set(scenarios) == {(s, r, e) for s in day.SCHEMES for r in (1.0, 5.0) for e in (0, 60)}
    for s in scenarios.values():
        assert s["subscribers"] == 3000
        assert abs(s["sent"] + s["skipped"] - s["reminders_due"]) <= 1
        assert s["lateness_p50_s"] <= s["lateness_p99_s"] <= s["lateness_max_s"]
        assert s["earliness_p99_s"] <= s["earliness_max_s"] <= s["early_start_max_s"]
        assert s["sent_early"] <= s["sent"]
    assert (
        scenarios[("load_aware", 1.0, 0)]["busiest_minute_sends"]
        <= scenarios[("today", 1.0, 0)]["busiest_minute_sends"]
    )
    # Early start: nothing early on time; at 5 msg/s (300 a minute) no minute of 3000
    # subscribers is crowded, at 1 msg/s some are, and their lateness can only shrink.
    assert all(s["sent_early"] == 0 for (_, _, e), s in scenarios.items() if e == 0)
    for scheme in day.SCHEMES:
        assert scenarios[(scheme, 5.0, 60)]["sent_early"] == 0
        assert scenarios[(scheme, 1.0, 60)]["sent_early"] > 0
        on_time, early = scenarios[(scheme, 1.0, 0)], scenarios[(scheme, 1.0, 60)]
        assert early["lateness_max_s"] <= on_time["lateness_max_s"]
    fitting, on_time_fit = last["largest_fitting"], last["largest_fitting_on_time"]
    assert (fitting["early_start_max_s"], on_time_fit["early_start_max_s"]) == (60, 0)
    for found in (fitting, on_time_fit):
        assert found["load_aware"]["subscribers"] >= found["today"]["subscribers"]
    assert chart.read_bytes().startswith(b"\x89PNG")


async def test_a_live_day_sends_every_reminder_once_within_the_limit() -> None:
    # 60 subscribers of the mix through the real bot and the stand-in on the event clock:
    # every slot of the day sent once, none refused, never faster than the limiter's pace.
    mix = day.Mix(60, seed=3)
    rows = mix.rows("today")
    measured = await day_live.run_live(
        rows, mix.start, limit=30.0, tick=5.0, seed_value=3, own_process=False
    )
    predicted = day_live.model_day(rows, mix.start, day_live.effective_rate(30.0), max_late=60)
    assert measured["reminders_due"] == predicted["reminders_due"] > 100
    assert measured["sent"] == measured["reminders_due"]
    assert measured["delivery_rows"] == {"sent": measured["sent"]}
    assert (measured["duplicates"], measured["sent_not_seen"], measured["http_429"]) == (0, 0, 0)
    assert measured["forced_advances"] == 0
    # a send waits for its tick (at most 5 s) and for those due with it, never less than 0
    assert 0 <= measured["lateness_p50_s"] <= measured["lateness_max_s"] < 5 + 20 / 29.4
    for minute in measured["busiest_minutes_rate_per_s"]:
        assert minute["rate_per_s"] is None or minute["rate_per_s"] <= 29.4 * 1.001
