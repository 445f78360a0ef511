"""Pose validator: is each keyframe a body a person can take, doing what its step says?

Pure functions over pose files and the catalogue, used by the tests and `rekpauze check`. They
answer with readable problem lines (empty list = valid) rather than raising, so one run shows
every problem. Geometry comes from the same forward kinematics the renderer draws.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

from bot.content.animation import exclusion_reason, pose_path
from bot.content.models import Catalogue, Exercise
from bot.content.poses import (
    CHAIR_SEAT_HEIGHT,
    MAT_THICKNESS,
    PARTS,
    ROLLER_RADIUS,
    SIDES,
    Figure,
    Keyframe,
    LimbAngles,
    PoseError,
    PoseFile,
    PropSpec,
    keyframe_figure,
    load_pose_file,
    step_is_timed,
    timeline,
)

#: How far (metres) a supporting part may be from its surface, and a body part inside one.
CONTACT_TOLERANCE = 0.02
SINK_TOLERANCE = 0.02
#: In-between frames are checked for sinking with a little more slack (the eased motion).
MOTION_SINK_TOLERANCE = 0.035
LENGTH_TOLERANCE = 1e-6

#: Active ranges of motion (degrees) per view: outside these no person gets.
RANGES: dict[str, dict[str, tuple[float, float]]] = {
    "side": {
        "spine": (-30, 45),
        "neck": (-50, 60),
        "shoulder": (-60, 180),
        "elbow": (0, 150),
        "hip": (-30, 150),
        "knee": (0, 155),
        "ankle": (-70, 30),  # passive plantarflexion when kneeling on the feet
    },
    "top": {
        "spine": (-10, 10),
        "neck": (-30, 30),
        "shoulder": (-10, 180),
        "elbow": (0, 150),
        "hip": (0, 140),
        "knee": (0, 155),
        "ankle": (-70, 30),
    },
    "front": {
        "spine": (-40, 40),
        "neck": (-40, 40),
        "shoulder": (-10, 180),
        "elbow": (0, 150),
        "hip": (-10, 45),
        "knee": (0, 10),
        "ankle": (-20, 20),
    },
}

#: Top view: how far bent knees can fall to one side while the shoulders stay flat.
ROLL_RANGE = (-70.0, 70.0)

#: Which way the trunk lies for a catalogue position (side view): (trunk range, belly faces).
POSITION_TRUNK: dict[str, tuple[tuple[float, float], str | None]] = {
    "standing": ((-30, 30), None),
    "seated": ((-40, 40), None),
    "kneeling": ((-40, 130), None),
    "lying_back": ((-120, -60), "up"),
    "prone": ((60, 120), "down"),
    "hands_and_knees": ((60, 120), "down"),
    "side": ((-120, 120), None),
}

_SIDE_WORDS = {
    "left_arm": (r"\bleft arm\b", r"\blinkerarm\b"),
    "right_arm": (r"\bright arm\b", r"\brechterarm\b"),
    "left_leg": (r"\bleft leg\b", r"\blinkerbeen\b"),
    "right_leg": (r"\bright leg\b", r"\brechterbeen\b"),
}
_OPPOSITE = {"left_arm": "right_arm", "right_arm": "left_arm", "left_leg": "right_leg"}
_OPPOSITE["right_leg"] = "left_leg"


def surface_gap(fig: Figure, part: str, surface: str, props: Iterable[PropSpec]) -> float | None:
    """Signed distance from a part to the surface (+ above/away, - inside); None if no such prop."""
    centre, radius = fig.part(part)
    x, y = centre
    if fig.view == "top":  # seen from above: heights are kept apart from the picture
        return fig.height(part) - radius if surface == "floor" else None
    if surface == "floor":
        return y - radius
    for prop in props:
        if prop.kind != surface:
            continue
        if surface == "mat":
            return y - radius - MAT_THICKNESS
        if surface == "chair":
            return y - radius - CHAIR_SEAT_HEIGHT
        if surface == "wall":
            return abs(prop.x - x) - radius
        if surface == "foam_roller":
            return math.dist(centre, (prop.x, ROLLER_RADIUS)) - radius - ROLLER_RADIUS
    return None


def sinking(fig: Figure, props: Iterable[PropSpec], tolerance: float) -> list[str]:
    """Body parts inside the floor, the mat, the chair seat or the roller."""
    props = list(props)
    problems: list[str] = []
    seen: set[str] = set()
    if fig.view == "top":
        for capsule in fig.capsules.values():
            depth = max(capsule.radius - capsule.za, capsule.radius - capsule.zb)
            if depth > tolerance:
                problems.append(f"{capsule.name} is {depth * 100:.0f} cm below the floor")
        return problems
    for name, (x, y), radius in fig.circles():
        if name in seen:
            continue
        floor = 0.0
        for prop in props:
            if prop.kind == "mat" and prop.x - prop.length <= x <= prop.x:
                floor = MAT_THICKNESS
        depth = floor - (y - radius)
        if depth > tolerance:
            problems.append(f"{name} is {depth * 100:.0f} cm below the floor")
            seen.add(name)
            continue
        for prop in props:
            if prop.kind == "foam_roller":
                inside = ROLLER_RADIUS + radius - math.dist((x, y), (prop.x, ROLLER_RADIUS))
                if inside > tolerance:
                    problems.append(f"{name} is {inside * 100:.0f} cm inside the foam roller")
                    seen.add(name)
            elif prop.kind == "chair" and prop.x - prop.length <= x <= prop.x:
                inside = CHAIR_SEAT_HEIGHT - (y - radius)
                if tolerance < inside < 0.1:
                    problems.append(f"{name} is {inside * 100:.0f} cm inside the chair seat")
                    seen.add(name)
    return problems


def check_keyframe(pose: PoseFile, key: Keyframe) -> list[str]:
    """Angles within range, declared contacts touching, nothing sunk, weight over the support."""
    problems: list[str] = []
    ranges = RANGES[pose.view]
    for joint in ("spine", "neck"):
        low, high = ranges[joint]
        value = getattr(key.angles, joint)
        if not low <= value <= high:
            problems.append(f"{joint} {value:g}° is outside {low:g}..{high:g}°")
    low, high = ROLL_RANGE if pose.view == "top" else (0, 0)
    if not low <= key.angles.roll <= high:
        problems.append(
            f"roll {key.angles.roll:g}° is outside {low:g}..{high:g}° ({pose.view} view)"
        )
    for side in SIDES:
        limb = key.angles.side(side)
        for joint in LimbAngles.model_fields:
            low, high = ranges[joint]
            value = getattr(limb, joint)
            if not low <= value <= high:
                problems.append(f"{side} {joint} {value:g}° is outside {low:g}..{high:g}°")
    fig = keyframe_figure(pose, key)
    prop_kinds = {p.kind for p in pose.props}
    xs: list[float] = []
    for part, surface in key.contacts.items():
        if part not in PARTS:
            problems.append(f"unknown body part {part!r}")
            continue
        if surface != "floor" and surface not in prop_kinds:
            problems.append(f"{part} touches {surface}, which is not among the props")
            continue
        gap = surface_gap(fig, part, surface, pose.props)
        assert gap is not None
        if gap > CONTACT_TOLERANCE:
            problems.append(f"{part} floats {gap * 100:.0f} cm above the {surface}")
        elif gap < -CONTACT_TOLERANCE:
            problems.append(f"{part} sinks {-gap * 100:.0f} cm into the {surface}")
        if surface != "wall":
            xs.append(fig.part(part)[0][0])
    problems.extend(sinking(fig, pose.props, SINK_TOLERANCE))
    if xs and pose.view == "side":
        com = centre_of_mass(fig)
        if not min(xs) - 0.08 <= com <= max(xs) + 0.08:
            problems.append(
                f"centre of mass (x={com:.2f}) is not over the support "
                f"({min(xs):.2f}..{max(xs):.2f}): the figure would tip over"
            )
    return problems


#: Rough share of body mass per capsule (Dempster), for the balance check.
_MASS = {"lower_trunk": 0.25, "upper_trunk": 0.25, "head": 0.08, "neck": 0.0}
for _side in SIDES:
    _MASS.update(
        {
            f"{_side}_upper_arm": 0.028,
            f"{_side}_forearm": 0.016,
            f"{_side}_hand": 0.006,
            f"{_side}_thigh": 0.1,
            f"{_side}_shank": 0.046,
            f"{_side}_foot": 0.014,
        }
    )


def centre_of_mass(fig: Figure) -> float:
    total = sum(_MASS.get(n, 0.0) for n in fig.capsules)
    return sum(_MASS.get(n, 0.0) * c.at(0.5)[0] for n, c in fig.capsules.items()) / total


def segment_lengths(fig: Figure) -> dict[str, float]:
    return {name: capsule.length for name, capsule in fig.capsules.items()}


def check_lengths(figures: Iterable[Figure]) -> list[str]:
    """Every segment keeps its length in every frame (a limb never stretches in motion)."""
    problems: list[str] = []
    reference: dict[str, float] | None = None
    for index, fig in enumerate(figures):
        lengths = segment_lengths(fig)
        if reference is None:
            reference = lengths
            continue
        for name, length in lengths.items():
            if abs(length - reference[name]) > LENGTH_TOLERANCE:
                problems.append(
                    f"frame {index}: {name} is {length:.3f} m, not {reference[name]:.3f} m"
                )
    return problems


_LIMB_END = {"arm": "wrist", "leg": "ankle"}


def _limb_travel(start: Figure, now: Figure, side: str, kind: str) -> float:
    """How far (metres) the hand or foot of a limb moved from the exercise's starting pose."""
    joint = f"{side}_{_LIMB_END[kind]}"
    return math.dist(start.joints[joint], now.joints[joint])


