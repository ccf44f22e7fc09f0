"""prompts.py and prompt_checks.py: old file formats, round trips, validation, warnings."""

from __future__ import annotations

import json

import numpy as np
import pytest

from robomask.config import config_from_dict
from robomask.errors import PromptError
from robomask.prompt_checks import prompt_warnings, validate_prompts
from robomask.prompts import (
    ARM2_KEY,
    ARM_KEY,
    FORMAT,
    LEFT_KEY,
    RIGHT_KEY,
    PromptEntry,
    PromptSet,
    parse_prompt_map,
    read_prompts,
    write_prompts,
)

SIZE = (1280, 720)


def entry(fi=0, oid=0, points=((100, 200),), labels=(1,), coord="abs") -> dict:
    return {"frame_index": fi, "obj_id": oid, "coord_type": coord,
            "points": [list(p) for p in points], "labels": list(labels)}


def config(**values):
    return config_from_dict({"task_name": "t", "data_base_dir": "/d", "export_base_dir": "/e",
                             **values})


def test_legacy_left_right_arm_keys_read_as_one_list(tmp_path):
    path = tmp_path / "annotation_prompts_arm_points.json"
    path.write_text(json.dumps({"format": FORMAT, "prompts": {
        "ARM_LEFT_INITIAL_PROMPTS": [entry(0, 0, ((10, 10),)), entry(5, 0, ((11, 11),))],
        "ARM_RIGHT_INITIAL_PROMPTS": [entry(3, 0, ((900, 10),))],
        LEFT_KEY: [], RIGHT_KEY: []}}))
    prompts = read_prompts(path, kind="arm")
    assert [(e.frame_index, e.points[0][0]) for e in prompts[ARM_KEY]] == [
        (0, 10.0), (5, 11.0), (3, 900.0)]  # left, then right
    assert prompts[ARM2_KEY] == []


def test_bare_map_without_wrapper_and_rel_coordinates(tmp_path):
    path = tmp_path / "annotation_prompts_gripper_points.json"
    path.write_text(json.dumps({
        LEFT_KEY: [entry(4, 2, ((0.25, 0.5), (0.3, 0.6)), (1, 0), "rel")],
        RIGHT_KEY: [entry(4, 3, ((0.75, 0.5),), (1,), "rel")]}))
    prompts = read_prompts(path, kind="gripper")
    left = prompts[LEFT_KEY][0]
    assert left.coord_type == "rel" and left.labels == (1, 0)
    np.testing.assert_allclose(left.points_px(SIZE), [[320, 360], [384, 432]])
    np.testing.assert_allclose(left.points_rel(SIZE), [[0.25, 0.5], [0.3, 0.6]])
    absolute = PromptEntry(0, 0, ((640.0, 180.0),), (1,))
    np.testing.assert_allclose(absolute.points_rel(SIZE), [[0.5, 0.25]])
    np.testing.assert_allclose(absolute.points_px(SIZE), [[640, 180]])


def test_round_trip_keeps_every_entry(tmp_path):
    original = PromptSet({
        ARM_KEY: [PromptEntry(0, 0, ((812.0, 233.0), (790.5, 260.25)), (1, 0)),
                  PromptEntry(30, 0, ((100.0, 100.0),), (1,))],
        ARM2_KEY: [PromptEntry(0, 1, ((0.1, 0.9),), (1,), "rel")],
        LEFT_KEY: [PromptEntry(120, 2, ((0.2, 0.3), (0.21, 0.31), (0.5, 0.5)), (1, 1, 0), "rel")],
        RIGHT_KEY: [PromptEntry(120, 3, ((1000.0, 400.0),), (1,))],
    })
    path = tmp_path / "p.json"
    write_prompts(path, original)
    data = json.loads(path.read_text())
    assert data["format"] == FORMAT and set(data["prompts"]) == {ARM_KEY, ARM2_KEY, LEFT_KEY,
                                                                  RIGHT_KEY}
    assert data["stats"][LEFT_KEY] == {"entries": 1, "points": 3, "keyframes": [120]}
    assert read_prompts(path).entries == original.entries
    write_prompts(path, read_prompts(path))  # a second trip changes nothing either
    assert read_prompts(path).entries == original.entries


def test_required_keys_per_kind():
    with pytest.raises(PromptError, match=f"'{RIGHT_KEY}'"):
        parse_prompt_map({LEFT_KEY: []}, source="g.json", kind="gripper")
    with pytest.raises(PromptError, match=f"'{ARM_KEY}'"):
        parse_prompt_map({"prompts": {}}, source="a.json", kind="arm")
    assert parse_prompt_map({}, source="x.json").is_empty()
    with pytest.raises(PromptError, match="expected a JSON object"):
        parse_prompt_map([1, 2], source="x.json")


