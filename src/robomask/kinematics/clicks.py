"""Clicks from the render: keyframes where the render changes, points inside each link
group and just outside it, as the SPEC prompt files hold them.

Positive points sit at the deepest pixel (distance transform maximum) of each visible
link of an object, largest links first; negative points lie on a ring a few pixels
outside the object's silhouette, spread apart. Each entry also carries the object's
rendered bounding box grown by ``BOX_MARGIN_FRAC`` of its side (at least
``MIN_BOX_MARGIN_PX``; the calibration's error and what no URDF holds, a cable or a
sleeve, sit near the outline), for backends that take boxes. Keyframes: the first frame where the
robot is seen, then each frame where an object's silhouette has drifted below
``KEYFRAME_IOU`` against the last keyframe (but no sooner than ``every // 6`` frames after
it), and at least every ``every`` frames.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from robomask.config import Config
from robomask.kinematics.scene import SceneRender
from robomask.masks import disk_kernel, farthest_points, mask_iou
from robomask.progress import ProgressCallback, Ticker
from robomask.prompts import ARM2_KEY, ARM_KEY, LEFT_KEY, RIGHT_KEY, PromptEntry, PromptSet

KEYFRAME_IOU = 0.5  # a new keyframe once an object's silhouette overlaps the last one less
MAX_POSITIVE = 10
MAX_NEGATIVE = 16
_SMALL = 4  # keyframe choice compares silhouettes at 1/4 size
BOX_MARGIN_FRAC = 0.05  # box margin, fraction of the silhouette box's longer side
MIN_BOX_MARGIN_PX = 4


@dataclass(frozen=True)
class KinematicPrompts:
    """Prompt sets made from the render.

    Attributes:
        arm: The arm file's prompts (arm and second arm keys).
        gripper: The gripper file's prompts (left and right keys).
        keyframes: Frames that carry clicks.
    """

    arm: PromptSet
    gripper: PromptSet
    keyframes: list[int]


def _small(mask: np.ndarray) -> np.ndarray:
    h, w = mask.shape
    return cv2.resize(mask.view(np.uint8), (max(1, w // _SMALL), max(1, h // _SMALL)),
                      interpolation=cv2.INTER_NEAREST) > 0


def choose_keyframes(sr: SceneRender, every: int, *,
                     on_progress: ProgressCallback | None = None) -> list[int]:
    """Frames to click: where the render changes most, and at least every ``every``."""
    min_gap = max(1, every // 6)
    keys: list[int] = []
    last: dict[int, np.ndarray] = {}
    ticker = Ticker("render/keyframes", len(sr), on_progress)
    for fm in sr:
        small = {i: _small(m) for i, m in fm.masks.items()}
        seen = any(m.any() for m in small.values())
        gap = fm.frame_index - keys[-1] if keys else every
        drift = gap >= min_gap and (not last or any(
            mask_iou(small[i], last[i]) < KEYFRAME_IOU for i in small))
        due = gap >= every
        if seen and (due or drift):
            keys.append(fm.frame_index)
            last = small
        ticker.advance()
    return keys


def _deepest(region: np.ndarray) -> tuple[float, tuple[int, int]]:
    """Largest distance to the region's edge (pixels) and its (x, y)."""
    x, y, w, h = cv2.boundingRect(region.view(np.uint8))
    crop = np.pad(region[y:y + h, x:x + w].view(np.uint8), 1)
    dist = cv2.distanceTransform(crop, cv2.DIST_L2, 5)
    iy, ix = np.unravel_index(int(np.argmax(dist)), dist.shape)
    return float(dist[iy, ix]), (x + int(ix) - 1, y + int(iy) - 1)


