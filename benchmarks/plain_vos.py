"""A plain click-to-video segmenter, the baseline robomask's opencv backend is held to.

What anyone would write in an afternoon with OpenCV, at half resolution:

- keyframe: GrabCut (5 iterations) in a generous box, centred on the positive clicks'
  bounding box, each side ``BOX_GROW`` times as long as that box's side and at least
  ``BOX_MIN_FRAC`` of the image diagonal; disks of
  ``CLICK_RADIUS_PX`` around the clicks are sure foreground / background; the
  components holding a positive click are kept;
- every other frame: DIS optical flow (medium preset, grey) carries the previous mask
  (backward warp), then GrabCut (2 iterations) re-decides a band of ``BAND_PX`` either
  side of the carried outline, in a crop around it; the components touching the band's
  inner core are kept.

Masks come back full size (nearest-neighbour upsampling of the half-size mask). Used by
benchmarks/vos.py and benchmarks/clicks_real.py; not part of robomask.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import cv2
import numpy as np

BOX_GROW = 1.5  # "generous": box side over the positive clicks' bounding box side ...
BOX_MIN_FRAC = 0.3  # ... and at least this fraction of the image diagonal
CLICK_RADIUS_PX = 4  # sure-label disk around each click, half-resolution pixels
BAND_PX = 6  # half-width of the band GrabCut re-decides while tracking
KEY_ITERATIONS = 5
TRACK_ITERATIONS = 2


class PlainSegmenter:
    """GrabCut keyframe + DIS flow + band GrabCut, at half resolution."""

    def __init__(self) -> None:
        self._dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)

    def keyframe(self, rgb: np.ndarray, points_xy: np.ndarray,
                 labels: np.ndarray) -> np.ndarray:
        """Bool full-size mask from clicks ((N, 2) (x, y) full-size pixels, 1/0 labels)."""
        small = _half(rgb)
        h, w = small.shape[:2]
        pts = np.clip(np.rint(np.asarray(points_xy, float) / 2), 0, [w - 1, h - 1]).astype(int)
        labels = np.asarray(labels)
        pos = pts[labels == 1]
        if len(pos) == 0:
            return np.zeros(rgb.shape[:2], dtype=bool)
        lo, hi = pos.min(axis=0), pos.max(axis=0)
        half = np.maximum(BOX_GROW * (hi - lo), BOX_MIN_FRAC * np.hypot(w, h)) / 2
        (x0, y0), (x1, y1) = ((lo + hi) / 2 - half).astype(int), ((lo + hi) / 2 + half).astype(int)
        tri = np.full((h, w), cv2.GC_BGD, np.uint8)
        tri[max(0, y0):y1 + 1, max(0, x0):x1 + 1] = cv2.GC_PR_FGD
        if not (tri == cv2.GC_BGD).any():
            tri[[0, -1], :] = cv2.GC_PR_BGD
            tri[:, [0, -1]] = cv2.GC_PR_BGD
        for (x, y), lab in zip(pts, labels, strict=True):
            cv2.circle(tri, (int(x), int(y)), CLICK_RADIUS_PX,
                       cv2.GC_FGD if lab == 1 else cv2.GC_BGD, -1)
        fg = _grabcut(small, tri, KEY_ITERATIONS)
        return _full(_holding(fg, pos[:, ::-1]), rgb.shape[:2])

    def track(self, frames: Iterable[np.ndarray], first_mask: np.ndarray) -> Iterator[np.ndarray]:
        """Bool full-size masks of the frames after the first of ``frames``."""
        it = iter(frames)
        prev = _half(next(it))
        mask = cv2.resize(first_mask.astype(np.uint8), prev.shape[1::-1],
                          interpolation=cv2.INTER_NEAREST) > 0
        h, w = mask.shape
        grid = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
        for rgb in it:
            cur = _half(rgb)
            flow = self._dis.calc(_grey(cur), _grey(prev), None)
            warped = cv2.remap(mask.astype(np.float32), grid[0] + flow[..., 0],
                               grid[1] + flow[..., 1], cv2.INTER_LINEAR) > 0.5
            mask = self._band_grabcut(cur, warped)
            prev = cur
            yield _full(mask, rgb.shape[:2])

    @staticmethod
    def _band_grabcut(rgb: np.ndarray, warped: np.ndarray) -> np.ndarray:
        if not warped.any():
            return warped
        k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * BAND_PX + 1,) * 2)
        core = cv2.erode(warped.view(np.uint8), k) > 0
        reach = cv2.dilate(warped.view(np.uint8), k) > 0
        tri = np.where(warped, cv2.GC_PR_FGD, cv2.GC_PR_BGD).astype(np.uint8)
        tri[core] = cv2.GC_FGD
        tri[~reach] = cv2.GC_BGD
        h, w = warped.shape
        x, y, bw, bh = cv2.boundingRect(reach.view(np.uint8))
        pad = 3 * BAND_PX
        x0, y0 = max(0, x - pad), max(0, y - pad)
        x1, y1 = min(w, x + bw + pad), min(h, y + bh + pad)
        out = np.zeros_like(warped)
        out[y0:y1, x0:x1] = _grabcut(np.ascontiguousarray(rgb[y0:y1, x0:x1]),
                                     np.ascontiguousarray(tri[y0:y1, x0:x1]), TRACK_ITERATIONS)
        if not core.any():
            return out
        n, lab = cv2.connectedComponents(out.view(np.uint8), connectivity=8)
        keep = np.zeros(n, dtype=bool)
        keep[np.unique(lab[core & out])] = True
        keep[0] = False
        return keep[lab]


def _grabcut(rgb: np.ndarray, tri: np.ndarray, iterations: int) -> np.ndarray:
    if not ((tri == cv2.GC_BGD) | (tri == cv2.GC_PR_BGD)).any() or \
            not ((tri == cv2.GC_FGD) | (tri == cv2.GC_PR_FGD)).any():
        return (tri == cv2.GC_FGD) | (tri == cv2.GC_PR_FGD)
    tri = tri.copy()
    cv2.setRNGSeed(0)
    cv2.grabCut(rgb, tri, None, np.zeros((1, 65)), np.zeros((1, 65)), iterations,
                cv2.GC_INIT_WITH_MASK)
    return (tri == cv2.GC_FGD) | (tri == cv2.GC_PR_FGD)


def _holding(mask: np.ndarray, points_yx: np.ndarray) -> np.ndarray:
    n, lab = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)
    keep = np.zeros(n, dtype=bool)
    keep[lab[points_yx[:, 0], points_yx[:, 1]]] = True
    keep[0] = False
    return keep[lab]


def _half(rgb: np.ndarray) -> np.ndarray:
    h, w = rgb.shape[:2]
    return cv2.resize(rgb, (max(1, w // 2), max(1, h // 2)), interpolation=cv2.INTER_AREA)


def _grey(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


def _full(mask: np.ndarray, shape_hw: tuple[int, int]) -> np.ndarray:
    return cv2.resize(mask.astype(np.uint8), shape_hw[::-1], interpolation=cv2.INTER_NEAREST) > 0
