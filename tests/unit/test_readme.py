"""The README's quick start is what CI runs."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_ci_runs_the_readme_test_command_word_for_word() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    match = re.search(r'^TEST_CMD="(.+)"$', ci, re.MULTILINE)
    assert match, "TEST_CMD not found in .ci/run"
    assert match.group(1) in (ROOT / "README.md").read_text()
