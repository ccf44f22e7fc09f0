"""A keyframe mask from clicks: GrabCut seeded by the clicks, then edges refined by colour.

Every click seeds the pixels of a disk around it (radius ``SEED_RADIUS_FRAC`` of the
image diagonal) that it reaches without crossing an edge (a colour step larger than
``SEED_COLOUR_DIFF``): sure foreground for a positive click, sure background for a
negative one. A seed thus never spills off a thin part (a finger, a cable) onto what
lies beside it.

GrabCut then runs in rounds, each in a box (outside it: sure background). When the
result presses against a side of the box that is not the image border, the box was
too small: the margin grows (``GROW``) and GrabCut runs again (at most ``MAX_ROUNDS``
rounds a run). So it does when GrabCut collapsed: the result is hardly more than the
seeds, or it is small (under ``COLLAPSE`` times the positive disks' area) and falls
apart into pieces around the clicks.

1. The box around the positive clicks (their bounding box plus a margin). Inside it a
   pixel is "probably foreground" or "probably background" by a colour vote: a colour
   is the object's unless the outside of the box (and the negative seeds) shows it more
   often than the positive disks do and more often than ``NOVEL`` times a uniform
   spread of colours would (a colour rare around the box belongs to the object even
   when no click was on it: the windows of a car clicked on its door). Only the first
   round counts rare colours: a grown box takes in neighbours of rare colours too (the
   forearm by a gripper).
2. Few clicks near the middle of a large object say little about its size: the box
   then cuts the object, GrabCut learns the object's colours as background and keeps a
   blob around the clicks. That shows as the object's colours going on past the blob's
   outline: on some side of it (a quadrant of directions from its centroid) more than
   ``SPILL`` of a ring around it has colours denser in the blob than in the rest of the
   image. When the clicks' box is smaller than ``MIN_BOX_FRAC`` of the image diagonal
   and that happens, GrabCut runs from a generous box of that size about the clicks,
   everything inside it "probably foreground": the object is then what differs from
   the outside of the box (GrabCut's own principle), not what resembles the clicks.
3. Users click near the middle of what they mean: the generous result is kept when a
   positive click lies at least ``MIDDLE`` of its deepest depth inside it. Otherwise it
   went past the clicked object (a gripper on a dark wall of the same colour takes the
   wall) and the rounds go on from step 1's result, growing its box by the clicks'
   colours alone (no rare-colour rule), as far as it presses on its box.

A box given with the clicks (a box prompt) is exactly GrabCut's rectangle and replaces
steps 1-3: one run in it, outside it sure background, the click seeds kept, inside it
"probably foreground" except colours that step 1's colour vote gives to the outside
(measured better than all of it "probably foreground" on a white arm by a white wall:
docs/kinematics.md); the result stays inside the box.

A crop larger than ``MAX_CROP_PIXELS`` is segmented downscaled, which bounds the time
of one round (about 50-120 ms on one core) for the UI's live preview.

The GrabCut mask is then refined at the full resolution of the image: in a band around
its outline (wider when GrabCut ran downscaled), a colour model of the object against
the ring of background around it moves the outline (see
:func:`robomask.backends.opencv.track.posterior`); this recovers thin parts that the
downscaled GrabCut blurred and opens narrow gaps it filled. Seeds keep their label,
and only foreground connected to a positive click is kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from robomask.backends.opencv.colour import colour_vote, spills
from robomask.backends.opencv.track import ColourModel, WorkFrame, posterior, signed_distance

SEED_RADIUS_FRAC = 0.012  # seed disk radius, fraction of the image diagonal
SEED_COLOUR_DIFF = 16  # colour step per channel that ends a seed (an edge)
MIN_MARGIN_FRAC = 0.02  # smallest margin around the positive clicks, fraction of the diagonal
MIN_BOX_FRAC = 0.3  # side of a generous box, fraction of the image diagonal
BOX_MARGIN_FRAC = 0.1  # margin as a fraction of the clicks' bounding box side
GROW = 1.8  # margin factor when the mask presses against the box
MAX_ROUNDS = 5
COLLAPSE = 4.0  # a result in pieces and under this many positive disks' area collapsed
ITERATIONS = 3
GENEROUS_ITERATIONS = 2  # GrabCut iterations in a generous box (bounds the latency)
NOVEL = 3.0  # colours rarer outside the box than this many times uniform count as object
SPILL = 0.6  # ring fraction of the mask's colours on one side that says it goes on
MIDDLE = 0.63  # a generous box's result must have a click this deep (of its deepest)
MAX_CROP_PIXELS = 25000  # larger crops are segmented downscaled (bounds the latency)
REFINE_BAND = 2.5  # refinement band half-width, in GrabCut pixels (>= 3 image pixels)
REFINE_TAU = 0.6  # softness of the shape prior, in GrabCut pixels (>= 1 image pixel)


def mask_from_clicks(rgb: np.ndarray, points_xy: np.ndarray, labels: np.ndarray,
                     box_xyxy: np.ndarray | None = None) -> np.ndarray:
    """Segment the clicked object on one image.

    Args:
        rgb: uint8 image (height, width, 3), RGB.
        points_xy: Float (N, 2) clicks as (x, y) pixels of ``rgb``.
        labels: Int (N,): 1 positive, 0 negative.
        box_xyxy: Optional float (4,) box (x0, y0, x1, y1) in pixels around the object:
            GrabCut's rectangle (outside it is background).

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
    seeds = _seeds(rgb, pos, neg, radius)
    disks = np.zeros((h, w), np.uint8)
    for x, y in pos:
        cv2.circle(disks, (int(x), int(y)), radius, 1, -1)
    sample = (disks > 0) & (seeds != cv2.GC_BGD)  # the colour vote's foreground sample
    small = COLLAPSE * np.count_nonzero(disks)
    lo, hi = pos.min(axis=0), pos.max(axis=0)
    margin = max(BOX_MARGIN_FRAC * float((hi - lo).max()), MIN_MARGIN_FRAC * diag)
    if box_xyxy is not None:
        return _in_given_box(rgb, seeds, sample, pos, box_xyxy, margin)
    rounds = _Rounds(rgb, seeds, sample, pos, small)
    generous = MIN_BOX_FRAC * diag
    spill_radius = radius if float((hi - lo).max()) + 2 * margin < generous else None
    result = rounds.run(lo, hi, margin, novel=NOVEL, spill_radius=spill_radius)
    if result.spilled:  # the clicks say little of the object's size: try a generous box
        margin = result.margin * GROW
        big = rounds.run(*_at_least(lo, hi, generous - 2 * margin), margin, novel=None)
        if _clicked_in_middle(big.mask, pos):
            result = big
        elif result.grow:  # it went past what the clicks are in the middle of: grow
            result = rounds.run(lo, hi, margin, novel=0.0)  # gently, by the clicks' colours
    mask, scale = result.mask, result.scale
    return _connected_to(_refine(rgb, mask, seeds, scale), pos)


