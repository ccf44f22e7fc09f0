"""Long videos in bounded memory: overlapping windows of at most ``max_frames`` frames.

Each window is a model session of its own, so a model holds at most ``max_frames``
frames (and their tracking state) at a time. Consecutive windows share
:func:`overlap_frames` frames; a window is seeded, object by object, with the masks its
neighbour (already run) gave on those shared frames: as mask prompts where the backend
takes them, else as clicks sampled from the masks. Object ids therefore carry over, and
every frame is yielded once, by the first window that ran over it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from robomask.backends.base import VideoSession
from robomask.masks import FrameMasks

MAX_OVERLAP = 4  # frames shared by consecutive windows (fewer for very short windows)
POSITIVE_CLICKS = 3
NEGATIVE_CLICKS = 2
MIN_CLICK_GAP_PX = 3  # clicks sampled from a mask keep at least this far from its edge


def overlap_frames(max_frames: int) -> int:
    """Frames two consecutive windows of ``max_frames`` share: 1..MAX_OVERLAP."""
    return max(1, min(MAX_OVERLAP, max_frames // 4))


@dataclass(frozen=True)
class Window:
    """Frames ``start .. stop - 1`` of the video; ``owns`` those this window yields."""

    start: int
    stop: int
    owns: range = field(compare=False)


def plan_windows(num_frames: int, max_frames: int | None) -> list[Window]:
    """Consecutive windows covering ``num_frames`` frames, at most ``max_frames`` each.

    Args:
        num_frames: Frames in the video.
        max_frames: Most frames per window; None = one window for the whole video.

    Raises:
        ValueError: ``max_frames`` below 2 (windows could not overlap and advance).
    """
    if max_frames is None or num_frames <= max_frames:
        return [Window(0, num_frames, range(num_frames))]
    if max_frames < 2:
        raise ValueError(f"max_frames_per_session: expected >= 2, got {max_frames}")
    overlap = overlap_frames(max_frames)
    bounds: list[tuple[int, int]] = []
    start = 0
    while not bounds or bounds[-1][1] < num_frames:
        stop = min(start + max_frames, num_frames)
        bounds.append((start, stop))
        start = stop - overlap
    return [Window(a, b, range(a, b)) for a, b in bounds]


def run_order(windows: list[Window], anchor: int) -> list[tuple[Window, int | None]]:
    """The order windows run in: the anchor (the window of the first prompt), then the
    later ones, then the earlier ones backwards; each with the index of the window it is
    seeded from (None for the anchor) and ``owns`` narrowed to the frames not yielded yet.
    """
    order: list[tuple[Window, int | None]] = [(windows[anchor], None)]
    for i in range(anchor + 1, len(windows)):
        w = windows[i]
        order.append((Window(w.start, w.stop, range(windows[i - 1].stop, w.stop)), i - 1))
    for i in range(anchor - 1, -1, -1):
        w = windows[i]
        order.append((Window(w.start, w.stop, range(w.start, windows[i + 1].start)), i + 1))
    return order


def shared_frames(a: Window, b: Window) -> range:
    """Frames two windows share."""
    return range(max(a.start, b.start), min(a.stop, b.stop))


def clicks_from_mask(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Clicks that stand for a mask: positives deep inside it, spread apart, and negatives
    inside its bounding box but outside it (where it is not), farthest from it first.

    Args:
        mask: Bool (height, width), not empty.

    Returns:
        Points (N, 2) as (x, y) pixels and labels (N,), 1 positive, 0 negative.
    """
    m = np.asarray(mask, dtype=bool)
    inside = cv2.distanceTransform(m.astype(np.uint8), cv2.DIST_L2, 5)
    points = _peaks(inside, POSITIVE_CLICKS)
    ys, xs = np.nonzero(m)
    box = np.zeros_like(m)
    box[ys.min():ys.max() + 1, xs.min():xs.max() + 1] = True
    outside = cv2.distanceTransform((~m).astype(np.uint8), cv2.DIST_L2, 5)
    outside[~box] = 0
    outside[outside < MIN_CLICK_GAP_PX] = 0
    negatives = _peaks(outside, NEGATIVE_CLICKS)
    labels = [1] * len(points) + [0] * len(negatives)
    return (np.asarray(points + negatives, dtype=np.float64).reshape(-1, 2),
            np.asarray(labels, dtype=np.int64))


def _peaks(distance: np.ndarray, count: int) -> list[tuple[float, float]]:
    """Up to ``count`` (x, y) maxima of ``distance``, each clearing a disc around it."""
    d = distance.copy()
    found: list[tuple[float, float]] = []
    for _ in range(count):
        y, x = np.unravel_index(int(np.argmax(d)), d.shape)
        if d[y, x] <= 0:
            break
        found.append((float(x), float(y)))
        cv2.circle(d, (int(x), int(y)), max(int(d[y, x]), MIN_CLICK_GAP_PX), 0, -1)
    return found


def seed(session: VideoSession, frame_index: int, masks: FrameMasks) -> None:
    """Prompt every object with pixels in ``masks`` on ``frame_index`` of ``session``."""
    for obj_id in masks.object_ids:
        mask = masks.masks[obj_id]
        if session.capabilities.mask_prompts:
            session.add_mask(frame_index, obj_id, mask)
        else:
            points, labels = clicks_from_mask(mask)
            session.add_clicks(frame_index, obj_id, points, labels)
