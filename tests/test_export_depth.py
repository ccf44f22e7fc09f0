"""robomask depth: masked depth against known arm pixels, point clouds read back by plyfile."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from cli_run import assert_user_error, run_cli, wide_console  # noqa: F401
from conftest import write_config
from robomask.errors import ExportError
from robomask.export.depth import scene_intrinsics
from robomask.export.pointcloud import near_robot
from robomask.pipeline.merge import merge_scene
from robomask.scenes import scene as get_scene

K = [[80.0, 0.0, 47.5], [0.0, 80.0, 31.5], [0.0, 0.0, 1.0]]


def depth_cmd(sc, capsys, *extra: str) -> tuple[int, str]:
    return run_cli(["depth", "--config", str(sc.config_path), "--scene", sc.name, *extra],
                   capsys)


def depth_scene(make_scene, **values):
    """A scene with radius-0 merged masks (exported = arm minus gripper, exactly) and a
    depth PNG per frame: millimetres, with some pixels unmeasured (0)."""
    sc = make_scene(export_arm_dilate_radius=0, export_gripper_dilate_radius=0, **values)
    merge_scene(get_scene(sc.config, sc.name), sc.config)
    rng = np.random.default_rng(1)
    folder = sc.camera_dir / "depth"
    folder.mkdir()
    depths = []
    w, h = sc.size_wh
    for f in sorted(sc.frames_dir.iterdir(), key=lambda p: int(p.stem)):
        d = rng.integers(400, 3000, (h, w), dtype=np.uint16)
        d[rng.random((h, w)) < 0.05] = 0
        cv2.imwrite(str(folder / f"{f.stem}.png"), d)
        depths.append((f.stem, d))
    return sc, depths


def test_masked_depth_zeroes_exactly_the_arm_pixels(make_scene, capsys):
    sc, depths = depth_scene(make_scene)
    code, out = depth_cmd(sc, capsys)
    assert code == 0, out
    folder = sc.out_dir / f"{sc.name}_depth_masked"
    assert sorted(p.stem for p in folder.iterdir()) == sorted(s for s, _ in depths)
    for i, (stem, d) in enumerate(depths):
        got = cv2.imread(str(folder / f"{stem}.png"), cv2.IMREAD_UNCHANGED)
        assert got.dtype == np.uint16
        arm = sc.arm_gt[i] & ~sc.gripper_gt[i]
        assert arm.any()
        assert not got[arm].any()
        np.testing.assert_array_equal(got[~arm], d[~arm])


def test_ply_read_back_with_plyfile(make_scene, capsys):
    from plyfile import PlyData

    sc, depths = depth_scene(make_scene, depth_intrinsics=K, depth_scale=1000.0)
    code, out = depth_cmd(sc, capsys, "--ply")
    assert code == 0, out
    stem, d = depths[3]
    ply = PlyData.read(str(sc.out_dir / f"{sc.name}_pointcloud" / f"{stem}.ply"))
    assert ply.text is False and ply.byte_order == "<"
    v = ply["vertex"].data
    keep = (d > 0) & ~(sc.arm_gt[3] & ~sc.gripper_gt[3])
    assert len(v) == keep.sum()
    ys, xs = np.nonzero(keep)  # row-major, the order the points are written in
    z = d[ys, xs] / 1000.0
    np.testing.assert_allclose(v["z"], z, rtol=1e-6)
    np.testing.assert_allclose(v["x"], (xs - 47.5) * z / 80.0, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(v["y"], (ys - 31.5) * z / 80.0, rtol=1e-5, atol=1e-6)
    rgb = cv2.imread(str(sc.frames_dir / f"{stem}.png"))[..., ::-1]
    np.testing.assert_array_equal(np.stack([v["red"], v["green"], v["blue"]], 1), rgb[keep])


def test_intrinsics_from_the_kinematics_section(make_scene, tmp_path):
    sc = make_scene()
    np.savetxt(sc.camera_dir / "K.txt", np.array(K))
    text = sc.config_path.read_text().replace(
        "kinematics: null", "kinematics: {urdf: r.urdf, joint_states: j, intrinsics: "
        "'{cam_dir}/K.txt', camera_pose_in_base: [[1,0,0,0],[0,1,0,0],[0,0,1,0],[0,0,0,1]]}")
    path = tmp_path / "kin.yaml"
    path.write_text(text)
    from robomask.config import load_config

    cfg = load_config(path)
    np.testing.assert_array_equal(scene_intrinsics(cfg, get_scene(cfg, sc.name)), K)
    cfg2 = write_config(tmp_path / "k2.yaml", **{**cfg.model_dump(mode="json"),
                                                 "kinematics": None, "depth_intrinsics": None})
    with pytest.raises(ExportError, match="depth_intrinsics"):
        scene_intrinsics(cfg2, get_scene(cfg2, sc.name))


def test_near_robot_drops_points_close_to_the_rendered_arm():
    h, w = 60, 80
    Km = np.array(K)
    depth = np.full((h, w), 1.0)          # a wall 1 m away
    depth[20:40, 30:50] = 0.8             # the arm, 20 cm in front of it
    robot = np.zeros((h, w), bool)
    robot[20:40, 30:50] = True
    depth[20:40, 50:53] = 0.81            # 1 cm behind the arm's edge, 1-3 px right
    depth[20:40, 53:56] = 0.95            # beyond 5 cm
    near = near_robot(depth, robot, Km, 0.05)
    assert near[robot].all()
    assert near[20:40, 50:53].all()
    assert not near[20:40, 53:].any()
    assert not near[:15].any()            # the wall, 20 cm behind


# --- bad input ------------------------------------------------------------------------

def test_missing_depth_image(make_scene, capsys):
    sc, depths = depth_scene(make_scene)
    stem = depths[2][0]
    (sc.camera_dir / "depth" / f"{stem}.png").unlink()
    code, out = depth_cmd(sc, capsys)
    assert_user_error(code, out, f"depth/{stem}.png", "frame 2")
    assert not (sc.out_dir / f"{sc.name}_depth_masked").exists()


def test_depth_folder_missing(make_scene, capsys):
    sc = make_scene()
    merge_scene(get_scene(sc.config, sc.name), sc.config)
    assert_user_error(*depth_cmd(sc, capsys), str(sc.camera_dir / "depth"), "depth_dir")


def test_depth_of_another_size(make_scene, capsys):
    sc, depths = depth_scene(make_scene)
    stem = depths[5][0]
    cv2.imwrite(str(sc.camera_dir / "depth" / f"{stem}.png"), np.ones((10, 12), np.uint16))
    assert_user_error(*depth_cmd(sc, capsys), f"{stem}.png", "96x64", "12x10", "frame 5")


def test_depth_not_16_bit(make_scene, capsys):
    sc, depths = depth_scene(make_scene)
    stem = depths[1][0]
    cv2.imwrite(str(sc.camera_dir / "depth" / f"{stem}.png"), np.ones((64, 96), np.uint8))
    assert_user_error(*depth_cmd(sc, capsys), f"{stem}.png", "16-bit", "8-bit")


def test_depth_target_exists_without_force(make_scene, capsys):
    sc, _ = depth_scene(make_scene)
    assert depth_cmd(sc, capsys)[0] == 0
    target = sc.out_dir / f"{sc.name}_depth_masked"
    assert_user_error(*depth_cmd(sc, capsys), str(target), "--force")
    assert depth_cmd(sc, capsys, "--force")[0] == 0


def test_ply_without_intrinsics_and_near_robot_without_kinematics(make_scene, capsys):
    sc, _ = depth_scene(make_scene)
    assert_user_error(*depth_cmd(sc, capsys, "--ply"), "depth_intrinsics")
    assert_user_error(*depth_cmd(sc, capsys, "--near-robot", "0.02"), "--near-robot",
                      "kinematics")
    assert not (sc.out_dir / f"{sc.name}_depth_masked").exists()


def test_near_robot_end_to_end_with_the_rendered_arm(tmp_path, capsys):
    pytest.importorskip("yourdfpy")
    from tests.kin_robot import make_kin_scene

    from robomask.io.maskstore import MaskStore
    from robomask.kinematics import open_scene_render

    cfg, path = make_kin_scene(tmp_path)
    sc = get_scene(cfg, "scene_0001")
    frames = sc.frames()
    store = MaskStore(sc.mask_dir("export"), size_wh=frames.size_wh, stems=frames.stems)
    w, h = frames.size_wh
    for i in range(len(frames)):
        store.write(i, np.zeros((h, w), bool))    # nothing segmented: only the render counts
    robot = open_scene_render(cfg, sc, frames).frame_masks(0).union(cfg.arm_ids)
    band = cv2.dilate(robot.view(np.uint8), np.ones((5, 5), np.uint8)).astype(bool) & ~robot
    depth = np.full((h, w), 1500, np.uint16)   # a wall 1.5 m away
    depth[robot] = 900                          # the arm
    depth[band] = 905                           # 5 mm behind it, up to 2 px off the render
    (sc.camera_dir / "depth").mkdir()
    for stem in frames.stems:
        cv2.imwrite(str(sc.camera_dir / "depth" / f"{stem}.png"), depth)
    code, out = run_cli(["depth", "--config", str(path), "--near-robot", "0.02"], capsys)
    assert code == 0, out
    got = cv2.imread(str(sc.output_dir / "scene_0001_depth_masked" / f"{frames.stems[0]}.png"),
                     cv2.IMREAD_UNCHANGED)
    assert robot.any() and band.any()
    assert not got[robot | band].any()
    assert (got[~(robot | band)] == 1500).all()
