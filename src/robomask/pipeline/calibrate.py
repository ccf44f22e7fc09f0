"""``robomask calibrate``: refine the kinematics section's camera pose from a few masks of
the whole robot (the arm and gripper sessions' results, or a folder of hand-made ones),
and write the refined pose beside the given one, in the same convention."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from robomask.config import Config
from robomask.errors import KinematicsError
from robomask.io.atomic import refuse_overwrite, write_bytes, write_text
from robomask.io.maskstore import decode_png
from robomask.kinematics import open_scene_render
from robomask.kinematics.calibrate import Calibration, refine_pose
from robomask.kinematics.camera import pose_as_given
from robomask.kinematics.joints import trailing_index
from robomask.kinematics.scene import kinematics_section, pose_path
from robomask.progress import ProgressCallback
from robomask.scenes import Scene


@dataclass(frozen=True)
class CalibrationResult:
    """What ``robomask calibrate`` did.

    Attributes:
        calibration: Poses and IoU before and after.
        written: The refined pose file.
        key: The config key that should point at it.
    """

    calibration: Calibration
    written: Path
    key: str


def _mask_file(folder: Path, frame_index: int, stem: str) -> Path:
    for name in (f"{frame_index:05d}.png", f"{stem}.png"):
        if (folder / name).is_file():
            return folder / name
    for p in sorted(folder.glob("*.png")):
        if trailing_index(p.stem) == frame_index:
            return p
    raise KinematicsError(f"{folder}: expected a mask for frame {frame_index} "
                          f"({frame_index:05d}.png, {stem}.png or a name ending in "
                          f"{frame_index}), got none")


def robot_masks(scene: Scene, frame_indices: list[int], masks_dir: Path | None
                ) -> dict[int, np.ndarray]:
    """Whole-robot masks of the frames: from ``masks_dir``, else the union of the arm and
    gripper session results (the gripper's when present)."""
    frames = scene.frames()
    bad = [i for i in frame_indices if not 0 <= i < len(frames)]
    if bad:
        raise KinematicsError(f"--frames: expected frame indices 0..{len(frames) - 1}, got "
                              f"{bad[0]}")
    if masks_dir is not None:
        out = {}
        for i in frame_indices:
            path = _mask_file(Path(masks_dir), i, frames.stems[i])
            mask = decode_png(path.read_bytes())
            if mask is None or mask.shape[:2] != frames.size_wh[::-1]:
                raise KinematicsError(f"{path}: expected a {frames.size_wh[0]}x"
                                      f"{frames.size_wh[1]} mask PNG like the frames, got "
                                      + ("an unreadable file" if mask is None else
                                         f"{mask.shape[1]}x{mask.shape[0]}"))
            out[i] = (mask.max(axis=2) if mask.ndim == 3 else mask) > 0
        return out
    arm, grip = scene.store("arm", frames), scene.store("gripper", frames)
    if not all(arm.has(i) for i in frame_indices):
        raise KinematicsError(f"{arm.root}: expected arm session masks of frames "
                              f"{frame_indices}, got some missing",
                              hint="run 'robomask segment arm' first, or pass --masks DIR")
    return {i: arm.read(i) | (grip.read(i) if grip.has(i) else False) for i in frame_indices}


def calibrate_scene(scene: Scene, config: Config, frame_indices: list[int], *,
                    masks_dir: Path | None = None, force: bool = False,
                    on_progress: ProgressCallback | None = None) -> CalibrationResult:
    """Refine the camera pose of ``scene`` and write it beside the given pose file
    (``pose.npy`` -> ``pose.refined.npy``; an inline pose -> ``{cam_dir}/{key}.refined.txt``).

    Raises:
        KinematicsError: Bad inputs or missing masks.
        OverwriteError: The refined file exists (without ``force``).
    """
    kin = kinematics_section(config)
    key, given = pose_path(kin, scene)
    out = (given.with_name(f"{given.stem}.refined{given.suffix}") if given is not None
           else scene.camera_dir / f"{key}.refined.txt")
    refuse_overwrite(out, force=force, got="an earlier refined pose")
    masks = robot_masks(scene, frame_indices, masks_dir)
    render = open_scene_render(config, scene)
    render.check_visible()
    cal = refine_pose(render, masks, on_progress=on_progress)
    pose = pose_as_given(cal.base_to_optical, convention=key,  # type: ignore[arg-type]
                         camera_frame=kin.camera_frame)
    if out.suffix == ".npy":
        buf = io.BytesIO()
        np.save(buf, pose)
        write_bytes(out, buf.getvalue())
    else:
        write_text(out, "\n".join(" ".join(f"{v:.9f}" for v in row) for row in pose) + "\n")
    return CalibrationResult(cal, out, key)
