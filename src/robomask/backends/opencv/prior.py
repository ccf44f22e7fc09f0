"""The robot's kinematic render as a shape prior for tracking.

Flow and colour carry a mask from its keyframes; over a long gap (a hand-held camera, a
fast arm) it drifts: it leaks onto what looks like the object, or loses parts. Where the
config has a ``kinematics`` section, the robot rendered from its URDF, joint angles and
camera says where each object is on every frame, up to the calibration's error. Before
the colour refinement of a carried mask:

- pixels deeper than ``SURE_FRAC`` of the working diagonal inside the object's render
  are the object (what the flow lost comes back);
- pixels farther than ``REACH_FRAC`` of it from the render are not (a leak onto the
  background is cut). The reach is wide because the session's object is more than the
  render: a cable along the arm, an object held in the gripper.

Objects the render does not draw on a frame (no link group, out of view) are left to
flow and colour alone. Keyframes (clicks) are not touched.
"""

from __future__ import annotations

from typing import Protocol

import cv2
import numpy as np

from robomask.masks import FrameMasks, disk_kernel

SURE_FRAC = 0.01  # depth inside the render that is surely the object, of the work diagonal
REACH_FRAC = 0.08  # distance from the render beyond which nothing is the object


class MaskSource(Protocol):
    """Anything that gives full-size masks per frame (a kinematic scene render)."""

    def frame_masks(self, frame_index: int) -> FrameMasks: ...


class ShapePrior:
    """Applies a render's masks to carried soft masks at working resolution.

    Args:
        source: The render (masks at the frames' full size, keyed by object id).
        work_wh: (width, height) of the working resolution.
    """

    def __init__(self, source: MaskSource, work_wh: tuple[int, int]) -> None:
        self._source = source
        self._work_wh = work_wh
        diag = float(np.hypot(*work_wh))
        self._sure = disk_kernel(max(1, round(SURE_FRAC * diag)))
        self._reach = disk_kernel(max(1, round(REACH_FRAC * diag)))
        self._frame: int | None = None
        self._masks: dict[int, np.ndarray] = {}

    def apply(self, frame_index: int, obj_id: int, soft: np.ndarray) -> np.ndarray:
        """``soft`` (float32 (h, w) in [0, 1], working resolution) held to the render of
        ``obj_id`` on ``frame_index``: sure inside raised to 1, beyond the reach set to 0."""
        render = self._render(frame_index, obj_id)
        if render is None:
            return soft
        sure = cv2.erode(render, self._sure) > 0
        reach = cv2.dilate(render, self._reach) > 0
        return np.where(reach, np.maximum(soft, sure.astype(np.float32)), 0.0).astype(np.float32)

    def _render(self, frame_index: int, obj_id: int) -> np.ndarray | None:
        """uint8 (h, w) render of the object at working resolution; None when not drawn."""
        if frame_index != self._frame:
            self._frame, self._masks = frame_index, {}
            for oid, mask in self._source.frame_masks(frame_index).masks.items():
                if mask.any():
                    small = cv2.resize(mask.astype(np.float32), self._work_wh,
                                       interpolation=cv2.INTER_AREA) > 0.5
                    if small.any():
                        self._masks[oid] = small.astype(np.uint8)
        return self._masks.get(obj_id)
