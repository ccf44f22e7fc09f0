"""One test per bad input, through the CLI: a non-zero exit, a message that names the
culprit, and no traceback."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from cli_run import run_cli, wide_console  # noqa: F401
from robomask.cli import common
from robomask.prompts import LEFT_KEY, RIGHT_KEY


def check(sc, capsys) -> tuple[int, str]:
    return run_cli(["check", "--config", str(sc.config_path), "--scene", sc.name], capsys)


def merge(sc, capsys) -> tuple[int, str]:
    return run_cli(["merge", "--config", str(sc.config_path), "--scene", sc.name], capsys)


def edit_config(sc, old: str, new: str) -> None:
    text = sc.config_path.read_text()
    assert old in text
    sc.config_path.write_text(text.replace(old, new))


def assert_user_error(code: int, out: str, *culprits: str) -> None:
    """Exit 2 (user error) with a one-line message naming every culprit."""
    assert code == 2, out
    line = next(ln for ln in out.splitlines() if ln.startswith("error:"))
    for c in culprits:
        assert c in line, f"{c!r} not in {line!r}"


def assert_check_problem(code: int, out: str, *culprits: str) -> None:
    """`check` exits 1 and one row of its problem table names every culprit."""
    assert code == 1, out
    rows = [ln for ln in out.splitlines() if "error" in ln]
    assert any(all(c in row for c in culprits) for row in rows), out


# --- the config ---

def test_missing_config_file(tmp_path, capsys):
    missing = tmp_path / "nowhere" / "mask_config.yaml"
    code, out = run_cli(["check", "--config", str(missing)], capsys)
    assert_user_error(code, out, str(missing), "robomask init")


def test_missing_config_key(make_scene, capsys):
    sc = make_scene()
    text = "\n".join(ln for ln in sc.config_path.read_text().splitlines()
                     if not ln.startswith("task_name:"))
    sc.config_path.write_text(text)
    code, out = check(sc, capsys)
    assert_user_error(code, out, str(sc.config_path), "'task_name'", "no such key")


def test_unknown_config_key_suggests_closest(make_scene, capsys):
    sc = make_scene()
    edit_config(sc, "export_arm_dilate_radius:", "export_arm_dilate_radus:")
    code, out = merge(sc, capsys)
    assert_user_error(code, out, str(sc.config_path), "'export_arm_dilate_radus'",
                      "did you mean 'export_arm_dilate_radius'")


def test_wrong_type(make_scene, capsys):
    sc = make_scene()
    edit_config(sc, "vis_frame_stride: 30", "vis_frame_stride: every thirty")
    code, out = check(sc, capsys)
    assert_user_error(code, out, str(sc.config_path), "'vis_frame_stride'", "integer",
                      "'every thirty'")


def test_duplicate_object_ids(make_scene, capsys):
    sc = make_scene()
    edit_config(sc, "gripper_right_obj_id: 3", "gripper_right_obj_id: 2")
    code, out = check(sc, capsys)
    assert_user_error(code, out, "gripper_right_obj_id", "gripper_left_obj_id", "got 2")


def test_negative_radius(make_scene, capsys):
    sc = make_scene()
    edit_config(sc, "export_gripper_dilate_radius: 15", "export_gripper_dilate_radius: -3")
    code, out = merge(sc, capsys)
    assert_user_error(code, out, "'export_gripper_dilate_radius'", "greater than or equal to 0",
                      "-3")


def test_yaml_syntax_error_names_line(make_scene, capsys):
    sc = make_scene()
    edit_config(sc, 'camera: "105422061350"', 'camera: ["105422061350"')
    code, out = check(sc, capsys)
    assert_user_error(code, out, str(sc.config_path), "line")


# --- scenes and frames ---

def test_scene_folder_missing(make_scene, capsys):
    sc = make_scene()
    code, out = run_cli(["merge", "--config", str(sc.config_path), "--scene", "scene_9999"],
                        capsys)
    assert_user_error(code, out, "'scene_9999'", "scene_0001")  # the hint lists real scenes


def test_no_frames(make_scene, capsys):
    sc = make_scene()
    for p in sc.frames_dir.iterdir():
        p.unlink()
    (sc.frames_dir / "notes.txt").write_text("not a frame")
    code, out = merge(sc, capsys)
    assert_user_error(code, out, str(sc.frames_dir), "got none")


def frame_files(sc) -> list[Path]:
    return sorted(sc.frames_dir.glob("*.png"), key=lambda p: int(p.stem))


def test_corrupt_frame(make_scene, capsys):
    sc = make_scene()
    bad = frame_files(sc)[3]
    bad.write_bytes(b"this is not a png")
    code, out = check(sc, capsys)
    assert_check_problem(code, out, bad.name, "frame 3", "readable image")


def test_truncated_frame(make_scene, capsys):
    sc = make_scene()
    bad = frame_files(sc)[5]
    data = bad.read_bytes()
    bad.write_bytes(data[:len(data) // 2])  # the header still parses
    code, out = check(sc, capsys)
    assert_check_problem(code, out, bad.name, "frame 5", "truncated")


def test_unreadable_first_frame_stops_merge(make_scene, capsys):
    sc = make_scene()
    bad = frame_files(sc)[0]
    bad.write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    code, out = merge(sc, capsys)
    assert_user_error(code, out, bad.name, "frame 0")


def test_frames_of_different_sizes_names_first_odd_one(make_scene, capsys):
    sc = make_scene()
    files = frame_files(sc)
    for k in (4, 6):
        cv2.imwrite(str(files[k]), np.zeros((32, 48, 3), np.uint8))
    code, out = check(sc, capsys)
    assert_check_problem(code, out, files[4].name, "96x64", "48x32")
    assert files[6].name not in out


# --- prompt files ---

def gripper_file(sc) -> Path:
    return sc.camera_dir / "annotation_prompts_gripper_points.json"


def edit_gripper_entry(sc, key: str = LEFT_KEY, **changes: object) -> None:
    data = json.loads(gripper_file(sc).read_text())
    data["prompts"][key][0].update(changes)
    gripper_file(sc).write_text(json.dumps(data, indent=2))


def test_prompt_json_does_not_parse(make_scene, capsys):
    sc = make_scene()
    gripper_file(sc).write_text('{\n  "prompts": {\n    "GRIPPER_LEFT_KEYFRAME_PROMPTS": [,]\n')
    code, out = check(sc, capsys)
    assert_check_problem(code, out, gripper_file(sc).name, "line 3, column 39")


def test_missing_prompt_key(make_scene, capsys):
    sc = make_scene()
    data = json.loads(gripper_file(sc).read_text())
    del data["prompts"][RIGHT_KEY]
    gripper_file(sc).write_text(json.dumps(data))
    code, out = check(sc, capsys)
    assert_check_problem(code, out, gripper_file(sc).name, f"'{RIGHT_KEY}'")


def test_missing_entry_key(make_scene, capsys):
    sc = make_scene()
    data = json.loads(gripper_file(sc).read_text())
    del data["prompts"][LEFT_KEY][0]["labels"]
    gripper_file(sc).write_text(json.dumps(data))
    code, out = check(sc, capsys)
    assert_check_problem(code, out, f"{LEFT_KEY}[0]", "'labels'")


def test_frame_index_out_of_range(make_scene, capsys):
    sc = make_scene()
    edit_gripper_entry(sc, frame_index=99)
    code, out = check(sc, capsys)
    assert_check_problem(code, out, gripper_file(sc).name, f"{LEFT_KEY}[0]", "frame_index",
                         "0..7", "got 99")


def test_point_outside_image(make_scene, capsys):
    sc = make_scene()
    edit_gripper_entry(sc, RIGHT_KEY, coord_type="abs", points=[[50, 10], [120, 30]],
                       labels=[1, 1])
    code, out = check(sc, capsys)
    assert_check_problem(code, out, f"{RIGHT_KEY}[0]", "point 1", "96x64", "(120, 30)")


def test_rel_point_outside_unit_square(make_scene, capsys):
    sc = make_scene()
    edit_gripper_entry(sc, coord_type="rel", points=[[0.2, 1.5]])
    code, out = check(sc, capsys)
    assert_check_problem(code, out, f"{LEFT_KEY}[0]", "point 0", "[0, 1]", "(0.2, 1.5)")


def test_label_not_zero_or_one(make_scene, capsys):
    sc = make_scene()
    edit_gripper_entry(sc, labels=[2])
    code, out = check(sc, capsys)
    assert_check_problem(code, out, f"{LEFT_KEY}[0]", "labels", "0 or 1", "[2]")


def test_points_and_labels_of_different_length(make_scene, capsys):
    sc = make_scene()
    edit_gripper_entry(sc, points=[[0.1, 0.1], [0.2, 0.2]], labels=[1])
    code, out = check(sc, capsys)
    assert_check_problem(code, out, f"{LEFT_KEY}[0]", "2 points and 1 labels")


def test_obj_id_does_not_match_its_key(make_scene, capsys):
    sc = make_scene()
    edit_gripper_entry(sc, obj_id=7)
    code, out = check(sc, capsys)
    assert_check_problem(code, out, f"{LEFT_KEY}[0]", "obj_id", "expected 2", "got 7")


# --- check's report and merge's inputs ---

def test_check_prints_one_table_for_all_problems(make_scene, capsys):
    sc = make_scene()
    make_scene(name="scene_0002")
    edit_gripper_entry(sc, labels=[5])
    bad = sorted((sc.root / "data/task_0001/train/scene_0002/cam_105422061350/color")
                 .glob("*.png"))[2]
    bad.write_bytes(bad.read_bytes()[:200])
    code, out = run_cli(["check", "--config", str(sc.config_path), "--scenes", "scene_*"],
                        capsys)
    assert code == 1
    assert out.count("problem") == 1  # one table header
    assert "scene_0001" in out and "scene_0002" in out
    assert "2 error(s), 0 warning(s)" in out


def test_check_table_keeps_long_paths_whole_at_80_columns(make_scene, capsys, monkeypatch):
    sc = make_scene()
    gripper_file(sc).unlink()
    monkeypatch.setattr(common.console, "width", 80)
    code, out = check(sc, capsys)
    assert code == 1 and "…" not in out
    cells = "".join(ln.split("│")[4].strip() for ln in out.splitlines() if ln.count("│") == 5)
    assert str(gripper_file(sc)) in cells


def test_check_clean_scene_and_warnings_only_exit_zero(make_scene, capsys):
    sc = make_scene()
    assert check(sc, capsys) == (
        0, "checked 1 scene (config, frame headers, prompt files): no problems found\n")
    edit_gripper_entry(sc, points=[[0.8, 0.1]])  # left gripper clicked on the right half
    code, out = check(sc, capsys)
    assert code == 0 and "warning" in out and "swapped" in out


def test_merge_without_session_masks(make_scene, capsys):
    sc = make_scene(with_ckpt=False)
    code, out = merge(sc, capsys)
    assert_user_error(code, out, f"{sc.name}_ckpt_arm", "robomask segment")


def test_merge_with_corrupt_session_mask(make_scene, capsys):
    sc = make_scene()
    bad = sc.out_dir / f"{sc.name}_ckpt_gripper" / "00002.png"
    bad.write_bytes(bad.read_bytes()[:40])
    code, out = merge(sc, capsys)
    assert_user_error(code, out, str(bad), "frame 2", "corrupt")


def test_usage_error_is_one_message_not_a_traceback(make_scene, capsys):
    sc = make_scene()
    code, out = run_cli(["merge", "--config", str(sc.config_path), "--radius", "3"], capsys)
    assert code == 2 and "--radius" in out


def test_path_the_file_system_refuses_is_one_line(make_scene, capsys):
    sc = make_scene()
    edit_config(sc, 'split: "train"', 'split: "' + "x" * 100_000 + '"')
    code, out = check(sc, capsys)
    assert code == 2 and "File name too long" in out and len(out) < 2000


def test_obj_id_mismatch_names_the_config_key_too(make_scene, capsys):
    sc = make_scene()
    edit_config(sc, "gripper_right_obj_id: 3", "gripper_right_obj_id: 16")
    code, out = check(sc, capsys)
    assert_check_problem(code, out, "RIGHT_KEYFRAME_PROMPTS[0]", "gripper_right_obj_id",
                         "expected 16")
