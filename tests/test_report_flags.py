"""Fault detectors: planted faults are flagged at their frames; clean scenes are not."""

from __future__ import annotations

import numpy as np
import pytest

from report_scenes import FAULT_KIND, FAULTS, build_qa_scene
from robomask.report.flags import (
    Flag,
    area_jumps,
    keyframes,
    lost_track,
    part_dips,
    runs,
    scan_scene,
    swaps,
)


def _spans(result, kind):
    return sorted((f.start, f.end) for f in result.flags if f.kind == kind)


def test_runs_are_inclusive_and_maximal():
    assert runs(np.array([0, 1, 1, 0, 1, 0, 0, 1], bool)) == [(1, 2), (4, 4), (7, 7)]
    assert runs(np.zeros(4, bool)) == []


def test_lost_track_needs_the_object_on_both_sides():
    area = np.array([0, 0, 50, 50, 0, 0, 0, 50, 0])
    flags = lost_track(area, "gripper", "right gripper", 3)
    assert [(f.start, f.end, f.obj_id) for f in flags] == [(4, 6, 3)]


def test_area_jump_runs_until_the_area_comes_back():
    area = np.array([100, 100, 210, 220, 205, 101, 100, 100])
    (flag,) = area_jumps(area, 1.8, 10, "arm", "arm")
    assert (flag.start, flag.end) == (2, 4)
    assert "x2.2" in flag.reason and "grew" in flag.reason


def test_area_jump_ignores_small_changes_specks_and_empty_frames():
    assert area_jumps(np.array([100, 150, 100, 160]), 1.8, 10, "arm", "arm") == []
    assert area_jumps(np.array([100, 0, 100, 3, 9, 100]), 1.8, 10, "arm", "arm") == []


def test_area_shrink_is_flagged_as_a_lost_part():
    (flag,) = area_jumps(np.array([100, 100, 40, 40, 100]), 1.8, 10, "arm", "arm")
    assert (flag.start, flag.end) == (2, 3) and "shrank" in flag.reason


def test_part_dips_only_below_the_usual_count_between_usual_frames():
    parts = np.array([2, 2, 1, 1, 2, 3, 2, 1])
    assert [(f.start, f.end) for f in part_dips(parts, "gripper", "g")] == [(2, 3)]


def test_swaps_flag_the_minority_side_and_bridge_undecided_frames():
    left = np.array([10, 10, 10, 90, 50, 90, 10, 10, np.nan, 10], float)
    right = np.full(10, 80.0)
    right[4] = 51
    flags = swaps(left, right, min_dx_px=5)
    assert [(f.start, f.end) for f in flags] == [(3, 5)]


def test_keyframes_cover_every_run_with_the_fewest_frames():
    def f(a, b):
        return Flag("lost_track", "arm", a, b, 1.0, "")

    assert keyframes([f(0, 5), f(3, 8), f(10, 12)]) == [3, 10]
    assert keyframes([f(0, 9), f(2, 3), f(5, 6)]) == [2, 5]
    assert keyframes([]) == []


@pytest.mark.parametrize("with_csv", [True, False])
def test_clean_scene_has_no_flags(make_scene, with_csv):
    fx, sc = build_qa_scene(make_scene, (), with_csv=with_csv)
    result = scan_scene(sc, fx.config)
    assert result.flags == [] and result.keyframes == [] and result.flagged_frames == 0


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_each_planted_fault_alone_is_flagged_at_its_frames(make_scene, fault):
    fx, sc = build_qa_scene(make_scene, [fault])
    result = scan_scene(sc, fx.config)
    assert [(f.kind, f.start, f.end) for f in result.flags] == [(FAULT_KIND[fault],
                                                                 *FAULTS[fault])]
    assert result.keyframes == [FAULTS[fault][0]]


def test_all_faults_with_objects_csv(make_scene):
    fx, sc = build_qa_scene(make_scene, FAULTS)
    result = scan_scene(sc, fx.config)
    assert {k: _spans(result, k) for k in FAULT_KIND.values()} == {
        FAULT_KIND[f]: [span] for f, span in FAULTS.items()}
    by_kind = {f.kind: f for f in result.flags}
    assert by_kind["lost_track"].obj_id == 3 and by_kind["wrong_object"].obj_id == 2
    assert by_kind["area_jump"].obj_id == 0
    assert result.keyframes == sorted(a for a, _ in FAULTS.values())
    assert result.flagged_frames == sum(b - a + 1 for a, b in FAULTS.values())
    scores = [f.score for f in result.flags]
    assert scores == sorted(scores, reverse=True)
    assert result.notes == []


def test_union_masks_only_flag_what_they_can_and_say_so(make_scene):
    fx, sc = build_qa_scene(make_scene, FAULTS, with_csv=False)
    result = scan_scene(sc, fx.config)
    for fault in ("lost", "far", "leak", "export_empty"):
        assert _spans(result, FAULT_KIND[fault]) == [FAULTS[fault]], fault
    assert _spans(result, "swap") == []
    assert all(f.obj_id is None for f in result.flags)
    assert any("swaps not checked" in n for n in result.notes)
    assert any("gripper_objects.csv" in n and "limited" in n for n in result.notes)


def test_missing_and_absent_masks(make_scene):
    fx, sc = build_qa_scene(make_scene, (), with_export=False)
    (sc.mask_dir("gripper") / "00012.png").unlink()
    (sc.mask_dir("gripper") / "00013.png").write_bytes(b"not a png")
    result = scan_scene(sc, fx.config)
    assert [(f.kind, f.stage, f.start, f.end) for f in result.flags] == [
        ("missing_mask", "gripper", 12, 13)]
    assert any(n.startswith("no export masks yet") for n in result.notes)


def test_thresholds_come_from_the_config(make_scene):
    fx, sc = build_qa_scene(make_scene, ["leak", "far"], qa_area_jump_ratio=3.5,
                            qa_gripper_max_gap_frac=0.5)
    assert scan_scene(sc, fx.config).flags == []


def test_a_scene_that_starts_wrong_flags_its_first_frames():
    """A leak from frame 0 that frame 3 corrects: frames 0-2 are the odd ones."""
    area = np.array([300, 310, 305, 100, 100, 102, 99, 100, 101, 100])
    (flag,) = area_jumps(area, 1.8, 10, "gripper", "right gripper", 3)
    assert (flag.start, flag.end) == (0, 2)
    assert "x3.0 larger on frames 0-2 than from frame 3 to the end" in flag.reason
    # a late jump that holds to the end stays on the frames after the jump
    (late,) = area_jumps(area[::-1].copy(), 1.8, 10, "gripper", "g")
    assert (late.start, late.end) == (7, 9)