def _in_given_box(rgb: np.ndarray, seeds: np.ndarray, sample: np.ndarray, pos: np.ndarray,
                  box_xyxy: np.ndarray, margin: float) -> np.ndarray:
    """GrabCut in the given box (pixels; inside it by the colour vote, see
    :func:`colour_vote`), refined, kept inside the box and connected to a positive
    click."""
    h, w = seeds.shape
    x0, y0, x1, y1 = np.asarray(box_xyxy, dtype=np.float64).reshape(4)
    box = (max(0, int(np.floor(x0))), max(0, int(np.floor(y0))),
           min(w, int(np.ceil(x1))), min(h, int(np.ceil(y1))))
    fg, scale = _grabcut_in_box(rgb, seeds, sample, box, margin, NOVEL)
    inside = np.zeros((h, w), dtype=bool)
    inside[box[1]:box[3], box[0]:box[2]] = True
    mask = _refine(rgb, _connected_to(fg, pos), seeds, scale) & (inside | (seeds == cv2.GC_FGD))
    return _connected_to(mask, pos)


@dataclass(frozen=True)
class _Result:
    """The last of some GrabCut rounds: its bool mask, the scale GrabCut ran at, its
    margin, whether the mask pressed on its box or collapsed (``grow``) and whether its
    colours went on past it (``spilled``)."""

    mask: np.ndarray
    scale: float
    margin: float
    grow: bool
    spilled: bool


