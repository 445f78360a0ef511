"""Exercise poses as data (data/poses/<exercise-id>.yaml) and the mannequin's kinematics.

A pose file holds two to five keyframes of one exercise, each tied to the step it shows. Joint
angles, not coordinates, are the data: forward kinematics turns them into the body's capsules,
so the renderer (bot.content.animation) and the validator (bot.content.pose_check) work on the
same geometry and a limb cannot silently change length between frames.

Angles are in degrees. Side view: the figure faces +x, its right side is towards the viewer.
`trunk` is the global direction of the pelvis-to-waist segment (0 = up, +90 = pointing +x, so
lying on the back is -90 and lying on the belly +90); every other angle is relative to its
parent segment: positive `spine`, `neck`, `shoulder`, `hip` are flexion (towards the front),
`elbow` and `knee` flexion, `ankle` dorsiflexion (toes up). Front view (for movements in the
frontal plane): the figure faces the viewer, +x is its left, and the angles are lateral
bending (`trunk`, `spine`, `neck`: towards the figure's left) and abduction (`shoulder`, `hip`).
Top view (a figure lying on its back seen from above, for rotations about the body's long axis):
`trunk` is the body's direction on the floor (-90 = head to the left), `shoulder` is abduction
along the floor, `hip` and `knee` are flexion out of the floor plane, and `roll` lets the bent
legs fall to the figure's left (+) or right (-); heights above the floor are kept per capsule.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import Field, ValidationError

from bot.content.animation import pose_path
from bot.content.models import Slug, Step, _Strict

View = Literal["side", "front", "top"]
Side = Literal["left", "right"]
SIDES: tuple[Side, Side] = ("left", "right")
Limb = Literal["left_arm", "right_arm", "left_leg", "right_leg"]
Surface = Literal["floor", "mat", "chair", "wall", "foam_roller"]
Prop = Literal["mat", "chair", "wall", "foam_roller"]


def step_is_timed(step: Step) -> bool:
    """The step where the dosage's time is counted (`timed`, formerly `hold`)."""
    return bool(getattr(step, "timed", getattr(step, "hold", False)))


# Segment lengths and capsule radii of the mannequin, in metres (a person of about 1.77 m).
LOWER_TRUNK = 0.24
UPPER_TRUNK = 0.30
NECK = 0.09
HEAD_R = 0.105
UPPER_ARM = 0.29
FOREARM = 0.25
HAND_OFFSET = 0.055
THIGH = 0.43
SHANK = 0.42
HEEL_OFFSET = 0.045  # ankle joint to the heel's centre, along the shank
FOOT = 0.19  # heel centre to toe centre
SHOULDER_HALF_WIDTH = 0.17  # front view only
HIP_HALF_WIDTH = 0.09  # front view only

RADII: dict[str, float] = {
    "lower_trunk": 0.115,
    "upper_trunk": 0.125,
    "neck": 0.05,
    "head": HEAD_R,
    "upper_arm": 0.05,
    "forearm": 0.042,
    "hand": 0.05,
    "thigh": 0.075,
    "shank": 0.055,
    "foot": 0.036,
}

#: Named body parts a keyframe can declare in contact: (segment, position along it 0..1).
#: Limb parts take a side prefix (`left_hand`); the contact check uses the capsule's circle there.
TRUNK_PARTS: dict[str, tuple[str, float]] = {
    "buttocks": ("lower_trunk", 0.0),
    "lower_back": ("lower_trunk", 0.8),
    "mid_back": ("upper_trunk", 0.25),
    "belly": ("lower_trunk", 0.6),
    "upper_back": ("upper_trunk", 0.7),
    "shoulder_blades": ("upper_trunk", 0.95),
    "chest": ("upper_trunk", 0.6),
    "head": ("head", 0.0),
}
LIMB_PARTS: dict[str, tuple[str, float]] = {
    "elbow": ("upper_arm", 1.0),
    "forearm": ("forearm", 0.5),
    "hand": ("hand", 0.0),
    "thigh": ("thigh", 0.5),
    "knee": ("thigh", 1.0),
    "shin": ("shank", 0.5),
    "ankle": ("shank", 1.0),
    "heel": ("foot", 0.0),
    "toes": ("foot", 1.0),
}
PARTS: frozenset[str] = frozenset(
    list(TRUNK_PARTS) + [f"{side}_{name}" for side in SIDES for name in LIMB_PARTS]
)

