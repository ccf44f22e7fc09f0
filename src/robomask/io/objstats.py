"""Per-object, per-frame statistics of a session, kept beside the union masks.

The session PNGs hold the union of a session's objects (SPEC section 2); QA needs to
tell the objects apart (lost tracks, left/right swaps), so every session also writes
``{out}/.robomask/{scene}/{stage}_objects.csv`` with one row per frame and object.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import cv2
import numpy as np

from robomask.io.atomic import write_text
from robomask.masks import FrameMasks


@dataclass(frozen=True)
class ObjectStats:
    """One object on one frame. Coordinates are pixels, (x, y) order.

    Attributes:
        frame_index: 0-based frame.
        obj_id: Object id.
        area_px: Mask pixels (0 = absent on this frame).
        cx, cy: Centroid (x, y); -1 when absent.
        x0, y0, x1, y1: Bounding box, x1/y1 exclusive; all 0 when absent.
    """

    frame_index: int
    obj_id: int
    area_px: int
    cx: float
    cy: float
    x0: int
    y0: int
    x1: int
    y1: int


def stats_of(frame: FrameMasks, obj_ids: Iterable[int]) -> list[ObjectStats]:
    """Stats of ``obj_ids`` on ``frame`` (absent objects get a row with area 0)."""
    rows = []
    for obj_id in obj_ids:
        mask = frame.masks.get(obj_id)
        area = int(np.count_nonzero(mask)) if mask is not None else 0
        if area == 0:
            rows.append(ObjectStats(frame.frame_index, obj_id, 0, -1.0, -1.0, 0, 0, 0, 0))
            continue
        m = cv2.moments(mask.view(np.uint8), binaryImage=True)
        x, y, w, h = cv2.boundingRect(mask.view(np.uint8))
        rows.append(ObjectStats(frame.frame_index, obj_id, area, round(m["m10"] / m["m00"], 2),
                                round(m["m01"] / m["m00"], 2), x, y, x + w, y + h))
    return rows


_COLUMNS = [f.name for f in fields(ObjectStats)]


def write_object_stats(path: Path, rows: Iterable[ObjectStats]) -> None:
    """Write rows as CSV, sorted by (frame_index, obj_id), atomically."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for r in sorted(rows, key=lambda r: (r.frame_index, r.obj_id)):
        writer.writerow(asdict(r))
    write_text(path, buf.getvalue())


def read_object_stats(path: Path) -> list[ObjectStats]:
    """Rows of a stats CSV; an empty list when the file does not exist."""
    p = Path(path)
    if not p.is_file():
        return []
    with open(p, newline="") as fh:
        return [ObjectStats(int(r["frame_index"]), int(r["obj_id"]), int(r["area_px"]),
                            float(r["cx"]), float(r["cy"]), int(r["x0"]), int(r["y0"]),
                            int(r["x1"]), int(r["y1"])) for r in csv.DictReader(fh)]