class _Rounds:
    """GrabCut rounds in growing boxes about the clicks.

    Args:
        rgb, seeds, sample: The image, its seeds and the colour vote's foreground sample.
        pos: Int (N, 2) positive clicks (x, y).
        small: Area under which a result in pieces counts as collapsed.
    """

    def __init__(self, rgb: np.ndarray, seeds: np.ndarray, sample: np.ndarray,
                 pos: np.ndarray, small: float) -> None:
        self.rgb, self.seeds, self.sample, self.pos, self.small = rgb, seeds, sample, pos, small

    def run(self, lo: np.ndarray, hi: np.ndarray, margin: float, *, novel: float | None,
            rounds: int = MAX_ROUNDS, spill_radius: int | None = None) -> _Result:
        """At most ``rounds`` rounds from the box ``lo``..``hi`` ((x, y) corners) plus
        ``margin`` px, the margin growing by ``GROW`` while the result presses on the box
        or collapsed; with ``spill_radius`` they stop at a result whose colours go on
        past it (:func:`spills`). ``novel``: as in :func:`_grabcut_in_box`, for the first
        round (a grown box takes in neighbours of rare colours: a forearm by a gripper);
        later rounds count no colour as object for being rare."""
        h, w = self.seeds.shape
        for k in range(rounds):
            box = _box(lo, hi, margin, (w, h))
            fg, scale = _grabcut_in_box(self.rgb, self.seeds, self.sample, box, margin,
                                        novel if k == 0 or novel is None else 0.0)
            mask = _connected_to(fg, self.pos)
            grow = _collapsed(mask, self.seeds, self.small) or _presses_on_box(mask, box, (w, h))
            spilled = spill_radius is not None and spills(self.rgb, mask, spill_radius, SPILL)
            if spilled or not grow or k == rounds - 1:
                return _Result(mask, scale, margin, grow, spilled)
            margin *= GROW
        raise ValueError(f"expected at least one round, got {rounds}")


def _clicked_in_middle(mask: np.ndarray, pos: np.ndarray) -> bool:
    """True when a positive click lies at least ``MIDDLE`` of the deepest depth inside
    ``mask`` (users click near the middle of what they mean)."""
    depth = cv2.distanceTransform(np.pad(mask, 1).astype(np.uint8), cv2.DIST_L2, 5)[1:-1, 1:-1]
    return bool(depth[pos[:, 1], pos[:, 0]].max() >= MIDDLE * depth.max() > 0)


def _at_least(lo: np.ndarray, hi: np.ndarray, side: float) -> tuple[np.ndarray, np.ndarray]:
    """The box ``lo``..``hi`` ((x, y) corners) grown about its centre to ``side`` px a side."""
    centre, half = (lo + hi) / 2, max(0.0, side / 2)
    return (np.minimum(lo, np.floor(centre - half)).astype(np.int32),
            np.maximum(hi, np.ceil(centre + half)).astype(np.int32))



def _collapsed(mask: np.ndarray, seeds: np.ndarray, small: float) -> bool:
    """True when ``mask`` is at most twice its seeds, or in pieces and under ``small`` px."""
    area = np.count_nonzero(mask)
    if area <= 2 * np.count_nonzero(seeds == cv2.GC_FGD):
        return True
    return area <= small and cv2.connectedComponents(mask.view(np.uint8))[0] > 2