# Prop geometry (metres).
MAT_THICKNESS = 0.012
CHAIR_SEAT_HEIGHT = 0.46
ROLLER_RADIUS = 0.075


class LimbAngles(_Strict):
    shoulder: float = 0.0
    elbow: float = 0.0
    hip: float = 0.0
    knee: float = 0.0
    ankle: float = 0.0


class Angles(_Strict):
    trunk: float
    spine: float = 0.0
    neck: float = 0.0
    roll: float = 0.0  # top view only: the bent legs fall to the left (+) or right (-)
    left: LimbAngles = LimbAngles()
    right: LimbAngles = LimbAngles()

    def side(self, side: Side) -> LimbAngles:
        return self.left if side == "left" else self.right


class Keyframe(_Strict):
    """One pose, tied to the step (1-based) of the exercise it shows."""

    step: int = Field(ge=1)
    label: str = ""
    root: tuple[float, float]  # the hip joint (front view: mid-pelvis), metres
    angles: Angles
    belly: float = Field(default=0.6, ge=0.0, le=1.0)  # 1 relaxed, lower = navel drawn in
    contacts: dict[str, Surface] = Field(min_length=1)
    moving: list[Limb] = Field(default_factory=list)  # limbs the step moves, by side
    move: float = Field(default=1.2, gt=0, le=6)  # seconds to move here from the previous pose
    pause: float = Field(default=0.3, ge=0, le=6)  # seconds shown still at this pose
    hold: bool = False  # the pause is the step's hold: drawn with a timer
    hold_label: str | None = None  # the dosage's holding time, e.g. "20 s"
    arrow: str | None = None  # a body part to point at (a small movement, e.g. the navel in)


class PropSpec(_Strict):
    kind: Prop
    x: float  # roller centre, chair seat's front edge, wall surface, mat's near end
    length: float = 0.0  # mat / seat extent towards -x


class PoseFile(_Strict):
    exercise: Slug
    view: View = "side"
    position: str
    props: list[PropSpec] = Field(default_factory=list)
    booklet: bool = False  # a small object lies on the lower back (drawn, not a contact)
    note: str = ""
    keyframes: list[Keyframe] = Field(min_length=2, max_length=5)
    return_move: float = Field(default=1.2, gt=0, le=6)  # last pose back to the first


class PoseError(ValueError):
    """A pose file could not be read or does not fit the schema."""


def load_pose_file(path: Path) -> PoseFile:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return PoseFile.model_validate(raw)
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise PoseError(f"{path.name}: {exc}") from exc


@cache
def load_pose(exercise_id: str) -> PoseFile | None:
    """The pose file of an exercise from the data folder, or None when it has none."""
    path = pose_path(exercise_id)
    return load_pose_file(path) if path.exists() else None


# ---------------------------------------------------------------- forward kinematics


def _dir(angle: float) -> tuple[float, float]:
    rad = math.radians(angle)
    return (math.sin(rad), math.cos(rad))


def _add(p: tuple[float, float], d: tuple[float, float], k: float) -> tuple[float, float]:
    return (p[0] + d[0] * k, p[1] + d[1] * k)


@dataclass(frozen=True)
class Capsule:
    """A rounded segment of the body: the shape that is drawn and checked for contact."""

    name: str  # e.g. "upper_trunk", "left_shank"
    a: tuple[float, float]
    b: tuple[float, float]
    radius: float
    za: float = 0.0  # top view: height of each end above the floor
    zb: float = 0.0

    def at(self, t: float) -> tuple[float, float]:
        return (self.a[0] + (self.b[0] - self.a[0]) * t, self.a[1] + (self.b[1] - self.a[1]) * t)

    def z_at(self, t: float) -> float:
        return self.za + (self.zb - self.za) * t

    @property
    def length(self) -> float:
        """The true length, out of the picture's plane too (top view)."""
        return math.dist((*self.a, self.za), (*self.b, self.zb))


