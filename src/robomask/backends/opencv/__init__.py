"""The opencv backend: click prompts, no weights, CPU only.

A keyframe mask comes from the clicks by GrabCut on the full-size frame, its outline
refined by colour (:mod:`.clicks`); other frames get masks by dense optical flow plus a
colour model (:mod:`.track`), fused between keyframes (:mod:`.session`). With a
``kinematics`` section in the config (``use: prompts``), the robot's render holds the
carried masks (:mod:`.prior`). It cannot read text prompts: give it clicks (the arm
prompt file's ARM_CABLE_INITIAL_PROMPTS).

Example:
    >>> from robomask.backends.opencv import OpenCVBackend  # doctest: +SKIP
    >>> with OpenCVBackend().open_session(frames) as s:  # doctest: +SKIP
    ...     s.add_clicks(0, obj_id=0, points_xy=[[320, 200]], labels=[1])
    ...     masks = list(s.propagate())
"""

from __future__ import annotations

import logging

from robomask.backends.base import Backend, Capabilities
from robomask.backends.kinematic import scene_render
from robomask.backends.opencv.session import OpenCVSession
from robomask.config import Config, Stage
from robomask.io.frames import FrameSource

log = logging.getLogger(__name__)

WORK_LONG_SIDE = 432  # flow and tracking; 854x480 -> 432x243, 1280x720 -> 432x243


class OpenCVBackend(Backend):
    """Weight-free click segmentation and tracking with OpenCV.

    Args:
        work_long_side: Long side in pixels of the working resolution.
        kinematics: A config whose ``kinematics`` section renders the robot of each
            session's scene (found from the frames' folder): the render is the tracking's
            shape prior. None: flow and colour alone.
    """

    name = "opencv"
    capabilities = Capabilities(text_prompts=False, clicks=True, devices=("cpu",),
                                mask_prompts=True, box_prompts=True)

    def __init__(self, work_long_side: int = WORK_LONG_SIDE,
                 kinematics: Config | None = None) -> None:
        self.work_long_side = work_long_side
        self.kinematics = kinematics

    def open_session(self, frames: FrameSource) -> OpenCVSession:
        prior = scene_render(self.kinematics, frames) if self.kinematics is not None else None
        return OpenCVSession(frames, self.capabilities, self.work_long_side, prior)


def build(config: Config, stage: Stage) -> OpenCVBackend:
    """The opencv backend for a session stage (the same for arm and gripper); the robot's
    render is its shape prior when the config's kinematics section has ``use: prompts``
    (with ``use: check`` the render stays independent of the sessions it checks)."""
    if config.device not in ("auto", "cpu"):
        log.warning("backend opencv runs on the CPU; config device %r is ignored",
                    config.device)
    kin = config.kinematics
    return OpenCVBackend(kinematics=config if kin is not None and kin.use == "prompts" else None)


__all__ = ["OpenCVBackend", "OpenCVSession", "build"]
