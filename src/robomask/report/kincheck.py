"""The report's kinematic check: each session mask against the robot's render, per frame.

Present whenever the config has a ``kinematics`` section (``use: check`` asks for nothing
else). Per frame and session: IoU of the session mask with the render of the same objects
(arm session: the arm and second-arm links; gripper session: both gripper groups), and
coverage, the share of the rendered pixels the session mask covers. A render holds no
cable, so IoU sits below 1 on a good arm mask while coverage stays near 1; frames whose
IoU falls below ``kinematics.check_min_iou`` are flagged: the mask and the render part
(a lost or leaking mask, or a calibration that drifted).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from robomask.config import Config
from robomask.errors import KinematicsError
from robomask.kinematics import open_scene_render
from robomask.progress import ProgressCallback, Ticker
from robomask.scenes import Scene


@dataclass(frozen=True)
class RenderCheck:
    """Per-frame agreement of the session masks with the render.

    Attributes:
        iou: Stage (``arm``, ``gripper``) -> float (N,) IoU; NaN where the session mask is
            missing or both masks are empty.
        coverage: Stage -> float (N,) share of rendered pixels inside the session mask;
            NaN where the render is empty or the mask missing.
        error: Why the scene could not be rendered (then ``iou`` is empty).
    """

    iou: dict[str, np.ndarray]
    coverage: dict[str, np.ndarray]
    error: str | None = None


def render_check(scene: Scene, config: Config, *,
                 on_progress: ProgressCallback | None = None) -> RenderCheck | None:
    """Compare every present session mask with the render; None without a kinematics
    section or without session masks; a scene that cannot be rendered (bad calibration
    files) gives a check holding only the ``error``."""
    if config.kinematics is None:
        return None
    frames = scene.frames()
    stores = {s: scene.store(s, frames) for s in ("arm", "gripper")}
    present = {s: st for s, st in stores.items() if st.root.is_dir()}
    if not present:
        return None
    try:
        render = open_scene_render(config, scene, frames)
    except KinematicsError as exc:
        return RenderCheck({}, {}, str(exc))
    ids = {"arm": set(config.arm_ids), "gripper": set(config.gripper_ids)}
    n = len(frames)
    iou = {s: np.full(n, np.nan) for s in present}
    cover = {s: np.full(n, np.nan) for s in present}
    ticker = Ticker(f"{scene.name}/render check", n, on_progress)
    for i in range(n):
        fm = render.frame_masks(i)
        for stage, store in present.items():
            if not store.has(i):
                continue
            mask, drawn = store.read(i), fm.union(ids[stage])
            union = np.count_nonzero(mask | drawn)
            inter = np.count_nonzero(mask & drawn)
            if union:
                iou[stage][i] = inter / union
            if drawn.any():
                cover[stage][i] = inter / np.count_nonzero(drawn)
        ticker.advance()
    return RenderCheck(iou, cover)
