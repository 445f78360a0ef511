"""The authoring aid puts a hand-written keyframe's contacts onto their surfaces."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.content.animation import SIZE, pose_path
from bot.content.mannequin import FLOOR_LINE, MAT, PROP, render_frames
from bot.content.pose_check import check_keyframe
from bot.content.pose_fit import fit_keyframe, main
from bot.content.poses import (
    Angles,
    Keyframe,
    LimbAngles,
    PoseFile,
    PropSpec,
    load_pose_file,
)


def test_a_floating_standing_figure_is_lowered_onto_its_feet() -> None:
    pose = load_pose_file(pose_path("staande-bekkenrek"))
    x, y = pose.keyframes[0].root
    floating = pose.keyframes[0].model_copy(update={"root": (x, y + 0.12)})
    assert any("floats" in p for p in check_keyframe(pose, floating))
    fitted = fit_keyframe(pose, floating, ["root"])
    assert check_keyframe(pose, fitted) == []
    assert fitted.root[1] == pytest.approx(y, abs=0.02)


def test_a_roughly_written_bridge_is_fitted_by_its_free_angles() -> None:
    pose = load_pose_file(pose_path("bruggetje"))
    key = pose.keyframes[1]
    rough = key.model_copy(
        update={"angles": key.angles.model_copy(update={"trunk": key.angles.trunk + 7})}
    )
    assert check_keyframe(pose, rough) != []
    fitted = fit_keyframe(pose, rough, ["root", "trunk", "both.knee", "both.ankle", "neck"])
    assert check_keyframe(pose, fitted) == []


def test_command_prints_the_fitted_keyframe(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(pose_path("bekkenkanteling")), "2", "root"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("- step: 2") and "lower_back: floor" in out
    assert main([str(Path("x"))]) == 2


def _seated() -> tuple[PoseFile, Keyframe]:
    seat = PropSpec(kind="chair", x=0.12, length=0.45)
    bent = LimbAngles(hip=90, knee=90, shoulder=10, elbow=80)
    sit = Keyframe(
        step=1,
        root=(0.0, 0.6),
        angles=Angles(trunk=0, left=bent, right=bent),
        contacts={
            "buttocks": "chair",
            "left_heel": "floor",
            "left_toes": "floor",
            "right_heel": "floor",
            "right_toes": "floor",
        },
    )
    props = [seat, PropSpec(kind="wall", x=-0.5), PropSpec(kind="mat", x=1.0, length=0.5)]
    return PoseFile(exercise="x", position="seated", props=props, keyframes=[sit, sit]), sit


def test_a_seated_figure_is_fitted_onto_the_chair_and_the_floor() -> None:
    pose, sit = _seated()
    assert "buttocks floats 2 cm above the chair" in check_keyframe(pose, sit)
    fitted = fit_keyframe(pose, sit, ["root", "both.hip", "both.knee", "both.ankle"])
    assert check_keyframe(pose, fitted) == []
    x, y = fitted.root
    sunk = fitted.model_copy(update={"root": (x, y - 0.05)})
    assert "buttocks sinks 5 cm into the chair" in check_keyframe(pose, sunk)


def test_chair_wall_and_mat_are_drawn() -> None:
    pose, sit = _seated()
    fitted = fit_keyframe(pose, sit, ["root", "both.hip", "both.knee", "both.ankle"])
    frame = render_frames(pose.model_copy(update={"keyframes": [fitted, fitted]}), fps=2)[0]
    above_floor = frame[: SIZE - 80]
    for colour in (PROP, FLOOR_LINE):  # the seat, the wall (the floor line is lower down)
        assert np.all(above_floor == colour, axis=-1).sum() > 500, colour
    assert np.all(frame == MAT, axis=-1).sum() > 100