def check_sides(pose: PoseFile, exercise: Exercise) -> list[str]:
    """A step that names a side moves that side's limb, and that limb is the one that moves."""
    problems: list[str] = []
    start = keyframe_figure(pose, pose.keyframes[0])
    for index, key in enumerate(pose.keyframes, 1):
        if key.step > len(exercise.steps):
            continue
        step = exercise.steps[key.step - 1]
        fig = keyframe_figure(pose, key)
        at_rest = all(
            _limb_travel(start, fig, side, kind) < 0.1 for side in SIDES for kind in _LIMB_END
        )
        for limb, (en, nl) in _SIDE_WORDS.items():
            named = re.search(en, step.en, re.I) or re.search(nl, step.nl, re.I)
            if named and limb not in key.moving and not at_rest:  # at rest: coming back
                problems.append(
                    f"keyframe {index}: step {key.step} names {limb} but it is not moving"
                )
        for limb in key.moving:
            side, kind = limb.split("_")
            other = _OPPOSITE[limb].split("_")[0]
            own = _limb_travel(start, fig, side, kind)
            opp = _limb_travel(start, fig, other, kind)
            if own < 0.1 or own <= 2 * opp:
                problems.append(
                    f"keyframe {index}: the {limb.replace('_', ' ')} should move (it moved "
                    f"{own * 100:.0f} cm) but the {other} {kind} moved {opp * 100:.0f} cm: "
                    "the figure moves the wrong side"
                )
    return problems


