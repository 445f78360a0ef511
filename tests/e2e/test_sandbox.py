"""`rekpauze sandbox` as a newcomer scripts it: no token, no network."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tests.processes import run_cli


def sandbox(script: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_cli("sandbox", *args, cwd=cwd, input=script, timeout=90)


def test_scripted_sandbox_prints_replies_and_exits_0(tmp_path: Path) -> None:
    result = sandbox("/start\n/exercise\n", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Welkom bij Rekpauze, Sam!" in result.stdout
    # An exercise with numbered steps, a dosage line and its buttons, numbered to press.
    assert re.search(r"^  1\. .+\n  2\. .+", result.stdout, re.MULTILINE), result.stdout
    assert "Dosering:" in result.stdout
    assert re.search(r"\[1\] .+\[2\] ", result.stdout)
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []  # the temporary database is gone


def test_sandbox_in_english(tmp_path: Path) -> None:
    result = sandbox("/start\n", "--language", "en", "--name", "Bo", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Welcome to Rekpauze, Bo!" in result.stdout


def test_a_number_presses_a_button(tmp_path: Path) -> None:
    # /start offers the language buttons; "2" presses English, and the bot continues in it.
    result = sandbox("/start\n2\n", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Rekpauze (edited)" in result.stdout or "Step 2" in result.stdout
    assert "Step 2 of 3" in result.stdout
