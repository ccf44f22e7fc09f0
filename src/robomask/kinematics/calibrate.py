"""Refine a rough camera pose from a few good masks: maximise the render-vs-mask IoU
over the pose's 6 parameters.

The pose is moved in the camera's optical frame: a rotation (radians, about the
camera centre) and a translation (metres) applied before the base-to-camera transform.
The search is a coordinate pattern search (each parameter up and down by a step; steps
halve when nothing improves), on renders at ``scale`` of the full size; it needs no
gradient and no GL.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

import cv2
import numpy as np

from robomask.errors import KinematicsError
from robomask.kinematics.camera import scaled
from robomask.kinematics.scene import SceneRender
from robomask.masks import mask_iou
from robomask.progress import ProgressCallback, Ticker

START_STEP = (np.radians(2.0),) * 3 + (0.02,) * 3  # rx, ry, rz (rad), tx, ty, tz (m)
MIN_STEP = (np.radians(0.05),) * 3 + (0.0005,) * 3


@dataclass(frozen=True)
class Calibration:
    """The outcome of :func:`refine_pose`.

    Attributes:
        base_to_optical: The refined 4x4 transform (base points to the optical frame).
        iou_before: Mean IoU of the render against the masks with the given pose.
        iou_after: The same with the refined pose.
        frames: The frames used.
        evaluations: Renders of all frames made during the search.
        seconds: Wall time.
    """

    base_to_optical: np.ndarray
    iou_before: float
    iou_after: float
    frames: tuple[int, ...]
    evaluations: int
    seconds: float


def pose_delta(params: np.ndarray) -> np.ndarray:
    """4x4 transform of (rx, ry, rz) radians (a rotation vector) and (tx, ty, tz) metres."""
    t = np.eye(4)
    t[:3, :3] = cv2.Rodrigues(np.asarray(params[:3], dtype=np.float64))[0]
    t[:3, 3] = params[3:]
    return t


def _small(mask: np.ndarray, size_wh: tuple[int, int]) -> np.ndarray:
    return cv2.resize(mask.view(np.uint8) * 255, size_wh, interpolation=cv2.INTER_AREA) >= 128


def refine_pose(render: SceneRender, masks: Mapping[int, np.ndarray], *, scale: float = 0.5,
                max_evaluations: int = 800, on_progress: ProgressCallback | None = None
                ) -> Calibration:
    """Move the camera pose of ``render`` to best fit ``masks`` (whole-robot silhouettes).

    Args:
        render: The scene's render with the rough pose.
        masks: Frame index -> bool (height, width) mask of the whole robot on that frame.
        scale: Render size relative to the frames during the search (speed).
        max_evaluations: Stop after this many evaluations (each renders every frame).
        on_progress: Receives one update per evaluation.

    Raises:
        KinematicsError: No masks, or a mask of another size than the frames.
    """
    if not masks:
        raise KinematicsError("calibrate: expected at least one mask, got none")
    w, h = render.size_wh
    for i, m in masks.items():
        if m.shape != (h, w):
            raise KinematicsError(f"calibrate: frame {i}: expected a mask of {w}x{h} like "
                                  f"the frames, got {m.shape[1]}x{m.shape[0]}")
    t0 = time.perf_counter()
    cam = scaled(render.renderer.camera, scale)
    targets = {i: _small(m, cam.size_wh) for i, m in masks.items()}
    base = render.renderer.camera.base_to_optical
    ticker = Ticker("calibrate", max_evaluations, on_progress)

    def score(params: np.ndarray) -> float:
        moved = cam.with_base_to_optical(pose_delta(params) @ base)
        ticker.advance()
        return float(np.mean([mask_iou(render.labels(i, moved) > 0, t)
                              for i, t in targets.items()]))

    params = np.zeros(6)
    best = score(params)
    step = np.array(START_STEP)
    while np.any(step >= MIN_STEP) and ticker.done < max_evaluations:
        improved = False
        for k in range(6):
            if step[k] < MIN_STEP[k]:
                continue
            for sign in (1.0, -1.0):
                trial = params.copy()
                trial[k] += sign * step[k]
                value = score(trial)
                if value > best:
                    params, best, improved = trial, value, True
                    break
        if not improved:
            step /= 2
    ticker.finish()
    refined = pose_delta(params) @ base
    full = render.renderer.camera
    after = float(np.mean([mask_iou(render.labels(i, full.with_base_to_optical(refined)) > 0, m)
                           for i, m in masks.items()]))
    before_full = float(np.mean([mask_iou(render.labels(i) > 0, m) for i, m in masks.items()]))
    if after < before_full:  # the scaled search can lose at full size: keep the given pose
        refined, after = base, before_full
    return Calibration(refined, before_full, after, tuple(sorted(masks)), ticker.done,
                       time.perf_counter() - t0)
