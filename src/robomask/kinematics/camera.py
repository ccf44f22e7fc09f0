"""The camera: intrinsics and pose, with their conventions made explicit.

Frames:
- base: the URDF's root link.
- optical: z forward, x right, y down (the frame the intrinsics project from).
- ros_body: ROS ``camera_link``: x forward, y left, z up. A point (x, y, z) in it is
  (-y, -z, x) in the optical frame.

A pose is given either as ``camera_pose_in_base`` (the camera frame's pose in the base
frame, what hand-eye calibration tools print) or ``base_in_camera`` (its inverse).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import numpy as np
import yaml

from robomask.errors import KinematicsError

CameraFrame = Literal["optical", "ros_body"]
PoseConvention = Literal["camera_pose_in_base", "base_in_camera"]

# optical <- ros_body: (x, y, z) -> (-y, -z, x)
OPTICAL_FROM_ROS_BODY = np.array([[0.0, -1.0, 0.0, 0.0], [0.0, 0.0, -1.0, 0.0],
                                  [1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0]])
NEAR_M = 0.01  # points closer to the camera than this are not drawn


@dataclass(frozen=True)
class Camera:
    """A pinhole camera without distortion.

    Attributes:
        K: 3x3 intrinsics (fx, fy, cx, cy in pixels; pixel centres at integers).
        base_to_optical: 4x4 transform taking base-frame points (metres) to the
            optical frame.
        size_wh: Image size (width, height) in pixels.
    """

    K: np.ndarray
    base_to_optical: np.ndarray
    size_wh: tuple[int, int]

    def project(self, points_base: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pixels (N, 2) as (x, y) and depths (N,) in metres of base-frame points (N, 3)."""
        p = points_base @ self.base_to_optical[:3, :3].T + self.base_to_optical[:3, 3]
        z = p[:, 2]
        uv = p @ self.K.T
        with np.errstate(divide="ignore", invalid="ignore"):
            return uv[:, :2] / uv[:, 2:3], z

    def with_base_to_optical(self, base_to_optical: np.ndarray) -> Camera:
        return replace(self, base_to_optical=np.asarray(base_to_optical, dtype=np.float64))


def _load_matrix(value: str | Path | list, key: str) -> np.ndarray:
    if isinstance(value, list | tuple | np.ndarray):
        try:
            return np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise KinematicsError(f"{key}: expected a matrix of numbers, got {value!r}") from exc
    path = Path(value)
    if not path.is_file():
        raise KinematicsError(f"{key}: expected a file at {path}, got nothing there")
    try:
        return np.load(path) if path.suffix == ".npy" else np.loadtxt(path, ndmin=2)
    except (OSError, ValueError) as exc:
        raise KinematicsError(f"{path} ({key}): expected a matrix of numbers (.npy or "
                              f"text), got an unreadable file ({exc})") from exc


def _camera_info_k(path: Path, key: str) -> np.ndarray:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise KinematicsError(f"{path} ({key}): expected a ROS camera_info YAML, got an "
                              f"unreadable file ({exc})") from exc
    if isinstance(data, dict):
        for name in ("k", "K"):
            if isinstance(data.get(name), list):
                return np.asarray(data[name], dtype=np.float64)
        matrix = data.get("camera_matrix")
        if isinstance(matrix, dict) and isinstance(matrix.get("data"), list):
            return np.asarray(matrix["data"], dtype=np.float64)
    raise KinematicsError(f"{path} ({key}): expected a ROS camera_info with 'k' (9 numbers) "
                          "or 'camera_matrix.data', got neither")


def read_intrinsics(value: str | Path | list, *, key: str = "kinematics.intrinsics"
                    ) -> np.ndarray:
    """A 3x3 intrinsics matrix from an inline matrix, a K.txt/.npy or a camera_info.yaml.

    Raises:
        KinematicsError: Not 3x3, or a focal length that is not positive.
    """
    if isinstance(value, str | Path) and Path(value).suffix in (".yaml", ".yml"):
        if not Path(value).is_file():
            raise KinematicsError(f"{key}: expected a file at {value}, got nothing there")
        k = _camera_info_k(Path(value), key)
    else:
        k = _load_matrix(value, key)
    where = f"{value} ({key})" if isinstance(value, str | Path) else key
    if k.size == 9:
        k = k.reshape(3, 3)
    if k.shape != (3, 3) or not np.all(np.isfinite(k)):
        raise KinematicsError(f"{where}: expected a 3x3 intrinsics matrix, got shape "
                              f"{tuple(k.shape)}")
    if k[0, 0] <= 0 or k[1, 1] <= 0:
        raise KinematicsError(f"{where}: expected positive focal lengths fx, fy, got "
                              f"fx={k[0, 0]:g}, fy={k[1, 1]:g}")
    return k


def check_rigid(t: np.ndarray, where: str) -> np.ndarray:
    """``t`` as a float 4x4 after checking it is a rotation plus a translation.

    Raises:
        KinematicsError: Not 4x4, bottom row not (0, 0, 0, 1), or the 3x3 block not a
            rotation (orthonormal, determinant +1) within 1e-3.
    """
    t = np.asarray(t, dtype=np.float64)
    if t.shape != (4, 4) or not np.all(np.isfinite(t)):
        raise KinematicsError(f"{where}: expected a 4x4 rigid transform, got shape "
                              f"{tuple(t.shape)}")
    r = t[:3, :3]
    if (not np.allclose(t[3], (0, 0, 0, 1), atol=1e-6)
            or not np.allclose(r.T @ r, np.eye(3), atol=1e-3) or np.linalg.det(r) < 0):
        raise KinematicsError(f"{where}: expected a rigid transform (rotation + translation, "
                              "bottom row 0 0 0 1), got a matrix that is not one",
                              hint="a pose in millimetres or with scale is not rigid")
    return t


def read_pose(value: str | Path | list, *, key: str) -> np.ndarray:
    """A rigid 4x4 from an inline matrix or a .npy/.txt file."""
    t = _load_matrix(value, key)
    return check_rigid(t, f"{value} ({key})" if isinstance(value, str | Path) else key)


def base_to_optical(pose: np.ndarray, *, convention: PoseConvention,
                    camera_frame: CameraFrame) -> np.ndarray:
    """The transform taking base points to the optical frame, from a pose as given."""
    base_to_cam = np.linalg.inv(pose) if convention == "camera_pose_in_base" else pose
    return OPTICAL_FROM_ROS_BODY @ base_to_cam if camera_frame == "ros_body" else base_to_cam


def pose_as_given(base_to_opt: np.ndarray, *, convention: PoseConvention,
                  camera_frame: CameraFrame) -> np.ndarray:
    """Inverse of :func:`base_to_optical`: a pose in the user's own convention."""
    base_to_cam = (np.linalg.inv(OPTICAL_FROM_ROS_BODY) @ base_to_opt
                   if camera_frame == "ros_body" else base_to_opt)
    return np.linalg.inv(base_to_cam) if convention == "camera_pose_in_base" else base_to_cam


def scaled(camera: Camera, factor: float) -> Camera:
    """The same camera with images ``factor`` times as wide and high (e.g. 0.5)."""
    k = camera.K.copy()
    k[:2] *= factor
    k[0, 2] = (camera.K[0, 2] + 0.5) * factor - 0.5  # pixel centres stay at integers
    k[1, 2] = (camera.K[1, 2] + 0.5) * factor - 0.5
    w, h = camera.size_wh
    return replace(camera, K=k, size_wh=(max(1, round(w * factor)), max(1, round(h * factor))))
