"""robomask export: every format read back by its consumer's own reader."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from cli_run import assert_user_error, run_cli, wide_console  # noqa: F401
from conftest import spec_export
from robomask.io.objstats import stats_of, write_object_stats
from robomask.masks import FrameMasks
from robomask.pipeline.merge import merge_scene
from robomask.scenes import scene as get_scene


def export(sc, capsys, fmt: str, *extra: str) -> tuple[int, str]:
    return run_cli(["export", "--format", fmt, "--config", str(sc.config_path),
                    "--scene", sc.name, *extra], capsys)


def merged(sc):
    merge_scene(get_scene(sc.config, sc.name), sc.config)
    c = sc.config
    return [spec_export(a, g, c.export_arm_dilate_radius, c.export_gripper_dilate_radius,
                        c.export_mode)
            for a, g in zip(sc.arm_gt, sc.gripper_gt, strict=True)]


def two_grippers(sc) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Rewrite the gripper session as a left and a right gripper (union PNGs plus the
    per-object CSV the sessions write); returns the per-object ground truth."""
    w, h = sc.size_wh
    lefts, rights, rows = [], [], []
    folder = sc.out_dir / f"{sc.name}_ckpt_gripper"
    for i in range(sc.num_frames):
        left = np.zeros((h, w), bool)
        right = np.zeros((h, w), bool)
        left[30:40, 5 + i:15 + i] = True
        right[30:40, 60 - i:72 - i] = True   # they approach but never touch
        lefts.append(left)
        rights.append(right)
        cv2.imwrite(str(folder / f"{i:05d}.png"), (left | right).astype(np.uint8) * 255)
        rows += stats_of(FrameMasks(i, (w, h), {2: left, 3: right}), [2, 3])
    write_object_stats(sc.out_dir / ".robomask" / sc.name / "gripper_objects.csv", rows)
    sc.gripper_gt[:] = [a | b for a, b in zip(lefts, rights, strict=True)]
    return lefts, rights


# --- propainter ---------------------------------------------------------------------

@pytest.mark.parametrize("fit", ["pad", "crop"])
def test_propainter_frames_and_masks_pair_up_in_multiples_of_8(make_scene, capsys, fit):
    sc = make_scene(size_wh=(90, 61), export_arm_dilate_radius=2,
                    export_gripper_dilate_radius=2)
    want = merged(sc)
    code, out = export(sc, capsys, "propainter", "--fit", fit)
    assert code == 0, out
    root = sc.out_dir / "exports" / "propainter" / sc.name
    frames = sorted((root / "frames").iterdir())
    masks = sorted((root / "masks").iterdir())
    assert [p.name for p in frames] == [p.name for p in masks] == [
        f"{i:05d}.png" for i in range(sc.num_frames)]
    ow, oh = (96, 64) if fit == "pad" else (88, 56)
    sources = sorted(sc.frames_dir.iterdir(), key=lambda p: int(p.stem))
    for i, (f, m) in enumerate(zip(frames, masks, strict=True)):
        with Image.open(m) as im:
            assert im.mode == "L" and im.size == (ow, oh)
            mask = np.asarray(im)
        assert set(np.unique(mask).tolist()) <= {0, 255}
        rgb = np.asarray(Image.open(f).convert("RGB"))
        src = np.asarray(Image.open(sources[i]).convert("RGB"))
        h, w = min(oh, 61), min(ow, 90)
        np.testing.assert_array_equal(mask[:h, :w] == 255, want[i][:h, :w])
        np.testing.assert_array_equal(rgb[:h, :w], src[:h, :w])
        assert not mask[h:].any() and not mask[:, w:].any()
    layout = json.loads((root / "robomask_export.json").read_text())
    assert layout["out_wh"] == [ow, oh] and layout["source_wh"] == [90, 61]
    assert f"--video {root / 'frames'} --mask {root / 'masks'}" in out
    assert "--mask_dilation" in out


def test_propainter_max_side_scales_down_and_never_shrinks_the_mask(make_scene, capsys):
    sc = make_scene(size_wh=(96, 64), export_arm_dilate_radius=0,
                    export_gripper_dilate_radius=0)
    want = merged(sc)
    code, out = export(sc, capsys, "propainter", "--max-side", "40")
    assert code == 0, out
    root = sc.out_dir / "exports" / "propainter" / sc.name
    with Image.open(root / "masks" / "00003.png") as im:
        assert im.size == (40, 32)      # 40x27 scaled, padded to 40x32
        mask = np.asarray(im) == 255
    # every source pixel of the mask maps into a masked output pixel
    ys, xs = np.nonzero(want[3])
    assert mask[(ys * 27 / 64).astype(int), (xs * 40 / 96).astype(int)].all()


