"""Clicks derived from ground-truth masks, the way a careful annotator would place them.

:func:`clicks_from_parts` clicks every part of an object once (each link, the cable,
each finger) and puts negatives nearby: in the gaps the object encloses (between a cable
and its link, between two fingers), on the neighbouring object (the gripper for the arm
and the other way round), and on the background around it. This is how the demo scene
is prompted.

:func:`clicks_from_mask` needs only the object's mask (the DAVIS benchmark's protocol).
Rule (deterministic): positive clicks are spread by farthest-point sampling over the
object's interior (pixels at least min(8, half the largest depth) pixels, and at least
2, inside the mask), starting at its deepest pixel, so that they reach its extremities
(a neck, a tail, the far end of an arm) but keep off its outline. Negative clicks are
spread by farthest-point sampling over a ring of background around the object, between
``ring_px[0]`` and ``ring_px[1]`` pixels from it, starting at the ring pixel farthest
from the object's centroid (first in row-major order on ties).

:func:`central_clicks_from_mask` clicks as a hurried new user does: a few positives in
the middle of the object and a few negatives just outside it (the issue's "centre-heavy"
rule, see its docstring).
"""

from __future__ import annotations

import cv2
import numpy as np

from robomask.masks import disk_kernel, farthest_points


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


def central_clicks_from_mask(mask: np.ndarray, *, positives: int = 3, negatives: int = 2,
                             ring_px: tuple[int, int] = (15, 60),
                             seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Few clicks near the object's centre, a few negatives close around it.

    Rule (deterministic for a given ``seed``): positives at distance-transform maxima,
    greedily: the deepest pixel of the mask, then each time the deepest pixel at least
    half the largest depth (and at least 2 px) away from the clicks taken, so they sit
    in the fattest part of the object, not at its extremities. Negatives are drawn
    uniformly (``numpy.random.default_rng(seed)``) from the background between
    ``ring_px[0]`` and ``ring_px[1]`` pixels from the mask.

    Args:
        mask: Bool (height, width) mask of the object.
        positives: Positive clicks wanted (fewer when the mask is tiny).
        negatives: Negative clicks wanted.
        ring_px: (inner, outer) distance in pixels of the negatives from the mask.
        seed: Seed of the negatives' draw.

    Returns:
        ``(points_xy, labels)`` as :func:`clicks_from_mask`.
    """
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return np.zeros((0, 2)), np.zeros((0,), dtype=np.int64)
    depth = cv2.distanceTransform(np.pad(mask, 1).astype(np.uint8), cv2.DIST_L2, 5)[1:-1, 1:-1]
    spacing = max(2.0, 0.5 * float(depth.max()))
    free = depth.copy()
    pos = []
    for _ in range(positives):
        y, x = np.unravel_index(int(np.argmax(free)), free.shape)
        if free[y, x] <= 0:
            break
        pos.append((x, y))
        cv2.circle(free, (int(x), int(y)), int(np.ceil(spacing)), 0, -1)
    outside = cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2, 5)
    ys, xs = np.nonzero((outside >= ring_px[0]) & (outside <= ring_px[1]))
    take = np.random.default_rng(seed).choice(len(xs), size=min(negatives, len(xs)),
                                              replace=False)
    neg = np.stack([xs[take], ys[take]], axis=1).reshape(-1, 2)
    points = np.concatenate([np.array(pos, dtype=np.float64).reshape(-1, 2), neg])
    labels = np.array([1] * len(pos) + [0] * len(neg), dtype=np.int64)
    return points.astype(np.float64), labels


def clicks_from_parts(parts: list[np.ndarray], *, near: np.ndarray | None = None,
                      gaps: int = 2, ring: int = 1,
                      min_part_px: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """Clicks for one object made of parts: one positive per part, negatives nearby.

    Rule (deterministic; ``diag`` is the image diagonal in pixels):

    - a positive click on every part with at least ``min_part_px`` pixels, at the pixel
      nearest its centroid of those at least 80 % as deep as its deepest (first in
      row-major order on ties);
    - a negative click at the pixel farthest from the object in each of the ``gaps``
      largest gaps (of at least ``min_part_px`` pixels), the background that a closing
      of the object by a disk of radius 2 % of ``diag`` fills;
    - a negative click on ``near`` (another object's mask) at its deepest pixel among
      those at most 4 % of ``diag`` from the object, when there is one;
    - ``ring`` negative clicks on the background ring 1.5 %..4 % of ``diag`` from the
      object, as :func:`clicks_from_mask` places them.

    Args:
        parts: Bool (height, width) masks of the object's visible parts.
        near: Bool (height, width) mask of a neighbouring object, or None.
        gaps: Gap clicks wanted at most.
        ring: Background ring clicks wanted.
        min_part_px: Parts and gaps smaller than this (in pixels) get no click.

    Returns:
        ``(points_xy, labels)`` as :func:`clicks_from_mask`: float (N, 2) (x, y) pixels
        and int (N,) of 1/0, positives first.
    """
    obj = np.logical_or.reduce([np.asarray(p, dtype=bool) for p in parts])
    h, w = obj.shape
    diag = float(np.hypot(w, h))
    pos = [_deepest(p) for p in parts if np.count_nonzero(p) >= min_part_px]
    if not pos:
        return np.zeros((0, 2)), np.zeros((0,), dtype=np.int64)
    outside = cv2.distanceTransform((~obj).astype(np.uint8), cv2.DIST_L2, 5)
    r = max(2, round(0.02 * diag))
    closed = cv2.morphologyEx(obj.astype(np.uint8), cv2.MORPH_CLOSE,
                              disk_kernel(r))
    n, lab, stats, _ = cv2.connectedComponentsWithStats(((closed > 0) & ~obj).astype(np.uint8))
    neg = []
    big = [k for k in range(1, n) if stats[k, cv2.CC_STAT_AREA] >= min_part_px]
    for k in sorted(big, key=lambda k: -stats[k, cv2.CC_STAT_AREA])[:gaps]:
        ys, xs = np.nonzero(lab == k)
        j = int(np.argmax(outside[ys, xs]))
        neg.append((xs[j], ys[j]))
    if near is not None:
        close_by = np.asarray(near, dtype=bool) & (outside <= 0.04 * diag)
        if close_by.any():
            neg.append(_deepest(close_by))
    inner, outer = max(2, round(0.015 * diag)), max(4, round(0.04 * diag))
    neg_arr = np.concatenate([np.array(neg, dtype=np.float64).reshape(-1, 2),
                              _ring_points(obj, ring, inner, outer) if ring else np.zeros((0, 2))])
    points = np.concatenate([np.array(pos, dtype=np.float64), neg_arr])
    labels = np.array([1] * len(pos) + [0] * len(neg_arr), dtype=np.int64)
    return points, labels


def _deepest(mask: np.ndarray) -> tuple[int, int]:
    """(x, y) of a deepest pixel of ``mask``: of those at least 80 % as far from the
    outline as the farthest one, the nearest to the centroid (row-major first on ties),
    so that a long even part (a cable) is clicked in its middle, not at an end."""
    depth = cv2.distanceTransform(np.pad(mask, 1).astype(np.uint8), cv2.DIST_L2, 5)[1:-1, 1:-1]
    ys, xs = np.nonzero(depth >= 0.8 * float(depth.max()))
    cy, cx = np.argwhere(mask).mean(axis=0)
    k = int(np.argmin((xs - cx) ** 2 + (ys - cy) ** 2))
    return int(xs[k]), int(ys[k])


def _inner_points(mask: np.ndarray, k: int) -> np.ndarray:
    depth = cv2.distanceTransform(np.pad(mask, 1).astype(np.uint8), cv2.DIST_L2, 5)[1:-1, 1:-1]
    top = float(depth.max())
    ys, xs = np.nonzero(depth >= min(top, max(2.0, min(8.0, 0.5 * top))))
    cand = np.stack([xs, ys], axis=1).astype(np.float64)
    return farthest_points(cand, int(np.argmax(depth[ys, xs])), k)


def _ring_points(mask: np.ndarray, k: int, inner: int, outer: int) -> np.ndarray:
    outside = cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2, 5)
    ys, xs = np.nonzero((outside >= inner) & (outside <= outer))
    if len(xs) == 0:
        return np.zeros((0, 2))
    cand = np.stack([xs, ys], axis=1).astype(np.float64)
    centre = np.argwhere(mask)[:, ::-1].mean(axis=0)
    return farthest_points(cand, int(np.argmax(((cand - centre) ** 2).sum(axis=1))), k)
