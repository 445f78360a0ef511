"""`rekpauze` as a separate process, as an operator or a newcomer runs it: the one wrapper the
subprocess tests share, and a free loopback port for the processes' HTTP servers."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

from bot.sandbox.runner import free_port

__all__ = ["ROOT", "BotProcess", "cli_env", "free_port", "run_cli"]

ROOT = Path(__file__).resolve().parents[1]


def cli_env(**settings: str) -> dict[str, str]:
    """This environment without the tester's own bot settings, plus `settings`."""
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "DATABASE_", "WEBHOOK_"))
    }
    return base | {"PYTHONPATH": str(ROOT)} | settings


def run_cli(
    *args: str,
    cwd: Path,
    env: dict[str, str] | None = None,
    input: str | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """Run `rekpauze ARGS` to completion, with `env` on top of `cli_env()`."""
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        env=cli_env(**(env or {})),
        cwd=cwd,
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


class BotProcess:
    """`rekpauze run` in the background, its output in a log file (no pipe to fill up)."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None
        self._log_file: IO[bytes] | None = None

    @property
    def port(self) -> int:
        """The health and webhook server's port."""
        return int(self.env["HTTP_PORT"])

    def start(self) -> None:
        self._log_file = self.log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run"],
            env=self.env,
            cwd=self.log.parent,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    async def wait(self, seconds: float) -> int:
        """Wait for exit without blocking the loop the stand-in answers on."""
        assert self.proc is not None
        code = await asyncio.to_thread(self.proc.wait, seconds)
        self._close_log()
        return code

    async def terminate(self, limit: float) -> tuple[int, float]:
        """SIGTERM, as a service manager stops it; the exit code and how long it took."""
        started = time.monotonic()
        self.signal(signal.SIGTERM)
        code = await self.wait(limit)
        return code, time.monotonic() - started

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    async def wait_for_log(self, fragment: str, limit: float = 30.0) -> None:
        """Wait until the process logged `fragment`; fail at once if it exited."""
        deadline = time.monotonic() + limit
        while fragment not in self.output():
            assert self.proc is not None and self.proc.poll() is None, self.output()
            assert time.monotonic() < deadline, f"{fragment!r} not logged:\n{self.output()}"
            await asyncio.sleep(0.05)

    def stop(self) -> None:
        """Kill it if it still runs (a test's clean-up)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self._close_log()

    def _close_log(self) -> None:
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
