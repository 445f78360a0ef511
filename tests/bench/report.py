"""Draw docs/performance.png from the benchmarks' saved results (docs/benchmarks/*.json).

Left: sends per second during the throughput burst, against Telegram's 30/s limit. Middle:
lateness of reminders (distribution), for subscribers spread over an hour and for a burst.
Right (when scale results exist): process memory, ours against one job per subscriber.

    python tests/bench/report.py
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # this worktree's `bot`

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure

from tests.bench.common import RESULTS, ROOT


def load(name: str, results: Path) -> dict[str, Any] | None:
    path = results / name
    return json.loads(path.read_text()) if path.exists() else None


def draw(results: Path, out: Path) -> Path:
    throughput = load("throughput.json", results)
    punctuality = load("punctuality.json", results)
    scales = [s for s in (load(f"scale_{d}.json", results) for d in ("postgres", "sqlite")) if s]
    panels = 2 + bool(scales)
    fig = Figure(figsize=(5.2 * panels, 4.0), dpi=90, layout="constrained")
    axes = fig.subplots(1, panels)

    ax = axes[0]
    if throughput:
        series = throughput["series_sends_per_s"]
        full = series[:-1] if len(series) > 1 else series  # the last second is partial
        ax.step(
            range(len(full)),
            full,
            where="post",
            color="tab:blue",
            lw=1.2,
            label=f"sent: {throughput['achieved_per_s']}/s overall",
        )
        ax.axhline(
            throughput["limit_per_s"],
            color="tab:red",
            ls="--",
            lw=1,
            label=f"limit {throughput['limit_per_s']:.0f}/s",
        )
        ax.axhline(
            0.95 * throughput["limit_per_s"], color="tab:orange", ls=":", lw=1, label="95% target"
        )
        ax.set_ylim(0, throughput["limit_per_s"] * 1.25)
        ax.set_title(f"Throughput: {throughput['chats']:,} reminders due at once")
        ax.set_xlabel("seconds since the first send")
        ax.set_ylabel("messages per second (at the Bot API stand-in)")
        ax.legend(loc="lower center", fontsize=8)
        ax.grid(alpha=0.3)

    ax = axes[1]
    if punctuality:
        pct = list(range(101))
        spread = punctuality.get("series_spread_lateness_quantiles")
        burst = punctuality.get("series_burst_lateness_quantiles")
        if spread:
            info = punctuality["spread"]
            ax.plot(
                [max(v, 0.01) for v in spread],
                pct,
                color="tab:green",
                lw=1.5,
                label=f"{info['subscribers']:,} over an hour: p99 {info['lateness_p99_s']} s",
            )
            ax.axvline(
                info["target_p99_s"],
                color="tab:green",
                ls=":",
                lw=1,
                label=f"target p99 < {info['target_p99_s']:.0f} s (tick + 1 s)",
            )
        if burst:
            info = punctuality["burst"]
            ax.plot(
                [max(v, 0.01) for v in burst],
                pct,
                color="tab:purple",
                lw=1.5,
                label=f"{info['chats']:,} at once: last {info['completion_s']:.0f} s "
                f"(bound {info['bound_s']:.0f} s)",
            )
        ax.set_xscale("log")
        ax.set_xlim(0.2, 1000)
        ax.set_xlabel("lateness: arrival - due (s)")
        ax.set_ylabel("percent of reminders arrived")
        ax.set_title("Punctuality")
        ax.legend(loc="lower right", fontsize=8)
        ax.grid(alpha=0.3)

    if scales:
        ax = axes[2]
        for scale, marker in zip(scales, ("o", "s"), strict=False):
            rows = [r for r in scale["rows"] if r["subscribers"]]
            n = [r["subscribers"] for r in rows]
            ax.plot(
                n,
                [r["rss_mb"] for r in rows],
                marker=marker,
                color="tab:blue",
                label=f"ours ({scale['db']})",
            )
            base = [r["baseline"] for r in rows]
            ax.plot(
                n,
                [b["rss_mb"] for b in base],
                marker=marker,
                color="tab:red",
                ls="--",
                label=f"one run_daily job per time ({scale['db']})",
            )
            for x, b in zip(n, base, strict=True):
                if not b["measured"]:
                    ax.annotate(
                        "extrapolated",
                        (x, b["rss_mb"]),
                        fontsize=7,
                        textcoords="offset points",
                        xytext=(-60, -12),
                    )
        ax.axhline(200, color="tab:orange", ls=":", lw=1, label="target 200 MB")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("subscribers")
        ax.set_ylabel("bot process RSS after start-up (MB)")
        ax.set_title("Memory")
        ax.legend(loc="upper left", fontsize=8)
        ax.grid(alpha=0.3, which="both")

    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", type=Path, default=RESULTS, help="where the JSON files are")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "performance.png")
    args = parser.parse_args(argv)
    path = draw(args.results, args.out)
    print(json.dumps({"chart": str(path), "bytes": path.stat().st_size}))


if __name__ == "__main__":
    main()
