"""The synthetic demo scene: deterministic, in the real layout, trackable."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from robomask.backends.opencv import OpenCVBackend
from robomask.config import load_config
from robomask.demo import make_demo_scene
from robomask.demo.scene import PARTS
from robomask.demo.synth import draw_frame, table_texture
from robomask.prompt_checks import prompt_warnings, validate_prompts
from robomask.prompts import ARM2_KEY, ARM_KEY, LEFT_KEY, RIGHT_KEY, read_prompts
from robomask.scenes import scene


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def test_same_seed_same_bytes_other_seed_other_frames(tmp_path):
    a = _files(make_demo_scene(tmp_path / "a", num_frames=6, size_wh=(160, 90)).root)
    b = _files(make_demo_scene(tmp_path / "b", num_frames=6, size_wh=(160, 90)).root)
    c = _files(make_demo_scene(tmp_path / "c", num_frames=6, size_wh=(160, 90), seed=1).root)
    assert a == b
    assert a.keys() == c.keys() and a != c


def test_layout_config_and_prompt_files_are_valid(tmp_path):
    demo = make_demo_scene(tmp_path, num_frames=12, size_wh=(192, 108))
    cfg = load_config(demo.config_path)
    assert cfg.backend == "opencv" and cfg.task_name == "demo_task"
    assert (cfg.arm_obj_id, cfg.arm_obj_id_2) == (0, None)
    assert (cfg.gripper_left_obj_id, cfg.gripper_right_obj_id) == (2, 3)
    sc = scene(cfg, demo.scene)
    assert sc.frames_path == demo.camera_dir / "color"
    frames = sc.frames()
    assert len(frames) == 12 and frames.size_wh == (192, 108)
    stamps = [int(s) for s in frames.stems]
    assert {b - a for a, b in zip(stamps[:-1], stamps[1:], strict=True)} <= {33, 34}
    for path, kind, keys in ((sc.arm_prompts_path, "arm", (ARM_KEY,)),
                             (sc.gripper_prompts_path, "gripper", (RIGHT_KEY,))):
        prompts = read_prompts(path, kind=kind)
        validate_prompts(prompts, source=str(path), num_frames=len(frames),
                         size_wh=frames.size_wh, config=cfg)
        assert prompt_warnings(prompts, frames.size_wh) == []
        for key in (ARM_KEY, ARM2_KEY, LEFT_KEY, RIGHT_KEY):
            entries = prompts[key]
            assert bool(entries) == (key in keys)
            for e in entries:
                assert 1 in e.labels and 0 in e.labels
        assert sorted({e.frame_index for k in keys for e in prompts[k]}) == [0, 6, 11]
    for kind in ("arm", "gripper"):
        assert len(list(demo.ground_truth_dirs[kind].glob("*.png"))) == 12
        assert all(demo.ground_truth(kind, i).any() for i in range(12))
    assert not (demo.ground_truth("arm", 5) & demo.ground_truth("gripper", 5)).any()


def test_prompts_click_every_part_once_and_negatives_nearby(tmp_path):
    """Each link, the cable and each finger get a positive click inside them; negatives
    fall off the object, one on its neighbour and one in a gap near the object."""
    demo = make_demo_scene(tmp_path, num_frames=3, size_wh=(640, 360))
    table = table_texture((640, 360), 0)
    sc = scene(load_config(demo.config_path), demo.scene)
    for path, key, kind, other in ((sc.arm_prompts_path, ARM_KEY, "arm", "gripper"),
                                   (sc.gripper_prompts_path, RIGHT_KEY, "gripper", "arm")):
        for e in read_prompts(path)[key]:
            frame = draw_frame(e.frame_index, 3, (640, 360), 0, table)
            xy = np.rint(e.points_px((640, 360))).astype(int)
            labels = np.array(e.labels)
            inside = {name: frame.parts[name][xy[:, 1], xy[:, 0]] for name in PARTS[kind]}
            for name, hit in inside.items():
                assert (hit & (labels == 1)).sum() == 1, (kind, e.frame_index, name)
            neg = xy[labels == 0]
            obj = getattr(frame, kind)
            assert not obj[neg[:, 1], neg[:, 0]].any()
            assert getattr(frame, other)[neg[:, 1], neg[:, 0]].any()
            near = cv2.dilate(obj.astype(np.uint8), np.ones((15, 15), np.uint8)) > 0
            assert near[neg[:, 1], neg[:, 0]].sum() >= 2, (kind, e.frame_index)


def test_a_second_call_leaves_no_stale_frames(tmp_path):
    make_demo_scene(tmp_path, num_frames=8, size_wh=(96, 54))
    demo = make_demo_scene(tmp_path, num_frames=5, size_wh=(96, 54))
    assert len(list((demo.camera_dir / "color").glob("*.png"))) == 5
    assert len(list(demo.ground_truth_dirs["arm"].glob("*.png"))) == 5


def test_rejects_too_few_frames(tmp_path):
    with pytest.raises(ValueError, match="num_frames"):
        make_demo_scene(tmp_path, num_frames=2)


@pytest.mark.parametrize(("kind", "path_attr", "key", "floor"), [
    ("arm", "arm_prompts_path", ARM_KEY, 0.93),  # measured 0.973 (480x270, 30 frames)
    ("gripper", "gripper_prompts_path", RIGHT_KEY, 0.9),  # measured 0.948
])
def test_opencv_backend_tracks_the_demo_arm_and_gripper(tmp_path, kind, path_attr, key, floor):
    demo = make_demo_scene(tmp_path, num_frames=30, size_wh=(480, 270))
    sc = scene(load_config(demo.config_path), demo.scene)
    frames = sc.frames()
    with OpenCVBackend().open_session(frames) as s:
        for e in read_prompts(getattr(sc, path_attr))[key]:
            s.add_clicks(e.frame_index, e.obj_id, e.points_px(frames.size_wh),
                         np.array(e.labels))
        ious = []
        for fm in s.propagate():
            gt = demo.ground_truth(kind, fm.frame_index)
            ious.append((fm.union() & gt).sum() / (fm.union() | gt).sum())
    assert len(ious) == 30
    assert np.mean(ious) >= floor, ious


def test_both_demo_kinds_write_their_outputs_to_the_same_folder(tmp_path):
    pytest.importorskip("yourdfpy")
    from robomask.demo.kinematic import make_kinematic_scene

    clicks = make_demo_scene(tmp_path / "c", num_frames=3, size_wh=(160, 90))
    kin = make_kinematic_scene(tmp_path / "k", num_frames=3, size_wh=(160, 90))
    roots = [load_config(d.config_path).output_dir.relative_to(d.root) for d in (clicks, kin)]
    assert roots[0] == roots[1], roots
