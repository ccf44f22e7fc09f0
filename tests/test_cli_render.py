"""``robomask render`` end to end, and every bad kinematics input as one line, exit 2."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("yourdfpy")

from tests.kin_robot import make_kin_scene, write_urdf  # noqa: E402

from cli_run import assert_user_error, run_cli  # noqa: E402
from robomask.io.maskstore import decode_png  # noqa: E402


def render(path, capsys, *extra: str) -> tuple[int, str]:
    return run_cli(["render", "--config", str(path), *extra], capsys)


def test_render_writes_masks_and_preview(tmp_path, capsys):
    cfg, path = make_kin_scene(tmp_path)
    code, out = render(path, capsys)
    assert code == 0, out
    folder = cfg.output_dir / "scene_0001_render"
    arm = decode_png((folder / "arm" / "00000.png").read_bytes())
    finger = decode_png((folder / "gripper_left" / "00000.png").read_bytes())
    assert arm.shape == (480, 640) and set(np.unique(arm)) == {0, 255}
    assert finger.any() and not (finger & arm).any()
    assert (folder / "preview.png").stat().st_size > 0
    code, out = render(path, capsys)  # a folder with files is not overwritten silently
    assert_user_error(code, out, "scene_0001_render", "--force")
    assert render(path, capsys, "--force")[0] == 0


def test_render_prints_its_paths_whole_on_a_narrow_terminal(tmp_path, capsys, monkeypatch):
    from robomask.cli import common

    monkeypatch.setattr(common.console, "width", 60)
    cfg, path = make_kin_scene(tmp_path)
    code, out = render(path, capsys)
    assert code == 0, out
    folder = cfg.output_dir / "scene_0001_render"
    assert f"preview: {folder / 'preview.png'}" in out.splitlines()
    assert any(line.startswith(f"wrote {folder} (") for line in out.splitlines())


def _edit(path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, text
    path.write_text(text.replace(old, new))


@pytest.mark.parametrize("case", ["urdf_missing", "urdf_invalid", "mesh_missing",
                                  "unknown_link", "unknown_joint", "count", "intrinsics",
                                  "focal", "not_rigid", "behind", "tolerance"])
def test_bad_kinematics_input_is_one_line(tmp_path, capsys, case):
    cfg, path = make_kin_scene(tmp_path)
    cam = tmp_path / "data" / "task" / "train" / "scene_0001" / "cam_0"
    urdf = tmp_path / "robot" / "toy.urdf"
    culprits: tuple[str, ...]
    if case == "urdf_missing":
        urdf.unlink()
        culprits = ("kinematics.urdf", "toy.urdf")
    elif case == "urdf_invalid":
        urdf.write_text("<robot name='x'><link name='a'>")
        culprits = ("toy.urdf", "expected a valid URDF")
    elif case == "mesh_missing":
        write_urdf(tmp_path / "robot", '<mesh filename="meshes/near.stl"/>')
        culprits = ("meshes/near.stl", "expected a file")
    elif case == "unknown_link":
        _edit(path, '"finger"]', '"thumb"]')
        culprits = ("kinematics.gripper_left_links", "'thumb'")
    elif case == "unknown_joint":
        _edit(path, '"turn"]', '"twist"]')
        culprits = ("kinematics.joint_names", "'twist'")
    elif case == "count":
        np.save(next((cam / "joints").glob("*.npy")), [1.0, 2.0, 3.0])
        culprits = ("joints", "expected 2 joint values", "got 3")
    elif case == "intrinsics":
        (cam / "K.txt").write_text("1 2\n3 4\n")
        culprits = ("K.txt", "3x3")
    elif case == "focal":
        (cam / "K.txt").write_text("0 0 320\n0 600 240\n0 0 1\n")
        culprits = ("K.txt", "positive focal")
    elif case == "not_rigid":
        np.savetxt(cam / "pose.txt", np.diag([2.0, 2.0, 2.0, 1.0]))
        culprits = ("pose.txt", "rigid transform")
    elif case == "behind":
        np.savetxt(cam / "pose.txt", np.diag([1.0, -1.0, -1.0, 1.0]))
        culprits = ("behind the camera", "convention")
    else:
        (cam / "joints").rename(cam / "old")
        (cam / "q.csv").write_text("timestamp,slide,turn\n0.0,0,0\n")
        _edit(path, "{cam_dir}/joints", "{cam_dir}/q.csv")
        culprits = ("q.csv", "frame 0", "within 0.02 s")
    code, out = render(path, capsys)
    assert_user_error(code, out, *culprits)


def test_render_without_a_kinematics_section_says_which_key(tmp_path, capsys, make_scene):
    sc = make_scene()
    for command in ("render", "calibrate"):
        code, out = run_cli([command, "--config", str(sc.config_path)], capsys)
        assert_user_error(code, out, "kinematics: expected the config section", "got none")
