"""The start-up build: `python -m bot.content.animation` renders only what is missing, in a
child process, so the bot that sends cached files never imports the renderer."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bot.content.animation import cache_key, has_animation, missing, pose_path

ROOT = Path(__file__).resolve().parents[2]


def test_missing_names_unbuilt_animations_without_rendering(tmp_path: Path) -> None:
    assert missing(["childs-pose", "buikplank", "no-such-exercise"], tmp_path) == ["childs-pose"]
    assert not has_animation("buikplank")
    (tmp_path / f"childs-pose-{cache_key(pose_path('childs-pose'))}.mp4").write_bytes(b"x")
    assert missing(["childs-pose"], tmp_path) == []


def test_the_child_builds_the_missing_files(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot.content.animation", str(tmp_path), "childs-pose"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "built 1 animation(s)" in result.stdout
    [built] = tmp_path.glob("childs-pose-*.mp4")
    assert built.stat().st_size > 1000 and missing(["childs-pose"], tmp_path) == []
