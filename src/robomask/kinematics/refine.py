"""Move a rendered outline onto the image's edges, by at most a few pixels.

A render carries the calibration's error (a pixel or a few). GrabCut, seeded by the
render, settles the outline in a band ``radius_px`` wide on each side of it: pixels
deeper inside stay the robot's, pixels farther outside stay background, so the result
never moves the outline more than ``radius_px``.
"""

from __future__ import annotations

from collections.abc import Mapping

import cv2
import numpy as np

from robomask.masks import disk_kernel

GRABCUT_ITERATIONS = 2


def refine_to_edges(rgb: np.ndarray, mask: np.ndarray, radius_px: int) -> np.ndarray:
    """The bool (height, width) ``mask`` with its outline moved onto ``rgb``'s edges.

    Args:
        rgb: uint8 (height, width, 3) frame.
        mask: Bool (height, width) rendered silhouette.
        radius_px: Largest move of the outline, in pixels; 0 returns ``mask``.
    """
    if radius_px <= 0 or not mask.any():
        return mask
    m = mask.view(np.uint8)
    inner = cv2.erode(m, disk_kernel(radius_px)) > 0
    outer = cv2.dilate(m, disk_kernel(radius_px)) > 0
    h, w = mask.shape
    x, y, bw, bh = cv2.boundingRect(outer.view(np.uint8))
    pad = 2 * radius_px
    x0, y0 = max(0, x - pad), max(0, y - pad)
    x1, y1 = min(w, x + bw + pad), min(h, y + bh + pad)
    sl = np.s_[y0:y1, x0:x1]
    seeds = np.full((y1 - y0, x1 - x0), cv2.GC_BGD, np.uint8)
    seeds[outer[sl]] = cv2.GC_PR_BGD
    seeds[mask[sl]] = cv2.GC_PR_FGD
    seeds[inner[sl]] = cv2.GC_FGD
    if not inner.any():  # a part thinner than the band: keep its render as the seed
        seeds[mask[sl]] = cv2.GC_FGD
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    roi = np.ascontiguousarray(rgb[sl][..., ::-1])
    try:
        cv2.grabCut(roi, seeds, None, bgd, fgd, GRABCUT_ITERATIONS, cv2.GC_INIT_WITH_MASK)
    except cv2.error:  # too few pixels of one class to fit a colour model
        return mask
    out = np.zeros_like(mask)
    out[sl] = (seeds == cv2.GC_FGD) | (seeds == cv2.GC_PR_FGD)
    return out


def refine_objects(rgb: np.ndarray, masks: Mapping[int, np.ndarray], radius_px: int
                   ) -> dict[int, np.ndarray]:
    """Refine the union of the robot's objects, then give each refined pixel back to the
    object that rendered it, or (a pixel gained) to the first object within
    ``radius_px`` of it, in ``masks``' order."""
    if radius_px <= 0 or not masks:
        return dict(masks)
    union = np.zeros(next(iter(masks.values())).shape, bool)
    for m in masks.values():
        union |= m
    refined = refine_to_edges(rgb, union, radius_px)
    gained = refined & ~union
    out: dict[int, np.ndarray] = {}
    for obj_id, m in masks.items():
        near = (cv2.dilate(m.view(np.uint8), disk_kernel(radius_px)) > 0) & gained
        out[obj_id] = (m & refined) | near
        gained &= ~near
    return out