def _seeds(rgb: np.ndarray, pos: np.ndarray, neg: np.ndarray, radius: int) -> np.ndarray:
    """uint8 (h, w): GC_FGD / GC_BGD where clicks seed, 255 elsewhere.

    A click seeds the pixels of its disk that it reaches through 4-connected steps of
    at most ``SEED_COLOUR_DIFF`` per channel. Where a positive and a negative seed meet,
    neither holds, except at the clicked pixels themselves.
    """
    h, w = rgb.shape[:2]
    seeds = np.full((h, w), 255, dtype=np.uint8)
    blurred = cv2.medianBlur(rgb, 3)
    disk = np.zeros((2 * radius + 1, 2 * radius + 1), np.uint8)
    cv2.circle(disk, (radius, radius), radius, 1, -1)
    diff = (SEED_COLOUR_DIFF,) * 3
    flags = 4 | cv2.FLOODFILL_MASK_ONLY | (2 << 8)
    hits = {}
    for points, value in ((neg, cv2.GC_BGD), (pos, cv2.GC_FGD)):
        hit = hits.setdefault(value, np.zeros((h, w), dtype=bool))
        for x, y in points:
            x0, y0 = max(0, x - radius), max(0, y - radius)
            x1, y1 = min(w, x + radius + 1), min(h, y + radius + 1)
            win = np.ascontiguousarray(blurred[y0:y1, x0:x1])
            region = np.ones((y1 - y0 + 2, x1 - x0 + 2), np.uint8)  # 1 = not fillable
            inside = disk[y0 - y + radius:y1 - y + radius, x0 - x + radius:x1 - x + radius]
            region[1:-1, 1:-1] = 1 - inside
            cv2.floodFill(win, region, (int(x - x0), int(y - y0)), 0, diff, diff, flags)
            hit[y0:y1, x0:x1] |= region[1:-1, 1:-1] == 2
    seeds[hits[cv2.GC_BGD] & ~hits[cv2.GC_FGD]] = cv2.GC_BGD
    seeds[hits[cv2.GC_FGD] & ~hits[cv2.GC_BGD]] = cv2.GC_FGD
    seeds[neg[:, 1], neg[:, 0]] = cv2.GC_BGD
    seeds[pos[:, 1], pos[:, 0]] = cv2.GC_FGD
    return seeds