def _orientation(pose: PoseFile) -> list[str]:
    if pose.view != "side" or pose.position not in POSITION_TRUNK:
        return []
    (low, high), facing = POSITION_TRUNK[pose.position]
    key = pose.keyframes[0]
    problems = []
    if not low <= key.angles.trunk <= high:
        problems.append(f"trunk {key.angles.trunk:g}° does not fit position {pose.position}")
    fig = keyframe_figure(pose, key)
    if facing == "up" and fig.anterior[1] < 0.5:
        problems.append(f"{pose.position}: the belly should face up")
    if facing == "down" and fig.anterior[1] > -0.5:
        problems.append(f"{pose.position}: the belly should face down")
    return problems


def _holds(exercise: Exercise, step: int) -> bool:
    """A hold step, or a step that repeats an earlier hold ("repeat on the other side")."""
    text = exercise.steps[step - 1]
    if step_is_timed(text):
        return True
    repeats = re.search(r"\b(repeat|do the same)\b", text.en, re.I) and re.search(
        r"\b(herhaal|doe hetzelfde)", text.nl, re.I
    )
    return bool(repeats) and any(step_is_timed(s) for s in exercise.steps[: step - 1])


_HOLD = re.compile(r"^(\d+)(?:\s*[-–]\s*(\d+))?\s*s$")


