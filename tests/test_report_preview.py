"""The preview grid and the overlay drawing."""

from __future__ import annotations

import math
from dataclasses import replace

import cv2
import numpy as np
import pytest

from report_scenes import build_qa_scene
from robomask.cli.main import main
from robomask.errors import MaskStoreError
from robomask.io.objstats import read_object_stats, write_object_stats
from robomask.prompts import LEFT_KEY, read_prompts, write_prompts
from robomask.report.outputs import SceneOutputs, objects_csv_path
from robomask.report.overlay import COLOURS, draw_overlay, fit_size, legend_strip, resize_mask
from robomask.report.preview import objects_in_tiles, preview, preview_frames, render_preview


def test_preview_frames_follow_stride_and_cap():
    assert preview_frames(100, 30, 10) == [0, 30, 60, 90]
    assert preview_frames(1000, 30, 10) == list(range(0, 300, 30))


def test_draw_overlay_fills_and_outlines():
    rgb = np.zeros((20, 30, 3), np.uint8)
    arm = np.zeros((20, 30), bool)
    arm[5:10, 5:10] = True
    export = np.zeros((20, 30), bool)
    export[2:18, 15:28] = True
    out = draw_overlay(rgb, {"arm": arm, "gripper": None, "export": export})
    assert out[7, 7, 0] > 100 and out[7, 7, 2] < 60          # tinted red
    edge = out[2, 20].astype(int) - COLOURS["export"]      # contour pixel (antialiased)
    assert np.abs(edge).max() < 40
    assert tuple(out[10, 20]) == (0, 0, 0)                  # inside the outline: untouched
    assert rgb.max() == 0                                   # input not modified


def test_legend_wraps_what_does_not_fit_instead_of_cutting_it():
    items = [("arm", "arm session", False), ("gripper", "gripper session", False),
             ("export", "exported mask", True)]
    wide = legend_strip(2000, "scene_0001: all stages", items, height_px=64)
    assert wide.shape == (64, 2000, 3)  # everything on one title and one swatch line
    title = ("scene_0001: all stages, every 100th frame   objects in tiles: arm 1/1; "
             "right gripper 1/1, left gripper not clicked")
    narrow = legend_strip(300, title, items, height_px=64)
    assert narrow.shape[0] > 64 * 2 and narrow.shape[1] == 300
    assert (narrow[:, -6:] == 255).all()  # no text runs into (and is cut at) the right edge
    ink_rows = np.flatnonzero((narrow < 128).any(axis=(1, 2)))
    assert ink_rows.max() > 64 * 1.5  # the wrapped lines are drawn below the first ones


def test_resize_keeps_aspect_and_mask_shape():
    assert fit_size((1280, 720), 320) == (320, 180)
    assert fit_size((100, 50), 320) == (100, 50)
    m = np.zeros((720, 1280), bool)
    m[:360] = True
    small = resize_mask(m, (320, 180))
    assert small.shape == (180, 320) and small[:90].all() and not small[90:].any()


def test_grid_has_one_tile_per_sampled_frame(make_scene):
    fx, sc = build_qa_scene(make_scene, (), vis_frame_stride=7, vis_max_plots=5)
    grid = render_preview(sc, fx.config, tile_width=80, columns=3)
    tiles = preview_frames(40, 7, 5)
    assert len(tiles) == 5
    rows = math.ceil(5 / 3)
    tile_h = round(96 * 80 / 160)
    legend_h = grid.shape[0] - (rows * (tile_h + 4) - 4)
    assert grid.shape[1] == 3 * 84 - 4 and legend_h >= 40  # taller when the title wraps
    # the arm of frame 0 is tinted red in the first tile (arm 0 at x 104..118 of 160)
    tile = grid[legend_h:legend_h + tile_h, :80]
    arm_px = tile[10:20, 54:58].reshape(-1, 3).mean(axis=0)
    assert arm_px[0] > arm_px[2] + 40


def test_stage_views_colour_by_stage(make_scene):
    fx, sc = build_qa_scene(make_scene, ())
    grip = render_preview(sc, fx.config, "gripper")
    arm = render_preview(sc, fx.config, "arm")
    assert grip.shape[1] == arm.shape[1]  # the legends may wrap to different heights
    # 40 frames at stride 30: one row of two full-size (160x96) tiles under the legend;
    # a pixel in the right gripper block of frame 0 (x 101..121, y 50..64)
    y, x = 96 - 57, 110
    assert grip[-y, x, 2] > grip[-y, x, 0] + 40
    assert abs(int(arm[-y, x, 2]) - int(arm[-y, x, 0])) < 60
    with pytest.raises(ValueError, match="stage"):
        render_preview(sc, fx.config, "nope")


