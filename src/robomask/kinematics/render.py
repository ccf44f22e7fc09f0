"""A CPU renderer that needs no GL: the label image of every link, per frame.

Triangles are filled with OpenCV from the farthest to the nearest (painter's order by
triangle centre depth), each with its link's label, so a near link hides a far one.
Meshes are simplified at load and long edges split (see :mod:`robomask.kinematics.model`),
so no triangle spans more than a few centimetres of depth and the order is right
wherever two links are farther apart than that. Triangles facing away from the camera
are skipped on closed meshes; triangles behind the camera's near plane are dropped.
"""

from __future__ import annotations

from collections.abc import Mapping

import cv2
import numpy as np

from robomask.kinematics.camera import NEAR_M, Camera
from robomask.kinematics.model import RobotModel

_SHIFT = 4  # OpenCV fixed-point bits: vertices are placed to 1/16 pixel
_LIMIT_PX = 1e5  # vertex coordinates are clipped here to stay inside int32


class Renderer:
    """Label images of a robot seen by a camera.

    Label 0 is background; label ``k + 1`` is link ``link_names[k]``.

    Example:
        >>> r = Renderer(load_robot("xarm7.urdf"), camera)  # doctest: +SKIP
        >>> labels = r.labels({"joint1": 0.3})              # uint16 (height, width)
    """

    def __init__(self, robot: RobotModel, camera: Camera) -> None:
        self.robot = robot
        self.camera = camera
        self.link_names: tuple[str, ...] = tuple(m.name for m in robot.meshes)
        starts = np.cumsum([0] + [len(m.vertices) for m in robot.meshes])
        self._slices = [slice(int(a), int(b)) for a, b in zip(starts[:-1], starts[1:], strict=True)]
        self._vertices = np.concatenate([m.vertices for m in robot.meshes])
        self._faces = np.concatenate([m.faces + s.start for m, s in
                                      zip(robot.meshes, self._slices, strict=True)])
        self._face_label = np.concatenate([np.full(len(m.faces), k + 1, dtype=np.int64)
                                           for k, m in enumerate(robot.meshes)])
        self._face_cull = np.concatenate([np.full(len(m.faces), m.closed)
                                          for m in robot.meshes])

    def points_in_optical(self, joint_values: Mapping[str, float],
                          camera: Camera | None = None) -> np.ndarray:
        """Every mesh vertex (N, 3) in the camera's optical frame, metres."""
        cam = camera or self.camera
        poses = self.robot.link_poses(joint_values)
        out = np.empty_like(self._vertices)
        for mesh, sl in zip(self.robot.meshes, self._slices, strict=True):
            t = cam.base_to_optical @ poses[mesh.name]
            out[sl] = self._vertices[sl] @ t[:3, :3].T + t[:3, 3]
        return out

    def labels(self, joint_values: Mapping[str, float], camera: Camera | None = None
               ) -> np.ndarray:
        """The uint16 (height, width) label image at ``joint_values``.

        Args:
            joint_values: Joint name -> position (radians or metres); others at 0.
            camera: Another camera than the renderer's (e.g. a perturbed or scaled one).
        """
        cam = camera or self.camera
        w, h = cam.size_wh
        out = np.zeros((h, w), dtype=np.uint16)
        p = self.points_in_optical(joint_values, cam)
        z = p[:, 2]
        with np.errstate(divide="ignore", invalid="ignore"):
            uv = (p @ cam.K[:2].T) / z[:, None]
        tri_z = z[self._faces]
        keep = tri_z.min(axis=1) > NEAR_M
        tri_uv = uv[self._faces]
        lo, hi = tri_uv.min(axis=1), tri_uv.max(axis=1)
        keep &= (hi[:, 0] >= -0.5) & (lo[:, 0] <= w - 0.5) & (hi[:, 1] >= -0.5) & (
            lo[:, 1] <= h - 0.5)
        a, b, c = (p[self._faces[:, i]] for i in range(3))
        facing = np.einsum("ij,ij->i", np.cross(b - a, c - a), a) < 0
        keep &= facing | ~self._face_cull
        idx = np.flatnonzero(keep)
        idx = idx[np.argsort(-tri_z[idx].sum(axis=1), kind="stable")]
        pts = np.round(np.clip(tri_uv[idx], -_LIMIT_PX, _LIMIT_PX) * (1 << _SHIFT)
                       ).astype(np.int32)
        for tri, label in zip(pts, self._face_label[idx].tolist(), strict=True):
            cv2.fillConvexPoly(out, tri, label, cv2.LINE_8, _SHIFT)
        return out