def _box(lo: np.ndarray, hi: np.ndarray, margin: float,
         size_wh: tuple[int, int]) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1), exclusive end, clipped to the image."""
    w, h = size_wh
    m = int(np.ceil(margin))
    return (max(0, int(lo[0]) - m), max(0, int(lo[1]) - m),
            min(w, int(hi[0]) + m + 1), min(h, int(hi[1]) + m + 1))


def _grabcut_in_box(rgb: np.ndarray, seeds: np.ndarray, sample: np.ndarray,
                    box: tuple[int, int, int, int], margin: float,
                    novel: float | None) -> tuple[np.ndarray, float]:
    """GrabCut on a crop holding the box plus half a margin of background context.

    ``sample`` (bool (h, w)) is the foreground colour sample of the initial colour vote
    inside the box (:func:`colour_vote` with ``novel``); with ``novel`` None the whole
    box starts as "probably foreground".

    Returns:
        Bool (h, w) foreground, and the scale (<= 1) GrabCut ran at.
    """
    h, w = rgb.shape[:2]
    x0, y0, x1, y1 = box
    ctx = int(np.ceil(margin / 2))
    cx0, cy0, cx1, cy1 = max(0, x0 - ctx), max(0, y0 - ctx), min(w, x1 + ctx), min(h, y1 + ctx)
    crop = np.ascontiguousarray(rgb[cy0:cy1, cx0:cx1])
    crop_seeds = seeds[cy0:cy1, cx0:cx1]
    in_box = np.zeros(crop.shape[:2], dtype=bool)
    in_box[y0 - cy0:y1 - cy0, x0 - cx0:x1 - cx0] = True
    likely = in_box if novel is None else colour_vote(
        crop, sample[cy0:cy1, cx0:cx1], (crop_seeds == cv2.GC_BGD) | ~in_box, novel)
    tri = np.where(in_box, np.where(likely, cv2.GC_PR_FGD, cv2.GC_PR_BGD),
                   cv2.GC_BGD).astype(np.uint8)
    if not (tri == cv2.GC_BGD).any():
        # The box is the whole image: let the image border stand for background, softly.
        tri[[0, -1], :] = cv2.GC_PR_BGD
        tri[:, [0, -1]] = cv2.GC_PR_BGD
    scale = min(1.0, float(np.sqrt(MAX_CROP_PIXELS / tri.size)))
    if scale < 1.0:  # bound the time of a large box: GrabCut on a smaller copy
        small_wh = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
        crop = cv2.resize(crop, small_wh, interpolation=cv2.INTER_AREA)
        tri = cv2.resize(tri, small_wh, interpolation=cv2.INTER_NEAREST)
        crop_seeds = _shrink_seeds(crop_seeds, small_wh)
    tri = np.where(crop_seeds != 255, crop_seeds, tri).astype(np.uint8)
    fg_model, bg_model = np.zeros((1, 65)), np.zeros((1, 65))
    cv2.setRNGSeed(0)  # GrabCut's k-means start draws from OpenCV's global RNG
    cv2.grabCut(crop, tri, None, bg_model, fg_model,
                GENEROUS_ITERATIONS if novel is None else ITERATIONS, cv2.GC_INIT_WITH_MASK)
    fg = ((tri == cv2.GC_FGD) | (tri == cv2.GC_PR_FGD)).astype(np.float32)
    if scale < 1.0:
        fg = cv2.resize(fg, (cx1 - cx0, cy1 - cy0), interpolation=cv2.INTER_LINEAR)
    out = np.zeros((h, w), dtype=bool)
    out[cy0:cy1, cx0:cx1] = fg > 0.5
    out[seeds == cv2.GC_FGD] = True
    out[seeds == cv2.GC_BGD] = False
    return out, scale


def _shrink_seeds(seeds: np.ndarray, size_wh: tuple[int, int]) -> np.ndarray:
    """Seeds (255 = none) at a smaller size: a cell with a seed pixel is a seed."""
    out = np.full(size_wh[::-1], 255, dtype=np.uint8)
    for value in (cv2.GC_BGD, cv2.GC_FGD):  # positive seeds win
        hit = cv2.resize((seeds == value).astype(np.float32), size_wh,
                         interpolation=cv2.INTER_AREA) > 0
        out[hit] = value
    return out


def _refine(rgb: np.ndarray, mask: np.ndarray, seeds: np.ndarray, scale: float) -> np.ndarray:
    """Move the outline of ``mask`` by colour within a band; seeds stay as they are."""
    if not mask.any():
        return mask
    h, w = mask.shape
    band = max(3.0, REFINE_BAND / scale)
    tau = max(1.0, REFINE_TAU / scale)
    pad = int(np.ceil(band)) + 24  # the band plus the colour model's background ring
    x, y, bw, bh = cv2.boundingRect(mask.view(np.uint8))
    x0, y0, x1, y1 = max(0, x - pad), max(0, y - pad), min(w, x + bw + pad), min(h, y + bh + pad)
    crop = WorkFrame.from_rgb(np.ascontiguousarray(rgb[y0:y1, x0:x1]))
    inside = mask[y0:y1, x0:x1]
    post = posterior(signed_distance(inside), ColourModel.learn(crop, inside).ratio(crop),
                     band, tau)
    post = cv2.GaussianBlur(post, (0, 0), 0.7)
    crop_seeds = seeds[y0:y1, x0:x1]
    post[crop_seeds == cv2.GC_FGD] = 1.0
    post[crop_seeds == cv2.GC_BGD] = 0.0
    out = np.zeros_like(mask)
    out[y0:y1, x0:x1] = post > 0.5
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



