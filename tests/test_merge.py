"""pipeline/merge.py against SPEC section 5, with the expected masks computed by scipy."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from conftest import spec_dilate, spec_export
from robomask.config import load_config
from robomask.errors import MaskStoreError, MergeError, StageNotReadyError
from robomask.pipeline.merge import combine, dilate, merge_frame, merge_scene
from robomask.scenes import scene


def random_blobs(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A few rectangles, some touching the image border."""
    m = np.zeros((h, w), bool)
    for _ in range(rng.integers(1, 4)):
        x0, y0 = rng.integers(-5, w), rng.integers(-5, h)
        m[max(y0, 0):y0 + rng.integers(1, 20), max(x0, 0):x0 + rng.integers(1, 30)] = True
    return m


def _spread(radius: int, kernel: str) -> np.ndarray:
    """What dilate() makes of one pixel: its structuring element, (2r+1) x (2r+1)."""
    dot = np.zeros((2 * radius + 5, 2 * radius + 5), bool)
    dot[radius + 2, radius + 2] = True
    return dilate(dot, radius, kernel)[2:-2, 2:-2]


def test_disk_kernel_is_opencv_ellipse_not_euclidean():
    # The disk rule (SPEC section 5), written out: at r = 2 OpenCV's ellipse has 17 pixels
    # where x^2 + y^2 <= 4 has 13; at r = 1 it is the plus shape.
    np.testing.assert_array_equal(_spread(2, "disk"), np.array([
        [0, 0, 1, 0, 0],
        [1, 1, 1, 1, 1],
        [1, 1, 1, 1, 1],
        [1, 1, 1, 1, 1],
        [0, 0, 1, 0, 0]], bool))
    np.testing.assert_array_equal(_spread(1, "disk"), np.array([
        [0, 1, 0],
        [1, 1, 1],
        [0, 1, 0]], bool))
    assert _spread(2, "square").all() and _spread(2, "square").shape == (5, 5)
    dy, dx = np.mgrid[-2:3, -2:3]
    assert (dx**2 + dy**2 <= 4).sum() == 13 != _spread(2, "disk").sum()


@pytest.mark.parametrize("kernel", ["square", "disk"])
@pytest.mark.parametrize("radius", [0, 1, 2, 3, 7, 15])
def test_dilate_matches_scipy(kernel, radius):
    rng = np.random.default_rng(radius)
    for _ in range(20):
        m = random_blobs(rng, 48, 70)
        np.testing.assert_array_equal(dilate(m, radius, kernel), spec_dilate(m, radius, kernel))


def test_dilate_edge_cases():
    empty = np.zeros((20, 30), bool)
    assert not dilate(empty, 5).any()
    full = np.ones((20, 30), bool)
    assert dilate(full, 5).all()
    corner = empty.copy()
    corner[0, 0] = True
    np.testing.assert_array_equal(dilate(corner, 3), spec_dilate(corner, 3))
    with pytest.raises(ValueError, match="radius_px"):
        dilate(corner, -1)


def test_combine_modes():
    a = np.array([[1, 1, 0, 0]], bool)
    g = np.array([[1, 0, 1, 0]], bool)
    assert combine(a, g, "arm_minus_gripper").tolist() == [[False, True, False, False]]
    assert combine(a, g, "union").tolist() == [[True, True, True, False]]
    assert combine(a, g, "arm").tolist() == a.tolist()
    assert combine(a, g, "gripper").tolist() == g.tolist()
    with pytest.raises(ValueError, match="export_mode"):
        combine(a, g, "intersection")


def test_merge_frame_uses_both_radii(make_scene):
    sc = make_scene(export_arm_dilate_radius=4, export_gripper_dilate_radius=2)
    got = merge_frame(sc.arm_gt[3], sc.gripper_gt[3], sc.config)
    np.testing.assert_array_equal(got, spec_export(sc.arm_gt[3], sc.gripper_gt[3], 4, 2,
                                                   "arm_minus_gripper"))


def read_exports(sc) -> list[np.ndarray]:
    s = scene(sc.config, sc.name)
    store = s.store("export", s.frames())
    return [store.read(i) for i in range(sc.num_frames)]


def test_merge_scene_resume_force_and_fingerprint(make_scene):
    sc = make_scene(export_arm_dilate_radius=3, export_gripper_dilate_radius=1)
    s = scene(sc.config, sc.name)
    first = merge_scene(s, sc.config)
    assert (first.frames_written, first.frames_skipped) == (sc.num_frames, 0)

    again = merge_scene(s, sc.config)
    assert (again.frames_written, again.frames_skipped) == (0, sc.num_frames)

    (s.mask_dir("export") / "00002.png").unlink()
    partial = merge_scene(s, sc.config)
    assert (partial.frames_written, partial.frames_skipped) == (1, sc.num_frames - 1)

    forced = merge_scene(s, sc.config, force=True)
    assert forced.frames_written == sc.num_frames

    wider = load_config(sc.config_path, export_arm_dilate_radius=6)
    redo = merge_scene(s, wider)
    assert redo.frames_written == sc.num_frames
    for i, got in enumerate(read_exports(sc)):
        np.testing.assert_array_equal(
            got, spec_export(sc.arm_gt[i], sc.gripper_gt[i], 6, 1, "arm_minus_gripper"))


