"""Box prompts: the optional ``box_xyxy`` of prompt entries, the session API's box, the
opencv backend's GrabCut rectangle, and track() passing boxes to backends that take them."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import cv2
import numpy as np
import pytest

from robomask.backends.opencv import OpenCVBackend
from robomask.config import config_from_dict
from robomask.errors import BackendError, PromptError
from robomask.io.frames import open_frames
from robomask.masks import mask_iou
from robomask.pipeline.track import track
from robomask.prompt_checks import prompt_warnings, validate_prompts
from robomask.prompts import (
    ARM_KEY,
    LEFT_KEY,
    PromptEntry,
    PromptSet,
    parse_prompt_map,
    read_prompts,
    write_prompts,
)

SIZE = (1280, 720)
OBJECT = (slice(24, 104), slice(36, 156))  # rows, columns of the striped object
BOX = np.array([30.0, 18.0, 162.0, 110.0])  # around it, (x0, y0, x1, y1) pixels


def _entry(**extra) -> dict:
    return {"frame_index": 0, "obj_id": 0, "coord_type": "abs", "points": [[100, 200]],
            "labels": [1], **extra}


def _write(path: Path, *entries: dict) -> Path:
    path.write_text(json.dumps({"prompts": {ARM_KEY: list(entries)}}))
    return path


def test_round_trip_with_and_without_boxes(tmp_path):
    prompts = PromptSet({ARM_KEY: [
        PromptEntry(0, 0, ((100.0, 200.0),), (1,), box=(90.0, 150.0, 300.0, 420.5)),
        PromptEntry(4, 0, ((110.0, 210.0),), (1,))],
        LEFT_KEY: [PromptEntry(2, 2, ((0.25, 0.5),), (1,), "rel", box=(0.1, 0.2, 0.4, 0.9))]})
    path = tmp_path / "annotation_prompts_arm_points.json"
    write_prompts(path, prompts)
    raw = json.loads(path.read_text())["prompts"]
    assert raw[ARM_KEY][0]["box_xyxy"] == [90, 150, 300, 420.5]
    assert "box_xyxy" not in raw[ARM_KEY][1]  # absent = no box: old readers see old entries
    assert read_prompts(path) == prompts
    left = read_prompts(path)[LEFT_KEY][0]
    np.testing.assert_allclose(left.box_px(SIZE), [128, 144, 512, 648])
    assert read_prompts(path)[ARM_KEY][1].box_px(SIZE) is None


def test_an_old_file_reads_with_no_boxes(tmp_path):
    path = _write(tmp_path / "p.json", _entry(), _entry(box_xyxy=None))
    assert [e.box for e in read_prompts(path)[ARM_KEY]] == [None, None]


@pytest.mark.parametrize(("box", "coord", "message"), [
    ([1, 2, 3], "abs", r"box_xyxy: expected \[x0, y0, x1, y1\] \(4 finite numbers\)"),
    ("10 20 30 40", "abs", "box_xyxy: expected"),
    ([1, 2, True, 4], "abs", "box_xyxy: expected"),
    ([50, 20, 10, 40], "abs", "expected x0 < x1 and y0 < y1, got \\[50, 20, 10, 40\\]"),
    ([10, 40, 50, 40], "abs", "expected x0 < x1 and y0 < y1"),
    ([-5, 20, 50, 40], "abs", "expected pixels >= 0"),
    ([0.1, 0.2, 1.5, 0.4], "rel", r"expected rel coordinates in \[0, 1\]"),
])
def test_bad_boxes_name_the_file_key_and_entry(tmp_path, box, coord, message):
    points = [[0.5, 0.5]] if coord == "rel" else [[100, 200]]
    path = _write(tmp_path / "p.json", _entry(), _entry(coord_type=coord, points=points,
                                                        box_xyxy=box))
    with pytest.raises(PromptError, match=message) as info:
        read_prompts(path)
    assert str(info.value).startswith(f"{path}: {ARM_KEY}[1]: box_xyxy: ")
    assert "\n" not in str(info.value)


def test_non_finite_box_is_refused(tmp_path):
    path = tmp_path / "p.json"
    text = json.dumps({ARM_KEY: [_entry(box_xyxy=[1, 2, 3, 4])]})
    path.write_text(text.replace("3,", "Infinity,"))
    with pytest.raises(PromptError, match="expected finite numbers, got Infinity"):
        read_prompts(path)
    with pytest.raises(PromptError, match=r"m: ARM_CABLE_INITIAL_PROMPTS\[0\]: box_xyxy: "
                                          r"expected \[x0, y0, x1, y1\] \(4 finite numbers\)"):
        parse_prompt_map({ARM_KEY: [_entry(box_xyxy=[1, 2, float("nan"), 4])]}, source="m")


def test_a_box_past_the_image_is_refused_against_the_video():
    cfg = config_from_dict({"task_name": "t", "data_base_dir": "/d", "export_base_dir": "/e"})
    prompts = PromptSet({ARM_KEY: [PromptEntry(0, 0, ((10.0, 10.0),), (1,),
                                               box=(0.0, 0.0, 1281.0, 700.0))]})
    with pytest.raises(PromptError, match=r"p.json: ARM_CABLE_INITIAL_PROMPTS\[0\]: box_xyxy: "
                                          r"expected a box inside the 1280x720 image"):
        validate_prompts(prompts, source="p.json", num_frames=5, size_wh=SIZE, config=cfg)
    ok = PromptSet({ARM_KEY: [PromptEntry(0, 0, ((10.0, 10.0),), (1,),
                                          box=(0.0, 0.0, 1280.0, 720.0))]})
    validate_prompts(ok, source="p.json", num_frames=5, size_wh=SIZE, config=cfg)


def test_a_positive_click_outside_its_box_is_warned_about():
    inside = PromptEntry(3, 0, ((100.0, 100.0), (10.0, 10.0)), (1, 0), box=(50, 50, 200, 200))
    outside = PromptEntry(5, 0, ((0.5, 0.5),), (1,), "rel", box=(0.0, 0.0, 0.25, 0.25))
    warnings = prompt_warnings(PromptSet({ARM_KEY: [inside, outside]}), SIZE)
    assert [(w.key, w.frame_index) for w in warnings] == [(ARM_KEY, 5)]
    assert "a positive point lies outside the entry's box_xyxy" in warnings[0].message


def _striped_object(folder: Path) -> tuple[Path, np.ndarray]:
    """One frame: a red, blue and yellow striped rectangle on a textured green field."""
    rng = np.random.default_rng(5)
    h, w = 128, 192
    noise = cv2.GaussianBlur(rng.normal(0, 1, (h, w)).astype(np.float32), (0, 0), 3)
    ys = np.mgrid[0:h, 0:w][0]
    grain = 20 * np.sin(0.3 * ys + 6 * noise)[..., None] + rng.normal(0, 5, (h, w, 1))
    img = np.clip(np.array([110, 120, 90]) + grain, 0, 255)
    for k, colour in enumerate([(220, 40, 40), (40, 60, 220), (230, 210, 40)]):
        img[24:104, 36 + 40 * k:76 + 40 * k] = colour
    folder.mkdir(parents=True)
    cv2.imwrite(str(folder / "0000.png"), img.astype(np.uint8)[..., ::-1])
    truth = np.zeros((h, w), bool)
    truth[OBJECT] = True
    return folder, truth


def test_opencv_box_covers_a_large_object_from_one_click(tmp_path):
    """One click on the middle stripe gives that stripe; with the object's box (GrabCut's
    rectangle) the same click gives the whole object, and nothing outside the box."""
    folder, truth = _striped_object(tmp_path / "v")
    click, positive = np.array([[96.0, 64.0]]), np.array([1])
    with OpenCVBackend().open_session(open_frames(folder)) as s:
        alone = s.add_clicks(0, 1, click, positive).masks[1]
        boxed = s.add_clicks(0, 2, click, positive, box_xyxy=BOX).masks[2]
    assert mask_iou(alone, truth) < 0.5
    assert mask_iou(boxed, truth) >= 0.95, mask_iou(boxed, truth)
    x0, y0, x1, y1 = BOX.astype(int)
    outside = np.ones_like(boxed)
    outside[y0:y1, x0:x1] = False
    assert not (boxed & outside).any()


def test_session_checks_the_box_once(tmp_path, click_backend):
    folder, _ = _striped_object(tmp_path / "v")
    frames = open_frames(folder)
    with OpenCVBackend().open_session(frames) as s:
        for bad in ([10, 10, 5, 50], [0, 0, 193, 50], [0, np.nan, 10, 10], [1, 2, 3]):
            with pytest.raises(BackendError, match=r"box: expected finite \(x0, y0, x1, y1\) "
                                                   r"pixels with 0 <= x0 < x1 <= 192"):
                s.add_clicks(0, 1, np.array([[96.0, 64.0]]), np.array([1]), box_xyxy=bad)
        assert not s.prompted_frames
    from robomask.backends import build_backend

    cfg = config_from_dict({"task_name": "t", "data_base_dir": "/d", "export_base_dir": "/e",
                            "backend": click_backend})
    with build_backend(cfg, "arm") as backend, backend.open_session(frames) as s, \
            pytest.raises(BackendError, match="this backend does not take boxes"):
        s.add_clicks(0, 1, np.array([[96.0, 64.0]]), np.array([1]), box_xyxy=BOX)


def test_track_gives_boxes_to_backends_that_take_them_only(tmp_path, click_backend, caplog):
    folder, truth = _striped_object(tmp_path / "v")
    entry = PromptEntry(0, 1, ((96.0, 64.0),), (1,), box=tuple(BOX.tolist()))
    (fm,) = track(folder, [entry], backend=OpenCVBackend())
    assert mask_iou(fm.masks[1], truth) >= 0.95
    from robomask.backends import build_backend

    cfg = config_from_dict({"task_name": "t", "data_base_dir": "/d", "export_base_dir": "/e",
                            "backend": click_backend})
    with build_backend(cfg, "arm") as backend, caplog.at_level(logging.DEBUG,
                                                               "robomask.pipeline.track"):
        (fm,) = track(folder, [entry, entry], backend=backend)
    assert fm.masks[1][64, 96] and not fm.masks[1][64, 50]  # the clicked stripe alone
    notes = [r.message for r in caplog.records if "takes no boxes" in r.message]
    assert len(notes) == 1 and "test-clicks" in notes[0]