def test_preview_writes_png_and_returns_the_image(make_scene, tmp_path):
    fx, sc = build_qa_scene(make_scene, ())
    out = tmp_path / "grid.png"
    image = preview(sc.name, fx.config_path, stage=None, out=out, show=False)
    saved = cv2.imread(str(out))[..., ::-1]
    np.testing.assert_array_equal(saved, np.asarray(image))  # the file is the returned image
    # 40 frames at stride 30: tiles of frames 0 and 30, full size (160x96), under the legend
    frames = sorted(fx.frames_dir.glob("*.png"), key=lambda p: int(p.stem))
    top = saved.shape[0] - 96
    for k, i in enumerate((0, 30)):
        tile = saved[top:, k * 164:k * 164 + 160].astype(int)
        src = cv2.imread(str(frames[i]))[..., ::-1].astype(int)
        sway = round(4 * math.sin(2 * math.pi * i / 20))
        xr = 104 + sway  # right arm (object 0) at x xr..xr+14, y 0..50 (report_scenes)
        arm, bg = (slice(30, 45), slice(xr + 4, xr + 10)), (slice(75, 90), slice(70, 90))
        assert (tile[arm][..., 0] - tile[arm][..., 2]).mean() > 40    # arm tinted red
        assert np.abs(tile[bg] - src[bg]).max() == 0                  # background untouched
        assert np.abs(tile[30:45, xr + 4:xr + 10] - src[30:45, xr + 4:xr + 10]).mean() > 20


def _one_gripper(fx, sc, lose_left: bool = False) -> None:
    """Make the planted scene one-gripper: no left clicks and an empty left gripper (or,
    with ``lose_left``, keep the clicks: then the empty left gripper is a failure)."""
    path = sc.gripper_prompts_path
    if not lose_left:
        prompts = read_prompts(path)
        prompts.entries[LEFT_KEY] = []
        write_prompts(path, prompts)
    csv = objects_csv_path(sc, "gripper")
    rows = [replace(r, area_px=0) if r.obj_id == fx.config.gripper_left_obj_id else r
            for r in read_object_stats(csv)]
    write_object_stats(csv, rows)


def test_header_counts_objects_by_name_and_skips_an_unclicked_gripper(make_scene):
    fx, sc = build_qa_scene(make_scene, ())
    picked = preview_frames(40, 30, 10)
    stages = ("arm", "gripper", "export")
    assert objects_in_tiles(SceneOutputs(sc, fx.config), stages, picked) == \
        "arm 2/2, second arm 2/2; left gripper 2/2, right gripper 2/2"
    _one_gripper(fx, sc)
    assert objects_in_tiles(SceneOutputs(sc, fx.config), stages, picked) == \
        "arm 2/2, second arm 2/2; right gripper 2/2, left gripper not clicked"


def test_header_still_shows_a_clicked_gripper_that_is_missing(make_scene):
    fx, sc = build_qa_scene(make_scene, ())
    _one_gripper(fx, sc, lose_left=True)
    assert objects_in_tiles(SceneOutputs(sc, fx.config), ("gripper",), [0, 30]) == \
        "left gripper 0/2, right gripper 2/2"


def test_cli_writes_preview_and_video_under_the_output_folder(make_scene, tmp_path, capsys,
                                                               monkeypatch):
    fx, sc = build_qa_scene(make_scene, (), num_frames=6)
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    for args, want in (
            (["preview", "--stage", "arm"], fx.out_dir / "qa_preview" / f"{sc.name}_arm.png"),
            (["preview"], fx.out_dir / "qa_preview" / f"{sc.name}_all.png"),
            (["video"], fx.out_dir / "qa_video" / f"{sc.name}.mp4")):
        with pytest.raises(SystemExit) as exc:
            main([*args, "--config", str(fx.config_path), "--scene", sc.name])
        out = capsys.readouterr().out
        assert exc.value.code == 0
        assert want.is_file() and want.stat().st_size > 0
        assert f"wrote {want}" in out.replace("\n", "")
    assert list(cwd.iterdir()) == []


def test_preview_without_masks_names_the_folder(make_scene):
    fx = make_scene(with_ckpt=False)
    with pytest.raises(MaskStoreError, match="scene_0001_ckpt_arm"):
        preview(fx.name, fx.config, stage="arm", show=False)


def test_preview_displays_inline_under_ipython(make_scene, monkeypatch):
    """In a notebook (IPython running) the grid is shown via IPython.display."""
    import sys
    import types

    shown = []
    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: object()
    display_mod = types.ModuleType("IPython.display")
    display_mod.display = shown.append
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setitem(sys.modules, "IPython.display", display_mod)
    fx, sc = build_qa_scene(make_scene, (), num_frames=4)
    image = preview(sc, fx.config, stage="arm")
    assert shown == [image]
    assert preview(sc, fx.config, stage="arm", show=False) is not None and len(shown) == 1


@pytest.mark.parametrize("command, name", [("preview", "mine.png"), ("video", "mine.mp4")])
def test_out_never_replaces_a_users_file_without_force(make_scene, tmp_path, capsys,
                                                       command, name):
    fx, sc = build_qa_scene(make_scene, (), num_frames=4)
    mine = tmp_path / name
    mine.write_bytes(b"a user's file")
    args = [command, "--config", str(fx.config_path), "--scene", sc.name, "--out", str(mine)]
    with pytest.raises(SystemExit) as exc:
        main(args)
    out = capsys.readouterr()
    assert exc.value.code == 2 and mine.read_bytes() == b"a user's file"
    assert str(mine) in out.err and "--force" in out.err and "Traceback" not in out.err
    with pytest.raises(SystemExit) as exc:
        main([*args, "--force"])
    assert exc.value.code == 0 and mine.read_bytes() != b"a user's file"
    capsys.readouterr()
    with pytest.raises(SystemExit) as exc:  # its own default path is replaced freely
        main([command, "--config", str(fx.config_path), "--scene", sc.name])
    with pytest.raises(SystemExit) as exc:
        main([command, "--config", str(fx.config_path), "--scene", sc.name])
    assert exc.value.code == 0
