"""Colour statistics of the keyframe segmentation: smoothed RGB histograms, the colour
vote between an object's sample and its surroundings, and the test of whether a mask's
colours go on past its outline."""

from __future__ import annotations

import cv2
import numpy as np

from robomask.masks import disk_kernel


def colour_vote(rgb: np.ndarray, fg: np.ndarray, bg: np.ndarray, novel: float,
                bins: int = 8) -> np.ndarray:
    """Pixels whose colour the ``bg`` sample does not explain better than the ``fg`` one
    (nor better than ``novel`` times a uniform density: rare colours count as object).

    Both histograms (``bins`` levels per RGB channel) are smoothed over neighbouring
    bins, so that a small sample (a few seeds) still speaks for colours close to its own.
    """
    q = quantise(rgb, bins)
    h_fg, h_bg = histogram(q[fg], bins), histogram(q[bg], bins)
    return np.maximum(h_fg, novel / bins ** 3)[q] > h_bg[q]


def spills(rgb: np.ndarray, mask: np.ndarray, radius: int, share: float,
           bins: int = 16) -> bool:
    """True when, on some side of ``mask``, more than ``share`` of the ring ``radius`` px
    wide around it has its colours: the object goes on that way. A ring pixel has the
    mask's colours when its colour is denser in the mask than in the rest of the image
    (every 4th pixel of it; ``bins`` levels per channel, smoothed as in
    :func:`colour_vote`); the sides are the four quadrants of directions from the
    mask's centroid, diagonal ones."""
    if not mask.any():
        return False
    h, w = mask.shape
    x, y, bw, bh = cv2.boundingRect(mask.view(np.uint8))
    x0, y0 = max(0, x - 2 * radius), max(0, y - 2 * radius)
    x1, y1 = min(w, x + bw + 2 * radius), min(h, y + bh + 2 * radius)
    inside = mask[y0:y1, x0:x1]
    ring = (cv2.dilate(inside.view(np.uint8), disk_kernel(radius)) > 0) & ~inside
    ys, xs = np.nonzero(ring)
    q = quantise(np.ascontiguousarray(rgb[y0:y1, x0:x1]), bins)
    h_fg = histogram(q[inside], bins)
    h_bg = histogram(quantise(rgb[::4, ::4], bins)[~mask[::4, ::4]], bins)
    like = (h_fg > h_bg)[q[ys, xs]]
    cy, cx = np.argwhere(inside).mean(axis=0)
    dx, dy = xs - cx, ys - cy
    side = np.where(np.abs(dx) >= np.abs(dy), np.where(dx >= 0, 0, 1), np.where(dy >= 0, 2, 3))
    n = np.bincount(side, minlength=4)
    frac = np.bincount(side, weights=like, minlength=4) / np.maximum(n, 1)
    return bool((frac[n > 0] > share).any())


def quantise(rgb: np.ndarray, bins: int) -> np.ndarray:
    """Int32 (h, w) colour bin of every pixel, ``bins`` levels per RGB channel."""
    q = (rgb // (256 // bins)).astype(np.int32)
    return (q[..., 0] * bins + q[..., 1]) * bins + q[..., 2]


def histogram(values: np.ndarray, bins: int) -> np.ndarray:
    """Smoothed, normalised (bins**3,) histogram of colour bins (see :func:`smooth`)."""
    return smooth(np.bincount(values, minlength=bins ** 3), bins)


def smooth(hist: np.ndarray, bins: int) -> np.ndarray:
    """A (bins**3,) histogram blurred by [1, 2, 1] along each colour axis, normalised."""
    h = hist.reshape(bins, bins, bins).astype(np.float64)
    for axis in range(3):
        pad = np.pad(h, [(1, 1) if a == axis else (0, 0) for a in range(3)])
        lo = np.take(pad, range(0, bins), axis=axis)
        hi = np.take(pad, range(2, bins + 2), axis=axis)
        h = 0.5 * h + 0.25 * (lo + hi)
    return (h / max(h.sum(), 1e-9)).reshape(-1)
