"""Generated prompts and kinematic sessions are redone when a kinematic input file changes
under the same config (joint states, URDF, intrinsics, camera pose)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("yourdfpy")

from robomask.config import load_config  # noqa: E402
from robomask.demo.kinematic import make_kinematic_scene  # noqa: E402
from robomask.pipeline.kinprompts import ensure_kinematic_prompts  # noqa: E402
from robomask.pipeline.sessions import plan_session, session_fingerprint  # noqa: E402
from robomask.scenes import scene  # noqa: E402

SIZE = (160, 90)


def _nudge(path):
    """Move a matrix's (0, last) entry by 2 (cx in K, x in a pose): a recalibration."""
    m = np.loadtxt(path)
    m[0, -1] += 0.002 if m[0, -1] < 10 else 2.0
    np.savetxt(path, m)


def _edit(path):
    if path.suffix == ".csv":  # a re-recorded joint value on the last frame
        head, *rows = path.read_text().splitlines()
        last = rows[-1].split(",")
        last[-1] = f"{float(last[-1]) + 0.01:.6f}"
        path.write_text("\n".join([head, *rows[:-1], ",".join(last)]) + "\n")
    elif path.suffix == ".urdf":
        path.write_text(path.read_text() + "\n<!-- edited -->\n")
    else:
        _nudge(path)


@pytest.mark.parametrize("name", ["joint_states.csv", "K.txt", "camera_pose.txt", "urdf"])
def test_generated_prompts_are_rewritten_when_an_input_file_changes(tmp_path, name):
    demo = make_kinematic_scene(tmp_path, num_frames=4, size_wh=SIZE)
    cfg = load_config(demo.config_path)
    s = scene(cfg, demo.scene)
    assert len(ensure_kinematic_prompts(s, cfg)) == 2
    assert ensure_kinematic_prompts(s, cfg) == []  # unchanged inputs: nothing to redo
    before = session_fingerprint("arm", plan_session("arm", s, cfg, s.frames()), cfg, s.frames())
    target = tmp_path / "robot" / "demo_arm.urdf" if name == "urdf" else demo.camera_dir / name
    _edit(target)
    assert ensure_kinematic_prompts(s, cfg) == [s.arm_prompts_path, s.gripper_prompts_path]
    after = session_fingerprint("arm", plan_session("arm", s, cfg, s.frames()), cfg, s.frames())
    assert after != before


def test_kinematic_masks_session_is_redone_when_the_calibration_changes(tmp_path):
    demo = make_kinematic_scene(tmp_path, num_frames=4, size_wh=SIZE)
    demo.config_path.write_text(demo.config_path.read_text().replace('"use": "prompts"',
                                                                     '"use": "masks"'))
    cfg = load_config(demo.config_path)
    s = scene(cfg, demo.scene)

    def fp() -> str:
        return session_fingerprint("gripper", plan_session("gripper", s, cfg, s.frames()), cfg,
                                   s.frames())

    before = fp()
    assert fp() == before
    _nudge(demo.camera_dir / "camera_pose.txt")
    assert fp() != before


def test_tree_digest_follows_a_joint_state_folder(tmp_path):
    from robomask.pipeline.state import tree_digest

    folder = tmp_path / "joint_states"
    folder.mkdir()
    (folder / "00000.npy").write_bytes(b"a")
    (folder / "00001.npy").write_bytes(b"b")
    first = tree_digest(folder)
    assert tree_digest(folder) == first and tree_digest(tmp_path / "none") is None
    (folder / "00001.npy").write_bytes(b"bb")
    changed = tree_digest(folder)
    assert changed != first
    (folder / "00002.npy").write_bytes(b"c")
    assert tree_digest(folder) not in (first, changed)


def test_users_own_prompts_are_redone_when_the_render_prior_changes(tmp_path):
    """With use: prompts the opencv backend tracks with the render as a shape prior, so a
    session on the user's own (not generated) prompt file depends on the calibration too."""
    import json

    demo = make_kinematic_scene(tmp_path, num_frames=4, size_wh=SIZE)
    cfg = load_config(demo.config_path)
    s = scene(cfg, demo.scene)
    ensure_kinematic_prompts(s, cfg)
    for path in (s.arm_prompts_path, s.gripper_prompts_path):  # the user takes them over
        data = json.loads(path.read_text())
        data["stats"] = {"edited_by": "a person"}
        path.write_text(json.dumps(data))
    assert ensure_kinematic_prompts(s, cfg) == []  # a user's file is never rewritten

    def fp() -> str:
        return session_fingerprint("arm", plan_session("arm", s, cfg, s.frames()), cfg,
                                   s.frames())

    before = fp()
    assert fp() == before
    _nudge(demo.camera_dir / "camera_pose.txt")
    assert ensure_kinematic_prompts(s, cfg) == []
    assert fp() != before