def _spread(points_yx: np.ndarray, k: int) -> list[tuple[int, int]]:
    """Up to ``k`` of ``points_yx`` far apart (farthest-point sampling), as (x, y)."""
    pts = points_yx[:: max(1, len(points_yx) // 2000)].astype(np.float64)
    return [(int(y_x[1]), int(y_x[0])) for y_x in farthest_points(pts, 0, k)]


def _grown(mask: np.ndarray, radius_px: int) -> np.ndarray:
    return cv2.dilate(mask.view(np.uint8), disk_kernel(radius_px)) > 0


def object_clicks(labels: np.ndarray, mask: np.ndarray, link_labels: list[int],
                  min_area_px: int) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Positive and negative (x, y) clicks for one object on one frame.

    Args:
        labels: uint16 (height, width) link labels of the frame.
        mask: Bool (height, width) silhouette of the object.
        link_labels: The object's link labels.
        min_area_px: Links (and objects) with fewer visible pixels get no click.
    """
    if np.count_nonzero(mask) < min_area_px:
        return [], []
    regions = [labels == lb for lb in link_labels]
    sized = sorted(((np.count_nonzero(r), k) for k, r in enumerate(regions)), reverse=True)
    positives = []
    for area, k in sized[:MAX_POSITIVE]:
        if area >= min_area_px:
            depth, xy = _deepest(regions[k])
            if depth >= 2:
                positives.append(xy)
    if not positives:
        positives = [_deepest(mask)[1]]
    h, w = mask.shape
    r_in = max(4, round(0.006 * np.hypot(w, h)))
    ring = _grown(mask, 2 * r_in) & ~_grown(mask, r_in)
    ring_yx = np.argwhere(ring)
    negatives = _spread(ring_yx, MAX_NEGATIVE) if len(ring_yx) else []
    return positives, negatives


def object_box(mask: np.ndarray) -> tuple[float, float, float, float]:
    """The (x0, y0, x1, y1) pixel box of a non-empty bool (height, width) silhouette, grown
    by its margin and clipped to the image (x1, y1 exclusive)."""
    h, w = mask.shape
    x, y, bw, bh = cv2.boundingRect(mask.view(np.uint8))
    m = max(MIN_BOX_MARGIN_PX, round(BOX_MARGIN_FRAC * max(bw, bh)))
    return (float(max(0, x - m)), float(max(0, y - m)),
            float(min(w, x + bw + m)), float(min(h, y + bh + m)))


def kinematic_prompts(sr: SceneRender, config: Config, every: int, *,
                      on_progress: ProgressCallback | None = None) -> KinematicPrompts:
    """Keyframes, clicks and boxes of every object of the render, as the two prompt files."""
    keys = choose_keyframes(sr, every, on_progress=on_progress)
    w, h = sr.size_wh
    min_area = max(30, round(2e-4 * w * h))
    key_of = {config.arm_obj_id: ARM_KEY, config.arm_obj_id_2: ARM2_KEY,
              config.gripper_left_obj_id: LEFT_KEY, config.gripper_right_obj_id: RIGHT_KEY}
    entries: dict[str, list[PromptEntry]] = {k: [] for k in (ARM_KEY, ARM2_KEY, LEFT_KEY,
                                                             RIGHT_KEY)}
    label_of = {name: k + 1 for k, name in enumerate(sr.renderer.link_names)}
    for i in keys:
        labels = sr.labels(i)
        for obj_id, mask in sr.masks_of_labels(labels).items():
            links = [label_of[n] for n in sr.groups[obj_id] if n in label_of]
            pos, neg = object_clicks(labels, mask, links, min_area)
            if pos:
                entries[key_of[obj_id]].append(PromptEntry(
                    i, obj_id, tuple((float(x), float(y)) for x, y in pos + neg),
                    (1,) * len(pos) + (0,) * len(neg), box=object_box(mask)))
    arm = PromptSet({ARM_KEY: entries[ARM_KEY], ARM2_KEY: entries[ARM2_KEY]})
    gripper = PromptSet({LEFT_KEY: entries[LEFT_KEY], RIGHT_KEY: entries[RIGHT_KEY]})
    return KinematicPrompts(arm, gripper, keys)
