"""Clicks derived from a ground-truth mask, the way a careful annotator would place them.

Rule (deterministic): positive clicks are spread by farthest-point sampling over the
object's interior (pixels at least min(8, half the largest depth) pixels, and at least
2, inside the mask), starting at its deepest pixel, so that they reach its extremities
(a neck, a tail, the far end of an arm) but keep off its outline. Negative clicks are
spread by farthest-point sampling over a ring of background around the object, between
``ring_px[0]`` and ``ring_px[1]`` pixels from it, starting at the ring pixel farthest
from the object's centroid (first in row-major order on ties).
"""

from __future__ import annotations

import cv2
import numpy as np


def clicks_from_mask(mask: np.ndarray, *, positives: int = 5, negatives: int = 5,
                     ring_px: tuple[int, int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Clicks for one object from its mask.

    Args:
        mask: Bool (height, width) mask of the object.
        positives: Positive clicks wanted (fewer when the mask is tiny).
        negatives: Negative clicks wanted (0 for none).
        ring_px: (inner, outer) distance in pixels of the background ring the negative
            clicks are taken from; default (1.5 %, 4 %) of the image diagonal.

    Returns:
        ``(points_xy, labels)``: float (N, 2) of (x, y) pixels and int (N,) of 1/0,
        positives first. Empty arrays when the mask is empty.
    """
    mask = np.asarray(mask, dtype=bool)
    h, w = mask.shape
    if not mask.any():
        return np.zeros((0, 2)), np.zeros((0,), dtype=np.int64)
    pos = _inner_points(mask, positives)
    diag = float(np.hypot(w, h))
    inner, outer = ring_px or (max(2, round(0.015 * diag)), max(4, round(0.04 * diag)))
    neg = _ring_points(mask, negatives, inner, outer) if negatives else np.zeros((0, 2))
    points = np.concatenate([pos, neg]).astype(np.float64)
    labels = np.array([1] * len(pos) + [0] * len(neg), dtype=np.int64)
    return points, labels


def _inner_points(mask: np.ndarray, k: int) -> np.ndarray:
    depth = cv2.distanceTransform(np.pad(mask, 1).astype(np.uint8), cv2.DIST_L2, 5)[1:-1, 1:-1]
    top = float(depth.max())
    ys, xs = np.nonzero(depth >= min(top, max(2.0, min(8.0, 0.5 * top))))
    cand = np.stack([xs, ys], axis=1).astype(np.float64)
    return _farthest_points(cand, int(np.argmax(depth[ys, xs])), k)


def _farthest_points(cand: np.ndarray, first: int, k: int) -> np.ndarray:
    """``k`` rows of ``cand`` (M, 2) by farthest-point sampling from row ``first``."""
    chosen = [first]
    nearest = ((cand - cand[first]) ** 2).sum(axis=1)
    while len(chosen) < min(k, len(cand)):
        nxt = int(np.argmax(nearest))
        chosen.append(nxt)
        nearest = np.minimum(nearest, ((cand - cand[nxt]) ** 2).sum(axis=1))
    return cand[chosen]


def _ring_points(mask: np.ndarray, k: int, inner: int, outer: int) -> np.ndarray:
    outside = cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2, 5)
    ys, xs = np.nonzero((outside >= inner) & (outside <= outer))
    if len(xs) == 0:
        return np.zeros((0, 2))
    cand = np.stack([xs, ys], axis=1).astype(np.float64)
    centre = np.argwhere(mask)[:, ::-1].mean(axis=0)
    return _farthest_points(cand, int(np.argmax(((cand - centre) ** 2).sum(axis=1))), k)
