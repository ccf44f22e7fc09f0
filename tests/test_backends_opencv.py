"""The opencv backend on synthetic videos whose masks are known."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from robomask.backends import build_backend
from robomask.backends.opencv import OpenCVBackend, OpenCVSession
from robomask.config import config_from_dict
from robomask.demo.clicks import central_clicks_from_mask, clicks_from_mask
from robomask.errors import BackendError
from robomask.io.frames import open_frames
from robomask.masks import FrameMasks

SIZE_WH = (192, 128)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    union = (a | b).sum()
    return float((a & b).sum() / union) if union else 1.0


def _background(rng: np.random.Generator) -> np.ndarray:
    w, h = SIZE_WH
    noise = cv2.GaussianBlur(rng.normal(0, 1, (h, w)).astype(np.float32), (0, 0), 3)
    ys, xs = np.mgrid[0:h, 0:w]
    grain = 20 * np.sin(0.3 * ys + 6 * noise)[..., None] + rng.normal(0, 5, (h, w, 1))
    return np.clip(np.array([110, 120, 90]) + grain, 0, 255)


def _shape(i: int, cx: float, cy: float) -> np.ndarray:
    """An ellipse centred near (cx, cy) that bobs, squashes and turns with ``i``."""
    w, h = SIZE_WH
    mask = np.zeros((h, w), np.uint8)
    centre = (int(cx), int(cy + 6 * np.sin(i / 4)))
    axes = (int(18 + 5 * np.sin(i / 5)), int(12 - 3 * np.sin(i / 5)))
    cv2.ellipse(mask, centre, axes, 8 * i, 0, 360, 1, -1)
    return mask > 0


def make_video(folder: Path, num_frames: int = 20, objects: int = 1,
               jump_at: int | None = None):
    """Write a textured video with ellipses moving right (3 px a frame, or 1 px a frame
    and a 70 px jump at frame ``jump_at``); returns (frames, [masks per object])."""
    rng = np.random.default_rng(1)
    bg = _background(rng)
    folder.mkdir(parents=True, exist_ok=True)
    gts: list[list[np.ndarray]] = [[] for _ in range(objects)]
    starts = [(40, 45, (220, 60, 50)), (60, 95, (60, 80, 220))]
    for i in range(num_frames):
        img = bg.copy()
        for k in range(objects):
            cx, cy, colour = starts[k]
            if jump_at is None:
                mask = _shape(i, cx + 3 * i, cy)
            else:
                mask = _shape(i, cx + i + 70 * (i >= jump_at), cy)
            rgb = np.array(colour, dtype=np.float64)
            shade = 1 - 0.25 * np.linspace(0, 1, SIZE_WH[0])[None, :, None]
            img = np.where(mask[..., None], rgb * shade, img)
            gts[k].append(mask)
        cv2.imwrite(str(folder / f"{i:04d}.png"), np.clip(img, 0, 255).astype(np.uint8)[..., ::-1])
    return open_frames(folder), gts


def _clicks(mask: np.ndarray):
    return clicks_from_mask(mask, positives=4, negatives=4)


def _track(frames, gts, keyframes, obj_ids=(1,)):
    with OpenCVBackend().open_session(frames) as s:
        for obj_id, gt in zip(obj_ids, gts, strict=True):
            for k in keyframes:
                s.add_clicks(k, obj_id, *_clicks(gt[k]))
        out = {fm.frame_index: fm for fm in s.propagate()}
    return [[iou(out[i].masks[o], gt[i]) for i in range(len(gt))]
            for o, gt in zip(obj_ids, gts, strict=True)]


def test_tracks_a_moving_deforming_shape_from_one_keyframe(tmp_path):
    frames, gts = make_video(tmp_path / "v")
    (ious,) = _track(frames, gts, keyframes=[0])
    assert np.mean(ious) >= 0.8, ious
    assert min(ious) >= 0.6, ious


def _large_blob_video(folder: Path, num_frames: int = 10):
    """A large two-tone object (a 110x70 px body, a darker 36 px head on it) drifting right
    over the textured background; returns (frames, masks)."""
    bg = _background(np.random.default_rng(3))
    folder.mkdir(parents=True)
    masks = []
    for i in range(num_frames):
        body, head = np.zeros(bg.shape[:2], np.uint8), np.zeros(bg.shape[:2], np.uint8)
        cv2.ellipse(body, (80 + 2 * i, 68), (55, 35), 0, 0, 360, 1, -1)
        cv2.circle(head, (132 + 2 * i, 50), 18, 1, -1)
        img = np.where(body[..., None] > 0, np.array([200, 70, 60.0]), bg)
        img = np.where(head[..., None] > 0, np.array([120, 40, 30.0]), img)
        masks.append((body | head) > 0)
        cv2.imwrite(str(folder / f"{i:04d}.png"), np.clip(img, 0, 255).astype(np.uint8)[..., ::-1])
    return open_frames(folder), masks


def test_few_central_clicks_cover_a_large_object(tmp_path):
    """Three clicks near the middle of an object much larger than their spread (and two
    negatives close outside it) give the whole object, head included, and keep it."""
    frames, masks = _large_blob_video(tmp_path / "v")
    points, labels = central_clicks_from_mask(masks[0], positives=3, negatives=2,
                                              ring_px=(4, 15))
    spread = points[labels == 1].max(axis=0) - points[labels == 1].min(axis=0)
    assert spread.max() < 40  # the clicks span well under half the object
    with OpenCVBackend().open_session(frames) as s:
        key = s.add_clicks(0, 1, points, labels).masks[1]
        ious = [iou(fm.masks[1], masks[fm.frame_index]) for fm in s.propagate()]
    assert iou(key, masks[0]) >= 0.95, iou(key, masks[0])
    assert min(ious) >= 0.9, ious


def test_one_click_near_the_edge_of_a_bar_gives_the_bar(tmp_path):
    """A single click off the middle of a bright bar on noise: the generous box's result
    has the click near its edge and is dropped; growing from the click still finds the
    whole bar (once an empty mask: the rounds were used up)."""
    w, h = 320, 180
    img = np.random.default_rng(0).integers(0, 60, (h, w, 3), dtype=np.uint8)
    bar = np.zeros((h, w), bool)
    bar[5:41, 19:125] = True
    img[bar] = (200, 200, 210)
    (tmp_path / "v").mkdir()
    cv2.imwrite(str(tmp_path / "v" / "0.png"), img[..., ::-1])
    with OpenCVBackend().open_session(open_frames(tmp_path / "v")) as s:
        mask = s.add_clicks(0, 1, np.array([[39.0, 15.0]]), np.array([1])).masks[1]
    assert iou(mask, bar) >= 0.95, iou(mask, bar)


def test_central_clicks_sit_in_the_middle_and_negatives_close_outside():
    mask = np.zeros((120, 200), bool)
    mask[20:100, 20:180] = True
    points, labels = central_clicks_from_mask(mask, positives=3, negatives=2)
    assert labels.tolist() == [1, 1, 1, 0, 0]
    pos, neg = points[:3].astype(int), points[3:].astype(int)
    assert mask[pos[:, 1], pos[:, 0]].all()
    assert np.all(np.abs(pos[:, 0] - 100) <= 60) and np.all(np.abs(pos[:, 1] - 60) <= 5)
    outside = cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2, 5)
    assert np.all((outside[neg[:, 1], neg[:, 0]] >= 15) & (outside[neg[:, 1], neg[:, 0]] <= 60))
    again = central_clicks_from_mask(mask, positives=3, negatives=2)
    assert np.array_equal(points, again[0])


def test_each_frame_is_reached_once_and_masks_are_full_size(tmp_path):
    frames, gts = make_video(tmp_path / "v", num_frames=8)
    with OpenCVBackend().open_session(frames) as s:
        s.add_clicks(3, 1, *_clicks(gts[0][3]))
        got = [fm.frame_index for fm in s.propagate()]
        fm = next(iter(s.propagate(direction="forward")))
    assert sorted(got) == list(range(8))
    assert fm.masks[1].shape == (SIZE_WH[1], SIZE_WH[0])


def test_keyframe_mask_comes_from_its_clicks(tmp_path):
    frames, gts = make_video(tmp_path / "v", num_frames=12)
    with OpenCVBackend().open_session(frames) as s:
        s.add_clicks(0, 1, *_clicks(gts[0][0]))
        on_key = s.add_clicks(8, 1, *_clicks(gts[0][8])).masks[1]
        out = {fm.frame_index: fm for fm in s.propagate()}
    assert np.array_equal(out[8].masks[1], on_key)
    assert iou(on_key, gts[0][8]) >= 0.8


def test_second_keyframe_is_fused_by_temporal_distance(tmp_path):
    """Flow cannot follow a jump; the estimate from the keyframe after it can, and the
    fusion takes each side where it is nearer."""
    frames, gts = make_video(tmp_path / "v", num_frames=24, jump_at=12)
    (one,) = _track(frames, gts, keyframes=[0])
    (two,) = _track(frames, gts, keyframes=[0, 23])
    assert np.mean(one[12:]) < 0.3, one
    assert min(two) >= 0.7, two
    assert np.mean(two) >= 0.85, two


class _Render:
    """Masks per frame as a kinematic render gives them (here: the drawn ellipses)."""

    def __init__(self, masks: list[np.ndarray], obj_id: int) -> None:
        self.masks, self.obj_id, self.asked = masks, obj_id, []

    def frame_masks(self, frame_index: int) -> FrameMasks:
        self.asked.append(frame_index)
        m = self.masks[frame_index]
        return FrameMasks(frame_index, (m.shape[1], m.shape[0]), {self.obj_id: m})


def test_a_render_prior_holds_the_mask_where_flow_loses_it(tmp_path):
    """After a jump flow cannot follow, the render (sure inside, nothing far from it)
    brings the mask to where the object is; keyframes stay as clicked."""
    frames, gts = make_video(tmp_path / "v", num_frames=24, jump_at=12)
    render = _Render(gts[0], obj_id=1)
    session = OpenCVSession(frames, OpenCVBackend.capabilities, 432, prior=render)
    with session as s:
        key = s.add_clicks(0, 1, *_clicks(gts[0][0])).masks[1]
        out = {fm.frame_index: fm.masks[1] for fm in s.propagate(direction="forward")}
    ious = [iou(out[i], gts[0][i]) for i in range(24)]
    assert np.array_equal(out[0], key) and 0 not in render.asked
    assert ious[12] >= 0.6 and min(ious[13:]) >= 0.9, ious  # without: < 0.3 (see above)


@pytest.mark.parametrize(("use", "prior"), [("prompts", True), ("check", False)])
def test_a_kinematics_section_makes_the_render_the_prior(tmp_path, use, prior):
    pytest.importorskip("yourdfpy")
    from robomask.config import load_config
    from robomask.demo.kinematic import make_kinematic_scene

    demo = make_kinematic_scene(tmp_path, num_frames=4, size_wh=(160, 90))
    text = demo.config_path.read_text().replace('"use": "prompts"', f'"use": "{use}"')
    demo.config_path.write_text(text)
    cfg = load_config(demo.config_path)
    assert (build_backend(cfg, "arm").kinematics is cfg) is prior


def test_start_between_keyframes_gives_the_same_masks(tmp_path):
    frames, gts = make_video(tmp_path / "v", num_frames=12)
    with OpenCVBackend().open_session(frames) as s:
        s.add_clicks(0, 1, *_clicks(gts[0][0]))
        s.add_clicks(11, 1, *_clicks(gts[0][11]))
        full = {fm.frame_index: fm.masks[1] for fm in s.propagate()}
        part = {fm.frame_index: fm.masks[1]
                for fm in s.propagate(start_frame_index=5, direction="forward")}
    assert sorted(part) == list(range(5, 12))
    for i, mask in part.items():
        assert np.array_equal(mask, full[i]), i


def test_several_objects_at_once(tmp_path):
    frames, gts = make_video(tmp_path / "v", num_frames=12, objects=2)
    ious = _track(frames, gts, keyframes=[0], obj_ids=(5, 7))
    for per_obj in ious:
        assert np.mean(per_obj) >= 0.8, ious


def test_new_clicks_on_a_frame_replace_the_old_ones(tmp_path):
    frames, gts = make_video(tmp_path / "v", num_frames=6, objects=2)
    with OpenCVBackend().open_session(frames) as s:
        first = s.add_clicks(0, 1, *_clicks(gts[0][0])).masks[1]
        second = s.add_clicks(0, 1, *_clicks(gts[1][0])).masks[1]
        out = {fm.frame_index: fm.masks[1] for fm in s.propagate()}
    assert iou(first, gts[0][0]) >= 0.8
    assert iou(second, gts[1][0]) >= 0.8 and iou(second, gts[0][0]) < 0.1
    assert iou(out[5], gts[1][5]) >= 0.7


def test_remove_object_reset_and_close(tmp_path):
    frames, gts = make_video(tmp_path / "v", num_frames=6, objects=2)
    s = OpenCVBackend().open_session(frames)
    s.add_clicks(0, 1, *_clicks(gts[0][0]))
    s.add_clicks(0, 2, *_clicks(gts[1][0]))
    s.remove_object(1)
    assert all(set(fm.masks) == {2} for fm in s.propagate())
    s.reset()
    with pytest.raises(BackendError, match="expected a prompt first"):
        list(s.propagate())
    s.close()
    with pytest.raises(BackendError, match="closed"):
        s.add_clicks(0, 1, np.array([[10.0, 10.0]]), np.array([1]))


def test_text_prompt_is_refused_with_a_hint_to_click(tmp_path):
    frames, _ = make_video(tmp_path / "v", num_frames=3)
    with OpenCVBackend().open_session(frames) as s, \
            pytest.raises(BackendError, match="expected click prompts"):
        s.add_text(0, "robot and cable")


def test_only_negative_clicks_give_an_empty_mask(tmp_path):
    frames, _ = make_video(tmp_path / "v", num_frames=3)
    with OpenCVBackend().open_session(frames) as s:
        fm = s.add_clicks(0, 1, np.array([[5.0, 5.0]]), np.array([0]))
    assert not fm.masks[1].any()


def test_results_are_deterministic(tmp_path):
    frames, gts = make_video(tmp_path / "v", num_frames=8)

    def run():
        with OpenCVBackend().open_session(frames) as s:
            s.add_clicks(0, 1, *_clicks(gts[0][0]))
            return [fm.masks[1] for fm in s.propagate()]

    assert all(np.array_equal(a, b) for a, b in zip(run(), run(), strict=True))


def test_built_from_config_by_name(tmp_path):
    cfg = config_from_dict({"task_name": "t", "data_base_dir": str(tmp_path),
                            "export_base_dir": str(tmp_path), "backend": "opencv"})
    backend = build_backend(cfg, "arm")
    assert isinstance(backend, OpenCVBackend)
    assert backend.capabilities.clicks and not backend.capabilities.text_prompts
    assert backend.capabilities.devices == ("cpu",)


def _gripper_on_a_forearm(folder: Path):
    """One 640x360 frame: a light forearm bar with a thin dark cable over it, and a dark
    gripper (palm and two 6 px fingers) at its end; returns (frames, part masks)."""
    w, h = 640, 360
    img = _background(np.random.default_rng(2))
    img = cv2.resize(img, (w, h), interpolation=cv2.INTER_LINEAR)

    def part(draw) -> np.ndarray:
        m = np.zeros((h, w), np.uint8)
        draw(m)
        return m > 0

    parts = {
        "bar": part(lambda m: cv2.rectangle(m, (330, 170), (639, 190), 1, -1)),
        "cable": part(lambda m: cv2.polylines(
            m, [np.array([[600, 168], [480, 140], [360, 160], [335, 172]])], False, 1, 4)),
        "palm": part(lambda m: cv2.rectangle(m, (312, 160), (329, 200), 1, -1)),
        "fingers": part(lambda m: (cv2.rectangle(m, (282, 160), (311, 165), 1, -1),
                                   cv2.rectangle(m, (282, 195), (311, 200), 1, -1))),
    }
    img[parts["bar"]] = (212, 214, 220)
    img[parts["cable"] & ~parts["bar"]] = (30, 32, 45)
    img[parts["palm"] | parts["fingers"]] = (60, 62, 70)
    folder.mkdir(parents=True)
    cv2.imwrite(str(folder / "0.png"), np.clip(img, 0, 255).astype(np.uint8)[..., ::-1])
    return open_frames(folder), parts


def test_keyframe_mask_keeps_thin_parts_and_stops_at_their_neighbours(tmp_path):
    """Clicks on a palm and two thin fingers give the whole gripper and nothing of the
    forearm beside it; clicks on a link and its cable give both, not the gap between."""
    frames, parts = _gripper_on_a_forearm(tmp_path / "v")
    grip = parts["palm"] | parts["fingers"]
    arm = (parts["bar"] | parts["cable"]) & ~grip
    with OpenCVBackend().open_session(frames) as s:
        g = s.add_clicks(0, 1, np.array([[320, 180], [296, 162], [296, 197], [296, 180],
                                         [345, 180]]), np.array([1, 1, 1, 0, 0])).masks[1]
        a = s.add_clicks(0, 2, np.array([[500, 180], [420, 148], [320, 180], [480, 160]]),
                         np.array([1, 1, 0, 0])).masks[2]
    assert iou(g, grip) >= 0.9, iou(g, grip)
    assert (g & parts["fingers"]).sum() >= 0.9 * parts["fingers"].sum()
    assert (g & parts["bar"]).sum() <= 0.01 * parts["bar"].sum()
    assert iou(a, arm) >= 0.9, iou(a, arm)
    assert (a & parts["cable"]).sum() >= 0.85 * parts["cable"].sum()
    assert (a & ~arm).sum() <= 0.02 * arm.sum()  # no gap under the cable, no gripper
