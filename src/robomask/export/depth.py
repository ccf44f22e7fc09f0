"""``robomask depth``: depth images with the arm cut out, and coloured point clouds.

For every frame, the depth image of the same stem in ``{cam_dir}/{depth_dir}/`` (16-bit
PNG, ``depth_scale`` units per metre) is written to ``{out}/{scene}_depth_masked/`` with
the mask's pixels set to 0 (the exported masks by default). With ``ply``, the kept
pixels are also back-projected into ``{out}/{scene}_pointcloud/{stem}.ply`` (binary,
coloured from the frame, optical camera frame, metres), as the seed's point_cloud
notebook did by hand. With ``near_robot_m`` and a kinematics section, pixels whose
point lies within that distance of the rendered arm (the arm and arm 2 link groups;
the grippers stay, as in the export) are dropped too, from both outputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from robomask.config import Config
from robomask.errors import ExportError
from robomask.io.atomic import write_bytes
from robomask.io.frames import FrameSource
from robomask.kinematics.camera import read_intrinsics
from robomask.kinematics.scene import SceneRender, expand, open_scene_render
from robomask.progress import ProgressCallback
from robomask.scenes import Scene

from .base import Exporter, ExportOptions
from .masks import SceneMasks
from .pointcloud import back_project, encode_ply, near_robot

_PNG = [cv2.IMWRITE_PNG_COMPRESSION, 1]


def scene_intrinsics(config: Config, scene: Scene) -> np.ndarray:
    """The 3x3 intrinsics of ``scene``'s depth: ``depth_intrinsics``, else the kinematics
    section's ``intrinsics``.

    Raises:
        ExportError: Neither is configured.
        KinematicsError: The matrix or its file is not a valid 3x3 intrinsics matrix.
    """
    for key, value, section in (("depth_intrinsics", config.depth_intrinsics, ""),
                                ("intrinsics", config.kinematics and
                                 config.kinematics.intrinsics, "kinematics.")):
        if value:
            if isinstance(value, str):
                value = expand(value, scene, key, section=section)
            return read_intrinsics(value, key=section + key)
    raise ExportError("config: expected depth_intrinsics (or a kinematics section with "
                      "intrinsics) for point clouds, got neither",
                      hint="add depth_intrinsics: [[fx, 0, cx], [0, fy, cy], [0, 0, 1]] or a "
                           "K.txt / camera_info.yaml path")


def read_depth(path: Path, frame_index: int, size_wh: tuple[int, int]) -> np.ndarray:
    """The uint16 (height, width) depth image of one frame, checked.

    Raises:
        ExportError: Missing, unreadable, not 16-bit single-channel, or of another size
            than the frames.
    """
    raw = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if raw is None:
        what = "a corrupt or unreadable file" if path.exists() else "nothing there"
        raise ExportError(f"{path}: expected the 16-bit depth PNG of frame {frame_index}, "
                          f"got {what}")
    if raw.dtype != np.uint16 or raw.ndim != 2:
        channels = 1 if raw.ndim == 2 else raw.shape[2]
        raise ExportError(f"{path}: expected a 16-bit single-channel depth PNG (frame "
                          f"{frame_index}), got {raw.dtype.itemsize * 8}-bit with {channels} "
                          "channel(s)")
    w, h = size_wh
    if raw.shape != (h, w):
        raise ExportError(f"{path}: expected a {w}x{h} depth image like the frames (frame "
                          f"{frame_index}), got {raw.shape[1]}x{raw.shape[0]}")
    return raw


@dataclass(frozen=True)
class _Frames:
    """Writes frame i's masked depth (and point cloud); returns the pixels kept."""

    frames: FrameSource
    masks: SceneMasks
    depth_dir: Path
    scale: float
    K: np.ndarray | None
    render: SceneRender | None
    arm_ids: tuple[int, ...]
    near_m: float | None
    depth_out: Path
    ply_out: Path | None

    def frame(self, frame_index: int) -> int:
        stem = self.frames.stems[frame_index]
        raw = read_depth(self.depth_dir / f"{stem}.png", frame_index, self.frames.size_wh)
        drop = self.masks.union(frame_index)
        if self.render is not None:
            robot = self.render.frame_masks(frame_index).union(self.arm_ids)
            drop = drop | near_robot(raw / self.scale, robot, self.K, self.near_m)
        out = raw.copy()
        out[drop] = 0
        write_bytes(self.depth_out / f"{stem}.png", cv2.imencode(".png", out, _PNG)[1].tobytes())
        keep = out > 0
        if self.ply_out is not None:
            points = back_project(out / self.scale, self.K, keep)
            colors = self.frames[frame_index][keep]
            write_bytes(self.ply_out / f"{stem}.ply",
                        encode_ply(points, colors, comment=f"robomask frame {frame_index}"))
        return int(np.count_nonzero(keep))


class DepthExporter(Exporter):
    """Masked depth images and point clouds per scene (see the module docstring).

    Options (``params``): ``ply`` (bool) and ``near_robot_m`` (metres; needs a
    kinematics section). Default ``out_dir``: ``{export_base_dir}/{task_name}``.
    """

    name = "depth"
    params = ("ply", "near_robot_m")

    def __init__(self, config: Config, options: ExportOptions) -> None:
        super().__init__(config, options)
        self.ply = bool(options.params.get("ply"))
        self.near_m = options.params.get("near_robot_m")
        if self.near_m is not None and config.kinematics is None:
            raise ExportError("--near-robot: expected a kinematics section in the config (the "
                              "robot is rendered from it), got none",
                              hint="see 'robomask init' for its keys, or drop --near-robot")
        if self.near_m is not None and not self.near_m > 0:
            raise ExportError(f"--near-robot: expected a distance > 0 metres, got "
                              f"{self.near_m}")

    def targets(self, scene: Scene) -> list[Path]:
        root = self.options.out_dir
        return [root / f"{scene.name}_depth_masked"] + (
            [root / f"{scene.name}_pointcloud"] if self.ply else [])

    def depth_dir(self, scene: Scene, frames: FrameSource) -> Path:
        """``{cam_dir}/{depth_dir}``, checked to hold a depth image for every frame."""
        folder = scene.camera_dir / self.config.depth_dir
        if not folder.is_dir():
            raise ExportError(f"{folder}: expected a folder of 16-bit depth PNGs named like "
                              "the frames, got nothing there",
                              hint="set the config key depth_dir")
        present = {p.stem for p in folder.glob("*.png")}
        for i, stem in enumerate(frames.stems):
            if stem not in present:
                raise ExportError(f"{folder / (stem + '.png')}: expected the depth image of "
                                  f"frame {i}, got nothing there")
        return folder

    def write_scene(self, scene: Scene, staged: list[Path],
                    on_progress: ProgressCallback | None) -> int:
        frames = scene.frames()
        depth_dir = self.depth_dir(scene, frames)
        k = scene_intrinsics(self.config, scene) if self.ply or self.near_m else None
        render = None
        if self.near_m is not None:
            render = open_scene_render(self.config, scene, frames)
        work = _Frames(frames, SceneMasks(scene, self.config, frames, self.stage), depth_dir,
                       self.config.depth_scale, k, render, tuple(self.config.arm_ids),
                       self.near_m, staged[0], staged[1] if self.ply else None)
        ticker = self.ticker(scene, len(frames), on_progress)
        for _ in self.map_frames(work, len(frames), ticker, frames=frames if self.ply else None):
            pass
        return len(frames)