def test_killed_redo_with_new_settings_resumes_correctly(make_scene):
    sc = make_scene(export_arm_dilate_radius=2, export_gripper_dilate_radius=2)
    s = scene(sc.config, sc.name)
    merge_scene(s, sc.config)
    wider = load_config(sc.config_path, export_arm_dilate_radius=5)

    class Killed(Exception):
        pass

    def kill_after_three(update):
        if update.done == 3:
            raise Killed

    with pytest.raises(Killed):
        merge_scene(s, wider, on_progress=kill_after_three)
    resumed = merge_scene(s, wider)
    assert resumed.frames_written == sc.num_frames - 3
    for i, got in enumerate(read_exports(sc)):
        np.testing.assert_array_equal(
            got, spec_export(sc.arm_gt[i], sc.gripper_gt[i], 5, 2, "arm_minus_gripper"))


def test_stale_temporary_is_removed_and_not_counted(make_scene):
    sc = make_scene()
    s = scene(sc.config, sc.name)
    merge_scene(s, sc.config)
    out = s.mask_dir("export")
    (out / "00004.png").unlink()
    stale = out / ".00004.png.12345.tmp"
    stale.write_bytes(b"half a png")
    result = merge_scene(s, sc.config)
    assert result.frames_written == 1
    assert not stale.exists()
    assert sorted(p.name for p in out.iterdir()) == [f"{i:05d}.png" for i in range(sc.num_frames)]


def test_progress_messages_carry_pixel_counts(make_scene):
    sc = make_scene(export_log_every=4)
    messages = []
    merge_scene(scene(sc.config, sc.name), sc.config,
                on_progress=lambda u: messages.append(u.message) if u.message else None)
    assert len(messages) == 2  # frames 4 and 8 of 8
    arm_px = int(sc.arm_gt[3].sum())
    assert f"arm={arm_px}" in messages[0] and "gripper=" in messages[0]
    assert "exported=" in messages[0]


def test_empty_gripper_everywhere_fails(make_scene):
    sc = make_scene()
    for p in (sc.out_dir / f"{sc.name}_ckpt_gripper").glob("*.png"):
        cv2.imwrite(str(p), np.zeros((sc.size_wh[1], sc.size_wh[0]), np.uint8))
    with pytest.raises(MergeError, match="gripper"):
        merge_scene(scene(sc.config, sc.name), sc.config)
    # "arm" mode does not subtract the gripper, so it does not need one.
    arm_only = load_config(sc.config_path, export_mode="arm")
    assert merge_scene(scene(sc.config, sc.name), arm_only).frames_written == sc.num_frames


def test_missing_session_mask_fails_naming_folder_and_frame(make_scene):
    sc = make_scene()
    (sc.out_dir / f"{sc.name}_ckpt_arm" / "00005.png").unlink()
    with pytest.raises(StageNotReadyError, match=r"_ckpt_arm.*frame 5"):
        merge_scene(scene(sc.config, sc.name), sc.config)


def test_wrong_size_session_mask_fails(make_scene):
    sc = make_scene()
    bad = sc.out_dir / f"{sc.name}_ckpt_arm" / "00001.png"
    cv2.imwrite(str(bad), np.zeros((10, 10), np.uint8))
    with pytest.raises(MaskStoreError, match=r"00001\.png.*96x64"):
        merge_scene(scene(sc.config, sc.name), sc.config)


def test_merge_on_several_threads_writes_the_same_bytes_as_one(make_scene):
    sc = make_scene(num_frames=60, size_wh=(160, 96), export_log_every=10)
    s = scene(sc.config, sc.name)
    out = s.mask_dir("export")
    logs: dict[int, list[str]] = {}
    files: dict[int, dict[str, bytes]] = {}
    for jobs in (1, 2):
        logs[jobs] = []
        merge_scene(s, sc.config, force=True, jobs=jobs,
                    on_progress=lambda u, j=jobs: logs[j].append(u.message) if u.message else None)
        files[jobs] = {p.name: p.read_bytes() for p in sorted(out.glob("*.png"))}
    assert len(files[1]) == sc.num_frames
    assert files[1] == files[2]
    assert logs[1] == logs[2] and len(logs[1]) == 6
