"""The authoring aid puts a hand-written keyframe's contacts onto their surfaces."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.content.pose_check import check_keyframe
from bot.content.pose_fit import fit_keyframe, main
from bot.content.poses import load_pose_file, pose_path


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
