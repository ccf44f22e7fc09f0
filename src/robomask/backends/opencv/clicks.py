"""A keyframe mask from clicks: GrabCut seeded by the clicks, in a region that grows.

Positive clicks become small sure-foreground disks, negative clicks sure-background
disks. The object is assumed to lie in a box around the positive clicks (their
bounding box plus a margin); outside it is sure background, inside it is "probably
foreground", as in GrabCut's rectangle mode. When the result presses against a side
of that box that is not the image border, the box was too small: the margin grows and
GrabCut runs again (at most ``MAX_ROUNDS`` times); so it does when the result is
hardly more than the seed disks, the sign of a box inside the object (its background
sample was the object itself). Only foreground connected to a positive click is kept.
A crop larger than ``MAX_CROP_PIXELS`` is segmented downscaled, which bounds the time
of one call (a few hundred ms at 1280x720 on one core) for the UI's live preview.
"""

from __future__ import annotations

import cv2
import numpy as np

SEED_RADIUS_FRAC = 0.012  # seed disk radius, fraction of the image diagonal
MIN_MARGIN_FRAC = 0.02  # smallest margin around the positive clicks, fraction of the diagonal
BOX_MARGIN_FRAC = 0.1  # margin as a fraction of the clicks' bounding box side
GROW = 1.8  # margin factor when the mask presses against the box
MAX_ROUNDS = 5
ITERATIONS = 4
MAX_CROP_PIXELS = 25000  # larger crops are segmented downscaled (bounds the latency)


