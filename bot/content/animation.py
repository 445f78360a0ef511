"""Exercise animations for the bot: built once per pose file, cached on disk, checked.

`animation_path(exercise_id)` is what a handler or service calls: the MP4 (or GIF) of the
exercise's loop, rendered by bot.content.mannequin on first use and reused after, keyed by the
pose file's content and the renderer version; None when the exercise has no animation.
A miss renders for a second or two of CPU: call it off the event loop (asyncio.to_thread), or
build everything once at start-up with `ensure_all`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from bot.content.models import Catalogue, Exercise
from bot.paths import data_dir

#: Bump when the drawing or encoding changes: cached files are keyed by it.
RENDERER_VERSION = 2
SIZE = 480
FPS = 15
MAX_BYTES = 300_000

#: Exercises deliberately left without an animation, with the reason (shown by `rekpauze check`).
KNOWN_EXCLUSIONS: dict[str, str] = {
    "buikplank": (
        "the article shows the plank only in a photo and does not describe it (forearms or "
        "hands?), so any figure would add a position the article does not give"
    ),
    "zijplank": (
        "the article shows the side plank only in a photo and does not describe it, so any "
        "figure would add a position the article does not give"
    ),
}


def exclusion_reason(exercise: Exercise) -> str | None:
    """Why an exercise has no animation, or None when it must have one."""
    if exercise.id in KNOWN_EXCLUSIONS:
        return KNOWN_EXCLUSIONS[exercise.id]
    if getattr(exercise, "name_only", False):  # the catalogue's "described by name only"
        return "the article names this exercise without describing it"
    return None


def poses_dir() -> Path:
    return data_dir() / "poses"


def pose_path(exercise_id: str, directory: Path | None = None) -> Path:
    """Where an exercise's pose file is; here rather than in bot.content.poses, so deciding
    whether a card has an animation loads no pose models (they load when one is rendered)."""
    return (directory or poses_dir()) / f"{exercise_id}.yaml"


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "rekpauze" / "animations"


def cache_key(pose_file: Path) -> str:
    digest = hashlib.sha256(pose_file.read_bytes())
    digest.update(f"renderer-{RENDERER_VERSION}-{SIZE}-{FPS}".encode())
    return digest.hexdigest()[:16]


def _atomic_write(target: Path, write: Callable[[Path], None]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=target.suffix)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def has_animation(exercise_id: str, poses: Path | None = None) -> bool:
    """Whether the exercise has an animation (built or not), without rendering anything."""
    return exercise_id not in KNOWN_EXCLUSIONS and pose_path(exercise_id, poses).exists()


def animation_path(
    exercise_id: str, cache_dir: Path | None = None, fmt: str = "mp4", poses: Path | None = None
) -> Path | None:
    """The exercise's animation file, rendered on first use; None when it has no pose file."""
    if not has_animation(exercise_id, poses):
        return None
    source = pose_path(exercise_id, poses)
    cache_dir = cache_dir or default_cache_dir()
    target = cache_dir / f"{exercise_id}-{cache_key(source)}.{fmt}"
    if target.exists():
        return target
    from bot.content import mannequin  # numpy, Pillow and the encoder only when building
    from bot.content.poses import load_pose_file

    frames = mannequin.render_frames(load_pose_file(source))
    writer = mannequin.write_mp4 if fmt == "mp4" else mannequin.write_gif
    _atomic_write(target, lambda tmp: writer(frames, tmp))
    return target


def ensure_all(
    exercise_ids: Iterable[str], cache_dir: Path | None = None, fmt: str = "mp4"
) -> dict[str, Path]:
    """Build every missing animation once (at start-up or in `rekpauze check`)."""
    built: dict[str, Path] = {}
    for exercise_id in exercise_ids:
        path = animation_path(exercise_id, cache_dir, fmt)
        if path is not None:
            built[exercise_id] = path
    return built


def missing(exercise_ids: Iterable[str], cache_dir: Path, fmt: str = "mp4") -> list[str]:
    """The exercises whose animation is not built yet; reads the pose files, renders nothing."""
    return [
        eid
        for eid in exercise_ids
        if has_animation(eid)
        and not (cache_dir / f"{eid}-{cache_key(pose_path(eid))}.{fmt}").exists()
    ]


def main(argv: list[str] | None = None) -> int:
    """`python -m bot.content.animation CACHE_DIR [EXERCISE ...]`: build the missing animations.

    `rekpauze run` starts this in a child process after start-up, so the renderer's imports
    (numpy, Pillow, the encoder: tens of MB) leave with the child instead of staying in the bot.
    """
    import argparse

    from bot.content.loader import get_catalogue

    parser = argparse.ArgumentParser(prog="python -m bot.content.animation")
    parser.add_argument("cache_dir", type=Path)
    parser.add_argument("exercises", nargs="*", help="only these (default: the whole catalogue)")
    args = parser.parse_args(argv)
    wanted = args.exercises or [e.id for e in get_catalogue().exercises]
    todo = missing(wanted, args.cache_dir)
    ensure_all(todo, args.cache_dir)
    print(f"built {len(todo)} animation(s) in {args.cache_dir}")
    return 0


def animations_check(catalogue: Catalogue, cache_dir: Path | None = None) -> tuple[bool, str]:
    """`rekpauze check`'s line: every pose valid, exclusions named, encoder present, cache state.

    It does not render (that happens once, on first use or in `ensure_all`), so the check stays
    quick; the pose validation is what decides whether an animation may be shown at all.
    """
    from bot.content.pose_check import check_catalogue_poses

    report = check_catalogue_poses(catalogue)
    problems = [f"{eid}: {p}" for eid, lines in report.items() for p in lines]
    reasons = {e.id: exclusion_reason(e) for e in catalogue.exercises}
    animated = [eid for eid, lines in report.items() if not lines and reasons[eid] is None]
    excluded = {eid: reason for eid, reason in reasons.items() if reason is not None}
    try:
        import imageio_ffmpeg

        encoder = Path(imageio_ffmpeg.get_ffmpeg_exe()).exists()
    except (ImportError, RuntimeError):
        encoder = False
    if not encoder:
        problems.append("no ffmpeg binary: install imageio-ffmpeg")
    cache_dir = cache_dir or default_cache_dir()
    built = sum(
        1 for eid in animated if (cache_dir / f"{eid}-{cache_key(pose_path(eid))}.mp4").exists()
    )
    lines = [
        f"{len(animated)} valid, {built} built in {cache_dir}",
        *(f"excluded {eid}: {reason}" for eid, reason in excluded.items()),
        *problems,
    ]
    return not problems, "\n  ".join(lines)


if __name__ == "__main__":
    with contextlib.suppress(OSError):
        os.nice(10)  # behind the bot's own work on a small machine
    raise SystemExit(main())