@dataclass(frozen=True)
class Figure:
    """The posed body: capsules by name, joints by name, and where it faces."""

    view: View
    capsules: dict[str, Capsule]
    joints: dict[str, tuple[float, float]]
    anterior: tuple[float, float]  # unit vector the belly faces (side view)
    head_dir: float  # angle of the head's axis, for drawing the face
    belly: float = 0.6
    extra: dict[str, float] = field(default_factory=dict)

    def _locate(self, name: str) -> tuple[Capsule, float]:
        if name in TRUNK_PARTS:
            segment, t = TRUNK_PARTS[name]
        else:
            side, _, rest = name.partition("_")
            segment, t = LIMB_PARTS[rest]
            segment = f"{side}_{segment}"
        return self.capsules[segment], t

    def part(self, name: str) -> tuple[tuple[float, float], float]:
        """Centre and radius of a named contact part (see PARTS)."""
        capsule, t = self._locate(name)
        return capsule.at(t), capsule.radius

    def height(self, name: str) -> float:
        """Top view: the part's centre height above the floor."""
        capsule, t = self._locate(name)
        return capsule.z_at(t)

    def circles(self, step: float = 0.06) -> Iterator[tuple[str, tuple[float, float], float]]:
        """Circles covering every capsule, for the no-sinking check."""
        for capsule in self.capsules.values():
            n = max(1, math.ceil(capsule.length / step))
            for i in range(n + 1):
                yield capsule.name, capsule.at(i / n), capsule.radius


def figure(angles: Angles, root: tuple[float, float], view: View, belly: float = 0.6) -> Figure:
    """Forward kinematics: joint angles and the hip position to the body's capsules."""
    if view == "top":
        return _figure_from_above(angles, root, belly)
    caps: dict[str, Capsule] = {}
    joints: dict[str, tuple[float, float]] = {"root": root}

    def cap(name: str, a: tuple[float, float], b: tuple[float, float], r_key: str) -> None:
        caps[name] = Capsule(name, a, b, RADII[r_key])

    t_lower = angles.trunk
    t_upper = t_lower + angles.spine
    waist = _add(root, _dir(t_lower), LOWER_TRUNK)
    shoulders = _add(waist, _dir(t_upper), UPPER_TRUNK)
    joints.update(waist=waist, shoulders=shoulders)
    cap("lower_trunk", root, waist, "lower_trunk")
    cap("upper_trunk", waist, shoulders, "upper_trunk")
    t_head = t_upper + angles.neck
    head = _add(shoulders, _dir(t_head), NECK + HEAD_R)
    cap("neck", shoulders, _add(shoulders, _dir(t_head), NECK), "neck")
    caps["head"] = Capsule("head", head, head, HEAD_R)
    joints["head"] = head

    for side in SIDES:
        limb = angles.side(side)
        # In the front view the right side mirrors the left; in the side view both flex forward.
        sign = -1.0 if (view == "front" and side == "right") else 1.0
        if view == "front":
            across = _dir(t_upper + 90 * sign)
            shoulder_root = _add(shoulders, across, SHOULDER_HALF_WIDTH)
            hip_root = _add(root, _dir(t_lower + 90 * sign), HIP_HALF_WIDTH)
        else:
            shoulder_root, hip_root = shoulders, root
        t_arm = t_upper + 180 - sign * limb.shoulder
        elbow = _add(shoulder_root, _dir(t_arm), UPPER_ARM)
        t_fore = t_arm - sign * limb.elbow
        wrist = _add(elbow, _dir(t_fore), FOREARM)
        hand = _add(wrist, _dir(t_fore), HAND_OFFSET)
        cap(f"{side}_upper_arm", shoulder_root, elbow, "upper_arm")
        cap(f"{side}_forearm", elbow, wrist, "forearm")
        caps[f"{side}_hand"] = Capsule(f"{side}_hand", hand, hand, RADII["hand"])
        t_thigh = t_lower + 180 - sign * limb.hip
        knee = _add(hip_root, _dir(t_thigh), THIGH)
        t_shank = t_thigh + sign * limb.knee
        ankle = _add(knee, _dir(t_shank), SHANK)
        heel = _add(ankle, _dir(t_shank), HEEL_OFFSET)
        if view == "front":  # the foot points at the viewer: a short oval under the ankle
            toe = _add(heel, _dir(t_shank - 90 * sign), 0.05)
        else:
            toe = _add(heel, _dir(t_shank - 90 - limb.ankle), FOOT)
        cap(f"{side}_thigh", hip_root, knee, "thigh")
        cap(f"{side}_shank", knee, ankle, "shank")
        cap(f"{side}_foot", heel, toe, "foot")
        joints.update(
            {
                f"{side}_shoulder": shoulder_root,
                f"{side}_elbow": elbow,
                f"{side}_wrist": wrist,
                f"{side}_hip": hip_root,
                f"{side}_knee": knee,
                f"{side}_ankle": ankle,
            }
        )
    anterior = _dir(t_lower + 90)
    return Figure(view, caps, joints, anterior, t_head, belly)