def test_propainter_copies_frames_that_need_no_change(make_scene, capsys):
    sc = make_scene(size_wh=(96, 64))
    merged(sc)
    assert export(sc, capsys, "propainter")[0] == 0
    frames = sc.out_dir / "exports" / "propainter" / sc.name / "frames"
    sources = sorted(sc.frames_dir.iterdir(), key=lambda p: int(p.stem))
    for i, src in enumerate(sources):
        assert (frames / f"{i:05d}.png").read_bytes() == src.read_bytes()


def test_propainter_and_coco_from_an_mp4_scene(make_scene, capsys):
    from pycocotools.coco import COCO

    from test_frames import grey, write_mp4

    sc = make_scene(size_wh=(96, 64), num_frames=12)
    merged_masks = merged(sc)[:12]
    for f in sc.frames_dir.iterdir():
        f.unlink()
    sc.frames_dir.rmdir()
    write_mp4(sc.camera_dir / "color.mp4", 12, (96, 64))
    assert export(sc, capsys, "propainter", "--jobs", "2")[0] == 0
    root = sc.out_dir / "exports" / "propainter" / sc.name
    for i in (0, 7, 11):
        frame = np.asarray(Image.open(root / "frames" / f"{i:05d}.png"))
        assert abs(grey(frame) - (10 * i + 20)) <= 2  # frame i, decoded in order
        np.testing.assert_array_equal(
            np.asarray(Image.open(root / "masks" / f"{i:05d}.png")) == 255, merged_masks[i])
    assert export(sc, capsys, "coco")[0] == 0
    coco = COCO(str(sc.out_dir / "exports" / "coco" / f"{sc.name}.json"))
    img = coco.loadImgs(8)[0]
    assert img["file_name"].endswith("color.mp4") and img["frame_index"] == 7


# --- coco -----------------------------------------------------------------------------

def test_coco_per_object_rle_decodes_with_pycocotools(make_scene, capsys):
    from pycocotools.coco import COCO
    from pycocotools.mask import decode

    sc = make_scene(size_wh=(96, 64))
    lefts, rights = two_grippers(sc)
    code, out = export(sc, capsys, "coco")
    assert code == 0, out
    path = sc.out_dir / "exports" / "coco" / f"{sc.name}.json"
    coco = COCO(str(path))
    assert {c["name"] for c in coco.loadCats(coco.getCatIds())} == {"arm", "gripper"}
    sources = sorted(sc.frames_dir.iterdir(), key=lambda p: int(p.stem))
    for i in range(sc.num_frames):
        img = coco.loadImgs(i + 1)[0]
        assert Path(img["file_name"]) == sources[i].resolve()
        assert (img["width"], img["height"], img["frame_index"]) == (96, 64, i)
        anns = coco.loadAnns(coco.getAnnIds(imgIds=[i + 1]))
        by_obj = {a["obj_id"]: a for a in anns}
        assert sorted(by_obj) == [0, 2, 3]  # one annotation per object per frame
        for obj_id, want, cat in ((0, sc.arm_gt[i], "arm"), (2, lefts[i], "gripper"),
                                  (3, rights[i], "gripper")):
            a = by_obj[obj_id]
            assert coco.loadCats(a["category_id"])[0]["name"] == cat
            np.testing.assert_array_equal(decode(a["segmentation"]).astype(bool), want)
            np.testing.assert_array_equal(coco.annToMask(a).astype(bool), want)
            assert a["area"] == int(want.sum())


def test_coco_export_stage_is_the_merged_mask(make_scene, capsys):
    from pycocotools.coco import COCO

    sc = make_scene(export_arm_dilate_radius=2, export_gripper_dilate_radius=2)
    want = merged(sc)
    code, out = export(sc, capsys, "coco", "--stage", "export", "--out",
                       str(sc.root / "coco_out"))
    assert code == 0, out
    coco = COCO(str(sc.root / "coco_out" / f"{sc.name}.json"))
    assert len(coco.getAnnIds()) == sc.num_frames
    for a in coco.loadAnns(coco.getAnnIds()):
        np.testing.assert_array_equal(coco.annToMask(a).astype(bool), want[a["image_id"] - 1])


# --- davis ------------------------------------------------------------------------------

def test_davis_palette_label_maps(make_scene, capsys):
    sc = make_scene(size_wh=(96, 64))
    lefts, rights = two_grippers(sc)
    code, out = export(sc, capsys, "davis")
    assert code == 0, out
    root = sc.out_dir / "exports" / "davis"
    names = [f"{i:05d}" for i in range(sc.num_frames)]
    assert [p.stem for p in sorted((root / "JPEGImages" / sc.name).iterdir())] == names
    for i, name in enumerate(names):
        with Image.open(root / "Annotations" / sc.name / f"{name}.png") as im:
            assert im.mode == "P"
            palette = im.getpalette()[:15]
            labels = np.asarray(im)
        assert palette == [0, 0, 0, 128, 0, 0, 0, 128, 0, 128, 128, 0, 0, 0, 128]
        want = np.zeros((64, 96), np.uint8)
        want[sc.arm_gt[i]] = 1
        want[lefts[i]] = 3
        want[rights[i]] = 4
        np.testing.assert_array_equal(labels, want)
        jpg = np.asarray(Image.open(root / "JPEGImages" / sc.name / f"{name}.jpg"))
        assert jpg.shape == (64, 96, 3)


