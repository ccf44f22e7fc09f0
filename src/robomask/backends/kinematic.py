"""The ``kinematic`` backend: session results are the robot rendered from its URDF, joint
angles and camera (the config's ``kinematics`` section); no model, no prompts. With
``kinematics.refine_px`` > 0 each frame's outline is moved onto the image's edges by at
most that many pixels (:mod:`robomask.kinematics.refine`).

The scene is found from the frames' location (``.../{scene}/cam_{camera}/color``), so
``{scene_dir}``/``{cam_dir}`` placeholders resolve as for every other command.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from robomask._optional import available
from robomask.backends.base import Backend, Capabilities, VideoSession
from robomask.config import Config, Stage
from robomask.errors import BackendError
from robomask.io.frames import FrameSource
from robomask.kinematics import SceneRender, open_scene_render
from robomask.kinematics.refine import refine_objects
from robomask.masks import FrameMasks
from robomask.scenes import Scene

CAPABILITIES = Capabilities(text_prompts=False, clicks=False, devices=("cpu",),
                            needs_prompts=False)


class KinematicSession(VideoSession):
    """Yields the rendered masks of every object; prompts are not taken."""

    backend_name = "kinematic"

    def __init__(self, frames: FrameSource, render: SceneRender, refine_px: int = 0) -> None:
        super().__init__(frames, CAPABILITIES)
        self._render = render
        self._refine_px = refine_px

    def _add_clicks(self, frame_index: int, obj_id: int, points_xy: np.ndarray,
                    labels: np.ndarray) -> FrameMasks:
        raise BackendError("kinematic backend: expected no clicks, got some")  # base refuses

    def _propagate(self, start_frame_index: int, *, reverse: bool) -> Iterator[FrameMasks]:
        order = (range(start_frame_index, -1, -1) if reverse
                 else range(start_frame_index, self.num_frames))
        for i in order:
            fm = self._render.frame_masks(i)
            if self._refine_px:
                fm = FrameMasks(i, fm.size_wh,
                                refine_objects(self.frames[i], fm.masks, self._refine_px))
            yield fm

    def _remove_object(self, obj_id: int) -> None:
        """Nothing to forget: objects come from the config's link groups."""

    def _reset(self) -> None:
        """Nothing to reset: the render holds no prompts."""


class KinematicBackend(Backend):
    """Renders masks per session; built once, opens one render per video."""

    name = "kinematic"
    capabilities = CAPABILITIES

    def __init__(self, config: Config) -> None:
        if config.kinematics is None:
            raise BackendError("backend 'kinematic': expected a kinematics section in the "
                               "config, got none", hint="see 'robomask init' for its keys")
        self.config = config

    def open_session(self, frames: FrameSource) -> VideoSession:
        return KinematicSession(frames, scene_render(self.config, frames),
                                self.config.kinematics.refine_px)


def scene_render(config: Config, frames: FrameSource) -> SceneRender:
    """The render of the scene these frames belong to (``.../{scene}/cam_{camera}/color``),
    checked to show the robot somewhere.

    Raises:
        KinematicsError: As :func:`robomask.kinematics.open_scene_render`, or the robot is
            in view on none of the frames checked.
    """
    cam_dir = frames.path.parent
    scene = Scene(cam_dir.parent.name, frames.path, cam_dir, config.output_dir,
                  config.mask_naming)
    render = open_scene_render(config, scene, frames)
    render.check_visible()
    return render


def diagnose(config: Config | None) -> list[tuple[str, str]]:
    """(reason, fix) pairs that stop the backend here (``robomask doctor``)."""
    problems = [(f"not installed: Python package '{m}' missing",
                 "pip install 'robomask[kinematics]'")
                for m in ("yourdfpy", "trimesh", "fast_simplification") if not available(m)]
    if config is not None and config.kinematics is None:
        problems.append(("no kinematics section in the config",
                         "add one: URDF, joint states, intrinsics, camera pose (robomask init "
                         "lists its keys)"))
    return problems


def build(config: Config, stage: Stage) -> Backend:
    return KinematicBackend(config)
