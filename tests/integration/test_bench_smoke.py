"""The throughput benchmark's core on a tiny burst, so the benchmark code cannot rot: every
chat gets its reminder exactly once through the live stand-in (no timing asserted)."""

from __future__ import annotations

from tests.bench.throughput import run_burst


async def test_a_small_burst_arrives_once_per_chat() -> None:
    result = await run_burst(50, limit=200, tick_seconds=0.2, settle=0.5)
    assert result["sends"] == 50
    assert result["lost"] == 0
    assert result["duplicates"] == 0
    assert result["db_statuses"] == {"sent": 50}
    assert len(result["series_sends_per_s"]) >= 1