def _figure_from_above(angles: Angles, root: tuple[float, float], belly: float) -> Figure:
    """Lying on the back, seen from above: trunk and arms flat, bent legs that can roll over."""
    caps: dict[str, Capsule] = {}
    joints: dict[str, tuple[float, float]] = {"root": root}
    axis = _dir(angles.trunk)  # towards the head
    left = (axis[1], -axis[0])  # the figure's left on the floor (face up)
    feet = (-axis[0], -axis[1])
    z_hip, z_chest = RADII["lower_trunk"], RADII["upper_trunk"]
    waist = _add(root, axis, LOWER_TRUNK)
    shoulders = _add(waist, axis, UPPER_TRUNK)
    neck_end = _add(shoulders, axis, NECK)
    head = _add(shoulders, axis, NECK + HEAD_R)
    caps["lower_trunk"] = Capsule("lower_trunk", root, waist, z_hip, z_hip, z_hip)
    caps["upper_trunk"] = Capsule("upper_trunk", waist, shoulders, z_chest, z_hip, z_chest)
    caps["neck"] = Capsule("neck", shoulders, neck_end, RADII["neck"], z_chest, HEAD_R)
    caps["head"] = Capsule("head", head, head, HEAD_R, HEAD_R, HEAD_R)
    joints.update(waist=waist, shoulders=shoulders, head=head)
    roll = math.radians(angles.roll)
    for side in SIDES:
        limb = angles.side(side)
        out = 1.0 if side == "left" else -1.0
        lateral = (left[0] * out, left[1] * out)

        def along(angle: float, _lateral: tuple[float, float] = lateral) -> tuple[float, float]:
            rad = math.radians(angle)
            return (
                feet[0] * math.cos(rad) + _lateral[0] * math.sin(rad),
                feet[1] * math.cos(rad) + _lateral[1] * math.sin(rad),
            )

        shoulder = _add(shoulders, lateral, SHOULDER_HALF_WIDTH)
        elbow = _add(shoulder, along(limb.shoulder), UPPER_ARM)
        wrist = _add(elbow, along(limb.shoulder + limb.elbow), FOREARM)
        hand = _add(wrist, along(limb.shoulder + limb.elbow), HAND_OFFSET)
        z_arm, z_hand = RADII["upper_arm"], RADII["hand"]
        caps[f"{side}_upper_arm"] = Capsule(
            f"{side}_upper_arm", shoulder, elbow, RADII["upper_arm"], z_chest, z_arm
        )
        caps[f"{side}_forearm"] = Capsule(
            f"{side}_forearm", elbow, wrist, RADII["forearm"], z_arm, RADII["forearm"]
        )
        caps[f"{side}_hand"] = Capsule(f"{side}_hand", hand, hand, z_hand, z_hand, z_hand)

        hip_base = _add(root, lateral, HIP_HALF_WIDTH)

        def leg_point(
            forward: float, up: float, _base: tuple[float, float] = hip_base
        ) -> tuple[tuple[float, float], float]:
            """A point of the leg given in the body's sagittal plane, after the roll."""
            p = _add(_add(_base, feet, forward), left, up * math.sin(roll))
            return p, z_hip + up * math.cos(roll)

        hip_flex, knee_flex = math.radians(limb.hip), math.radians(limb.hip - limb.knee)
        kx, kz = THIGH * math.cos(hip_flex), THIGH * math.sin(hip_flex)
        ax, az = kx + SHANK * math.cos(knee_flex), kz + SHANK * math.sin(knee_flex)
        hx = ax + HEEL_OFFSET * math.cos(knee_flex)
        hz = az + HEEL_OFFSET * math.sin(knee_flex)
        hip_p, hip_z = leg_point(0.0, 0.0)
        knee_p, knee_z = leg_point(kx, kz)
        ankle_p, ankle_z = leg_point(ax, az)
        heel_p, heel_z = leg_point(hx, hz)
        toe_p, toe_z = leg_point(hx + FOOT, hz)
        caps[f"{side}_thigh"] = Capsule(
            f"{side}_thigh", hip_p, knee_p, RADII["thigh"], hip_z, knee_z
        )
        caps[f"{side}_shank"] = Capsule(
            f"{side}_shank", knee_p, ankle_p, RADII["shank"], knee_z, ankle_z
        )
        caps[f"{side}_foot"] = Capsule(f"{side}_foot", heel_p, toe_p, RADII["foot"], heel_z, toe_z)
        joints.update(
            {
                f"{side}_shoulder": shoulder,
                f"{side}_elbow": elbow,
                f"{side}_wrist": wrist,
                f"{side}_hip": hip_p,
                f"{side}_knee": knee_p,
                f"{side}_ankle": ankle_p,
            }
        )
    return Figure("top", caps, joints, (0.0, 0.0), angles.trunk, belly)


