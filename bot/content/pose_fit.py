"""Authoring aid: nudge a keyframe's free angles until its declared contacts touch.

Writing a pose by hand gets the shape right but rarely puts a heel, a knee and a hand on the
floor within the validator's two centimetres at once. `fit_keyframe` moves the root and the
angles it is allowed to (for example ``["root", "both.hip", "right.knee"]``) by a simple
coordinate descent: contacts onto their surfaces, optional target points, nothing sunk, angles in
range. Usage: ``python -m bot.content.pose_fit data/poses/<id>.yaml 2 root both.hip`` refits
keyframe 2 and prints it as YAML to paste back; the validator stays the judge.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import yaml

from bot.content.pose_check import RANGES, ROLL_RANGE, surface_gap
from bot.content.poses import (
    ROLLER_RADIUS,
    SIDES,
    Figure,
    Keyframe,
    PoseFile,
    figure,
    load_pose_file,
)

Target = tuple[float | None, float | None]


def _get(values: dict[str, object], name: str) -> float:
    if name in ("root.x", "root.y"):
        root = values["root"]
        assert isinstance(root, list)
        return float(root[0 if name == "root.x" else 1])
    angles = values["angles"]
    assert isinstance(angles, dict)
    side, _, joint = name.rpartition(".")
    if side in ("left", "right", "both"):
        limb = angles[side if side != "both" else "left"]
        return float(limb.get(joint, 0.0))
    return float(angles.get(name, 0.0))


def _set(values: dict[str, object], name: str, value: float) -> None:
    if name in ("root.x", "root.y"):
        root = values["root"]
        assert isinstance(root, list)
        root[0 if name == "root.x" else 1] = value
        return
    angles = values["angles"]
    assert isinstance(angles, dict)
    side, _, joint = name.rpartition(".")
    if side in ("left", "right", "both"):
        for limb in SIDES if side == "both" else (side,):
            angles.setdefault(limb, {})[joint] = value
    else:
        angles[name] = value


def _sunk(fig: Figure, pose: PoseFile) -> float:
    """How deep body parts are in the floor or the roller, smoothly (a descent needs slopes)."""
    if fig.view == "top":
        depths = [max(c.radius - c.za, c.radius - c.zb) for c in fig.capsules.values()]
    else:
        depths = [r - y for _, (_x, y), r in fig.circles()]
        for prop in pose.props:
            if prop.kind == "foam_roller":
                depths += [
                    ROLLER_RADIUS + r - math.dist(c, (prop.x, ROLLER_RADIUS))
                    for _, c, r in fig.circles()
                ]
    return sum((max(0.0, d) * 30) ** 2 for d in depths)


def _cost(pose: PoseFile, key: Keyframe, targets: Mapping[str, Target]) -> float:
    fig = figure(key.angles, key.root, pose.view, key.belly)
    total = 0.0
    for part, surface in key.contacts.items():
        gap = surface_gap(fig, part, surface, pose.props) or 0.0
        total += (gap * 10) ** 2
    for part, (tx, ty) in targets.items():
        (x, y), _ = fig.part(part) if part != "root" else (fig.joints["root"], 0.0)
        total += ((x - tx) * 10) ** 2 if tx is not None else 0.0
        total += ((y - ty) * 10) ** 2 if ty is not None else 0.0
    total += _sunk(fig, pose)
    ranges = RANGES[pose.view]
    for side in SIDES:
        for joint, value in key.angles.side(side).model_dump().items():
            low, high = ranges[joint]
            total += (max(0.0, low - value, value - high) * 3) ** 2
    low, high = ROLL_RANGE if pose.view == "top" else (0.0, 0.0)
    total += (max(0.0, low - key.angles.roll, key.angles.roll - high) * 3) ** 2
    return total


def fit_keyframe(
    pose: PoseFile,
    key: Keyframe,
    free: Sequence[str],
    targets: Mapping[str, Target] | None = None,
    rounds: int = 400,
) -> Keyframe:
    """The keyframe with its free values (``root`` = both root coordinates) fitted."""
    names = [n for f in free for n in (("root.x", "root.y") if f == "root" else (f,))]
    values: dict[str, object] = key.model_dump()
    values["root"] = list(key.root)
    targets = targets or {}

    def build() -> Keyframe:
        return Keyframe.model_validate(values)

    best = _cost(pose, key, targets)
    steps = {n: 0.05 if n.startswith("root") else 8.0 for n in names}
    for _ in range(rounds):
        improved = False
        for name in names:
            for sign in (1.0, -1.0):
                old = _get(values, name)
                _set(values, name, old + sign * steps[name])
                cost = _cost(pose, build(), targets)
                if cost < best - 1e-12:
                    best, improved = cost, True
                else:
                    _set(values, name, old)
        if not improved:
            steps = {n: s / 2 for n, s in steps.items()}
            if max(steps.values(), default=0.0) < 1e-4:
                break
    return build()


def _rounded(value: object) -> object:
    if isinstance(value, float):
        return round(value, 3 if abs(value) < 2 else 1)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_rounded(v) for v in value]
    return value


def main(argv: Sequence[str]) -> int:
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    pose = load_pose_file(Path(argv[0]))
    index = int(argv[1]) - 1
    fitted = fit_keyframe(pose, pose.keyframes[index], argv[2:])
    data = fitted.model_dump(exclude_defaults=True)
    print(yaml.safe_dump([_rounded(data)], sort_keys=False, default_flow_style=None), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
