"""Pose files: every catalogue exercise has one (or a named exclusion), and each one validates.

The negative tests change one thing in a real pose file and expect the validator to name it.
"""

from __future__ import annotations

import math

import pytest

from bot.content import load_catalogue
from bot.content.animation import KNOWN_EXCLUSIONS, exclusion_reason, pose_path, poses_dir
from bot.content.models import Catalogue, Exercise
from bot.content.pose_check import (
    MOTION_SINK_TOLERANCE,
    check_catalogue_poses,
    check_keyframe,
    check_lengths,
    check_pose,
    check_sides,
)
from bot.content.poses import (
    Capsule,
    Figure,
    Keyframe,
    PoseFile,
    PropSpec,
    ease,
    keyframe_figure,
    load_pose_file,
    timeline,
)

CATALOGUE: Catalogue = load_catalogue()
ANIMATED = [e.id for e in CATALOGUE.exercises if exclusion_reason(e) is None]


def pose(exercise_id: str) -> PoseFile:
    return load_pose_file(pose_path(exercise_id))


def with_key(p: PoseFile, index: int, **update: object) -> PoseFile:
    keys = list(p.keyframes)
    keys[index] = keys[index].model_copy(update=update)
    return p.model_copy(update={"keyframes": keys})


@pytest.mark.parametrize("exercise_id", [e.id for e in CATALOGUE.exercises])
def test_every_catalogue_exercise_has_a_pose_file_or_a_stated_exclusion(exercise_id: str) -> None:
    exists = pose_path(exercise_id).exists()
    reason = exclusion_reason(CATALOGUE.exercise(exercise_id))
    if reason is not None:
        assert not exists, f"{exercise_id} is excluded but has a pose file"
        assert len(reason) > 40  # a reason, not a placeholder
    else:
        assert exists, f"data/poses/{exercise_id}.yaml is missing: add it or exclude it with why"


def test_exclusions_and_pose_files_name_catalogue_exercises() -> None:
    ids = {e.id for e in CATALOGUE.exercises}
    assert set(KNOWN_EXCLUSIONS) <= ids
    for path in poses_dir().glob("*.yaml"):
        assert path.stem in ids, f"{path.name} is for no catalogue exercise"
        assert load_pose_file(path).exercise == path.stem


@pytest.mark.parametrize("exercise_id", ANIMATED)
def test_pose_validates(exercise_id: str) -> None:
    assert check_pose(pose(exercise_id), CATALOGUE.exercise(exercise_id)) == []


def test_catalogue_report_names_a_missing_pose_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        "bot.content.pose_check.pose_path",
        lambda eid: pose_path("no-such-exercise") if eid == "bruggetje" else pose_path(eid),
    )
    report = check_catalogue_poses(CATALOGUE)
    assert report["bruggetje"] == ["no pose file no-such-exercise.yaml"]
    assert report["kattenrug-holrug"] == []
    assert report["buikplank"] == []  # excluded with a reason, not missing


def test_a_floating_figure_is_caught() -> None:
    p = pose("staande-bekkenrek")
    x, y = p.keyframes[0].root
    problems = check_keyframe(p, p.keyframes[0].model_copy(update={"root": (x, y + 0.1)}))
    assert any("right_heel floats 10 cm above the floor" in m for m in problems), problems


def test_a_sunk_figure_is_caught() -> None:
    p = pose("bruggetje")
    x, y = p.keyframes[0].root
    problems = check_keyframe(p, p.keyframes[0].model_copy(update={"root": (x, y - 0.08)}))
    assert any("buttocks sinks 8 cm into the floor" in m for m in problems), problems
    assert any("below the floor" in m for m in problems)


def test_an_impossible_knee_angle_is_caught() -> None:
    p = pose("knieen-naar-borst")
    key = p.keyframes[1]
    angles = key.angles.model_copy(
        update={"right": key.angles.right.model_copy(update={"knee": -40.0})}
    )
    problems = check_keyframe(p, key.model_copy(update={"angles": angles}))
    assert "right knee -40° is outside 0..155°" in problems


def test_a_changed_limb_length_is_caught() -> None:
    p = pose("kattenrug-holrug")
    figures = [f.figure for f in timeline(p, 15)]
    assert check_lengths(figures) == []
    bent = figures[10]
    shank = bent.capsules["right_shank"]
    longer = Capsule(shank.name, shank.a, (shank.b[0] + 0.05, shank.b[1]), shank.radius)
    stretched = Figure(
        bent.view, {**bent.capsules, "right_shank": longer}, bent.joints, bent.anterior, 0.0
    )
    problems = check_lengths([*figures[:10], stretched, *figures[11:]])
    assert len(problems) == 1 and problems[0].startswith("frame 10: right_shank is")


def _swap_sides(key: Keyframe) -> Keyframe:
    angles = key.angles.model_copy(update={"left": key.angles.right, "right": key.angles.left})
    return key.model_copy(update={"angles": angles})


def test_the_wrong_side_is_caught() -> None:
    p = pose("superman-handen-knieen")
    exercise = CATALOGUE.exercise("superman-handen-knieen")
    assert check_sides(p, exercise) == []
    wrong = p.model_copy(update={"keyframes": [p.keyframes[0], _swap_sides(p.keyframes[1])]})
    problems = check_sides(wrong, exercise)
    assert any("left arm should move" in m and "wrong side" in m for m in problems), problems
    # ... and the contact check sees the support hand in the air as well.
    assert any("right_hand floats" in m for m in check_keyframe(wrong, wrong.keyframes[1]))