def check_pose(pose: PoseFile, exercise: Exercise, fps: int = 15) -> list[str]:
    """Every problem of one pose file against its catalogue exercise."""
    problems: list[str] = []
    if pose.exercise != exercise.id:
        problems.append(f"pose file is for {pose.exercise!r}, not {exercise.id!r}")
    if pose.position not in exercise.positions:
        problems.append(f"position {pose.position!r} is not one of {exercise.positions}")
    allowed = set(exercise.equipment) | set(exercise.optional_equipment)
    for prop in pose.props:
        if prop.kind != "mat" and prop.kind not in allowed:
            problems.append(f"prop {prop.kind!r} is not named by the exercise")
    holds = {(d.hold_seconds.min, d.hold_seconds.max) for d in exercise.dosage if d.hold_seconds}
    for index, key in enumerate(pose.keyframes, 1):
        where = f"keyframe {index} (step {key.step})"
        if key.step > len(exercise.steps):
            problems.append(f"{where}: the exercise has only {len(exercise.steps)} steps")
            continue
        if key.hold and not _holds(exercise, key.step):
            problems.append(f"{where}: holds, but the step is not a hold step")
        if key.hold_label is not None:
            match = _HOLD.match(key.hold_label)
            if not match:
                problems.append(f"{where}: hold label {key.hold_label!r} is not like '20 s'")
            else:
                low = int(match[1])
                high = int(match[2] or low)
                if (low, high) not in holds:
                    problems.append(f"{where}: hold {key.hold_label!r} is not in the dosage")
        if key.arrow is not None and key.arrow not in PARTS:
            problems.append(f"{where}: arrow at unknown body part {key.arrow!r}")
        problems.extend(f"{where}: {p}" for p in check_keyframe(pose, key))
    problems.extend(_orientation(pose))
    problems.extend(check_sides(pose, exercise))
    frames = timeline(pose, fps)
    problems.extend(check_lengths(f.figure for f in frames))
    seen: set[str] = set()
    for frame in frames:
        for problem in sinking(frame.figure, pose.props, MOTION_SINK_TOLERANCE):
            part = problem.split()[0]
            if part not in seen:
                seen.add(part)
                problems.append(f"in motion (step {frame.step}): {problem}")
    return problems


def check_catalogue_poses(catalogue: Catalogue) -> dict[str, list[str]]:
    """Problems per exercise id: a missing pose file is a problem unless the exercise is excluded
    (see `exclusion_reason`); an excluded exercise must not have one either."""
    report: dict[str, list[str]] = {}
    for exercise in catalogue.exercises:
        path = pose_path(exercise.id)
        reason = exclusion_reason(exercise)
        if reason is not None:
            report[exercise.id] = (
                [f"has a pose file but is excluded: {reason}"] if path.exists() else []
            )
            continue
        if not path.exists():
            report[exercise.id] = [f"no pose file {path.name}"]
            continue
        try:
            report[exercise.id] = check_pose(load_pose_file(path), exercise)
        except PoseError as exc:
            report[exercise.id] = [str(exc)]
    return report
