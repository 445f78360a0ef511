"""Footprint: how fast the CLI answers and how much memory the running bot holds.

Measured in one run, against the same interpreter:
- `rekpauze --help` wall time, median of --repeat runs, as a ratio to `python -c pass`
  (runs alternate, so a busy moment of the machine hits both alike);
- `rekpauze run` as a separate process against the Bot API stand-in (bot.sandbox.server) on
  loopback, a fresh SQLite file: its RSS (psutil) once /readyz answers 200 and the first
  getUpdates has arrived, and again after a first conversation (/start, /exercise);
- the first /stats chart (matplotlib is imported on first use) and the first shared location
  (tzfpy's index loads on first use): seconds from the user's message reaching the stand-in
  to the bot's answer being stored there, and the CPU seconds the bot used meanwhile (all
  threads; what the wall time comes to on an idle machine, less the waiting); and the RSS
  after both.

    python tests/bench/footprint.py --runs 3 --out docs/benchmarks/footprint.json

With --runs N the bot part runs N times (a fresh database each time) and every figure is the
median of the runs, which are listed too, each with the 1-minute load average at its end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # this worktree's `bot`

import aiohttp
import psutil

from bot.sandbox.runner import SANDBOX_TOKEN
from bot.sandbox.server import BotAPIServer
from tests.bench.common import ROOT, emit, machine, print_table

MB = 2**20
CLI = Path(sys.executable).with_name("rekpauze")


def timed(argv: list[str]) -> float:
    env = os.environ | {"PYTHONPATH": str(ROOT)}  # this tree's `bot`, not an installed one
    start = time.perf_counter()
    subprocess.run(argv, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def help_ratio(repeat: int) -> dict[str, float]:
    bare, helps = [], []
    command = [str(CLI)] if CLI.exists() else [sys.executable, "-m", "bot.cli"]
    for _ in range(repeat):
        bare.append(timed([sys.executable, "-c", "pass"]))
        helps.append(timed([*command, "--help"]))
    python_s, help_s = statistics.median(bare), statistics.median(helps)
    return {
        "python_pass_s": round(python_s, 3),
        "help_s": round(help_s, 3),
        "help_ratio": round(help_s / python_s, 2),
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def ready(port: int, proc: subprocess.Popen[bytes], wait_s: float = 60) -> None:
    deadline = time.monotonic() + wait_s
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"rekpauze run exited with {proc.returncode}")
            try:
                async with session.get(f"http://127.0.0.1:{port}/readyz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise TimeoutError("/readyz never answered 200")


async def answer_after(
    server: BotAPIServer, user: Any, send: Any, predicate: Any, wait_s: float = 30
) -> float:
    """Seconds from the user's message to the bot's matching answer."""
    start = time.perf_counter()
    await send()
    await server.wait_for_message(user, predicate, timeout=wait_s)
    return time.perf_counter() - start


def cpu_seconds(process: psutil.Process) -> float:
    """CPU time the bot has used so far, all threads: unlike the wall time of an answer, it
    does not grow with what else the machine runs."""
    times = process.cpu_times()
    return float(times.user + times.system)


async def run_bot(tmp: Path) -> dict[str, Any]:
    server = BotAPIServer(SANDBOX_TOKEN)
    await server.start()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    env.update(
        PYTHONPATH=str(ROOT),
        TELEGRAM_BOT_TOKEN=SANDBOX_TOKEN,
        TELEGRAM_API_BASE_URL=server.base_url,
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp / 'footprint.sqlite3'}",
        HTTP_HOST="127.0.0.1",
        HTTP_PORT=str(port),
        LOG_LEVEL="WARNING",
    )
    log = (tmp / "bot.log").open("wb")
    proc = subprocess.Popen(  # noqa: ASYNC220 - started once; the stand-in keeps serving
        [sys.executable, "-m", "bot.cli", "run"], env=env, cwd=tmp, stdout=log, stderr=log
    )
    result: dict[str, Any] = {}
    try:
        started = time.perf_counter()
        await ready(port, proc)
        # Start-up ends when /readyz answers: the stand-in records a getUpdates only once it is
        # answered, and the first long poll of an idle bot waits its whole timeout (10 s).
        result["startup_s"] = round(time.perf_counter() - started, 2)
        while not server.calls_to("getUpdates"):  # noqa: ASYNC110 - polling the record
            await asyncio.sleep(0.05)
        await asyncio.sleep(1.0)  # let the first tick and the start-up settle
        process = psutil.Process(proc.pid)
        result["rss_startup_mb"] = round(process.memory_info().rss / MB, 1)

        user = server.add_user("Anke", language_code="nl")
        await answer_after(
            server, user, lambda: server.send_text(user, "/start"), lambda m: "1 van 3" in m.content
        )
        start = server.messages(user)[-1]
        for data, expect in (("ob:l:nl", "2 van 3"), ("ob:z:ams", "3 van 3"), ("ob:c", "")):
            query = await server.press_button(user, start, data)  # onboarding, by its buttons
            await server.wait_for_answer(query, timeout=30)
            if expect:
                await server.wait_until(lambda e=expect: e in start.content, timeout=30)
        await answer_after(
            server,
            user,
            lambda: server.send_text(user, "/oefening"),
            lambda m: any("ex:d:" in b.get("callback_data", "") for r in m.buttons for b in r),
        )
        await asyncio.sleep(0.5)
        result["rss_after_conversation_mb"] = round(process.memory_info().rss / MB, 1)

        card = next(
            m
            for m in reversed(server.messages(user))
            if any("ex:d:" in b.get("callback_data", "") for r in m.buttons for b in r)
        )
        done = next(
            b["callback_data"]
            for row in card.buttons
            for b in row
            if b.get("callback_data", "").startswith("ex:d:")
        )
        query = await server.press_button(user, card, done)
        await server.wait_for_answer(query, timeout=30)
        cpu = cpu_seconds(process)
        result["first_chart_s"] = round(
            await answer_after(
                server,
                user,
                lambda: server.send_text(user, "/voortgang"),
                lambda m: m.photo is not None,
            ),
            3,
        )
        result["first_chart_cpu_s"] = round(cpu_seconds(process) - cpu, 3)
        cpu = cpu_seconds(process)
        result["first_location_s"] = round(
            await answer_after(
                server,
                user,
                lambda: server.send_location(user, 52.37, 4.90),
                lambda m: "Amsterdam" in m.content,
            ),
            3,
        )
        result["first_location_cpu_s"] = round(cpu_seconds(process) - cpu, 3)
        await asyncio.sleep(0.5)
        result["rss_after_chart_and_location_mb"] = round(process.memory_info().rss / MB, 1)
    except TimeoutError:
        print((tmp / "bot.log").read_text()[-3000:], file=sys.stderr)
        raise
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        await server.stop()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs of each CLI timing")
    parser.add_argument(
        "--runs", type=int, default=1, help="bot runs; the figures are their medians"
    )
    parser.add_argument("--out", help="also write the JSON result to this file")
    args = parser.parse_args()
    result: dict[str, Any] = {"benchmark": "footprint"}
    result |= help_ratio(args.repeat)
    runs: list[dict[str, Any]] = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="rk-footprint-") as tmp:
            runs.append(
                asyncio.run(run_bot(Path(tmp))) | {"load_avg_1m": round(os.getloadavg()[0], 2)}
            )
    for key in runs[0]:
        result[key] = round(statistics.median(run[key] for run in runs), 3)
    if args.runs > 1:
        result["runs"] = runs
    result["machine"] = machine()
    print_table(
        "Footprint",
        [
            ("python -c pass (median)", f"{result['python_pass_s']} s"),
            ("rekpauze --help (median)", f"{result['help_s']} s = x{result['help_ratio']}"),
            (f"bot runs (medians below; load average {result['load_avg_1m']})", args.runs),
            ("run: start-up to /readyz", f"{result['startup_s']} s"),
            ("run: RSS after start-up", f"{result['rss_startup_mb']} MB"),
            ("run: RSS after /start, /oefening", f"{result['rss_after_conversation_mb']} MB"),
            (
                "first /stats chart (bot's CPU)",
                f"{result['first_chart_s']} s ({result['first_chart_cpu_s']} s)",
            ),
            (
                "first shared location (bot's CPU)",
                f"{result['first_location_s']} s ({result['first_location_cpu_s']} s)",
            ),
            ("RSS after chart and location", f"{result['rss_after_chart_and_location_mb']} MB"),
        ],
    )
    emit(result, args.out)


if __name__ == "__main__":
    main()
