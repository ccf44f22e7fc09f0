"""The measuring pass: per-frame areas, parts, object series and gripper-arm gaps."""

from __future__ import annotations

import numpy as np
import pytest

from report_scenes import build_qa_scene
from robomask.report.measure import grid_factor, measure_scene, to_grid


@pytest.mark.parametrize(("h", "w", "factor"), [(720, 1280, 4), (97, 161, 3), (10, 10, 4)])
def test_to_grid_is_block_any(h, w, factor):
    mask = np.random.default_rng(0).random((h, w)) > 0.995
    gh, gw = -(-h // factor), -(-w // factor)
    padded = np.zeros((gh * factor, gw * factor), bool)
    padded[:h, :w] = mask
    expected = padded.reshape(gh, factor, gw, factor).any(axis=(1, 3))
    assert np.array_equal(to_grid(mask, factor), expected)


def test_grid_factor_brings_the_long_side_under_320():
    assert grid_factor((1280, 720)) == 4 and grid_factor((160, 96)) == 1
    assert grid_factor((1920, 1080)) == 6


def test_series_of_a_scene_with_objects_csv(make_scene):
    fx, sc = build_qa_scene(make_scene, ["lost", "far"], num_frames=20)
    s = measure_scene(sc, fx.config)
    assert s.n_frames == 20 and s.size_wh == (160, 96)
    assert s.per_object == {"arm": True, "gripper": True}
    assert sorted(s.objects) == [0, 1, 2, 3]
    assert s.stages["arm"].area_px[0] == 2 * 14 * 50
    assert list(s.stages["gripper"].parts[9:16]) == [2, 1, 1, 1, 1, 1, 2]
    assert list(s.objects[3].area_px[9:16]) == [280, 0, 0, 0, 0, 0, 280]
    assert np.isnan(s.objects[3].cx[10]) and s.objects[3].cx[9] > 100
    gap = s.objects[2].gap_px
    assert gap[0] <= 1 and gap[15] > 30 and np.isnan(s.objects[3].gap_px[12])
    assert s.gripper_gap_px[15] == pytest.approx(gap[15]) and s.gripper_gap_px[0] <= 1


def test_series_without_csv_or_export(make_scene):
    fx, sc = build_qa_scene(make_scene, (), num_frames=5, with_csv=False, with_export=False)
    s = measure_scene(sc, fx.config)
    assert s.per_object == {"arm": False, "gripper": False} and s.objects == {}
    assert s.present == {"arm": True, "gripper": True, "export": False}
    assert "export" not in s.stages


def test_several_threads_measure_the_same_numbers_as_one(make_scene):
    fx, sc = build_qa_scene(make_scene, ["lost", "far", "swap"], num_frames=40)
    one, two = (measure_scene(sc, fx.config, jobs=j) for j in (1, 3))
    for stage in one.stages:
        assert np.array_equal(one.stages[stage].area_px, two.stages[stage].area_px)
        assert np.array_equal(one.stages[stage].parts, two.stages[stage].parts)
    assert np.array_equal(one.gripper_gap_px, two.gripper_gap_px, equal_nan=True)
    for obj_id, s in one.objects.items():
        assert np.array_equal(s.gap_px, two.objects[obj_id].gap_px, equal_nan=True)
