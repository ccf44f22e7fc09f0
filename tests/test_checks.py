"""checks.py: what ``robomask check`` finds in a scene, without a model."""

from __future__ import annotations

import json
import zlib

from robomask.checks import check_scene, check_scenes
from robomask.config import load_config
from robomask.prompts import LEFT_KEY, RIGHT_KEY
from robomask.scenes import scene


def problems(sc, config=None, **kwargs):
    cfg = config or sc.config
    return check_scene(scene(cfg, sc.name), cfg, **kwargs)


def test_clean_scene_has_no_problems(make_scene):
    sc = make_scene()
    assert problems(sc) == []
    assert problems(sc, decode=True) == []


def test_missing_prompt_files(make_scene):
    sc = make_scene(with_prompts=False)
    found = problems(sc)
    assert [(p.what, p.severity) for p in found] == [("gripper prompts", "error")]
    assert "annotation_prompts_gripper_points.json" in found[0].message
    # Without a text prompt (opencv backend) the arm needs clicks too.
    opencv = load_config(sc.config_path, backend="opencv")
    assert {p.what for p in problems(sc, opencv)} == {"arm prompts", "gripper prompts"}


def test_frame_problem_stops_the_scene_check(make_scene):
    sc = make_scene()
    bad = sorted(sc.frames_dir.glob("*.png"))[1]
    bad.write_bytes(bad.read_bytes()[:100])
    found = problems(sc)
    assert len(found) == 1 and found[0].what == "frames" and bad.name in found[0].message


def _damage_png(path, *, fix_checksum: bool) -> None:
    """Zero 64 bytes of pixel data, keeping header and IEND intact."""
    data = bytearray(path.read_bytes())
    idat = data.index(b"IDAT")
    length = int.from_bytes(data[idat - 4:idat], "big")
    data[idat + 40:idat + 104] = bytes(64)
    if fix_checksum:  # a PNG whose CRC was recomputed over the damage
        crc = zlib.crc32(data[idat:idat + 4 + length])
        data[idat + 4 + length:idat + 8 + length] = crc.to_bytes(4, "big")
    path.write_bytes(bytes(data))


def test_default_check_catches_corrupt_png_data_by_checksum(make_scene):
    sc = make_scene()
    bad = sorted(sc.frames_dir.glob("*.png"))[2]
    _damage_png(bad, fix_checksum=False)
    found = problems(sc)
    assert len(found) == 1 and found[0].what == "frames"
    assert f"{bad.name} (frame 2)" in found[0].message and "corrupt data" in found[0].message


def test_decode_catches_damage_with_valid_checksums(make_scene):
    sc = make_scene()
    bad = sorted(sc.frames_dir.glob("*.png"))[2]
    _damage_png(bad, fix_checksum=True)
    assert problems(sc) == []
    found = problems(sc, decode=True)
    assert len(found) == 1 and found[0].what == "frames" and "frame 2" in found[0].message
    assert "1 of 8 frames failed to decode" in found[0].message


def test_warnings_are_reported_but_are_not_errors(make_scene):
    sc = make_scene()
    path = sc.camera_dir / "annotation_prompts_gripper_points.json"
    data = json.loads(path.read_text())
    data["prompts"][LEFT_KEY][0]["points"] = [[0.9, 0.1], [0.8, 0.2]]
    data["prompts"][LEFT_KEY][0]["labels"] = [1, 1]
    data["prompts"][RIGHT_KEY][0]["points"] = [[0.1, 0.1]]
    path.write_text(json.dumps(data))
    found = problems(sc)
    assert {p.severity for p in found} == {"warning"}
    messages = " ".join(p.message for p in found)
    assert "swapped" in messages and "2 points" in messages


def test_bootstrap_frame_beyond_the_video(make_scene):
    sc = make_scene(arm_text_bootstrap_frame_index=8)
    found = problems(sc)
    assert [(p.what, p.severity) for p in found] == [("config", "error")]
    assert "arm_text_bootstrap_frame_index: expected 0..7, got 8" in found[0].message


def test_selection_errors_become_problems(make_scene):
    sc = make_scene()
    found = check_scenes(sc.config, ["scene_9*"])
    assert [(p.what, p.severity) for p in found] == [("scenes", "error")]
    assert "scene_9*" in found[0].message
    make_scene(name="scene_0002")
    assert check_scenes(sc.config, ["scene_*"]) == []
