"""One streaming pass over a scene's masks: per-frame numbers the fault checks work on.

Only scalars per frame and object are kept (areas, part counts, x centroids, gaps), so
memory is bounded for scenes of any length. Distances and parts are measured on masks
downscaled to at most :data:`GRID_PX` on their long side (block "any" pooling), which
keeps the pass cheap at 1280x720 and costs at most one grid cell of precision.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import cv2
import numpy as np

from robomask.config import Config
from robomask.parallel import map_frames
from robomask.progress import ProgressCallback, Ticker
from robomask.report.outputs import STAGES, SceneOutputs
from robomask.scenes import Scene

GRID_PX = 320


@dataclass
class StageSeries:
    """Per-frame numbers of one stage's union masks.

    Attributes:
        area_px: int64 (N,): mask pixels; -1 where the mask is missing or unreadable.
        parts: int32 (N,): connected parts of at least ``min_area_px``; -1 where missing.
    """

    area_px: np.ndarray
    parts: np.ndarray


@dataclass
class ObjectSeries:
    """Per-frame numbers of one object, from the stage's objects CSV.

    Attributes:
        stage: ``"arm"`` or ``"gripper"``.
        obj_id: Object id.
        area_px: int64 (N,): pixels; 0 = absent; -1 = no CSV row for that frame.
        cx: float (N,): centroid x in pixels; NaN where absent.
        gap_px: float (N,): distance in pixels from the object to the arm mask (gripper
            objects only); NaN where not measurable (object or arm absent).
    """

    stage: str
    obj_id: int
    area_px: np.ndarray
    cx: np.ndarray
    gap_px: np.ndarray


@dataclass
class SceneSeries:
    """Everything the checks and plots need about a scene, as (N,) arrays.

    Attributes:
        scene: Scene name.
        size_wh: Frame size (width, height) in pixels.
        present: Stage -> whether its mask folder holds any mask.
        stages: Stage -> :class:`StageSeries` (present stages only).
        objects: Object id -> :class:`ObjectSeries` (stages with an objects CSV only).
        per_object: Stage -> whether an objects CSV was found for it.
        gripper_gap_px: float (N,): largest distance from a gripper part to the arm mask,
            in pixels; NaN where not measurable.
        min_area_px: Parts smaller than this are specks (from ``qa_min_area_frac``).
    """

    scene: str
    size_wh: tuple[int, int]
    present: dict[str, bool]
    stages: dict[str, StageSeries] = field(default_factory=dict)
    objects: dict[int, ObjectSeries] = field(default_factory=dict)
    per_object: dict[str, bool] = field(default_factory=dict)
    gripper_gap_px: np.ndarray = field(default_factory=lambda: np.zeros(0))
    min_area_px: float = 0.0

    @property
    def n_frames(self) -> int:
        return len(self.gripper_gap_px)


def grid_factor(size_wh: tuple[int, int]) -> int:
    """Integer downscale factor that brings the long side to at most :data:`GRID_PX`."""
    return max(1, math.ceil(max(size_wh) / GRID_PX))


def to_grid(mask: np.ndarray, factor: int) -> np.ndarray:
    """Bool (h, w) mask -> bool (ceil(h/f), ceil(w/f)); a cell is True if any pixel is."""
    if factor == 1:
        return mask
    kernel = np.ones((factor, factor), np.uint8)
    pooled = cv2.dilate(mask.view(np.uint8), kernel, anchor=(0, 0))  # max over the block
    return pooled[::factor, ::factor] > 0


def _parts(grid: np.ndarray, min_cells: float) -> tuple[int, np.ndarray, list[int]]:
    """Connected parts of a grid mask: (count, label image, labels of the kept parts)."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(grid.view(np.uint8), connectivity=8)
    keep = [k for k in range(1, n) if stats[k, cv2.CC_STAT_AREA] >= min_cells]
    return len(keep), labels, keep


def _object_series(outputs: SceneOutputs, stage: str, n: int) -> dict[int, ObjectSeries]:
    rows = outputs.object_stats(stage)
    series: dict[int, ObjectSeries] = {}
    for r in rows:
        if not 0 <= r.frame_index < n:
            continue
        s = series.get(r.obj_id)
        if s is None:
            s = series[r.obj_id] = ObjectSeries(
                stage, r.obj_id, np.full(n, -1, np.int64), np.full(n, np.nan),
                np.full(n, np.nan))
        s.area_px[r.frame_index] = r.area_px
        if r.area_px > 0:
            s.cx[r.frame_index] = r.cx
    return series


