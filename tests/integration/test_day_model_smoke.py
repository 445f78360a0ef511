"""tests/bench/day.py on a small population, so the benchmark cannot rot: every scenario's
keys, reminders accounted for, and load-aware placement never worse than today's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.bench import day


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


def test_live_mode_says_it_is_not_there_yet(capsys: pytest.CaptureFixture[str]) -> None:
    assert day.main(["--live", "--subscribers", "10"]) == 2
    assert "not implemented" in capsys.readouterr().err