def test_a_step_naming_a_side_must_move_that_side() -> None:
    p = pose("superman-handen-knieen")
    # Keyframe 2 shows step 4 ("left arm and right leg"); claim it moves the other pair.
    wrong = with_key(p, 1, moving=["right_arm", "left_leg"])
    problems = check_sides(wrong, CATALOGUE.exercise("superman-handen-knieen"))
    assert "keyframe 2: step 4 names left_arm but it is not moving" in problems


def test_a_hold_time_must_come_from_the_dosage() -> None:
    p = pose("staande-bekkenrek")
    wrong = with_key(p, 3, hold_label="45 s")
    problems = check_pose(wrong, CATALOGUE.exercise("staande-bekkenrek"))
    assert "keyframe 4 (step 4): hold '45 s' is not in the dosage" in problems


def test_a_prop_the_article_does_not_name_is_caught() -> None:
    p = pose("bruggetje").model_copy(update={"props": [PropSpec(kind="foam_roller", x=3.0)]})
    problems = check_pose(p, CATALOGUE.exercise("bruggetje"))
    assert "prop 'foam_roller' is not named by the exercise" in problems


def test_lying_on_the_back_faces_up() -> None:
    p = pose("bruggetje")
    flipped = p.model_copy(update={"position": "prone"})
    problems = check_pose(flipped, CATALOGUE.exercise("bruggetje"))
    assert "prone: the belly should face down" in problems


def test_ease_starts_and_ends_gently() -> None:
    assert ease(0) == 0 and ease(1) == 1 and ease(0.5) == 0.5
    assert ease(0.05) < 0.05 / 2 and 1 - ease(0.95) < 0.05 / 2
    values = [ease(i / 20) for i in range(21)]
    assert values == sorted(values)


@pytest.mark.parametrize("exercise_id", ANIMATED)
def test_loop_moves_continuously(exercise_id: str) -> None:
    """No jumps: between any two frames (the loop's end to its start too) joints move a little."""
    p = pose(exercise_id)
    frames = timeline(p, 15)
    assert frames[0].figure == keyframe_figure(p, p.keyframes[0])  # a still preview shows step 1
    assert frames[0].step == p.keyframes[0].step
    for before, after in zip(frames, frames[1:] + frames[:1], strict=True):
        for name, point in after.figure.joints.items():
            assert math.dist(point, before.figure.joints[name]) < 0.12, (exercise_id, name)


def test_a_part_touching_the_same_surface_stays_put_while_moving() -> None:
    p = pose("kattenrug-holrug")
    start = keyframe_figure(p, p.keyframes[0])
    knee, hand = start.part("right_knee")[0], start.part("right_hand")[0]
    for frame in timeline(p, 15):
        # The knee is the anchor of every move (the first shared contact) and stays exactly; the
        # hand, interpolated by angle, may drift by the in-motion tolerance but not slide away.
        assert math.dist(frame.figure.part("right_knee")[0], knee) < 0.005
        assert math.dist(frame.figure.part("right_hand")[0], hand) < MOTION_SINK_TOLERANCE


def test_holds_show_the_dosage_time() -> None:
    p = pose("childs-pose")
    labels = {f.hold_label for f in timeline(p, 15) if f.hold_progress is not None}
    assert labels == {"30-60 s"}
    assert CATALOGUE.exercise("childs-pose").dosage[0].hold_seconds is not None


def test_seen_from_above_a_positive_roll_drops_the_knees_to_the_figures_left() -> None:
    p = pose("lumbale-rotatie")
    assert p.view == "top"
    falls = {}
    for key in p.keyframes:
        fig = keyframe_figure(p, key)
        left = 1 if fig.joints["left_hip"][1] > fig.joints["right_hip"][1] else -1
        # How far (metres) the knee moved sideways from above its hip, + = the figure's left.
        falls[key.angles.roll] = (fig.joints["left_knee"][1] - fig.joints["left_hip"][1]) * left
        # Shoulders flat whatever the knees do: the upper back keeps touching the floor.
        assert abs(fig.height("upper_back") - fig.part("upper_back")[1]) < 0.005
    assert falls[50] > 0.15 and falls[-50] < -0.15 and abs(falls[0]) < 1e-9
    # The legs keep their true length although, seen from above, they look shorter.
    assert check_lengths(f.figure for f in timeline(p, 15)) == []


def test_a_roll_outside_the_top_view_or_too_far_is_caught() -> None:
    side = pose("bekkenkanteling")
    key = side.keyframes[0]
    rolled = key.model_copy(update={"angles": key.angles.model_copy(update={"roll": 30.0})})
    assert "roll 30° is outside 0..0° (side view)" in check_keyframe(side, rolled)
    top = pose("lumbale-rotatie")
    key = top.keyframes[1]
    over = key.model_copy(update={"angles": key.angles.model_copy(update={"roll": 95.0})})
    assert "roll 95° is outside -70..70° (top view)" in check_keyframe(top, over)


def _with_step_text(exercise_id: str, number: int, nl: str, en: str) -> Exercise:
    exercise = CATALOGUE.exercise(exercise_id)
    steps = list(exercise.steps)
    steps[number - 1] = steps[number - 1].model_copy(update={"nl": nl, "en": en})
    return exercise.model_copy(update={"steps": steps})


def test_a_hold_on_the_other_side_belongs_to_a_step_that_repeats_the_hold() -> None:
    p = pose("knie-naar-borst")  # one knee, then "the same with the other knee"
    assert p.keyframes[3].hold and p.keyframes[3].step == 3
    same = _with_step_text(
        "knie-naar-borst",
        3,
        "Doe hetzelfde met de andere knie.",
        "Do the same with the other knee.",
    )
    assert check_pose(p, same) == []
    other = _with_step_text("knie-naar-borst", 3, "Blijf liggen.", "Stay lying down.")
    assert "keyframe 4 (step 3): holds, but the step is not a hold step" in check_pose(p, other)