@pytest.mark.parametrize(("raw", "message"), [
    ("nope", "expected an object"),
    ({"obj_id": 0, "points": [[1, 1]], "labels": [1]}, "key 'frame_index'"),
    ({**entry(), "frame_index": -1}, "frame_index: expected an integer >= 0, got -1"),
    ({**entry(), "frame_index": 1.5}, "frame_index: expected an integer"),
    ({**entry(), "obj_id": "2"}, "obj_id: expected an integer, got '2'"),
    ({**entry(), "coord_type": "px"}, "coord_type: expected 'abs' or 'rel'"),
    ({**entry(), "points": [[1, 2, 3]]}, r"points: expected a list of \[x, y\] numbers"),
    ({**entry(), "points": [], "labels": []}, "equal, non-zero length"),
    ({**entry(), "labels": [True]}, "labels: expected a list of 0 or 1"),
    (entry(points=((1.2, 0.5),), coord="rel"), r"point 0: expected rel coordinates in \[0, 1\]"),
])
def test_entry_errors_name_the_entry(raw, message):
    with pytest.raises(PromptError, match=rf"g\.json: {LEFT_KEY}\[0\]: .*{message}"):
        parse_prompt_map({LEFT_KEY: [raw]}, source="g.json")


def test_unreadable_files(tmp_path):
    with pytest.raises(PromptError, match="nothing there"):
        read_prompts(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{\n  "a": 1,\n}')
    with pytest.raises(PromptError, match="line 3, column 1"):
        read_prompts(bad)
    bad.write_bytes(b'{"\xff": []}')
    with pytest.raises(PromptError, match="byte 0xff at offset 2, which is not UTF-8"):
        read_prompts(bad)
    bad.write_text('{"ARM_CABLE_INITIAL_PROMPTS": []}', encoding="utf-16")  # Windows editors
    assert read_prompts(bad).is_empty()


def test_validate_against_video_and_config():
    cfg = config()
    ok = PromptSet({LEFT_KEY: [PromptEntry(9, 2, ((1279.0, 719.0),), (1,))]})
    validate_prompts(ok, source="g.json", num_frames=10, size_wh=SIZE, config=cfg)
    cases = [
        (PromptSet({LEFT_KEY: [PromptEntry(10, 2, ((1.0, 1.0),), (1,))]}), "frame_index"),
        (PromptSet({LEFT_KEY: [PromptEntry(0, 2, ((1280.0, 1.0),), (1,))]}), "inside the"),
        (PromptSet({RIGHT_KEY: [PromptEntry(0, 2, ((1.0, 1.0),), (1,))]}), "obj_id: expected 3"),
    ]
    for prompts, message in cases:
        with pytest.raises(PromptError, match=message):
            validate_prompts(prompts, source="g.json", num_frames=10, size_wh=SIZE, config=cfg)
    # ARM_CABLE_2 entries are ignored on a single-arm robot (arm_obj_id_2: null), as the
    # notebooks do, and checked when a second arm is configured.
    second = PromptSet({ARM2_KEY: [PromptEntry(0, 1, ((1.0, 1.0),), (1,))]})
    validate_prompts(second, source="a.json", num_frames=10, size_wh=SIZE, config=cfg)
    validate_prompts(second, source="a.json", num_frames=10, size_wh=SIZE,
                     config=config(arm_obj_id_2=1))
    with pytest.raises(PromptError, match="obj_id: expected 4"):
        validate_prompts(second, source="a.json", num_frames=10, size_wh=SIZE,
                         config=config(arm_obj_id_2=4))


def grippers(left_x, right_x, left_n=1, right_n=1, frame=0, coord="abs"):
    def pts(x, n):
        return tuple((x, 100.0 + k) for k in range(n))

    return PromptSet({
        LEFT_KEY: [PromptEntry(frame, 2, pts(left_x, left_n), (1,) * left_n, coord)],
        RIGHT_KEY: [PromptEntry(frame, 3, pts(right_x, right_n), (1,) * right_n, coord)],
    })


def test_no_warnings_for_a_good_set():
    assert prompt_warnings(grippers(300.0, 1000.0), SIZE) == []
    assert prompt_warnings(grippers(0.2, 0.8, coord="rel"), SIZE) == []


def test_swap_warning_fires_for_each_wrong_side():
    warnings = prompt_warnings(grippers(1000.0, 300.0), SIZE)
    assert {w.key for w in warnings} == {LEFT_KEY, RIGHT_KEY}
    assert all("swapped" in w.message for w in warnings)
    rel = prompt_warnings(grippers(0.9, 0.8, coord="rel"), SIZE)
    assert [w.key for w in rel] == [LEFT_KEY] and "right half" in rel[0].message


def test_swap_warning_ignores_negative_clicks_and_minorities():
    # Left gripper: two positives on the left, one positive and a negative on the right.
    prompts = PromptSet({LEFT_KEY: [PromptEntry(0, 2, ((100.0, 1.0), (200.0, 1.0),
                                                       (1100.0, 1.0), (1200.0, 1.0)),
                                                (1, 1, 1, 0))]})
    assert prompt_warnings(prompts, SIZE) == []


def test_unequal_point_counts_warning():
    warnings = prompt_warnings(grippers(300.0, 1000.0, left_n=3, right_n=2, frame=40), SIZE)
    assert [(w.frame_index, "3 points" in w.message and "has 2" in w.message)
            for w in warnings] == [(40, True)]
    # Equal counts, or a keyframe with one side only: no warning.
    assert prompt_warnings(grippers(300.0, 1000.0, left_n=2, right_n=2), SIZE) == []
    one_side = PromptSet({LEFT_KEY: [PromptEntry(5, 2, ((10.0, 10.0), (20.0, 20.0)), (1, 1))],
                          RIGHT_KEY: [PromptEntry(6, 3, ((1000.0, 10.0),), (1,))]})
    assert prompt_warnings(one_side, SIZE) == []
