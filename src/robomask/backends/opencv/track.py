"""One propagation step: warp a mask by dense optical flow, then pull it to colour edges.

All arrays here are at the backend's working resolution. A step from frame ``p`` to
frame ``c``:

1. ``flow = DIS(c -> p)`` on grey images, so that ``c(x) ~ p(x + flow(x))``; the
   previous soft mask is warped with it (backward warping, no holes).
2. Pixels deeper than ``BAND_PX`` inside the warped mask stay foreground, deeper than
   ``BAND_PX`` outside stay background. In the band between, the prior
   ``sigmoid(signed distance / TAU_PX)`` is combined by Bayes' rule with the object's
   colour likelihood ratio (foreground histogram over a histogram of the ring of
   background around the object, 16 levels per RGB channel).
3. The posterior is smoothed lightly and thresholded at 0.5; only the components that
   touch the warped mask's core are kept (no blobs far from the object).
4. The colour histograms follow the object slowly (``COLOUR_RATE`` per frame).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from robomask.masks import disk_kernel

LEVELS = 16  # colour histogram levels per RGB channel
RING_PX = 20  # background ring width for the colour model
BAND_PX = 8  # half-width of the band where colour may move the boundary
TAU_PX = 1.0  # softness of the shape prior across the boundary
COLOUR_RATE = 0.05  # histogram update rate per frame
EPS = 1e-4


@dataclass(frozen=True)
class WorkFrame:
    """One frame at working resolution.

    Attributes:
        rgb: uint8 (h, w, 3).
        gray: uint8 (h, w).
        bins: int32 (h, w) colour histogram bin of every pixel.
    """

    rgb: np.ndarray
    gray: np.ndarray
    bins: np.ndarray

    @classmethod
    def from_rgb(cls, rgb: np.ndarray) -> WorkFrame:
        q = (rgb // (256 // LEVELS)).astype(np.int32)
        bins = (q[..., 0] * LEVELS + q[..., 1]) * LEVELS + q[..., 2]
        return cls(rgb, cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), bins)


@dataclass
class ColourModel:
    """Normalised foreground and background-ring histograms of one object (LEVELS**3,)."""

    fg: np.ndarray
    bg: np.ndarray

    @classmethod
    def learn(cls, frame: WorkFrame, mask: np.ndarray) -> ColourModel:
        """Histograms of ``mask`` (bool (h, w)) and of the ring of background around it."""
        ring = _dilate(mask, RING_PX) & ~mask
        return cls(_hist(frame.bins[mask]), _hist(frame.bins[ring]))

    def updated(self, frame: WorkFrame, mask: np.ndarray,
                rate: float = COLOUR_RATE) -> ColourModel:
        new = ColourModel.learn(frame, mask)
        return ColourModel((1 - rate) * self.fg + rate * new.fg,
                           (1 - rate) * self.bg + rate * new.bg)

    def ratio(self, frame: WorkFrame) -> np.ndarray:
        """Float32 (h, w) likelihood ratio p(colour | object) / p(colour | background)."""
        return ((self.fg + EPS) / (self.bg + EPS)).astype(np.float32)[frame.bins]


class Flow:
    """Dense optical flow between consecutive working frames (DIS, medium preset)."""

    def __init__(self) -> None:
        self._dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
        self._grid: tuple[np.ndarray, np.ndarray] | None = None

    def maps(self, cur: WorkFrame, prev: WorkFrame) -> tuple[np.ndarray, np.ndarray]:
        """``(map_x, map_y)`` float32 (h, w): where each pixel of ``cur`` was in ``prev``."""
        h, w = cur.gray.shape
        if self._grid is None or self._grid[0].shape != (h, w):
            xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
            self._grid = (xs, ys)
        flow = self._dis.calc(cur.gray, prev.gray, None)
        return self._grid[0] + flow[..., 0], self._grid[1] + flow[..., 1]


def warp(soft: np.ndarray, maps: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Warp a float32 (h, w) soft mask of the previous frame onto the current one."""
    return cv2.remap(soft, maps[0], maps[1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def refine(warped: np.ndarray, frame: WorkFrame, colour: ColourModel) -> np.ndarray:
    """Bool (h, w) mask from a warped soft mask (float32 (h, w)) and the colour model."""
    inside = warped > 0.5
    if not inside.any():
        return inside
    sd = signed_distance(inside)
    mask = cv2.GaussianBlur(posterior(sd, colour.ratio(frame), BAND_PX, TAU_PX),
                            (0, 0), 1.0) > 0.5
    n, lab = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)
    keep = np.zeros(n, dtype=bool)
    keep[np.unique(lab[mask & (sd > BAND_PX / 2)])] = True
    keep[0] = False
    return keep[lab] if keep.any() else mask


def posterior(sd: np.ndarray, ratio: np.ndarray, band_px: float, tau_px: float) -> np.ndarray:
    """Float32 (h, w) foreground probability from a shape prior and a colour ratio.

    Args:
        sd: Float32 (h, w) signed distance to the prior outline (pixels, > 0 inside).
        ratio: Float32 (h, w) colour likelihood ratio p(colour | fg) / p(colour | bg).
        band_px: Beyond this distance the prior decides alone (1 inside, 0 outside).
        tau_px: Softness of the prior, ``sigmoid(sd / tau_px)``.
    """
    prior = (1.0 / (1.0 + np.exp(-np.clip(sd, -band_px, band_px) / tau_px))).astype(np.float32)
    post = prior * ratio / (prior * ratio + (1.0 - prior))
    post[sd > band_px] = 1.0
    post[sd < -band_px] = 0.0
    return post


def signed_distance(mask: np.ndarray) -> np.ndarray:
    """Float32 (h, w): distance to the outline in pixels, > 0 inside ``mask``, < 0 outside."""
    m = mask.astype(np.uint8)
    return (cv2.distanceTransform(m, cv2.DIST_L2, 3)
            - cv2.distanceTransform(1 - m, cv2.DIST_L2, 3))


def _dilate(mask: np.ndarray, radius: int) -> np.ndarray:
    return cv2.dilate(mask.astype(np.uint8), disk_kernel(radius)) > 0


def _hist(values: np.ndarray) -> np.ndarray:
    h = np.bincount(values, minlength=LEVELS ** 3).astype(np.float64)
    return h / max(h.sum(), 1.0)
