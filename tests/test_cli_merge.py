"""``robomask merge`` end to end: every exported pixel against the SPEC rule (scipy)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import spec_export
from robomask.cli.main import main

MODES = ["arm_minus_gripper", "union", "arm", "gripper"]


def run_cli(args: list[str], capsys) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exc:
        main(args)
    captured = capsys.readouterr()
    return exc.value.code, captured.out + captured.err


def merge(sc, capsys, *extra: str) -> tuple[int, str]:
    return run_cli(["merge", "--config", str(sc.config_path), "--scene", sc.name, *extra],
                   capsys)


def read_png(path: Path) -> np.ndarray:
    """Pixels of an exported PNG, asserting the SPEC format: 8-bit, one channel, 0/255."""
    with Image.open(path) as im:
        assert im.mode == "L", f"{path}: expected an 8-bit single-channel PNG, got {im.mode}"
        assert im.format == "PNG"
        arr = np.asarray(im)
    assert set(np.unique(arr).tolist()) <= {0, 255}, f"{path}: values {np.unique(arr)}"
    return arr


def assert_exports_follow_spec(sc, out_dir: Path, names: list[str], r_arm: int, r_grip: int,
                               mode: str, kernel: str = "square") -> None:
    assert sorted(p.name for p in out_dir.iterdir()) == sorted(names)
    for i, name in enumerate(names):
        want = spec_export(sc.arm_gt[i], sc.gripper_gt[i], r_arm, r_grip, mode, kernel)
        got = read_png(out_dir / name) == 255
        np.testing.assert_array_equal(got, want, err_msg=f"{name} ({mode}, {kernel})")


def index_names(n: int) -> list[str]:
    return [f"{i:05d}.png" for i in range(n)]


@pytest.mark.parametrize("mode", MODES)
def test_merge_every_mode_matches_spec(make_scene, capsys, mode):
    sc = make_scene(export_arm_dilate_radius=5, export_gripper_dilate_radius=3)
    code, out = merge(sc, capsys, "--export-mode", mode)
    assert code == 0, out
    assert f"{sc.num_frames} frames written" in out
    assert_exports_follow_spec(sc, sc.out_dir / sc.name, index_names(sc.num_frames), 5, 3, mode)


@pytest.mark.parametrize("mode", MODES)
def test_merge_disk_kernel_matches_spec(make_scene, capsys, mode):
    sc = make_scene(export_arm_dilate_radius=6, export_gripper_dilate_radius=4,
                    dilate_kernel="disk", export_mode=mode)
    code, out = merge(sc, capsys)
    assert code == 0, out
    assert_exports_follow_spec(sc, sc.out_dir / sc.name, index_names(sc.num_frames), 6, 4,
                               mode, "disk")


def test_merge_radius_zero_is_no_dilation(make_scene, capsys):
    sc = make_scene(export_arm_dilate_radius=0, export_gripper_dilate_radius=0)
    code, out = merge(sc, capsys)
    assert code == 0, out
    assert_exports_follow_spec(sc, sc.out_dir / sc.name, index_names(sc.num_frames), 0, 0,
                               "arm_minus_gripper")
    # With no dilation the export is exactly arm AND NOT gripper.
    np.testing.assert_array_equal(read_png(sc.out_dir / sc.name / "00003.png") == 255,
                                  sc.arm_gt[3] & ~sc.gripper_gt[3])


def test_merge_default_radius_15(make_scene, capsys):
    sc = make_scene()  # the template's radii: 15 and 15
    code, out = merge(sc, capsys)
    assert code == 0, out
    assert_exports_follow_spec(sc, sc.out_dir / sc.name, index_names(sc.num_frames), 15, 15,
                               "arm_minus_gripper")


def test_merge_source_stem_naming(make_scene, capsys):
    sc = make_scene(mask_naming="source_stem", export_arm_dilate_radius=2,
                    export_gripper_dilate_radius=2)
    stems = sorted(p.stem for p in sc.frames_dir.glob("*.png"))
    for kind in ("arm", "gripper"):  # session masks are named after the frames too
        folder = sc.out_dir / f"{sc.name}_ckpt_{kind}"
        for i, stem in enumerate(stems):
            (folder / f"{i:05d}.png").rename(folder / f"{stem}.png")
    code, out = merge(sc, capsys)
    assert code == 0, out
    assert_exports_follow_spec(sc, sc.out_dir / sc.name, [f"{s}.png" for s in stems], 2, 2,
                               "arm_minus_gripper")


def test_merge_resume_radius_change_force_and_stale_temporary(make_scene, capsys):
    sc = make_scene(export_arm_dilate_radius=3, export_gripper_dilate_radius=2)
    out_dir = sc.out_dir / sc.name
    n = sc.num_frames
    assert merge(sc, capsys)[0] == 0

    code, out = merge(sc, capsys)
    assert code == 0 and f"all {n} frames already done" in out, out

    mtimes = {p.name: p.stat().st_mtime_ns for p in out_dir.iterdir()}
    (out_dir / "00006.png").unlink()
    (out_dir / ".00006.png.4242.tmp").write_bytes(b"\x89PNG truncated")
    code, out = merge(sc, capsys)
    assert code == 0 and f"1 frames written, {n - 1} already done" in out, out
    assert not (out_dir / ".00006.png.4242.tmp").exists()
    assert all(p.stat().st_mtime_ns == mtimes[p.name] for p in out_dir.iterdir()
               if p.name != "00006.png")

    code, out = merge(sc, capsys, "--force")
    assert code == 0 and f"{n} frames written, 0 already done" in out, out

    text = sc.config_path.read_text().replace("export_arm_dilate_radius: 3",
                                              "export_arm_dilate_radius: 7")
    sc.config_path.write_text(text)
    code, out = merge(sc, capsys)
    assert code == 0 and f"{n} frames written, 0 already done" in out, out
    assert_exports_follow_spec(sc, out_dir, index_names(n), 7, 2, "arm_minus_gripper")


def test_merge_pixel_counts_are_logged(make_scene, capsys):
    sc = make_scene(export_log_every=4)
    code, out = merge(sc, capsys)
    assert code == 0
    flat = " ".join(out.split())  # rich wraps long lines at the console width
    assert f"[merge] {sc.name} frame 3: arm={int(sc.arm_gt[3].sum())}" in flat
    assert f"[merge] {sc.name} frame 7: arm={int(sc.arm_gt[7].sum())}" in flat


def test_installed_console_script_merges(make_scene):
    sc = make_scene(export_arm_dilate_radius=4, export_gripper_dilate_radius=4)
    script = Path(sys.executable).with_name("robomask")
    assert script.is_file(), f"expected the console script at {script} (pip install -e .)"
    proc = subprocess.run([str(script), "merge", "--config", str(sc.config_path),
                           "--scene", sc.name], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert_exports_follow_spec(sc, sc.out_dir / sc.name, index_names(sc.num_frames), 4, 4,
                               "arm_minus_gripper")
