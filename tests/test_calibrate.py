"""``robomask calibrate``: a perturbed camera pose refined from three masks."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("yourdfpy")

from cli_run import assert_user_error, run_cli  # noqa: E402
from robomask.config import load_config  # noqa: E402
from robomask.demo.kinematic import make_kinematic_scene  # noqa: E402
from robomask.io.maskstore import encode_png  # noqa: E402
from robomask.kinematics import open_scene_render  # noqa: E402
from robomask.kinematics.calibrate import pose_delta  # noqa: E402
from robomask.masks import mask_iou  # noqa: E402
from robomask.pipeline.calibrate import calibrate_scene  # noqa: E402
from robomask.scenes import scene  # noqa: E402


def test_calibrate_recovers_a_perturbed_pose(tmp_path, capsys):
    demo = make_kinematic_scene(tmp_path / "demo", num_frames=7, size_wh=(320, 180))
    masks = tmp_path / "masks"
    masks.mkdir()
    for i in range(demo.num_frames):
        whole = demo.ground_truth("arm", i) | demo.ground_truth("gripper", i)
        (masks / f"{i:05d}.png").write_bytes(encode_png(whole))
    pose_file = demo.camera_dir / "camera_pose.txt"
    true_pose = np.loadtxt(pose_file)
    # 2 cm and 2 degrees off, moved in the camera's own frame
    off = true_pose @ np.linalg.inv(pose_delta(np.r_[np.radians([1.2, -1.2, 1.0]),
                                                     [0.012, -0.01, 0.012]]))
    np.savetxt(pose_file, off)
    args = ["calibrate", "--config", str(demo.config_path), "--scene", demo.scene,
            "--frames", "0,3,6", "--masks", str(masks)]
    code, out = run_cli(args, capsys)
    assert code == 0, out
    refined = demo.camera_dir / "camera_pose.refined.txt"
    assert refined.is_file() and "before" in out and "after" in out
    cfg = load_config(demo.config_path)
    s = scene(cfg, demo.scene)
    before = open_scene_render(cfg, s)
    np.savetxt(pose_file, np.loadtxt(refined))
    after = open_scene_render(cfg, s)
    truth = [demo.ground_truth("arm", i) | demo.ground_truth("gripper", i) for i in range(7)]
    iou_before = np.mean([mask_iou(before.labels(i) > 0, truth[i]) for i in range(7)])
    iou_after = np.mean([mask_iou(after.labels(i) > 0, truth[i]) for i in range(7)])
    assert iou_before < 0.85 and iou_after > 0.9  # frames 1, 2, 4, 5 were not used
    code, out = run_cli(args, capsys)  # an earlier refined pose is kept without --force
    assert_user_error(code, out, "camera_pose.refined.txt", "--force")


def test_calibrate_progress_ends_complete_when_the_search_converges(tmp_path):
    demo = make_kinematic_scene(tmp_path / "demo", num_frames=2, size_wh=(160, 90))
    masks = tmp_path / "masks"
    masks.mkdir()
    whole = demo.ground_truth("arm", 0) | demo.ground_truth("gripper", 0)
    (masks / "00000.png").write_bytes(encode_png(whole))
    cfg = load_config(demo.config_path)
    updates = []
    calibrate_scene(scene(cfg, demo.scene), cfg, [0], masks_dir=masks,
                    on_progress=updates.append)
    last = updates[-1]
    assert 0 < last.done < 800 and last.total == last.done  # no bar left at 84/800
