"""Per-object masks from a session's union mask and its per-object stats.

A session PNG holds the union of the session's objects (SPEC section 2). The session
also records each object's box and centroid per frame (``{stage}_objects.csv``), which
is enough to give every pixel of the union back to its object: a connected part of the
union inside one object's box belongs to it; a part that touches several boxes is split
pixel by pixel (inside exactly one box -> that object, else the nearest centroid). When
the stats are missing (masks from the old notebooks), the objects are told apart by
image half as the SPEC's left/right check does: left gripper and second (left) arm on
the left, right gripper and the main (right) arm on the right.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from robomask.io.objstats import ObjectStats


@dataclass(frozen=True)
class Region:
    """Where an object is on one frame: box (x0, y0, x1, y1), x1/y1 exclusive, and
    centroid (cx, cy), in pixels."""

    obj_id: int
    box: tuple[int, int, int, int]
    centroid_xy: tuple[float, float]


def half_regions(obj_ids_left_to_right: Sequence[int], size_wh: tuple[int, int]) -> list[Region]:
    """Regions that give each object an equal vertical strip, left to right."""
    w, h = size_wh
    n = len(obj_ids_left_to_right)
    out = []
    for k, obj_id in enumerate(obj_ids_left_to_right):
        x0, x1 = w * k // n, w * (k + 1) // n
        out.append(Region(obj_id, (x0, 0, x1, h), ((x0 + x1) / 2, h / 2)))
    return out


def stats_regions(rows: Sequence[ObjectStats]) -> list[Region]:
    """Regions of the objects present (area > 0) in one frame's stats rows."""
    return [Region(r.obj_id, (r.x0, r.y0, r.x1, r.y1), (r.cx, r.cy))
            for r in rows if r.area_px > 0]


def split_union(union: np.ndarray, regions: Sequence[Region]) -> dict[int, np.ndarray]:
    """Give every pixel of a bool (height, width) ``union`` to one of ``regions``' objects.

    Returns:
        Object id -> bool (height, width) mask, for every region (empty masks included);
        the masks are disjoint and together equal ``union``. No regions -> ``{}``.
    """
    if not regions:
        return {}
    if len(regions) == 1:
        return {regions[0].obj_id: union.copy()}
    h, w = union.shape
    out = {r.obj_id: np.zeros((h, w), bool) for r in regions}
    n, labels, comp_stats, _ = cv2.connectedComponentsWithStats(union.view(np.uint8), 8)
    for c in range(1, n):
        x, y, cw, ch = (int(v) for v in comp_stats[c, :4])
        comp = labels[y:y + ch, x:x + cw] == c
        inside = [_box_mask(r.box, x, y, cw, ch) & comp for r in regions]
        hits = [k for k, m in enumerate(inside) if m.any()]
        if len(hits) == 1:
            out[regions[hits[0]].obj_id][y:y + ch, x:x + cw] |= comp
            continue
        candidates = hits or list(range(len(regions)))
        owner = _nearest(candidates, regions, x, y, cw, ch)
        if hits:  # inside exactly one candidate box wins over the nearest centroid
            count = np.sum([inside[k] for k in candidates], axis=0)
            for k in candidates:
                owner[inside[k] & (count == 1)] = k
        for k in candidates:
            out[regions[k].obj_id][y:y + ch, x:x + cw] |= comp & (owner == k)
    return out


def _box_mask(box: tuple[int, int, int, int], x: int, y: int, cw: int, ch: int) -> np.ndarray:
    """Bool (ch, cw) mask of ``box`` within the window at (x, y)."""
    m = np.zeros((ch, cw), bool)
    x0, y0, x1, y1 = box
    m[max(y0 - y, 0):max(y1 - y, 0), max(x0 - x, 0):max(x1 - x, 0)] = True
    return m


def _nearest(candidates: list[int], regions: Sequence[Region], x: int, y: int, cw: int,
             ch: int) -> np.ndarray:
    """Int (ch, cw) array: index of the candidate whose centroid is nearest each pixel."""
    yy, xx = np.mgrid[y:y + ch, x:x + cw]
    d = np.stack([(xx - regions[k].centroid_xy[0]) ** 2 + (yy - regions[k].centroid_xy[1]) ** 2
                  for k in candidates])
    return np.asarray(candidates)[np.argmin(d, axis=0)]
