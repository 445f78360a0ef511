"""Rendering: deterministic, small, H.264 without audio, cached once per pose file."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest

from bot.content import mannequin
from bot.content.animation import (
    MAX_BYTES,
    SIZE,
    animation_path,
    animations_check,
    exclusion_reason,
    pose_path,
)
from bot.content.loader import load_catalogue
from bot.content.mannequin import ACCENT, BACKGROUND, render_frames, write_gif, write_mp4
from bot.content.poses import load_pose_file, timeline

# The longest loop, and the one front-view exercise.
LONGEST = "kattenrug-holrug"


@pytest.fixture(scope="module")
def frames() -> list[np.ndarray]:
    return render_frames(load_pose_file(pose_path(LONGEST)))


def probe(path: Path) -> str:
    result = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(path)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    return result.stderr


def test_frames_are_square_rgb_and_deterministic(frames: list[np.ndarray]) -> None:
    again = render_frames(load_pose_file(pose_path(LONGEST)))
    assert len(frames) == len(again) == len(timeline(load_pose_file(pose_path(LONGEST)), 15))
    assert frames[0].shape == (SIZE, SIZE, 3) and frames[0].dtype == np.uint8
    assert all(np.array_equal(a, b) for a, b in zip(frames, again, strict=True))


def test_frames_are_anti_aliased_on_a_light_background(frames: list[np.ndarray]) -> None:
    middle = frames[len(frames) // 2]
    assert tuple(middle[5, SIZE // 2]) == BACKGROUND
    assert sum(BACKGROUND) / 3 > 200
    # Edges blend figure and background: many in-between colours, not a handful of flat ones.
    assert len(np.unique(middle.reshape(-1, 3), axis=0)) > 100


def test_a_hold_shows_the_timer_and_a_movement_does_not() -> None:
    p = load_pose_file(pose_path("staande-bekkenrek"))
    rendered = render_frames(p, fps=5)  # the timer does not depend on the frame rate
    marks = [bool(np.all(f == ACCENT, axis=-1).any()) for f in rendered]
    holding = [f.hold_progress is not None for f in timeline(p, 5)]
    # The ring's progress arc is drawn in the accent colour, which nothing else uses here.
    assert [m for m, h in zip(marks, holding, strict=True) if not h] == [False] * holding.count(
        False
    )
    assert sum(m for m, h in zip(marks, holding, strict=True) if h) >= holding.count(True) - 1


def test_mp4_is_h264_without_audio_small_and_byte_identical(
    tmp_path: Path, frames: list[np.ndarray]
) -> None:
    first, second = tmp_path / "a.mp4", tmp_path / "b.mp4"
    write_mp4(frames, first)
    write_mp4(frames, second)
    assert first.read_bytes() == second.read_bytes()
    assert 1000 < first.stat().st_size < MAX_BYTES
    info = probe(first)
    assert re.search(r"Video: h264 .*yuv420p.*480x480", info), info
    assert "Audio:" not in info
    assert re.search(r"\b15 fps\b", info)


def test_gif_fallback_is_small_and_deterministic(tmp_path: Path, frames: list[np.ndarray]) -> None:
    first, second = tmp_path / "a.gif", tmp_path / "b.gif"
    write_gif(frames, first)
    write_gif(frames, second)
    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes()[:6] == b"GIF89a"
    assert first.stat().st_size < MAX_BYTES


def test_front_view_exercise_renders_under_the_limit(tmp_path: Path) -> None:
    path = animation_path("zijwaartse-rek", tmp_path)
    assert path is not None and path.suffix == ".mp4"
    assert path.stat().st_size < MAX_BYTES
    assert "Audio:" not in probe(path)


def test_animation_is_built_once_and_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    poses = tmp_path / "poses"
    poses.mkdir()
    # A real pose file with its timing shortened, so that rendering it twice stays quick.
    text = pose_path("bekkenkanteling").read_text()
    (poses / "bekkenkanteling.yaml").write_text(
        re.sub(r"\b(move|pause|return_move): [0-9.]+", r"\1: 0.2", text)
    )
    cache = tmp_path / "cache"
    built = animation_path("bekkenkanteling", cache, poses=poses)
    assert built is not None and built.exists()

    def no_render(*_: object) -> None:
        raise AssertionError("rendered again although the file is cached")

    monkeypatch.setattr(mannequin, "render_frames", no_render)
    assert animation_path("bekkenkanteling", cache, poses=poses) == built
    # Another pose file means another animation: the cache key follows the file's content.
    source = poses / "bekkenkanteling.yaml"
    source.write_text(source.read_text().replace("pause: 0.2", "pause: 0.3", 1))
    monkeypatch.undo()
    rebuilt = animation_path("bekkenkanteling", cache, poses=poses)
    assert rebuilt is not None and rebuilt != built and rebuilt.exists()
    assert list(cache.glob("*.tmp*")) == [] and len(list(cache.iterdir())) == 2


def test_no_animation_for_excluded_or_unknown_exercises(tmp_path: Path) -> None:
    assert animation_path("buikplank", tmp_path) is None
    assert animation_path("no-such-exercise", tmp_path) is None
    assert not tmp_path.exists() or list(tmp_path.iterdir()) == []


def test_check_line_reports_validity_and_exclusions(tmp_path: Path) -> None:
    catalogue = load_catalogue()
    ok, detail = animations_check(catalogue, tmp_path)
    assert ok, detail
    animated = [e.id for e in catalogue.exercises if exclusion_reason(e) is None]
    assert detail.startswith(f"{len(animated)} valid, 0 built in")
    assert "excluded buikplank:" in detail


def test_the_cache_api_loads_no_renderer_until_it_builds() -> None:
    """A bot that only sends cached animations carries neither numpy nor Pillow nor ffmpeg,
    nor the pose models: deciding that a card has an animation reads no pose file."""
    probe = (
        "import sys, bot.content.animation as a\n"
        "assert a.has_animation('bruggetje') and not a.has_animation('buikplank')\n"
        "heavy = {'numpy', 'PIL', 'imageio_ffmpeg', 'bot.content.mannequin', 'bot.content.poses'}\n"
        "print(sorted(heavy & set(sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert out.strip() == "[]"