# ---------------------------------------------------------------- timeline


def ease(t: float) -> float:
    """Ease-in/ease-out (smoothstep): movements start and end gently."""
    t = min(1.0, max(0.0, t))
    return t * t * (3 - 2 * t)


def _mix(a: float, b: float, t: float) -> float:
    return a + (b - a) * t


def mix_angles(a: Angles, b: Angles, t: float) -> Angles:
    def limb(x: LimbAngles, y: LimbAngles) -> LimbAngles:
        return LimbAngles(
            **{k: _mix(getattr(x, k), getattr(y, k), t) for k in LimbAngles.model_fields}
        )

    return Angles(
        trunk=_mix(a.trunk, b.trunk, t),
        spine=_mix(a.spine, b.spine, t),
        neck=_mix(a.neck, b.neck, t),
        roll=_mix(a.roll, b.roll, t),
        left=limb(a.left, b.left),
        right=limb(a.right, b.right),
    )


@dataclass(frozen=True)
class Frame:
    """One moment of the loop: the figure, the step it shows, and the hold timer if holding."""

    figure: Figure
    step: int
    hold_progress: float | None = None  # 0..1 while a hold is shown
    hold_label: str | None = None
    arrow: str | None = None  # the body part the step's small movement is at


def keyframe_figure(pose: PoseFile, key: Keyframe) -> Figure:
    return figure(key.angles, key.root, pose.view, key.belly)


def _between(pose: PoseFile, a: Keyframe, b: Keyframe, t: float) -> Figure:
    """The figure part-way from a to b; a part touching the same surface in both stays put."""
    e = ease(t)
    angles = mix_angles(a.angles, b.angles, e)
    belly = _mix(a.belly, b.belly, e)
    anchor = next((p for p in b.contacts if a.contacts.get(p) == b.contacts[p]), None)
    if anchor is None:
        root = (_mix(a.root[0], b.root[0], e), _mix(a.root[1], b.root[1], e))
        return figure(angles, root, pose.view, belly)
    pa, _ = keyframe_figure(pose, a).part(anchor)
    pb, _ = keyframe_figure(pose, b).part(anchor)
    target = (_mix(pa[0], pb[0], e), _mix(pa[1], pb[1], e))
    probe, _ = figure(angles, (0.0, 0.0), pose.view, belly).part(anchor)
    root = (target[0] - probe[0], target[1] - probe[1])
    return figure(angles, root, pose.view, belly)


def timeline(pose: PoseFile, fps: int) -> list[Frame]:
    """Every frame of one loop: the first pose, each move and pause (or hold), then the return.

    The loop starts on the first pose, so a chat's still preview shows step 1.
    """
    frames: list[Frame] = []
    keys = pose.keyframes
    for index, key in enumerate(keys):
        previous = keys[index - 1]  # the first move comes from the last pose: a seamless loop
        move = key.move if index else pose.return_move
        n_move = max(1, round(move * fps))
        for i in range(n_move):
            fig = _between(pose, previous, key, (i + 1) / n_move)
            second_half = i >= n_move // 2
            frames.append(
                Frame(
                    fig,
                    key.step if second_half else previous.step,
                    arrow=key.arrow if second_half else None,
                )
            )
        n_pause = round(key.pause * fps)
        still = keyframe_figure(pose, key)
        label = key.hold_label if key.hold else None
        for i in range(n_pause):
            progress = (i + 1) / n_pause if key.hold else None
            frames.append(Frame(still, key.step, progress, label, key.arrow))
    n_return = max(1, round(pose.return_move * fps))  # built first, played last
    return frames[n_return:] + frames[:n_return]