def mask_from_clicks(rgb: np.ndarray, points_xy: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Segment the clicked object on one image.

    Args:
        rgb: uint8 image (height, width, 3), RGB.
        points_xy: Float (N, 2) clicks as (x, y) pixels of ``rgb``.
        labels: Int (N,): 1 positive, 0 negative.

    Returns:
        Bool mask (height, width); all False when there is no positive click.
    """
    h, w = rgb.shape[:2]
    pts = np.asarray(points_xy, dtype=np.float64).reshape(-1, 2)
    pts = np.clip(np.rint(pts), 0, [w - 1, h - 1]).astype(np.int32)
    labels = np.asarray(labels).reshape(-1)
    pos, neg = pts[labels == 1], pts[labels == 0]
    if len(pos) == 0:
        return np.zeros((h, w), dtype=bool)
    diag = float(np.hypot(w, h))
    radius = max(2, round(SEED_RADIUS_FRAC * diag))
    lo, hi = pos.min(axis=0), pos.max(axis=0)
    margin = max(BOX_MARGIN_FRAC * float((hi - lo).max()), MIN_MARGIN_FRAC * diag)
    seeds = np.full((h, w), 255, dtype=np.uint8)  # 255 = no seed
    for (x, y) in neg:
        cv2.circle(seeds, (int(x), int(y)), radius, cv2.GC_BGD, -1)
    for (x, y) in pos:
        cv2.circle(seeds, (int(x), int(y)), radius, cv2.GC_FGD, -1)
    mask = np.zeros((h, w), dtype=bool)
    for _ in range(MAX_ROUNDS):
        box = _box(lo, hi, margin, (w, h))
        mask = _connected_to(_grabcut_in_box(rgb, seeds, box, margin), pos)
        collapsed = mask.sum() <= 2 * (seeds == cv2.GC_FGD).sum()
        if not (collapsed or _presses_on_box(mask, box, (w, h))):
            break
        margin *= GROW
    return mask


def _box(lo: np.ndarray, hi: np.ndarray, margin: float,
         size_wh: tuple[int, int]) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1), exclusive end, clipped to the image."""
    w, h = size_wh
    m = int(np.ceil(margin))
    return (max(0, int(lo[0]) - m), max(0, int(lo[1]) - m),
            min(w, int(hi[0]) + m + 1), min(h, int(hi[1]) + m + 1))


def _grabcut_in_box(rgb: np.ndarray, seeds: np.ndarray, box: tuple[int, int, int, int],
                    margin: float) -> np.ndarray:
    """GrabCut on a crop holding the box plus half a margin of background context."""
    h, w = rgb.shape[:2]
    x0, y0, x1, y1 = box
    ctx = int(np.ceil(margin / 2))
    cx0, cy0, cx1, cy1 = max(0, x0 - ctx), max(0, y0 - ctx), min(w, x1 + ctx), min(h, y1 + ctx)
    crop = np.ascontiguousarray(rgb[cy0:cy1, cx0:cx1])
    crop_seeds = seeds[cy0:cy1, cx0:cx1]
    in_box = np.zeros(crop.shape[:2], dtype=bool)
    in_box[y0 - cy0:y1 - cy0, x0 - cx0:x1 - cx0] = True
    likely = _colour_vote(crop, crop_seeds == cv2.GC_FGD,
                          (crop_seeds == cv2.GC_BGD) | ~in_box)
    tri = np.where(in_box, np.where(likely, cv2.GC_PR_FGD, cv2.GC_PR_BGD),
                   cv2.GC_BGD).astype(np.uint8)
    if not (tri == cv2.GC_BGD).any():
        # The box is the whole image: let the image border stand for background, softly.
        tri[[0, -1], :] = cv2.GC_PR_BGD
        tri[:, [0, -1]] = cv2.GC_PR_BGD
    tri = np.where(crop_seeds != 255, crop_seeds, tri).astype(np.uint8)
    scale = min(1.0, float(np.sqrt(MAX_CROP_PIXELS / tri.size)))
    if scale < 1.0:  # bound the time of a large box: GrabCut on a smaller copy
        small_wh = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
        crop = cv2.resize(crop, small_wh, interpolation=cv2.INTER_AREA)
        tri = cv2.resize(tri, small_wh, interpolation=cv2.INTER_NEAREST)
    fg_model, bg_model = np.zeros((1, 65)), np.zeros((1, 65))
    cv2.setRNGSeed(0)  # GrabCut's k-means start draws from OpenCV's global RNG
    cv2.grabCut(crop, tri, None, bg_model, fg_model, ITERATIONS, cv2.GC_INIT_WITH_MASK)
    fg = ((tri == cv2.GC_FGD) | (tri == cv2.GC_PR_FGD)).astype(np.uint8)
    if scale < 1.0:
        fg = cv2.resize(fg, (cx1 - cx0, cy1 - cy0), interpolation=cv2.INTER_NEAREST)
    out = np.zeros((h, w), dtype=bool)
    out[cy0:cy1, cx0:cx1] = fg > 0
    return out


def _presses_on_box(mask: np.ndarray, box: tuple[int, int, int, int],
                    size_wh: tuple[int, int], frac: float = 0.05) -> bool:
    """True when the mask covers > ``frac`` of a box side that is not an image border."""
    w, h = size_wh
    x0, y0, x1, y1 = box
    sides = []
    if x0 > 0:
        sides.append(mask[y0:y1, x0])
    if x1 < w:
        sides.append(mask[y0:y1, x1 - 1])
    if y0 > 0:
        sides.append(mask[y0, x0:x1])
    if y1 < h:
        sides.append(mask[y1 - 1, x0:x1])
    return any(s.size and s.mean() > frac for s in sides)


def _connected_to(mask: np.ndarray, points_xy: np.ndarray) -> np.ndarray:
    """The connected components (8-connected) of ``mask`` that hold one of the points."""
    n, lab = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)
    keep = np.zeros(n, dtype=bool)
    keep[lab[points_xy[:, 1], points_xy[:, 0]]] = True
    keep[0] = False
    return keep[lab]


def _colour_vote(rgb: np.ndarray, fg: np.ndarray, bg: np.ndarray, bins: int = 8) -> np.ndarray:
    """Pixels whose colour is likelier under the ``fg`` sample than under the ``bg`` one."""
    q = (rgb // (256 // bins)).astype(np.int32)
    q = (q[..., 0] * bins + q[..., 1]) * bins + q[..., 2]
    h_fg = np.bincount(q[fg], minlength=bins ** 3) / max(int(fg.sum()), 1)
    h_bg = np.bincount(q[bg], minlength=bins ** 3) / max(int(bg.sum()), 1)
    return (h_fg[q] + 1e-6) > (h_bg[q] + 1e-6)