@dataclass(frozen=True)
class _ScanJob:
    """What measuring one frame needs (shared by the workers)."""

    outputs: SceneOutputs
    stages: tuple[str, ...]
    factor: int
    min_cells: float
    boxes: dict[int, list[tuple[int, int, int, int, int]]]


@dataclass(frozen=True)
class _FrameNumbers:
    """One frame's numbers: stage -> (area_px, parts); gaps in pixels (NaN: none)."""

    stages: dict[str, tuple[int, int]]
    gripper_gap_px: float
    object_gap_px: dict[int, float]


def _measure_frame(job: _ScanJob, i: int) -> _FrameNumbers:
    grids: dict[str, np.ndarray] = {}
    numbers: dict[str, tuple[int, int]] = {}
    for stage in job.stages:
        mask = job.outputs.mask(stage, i)
        if mask is None:
            continue
        grids[stage] = to_grid(mask, job.factor)
        numbers[stage] = (int(np.count_nonzero(mask)), _parts(grids[stage], job.min_cells)[0])
    gap, object_gaps = math.nan, {}
    arm, grip = grids.get("arm"), grids.get("gripper")
    if arm is not None and grip is not None and arm.any() and grip.any():
        f = job.factor
        dist = cv2.distanceTransform((~arm).view(np.uint8), cv2.DIST_L2, 3)
        _, labels, keep = _parts(grip, job.min_cells)
        if keep:
            gap = f * max(float(dist[labels == k].min()) for k in keep)
        for obj_id, x0, y0, x1, y1 in job.boxes.get(i, ()):
            box = (slice(y0 // f, -(-y1 // f)), slice(x0 // f, -(-x1 // f)))
            inside = grip[box]
            if inside.any():
                object_gaps[obj_id] = f * float(dist[box][inside].min())
    return _FrameNumbers(numbers, gap, object_gaps)


def measure_scene(scene: Scene, config: Config, *, jobs: int | None = None,
                  on_progress: ProgressCallback | None = None) -> SceneSeries:
    """Read every mask of ``scene`` once and return its :class:`SceneSeries`.

    Frames are not decoded; masks are read one frame at a time, on ``jobs`` threads
    (None = every core; the numbers are the same for any number).
    """
    outputs = SceneOutputs(scene, config)
    n, (w, h) = len(outputs), outputs.size_wh
    min_area_px = config.qa_min_area_frac * w * h
    factor = grid_factor((w, h))
    series = SceneSeries(scene.name, (w, h), dict(outputs.present),
                         gripper_gap_px=np.full(n, np.nan), min_area_px=min_area_px)
    for stage in STAGES:
        if outputs.present[stage]:
            series.stages[stage] = StageSeries(np.full(n, -1, np.int64), np.full(n, -1, np.int32))
    for stage in ("arm", "gripper"):
        objs = _object_series(outputs, stage, n)
        series.per_object[stage] = bool(objs)
        series.objects.update(objs)
    boxes: dict[int, list[tuple[int, int, int, int, int]]] = defaultdict(list)
    for r in outputs.object_stats("gripper") if series.per_object["gripper"] else ():
        if r.area_px > 0:
            boxes[r.frame_index].append((r.obj_id, r.x0, r.y0, r.x1, r.y1))

    job = _ScanJob(outputs, tuple(series.stages), factor, min_area_px / factor ** 2,
                   dict(boxes))
    ticker = Ticker(f"{scene.name}/qa-scan", n, on_progress)
    for i, got in enumerate(map_frames(_measure_frame, job, range(n), jobs=jobs)):
        for stage, (area, parts) in got.stages.items():
            series.stages[stage].area_px[i] = area
            series.stages[stage].parts[i] = parts
        series.gripper_gap_px[i] = got.gripper_gap_px
        for obj_id, gap in got.object_gap_px.items():
            series.objects[obj_id].gap_px[i] = gap
        ticker.advance()
    return series