def test_davis_without_stats_splits_grippers_by_image_half(make_scene, capsys):
    sc = make_scene(size_wh=(96, 64))
    lefts, rights = two_grippers(sc)
    (sc.out_dir / ".robomask" / sc.name / "gripper_objects.csv").unlink()
    assert export(sc, capsys, "davis", "--stage", "gripper")[0] == 0
    labels = np.asarray(Image.open(sc.out_dir / "exports" / "davis" / "Annotations" / sc.name
                                   / "00002.png"))
    assert (labels[lefts[2]] == 3).all() and (labels[rights[2]] == 4).all()
    assert set(np.unique(labels).tolist()) == {0, 3, 4}


# --- bad input ------------------------------------------------------------------------

def test_existing_target_needs_force(make_scene, capsys):
    sc = make_scene()
    target = sc.out_dir / "exports" / "coco" / f"{sc.name}.json"
    assert export(sc, capsys, "coco")[0] == 0
    target.write_text("a user's file")
    code, out = export(sc, capsys, "coco")
    assert_user_error(code, out, str(target), "--force")
    assert target.read_text() == "a user's file"
    assert export(sc, capsys, "coco", "--force")[0] == 0
    assert json.loads(target.read_text())["categories"]
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # no leftovers


def test_missing_or_interrupted_masks_are_refused(make_scene, capsys):
    sc = make_scene()
    code, out = export(sc, capsys, "propainter")  # no merge yet
    assert_user_error(code, out, str(sc.out_dir / sc.name), "robomask merge")
    assert not (sc.out_dir / "exports" / "propainter" / sc.name).exists()
    merged(sc)
    marker = sc.out_dir / ".robomask" / sc.name / "export.json"
    marker.write_text(marker.read_text().replace('"done"', '"running"'))
    code, out = export(sc, capsys, "propainter")
    assert_user_error(code, out, str(sc.out_dir / sc.name), "interrupted")
    marker.write_bytes(b"\xff edited by hand")
    assert_user_error(*export(sc, capsys, "propainter"), str(sc.out_dir / sc.name),
                      "interrupted")
    (sc.out_dir / f"{sc.name}_ckpt_gripper" / "00004.png").unlink()
    code, out = export(sc, capsys, "davis")
    assert_user_error(code, out, f"{sc.name}_ckpt_gripper", "frame 4")


def test_unknown_format_stage_or_option(make_scene, capsys):
    sc = make_scene()
    assert_user_error(*export(sc, capsys, "yolo"), "--format", "coco, davis", "'yolo'")
    assert_user_error(*export(sc, capsys, "coco", "--max-side", "64"), "--max-side", "coco")
    assert_user_error(*export(sc, capsys, "propainter", "--stage", "sessions"), "--stage")
    assert_user_error(*export(sc, capsys, "propainter", "--fit", "stretch"), "--fit")


def test_every_format_writes_the_same_bytes_on_two_workers(make_scene, capsys):
    sc = make_scene(num_frames=40, size_wh=(90, 61))
    two_grippers(sc)
    merged(sc)
    for fmt in ("propainter", "coco", "davis"):
        for jobs in ("1", "2"):
            code, out = export(sc, capsys, fmt, "--jobs", jobs, "--out",
                               str(sc.root / f"{fmt}_{jobs}"))
            assert code == 0, out
        one = sorted(p for p in (sc.root / f"{fmt}_1").rglob("*") if p.is_file())
        two = sorted(p for p in (sc.root / f"{fmt}_2").rglob("*") if p.is_file())
        assert [p.relative_to(sc.root / f"{fmt}_1") for p in one] == \
            [p.relative_to(sc.root / f"{fmt}_2") for p in two]
        for a, b in zip(one, two, strict=True):
            if a.suffix == ".json":
                ja, jb = json.loads(a.read_text()), json.loads(b.read_text())
                ja.get("info", {}).pop("date_created", None)
                jb.get("info", {}).pop("date_created", None)
                assert ja == jb, a
            else:
                assert a.read_bytes() == b.read_bytes(), a


def test_davis_copies_jpeg_frames_as_they_are(make_scene, capsys):
    sc = make_scene()
    for f in list(sc.frames_dir.iterdir()):
        cv2.imwrite(str(f.with_suffix(".jpg")), cv2.imread(str(f)))
        f.unlink()
    assert export(sc, capsys, "davis", "--stage", "arm")[0] == 0
    sources = sorted(sc.frames_dir.iterdir(), key=lambda p: int(p.stem))
    images = sc.out_dir / "exports" / "davis" / "JPEGImages" / sc.name
    for i, src in enumerate(sources):
        assert (images / f"{i:05d}.jpg").read_bytes() == src.read_bytes()
