"""A toy robot made of boxes, a camera whose projection is easy by hand, and a scene."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from tests.conftest import write_config

SIZE_WH = (640, 480)
FX = 600.0
CX, CY = 320.0, 240.0
K = [[FX, 0.0, CX], [0.0, FX, CY], [0.0, 0.0, 1.0]]

# base = optical camera frame: x right, y down, z forward (base_in_camera = identity).
# "far": a 0.2 x 0.1 x 0.05 box centred 1 m ahead. "near": a 0.1 x 0.1 x 0.02 box on a
# prismatic joint along z, 0.8 m ahead at slide = 0, offset 0.05 m right. "hand": a
# 0.05 box 0.25 m from a revolute joint about z at 0.9 m, with "finger" fixed on it.
URDF = """<?xml version="1.0"?>
<robot name="toy">
  <link name="base"/>
  <link name="far"><visual><geometry><box size="0.2 0.1 0.05"/></geometry></visual></link>
  <link name="near"><visual><geometry>{near_geometry}</geometry></visual></link>
  <link name="hub"/>
  <link name="hand"><visual><origin xyz="0.25 0 0"/>
    <geometry><box size="0.05 0.05 0.05"/></geometry></visual></link>
  <link name="finger"><visual><geometry><cylinder radius="0.01" length="0.02"/></geometry>
    </visual></link>
  <joint name="fix" type="fixed"><parent link="base"/><child link="far"/>
    <origin xyz="0 0 1.0"/></joint>
  <joint name="slide" type="prismatic"><parent link="base"/><child link="near"/>
    <origin xyz="0.05 0 0.8"/><axis xyz="0 0 1"/>
    <limit lower="-1" upper="1" effort="1" velocity="1"/></joint>
  <joint name="turn" type="revolute"><parent link="base"/><child link="hub"/>
    <origin xyz="0 0 0.9"/><axis xyz="0 0 1"/>
    <limit lower="-4" upper="4" effort="1" velocity="1"/></joint>
  <joint name="hand_fix" type="fixed"><parent link="hub"/><child link="hand"/></joint>
  <joint name="finger_fix" type="fixed"><parent link="hand"/><child link="finger"/>
    <origin xyz="0.25 0 -0.04"/></joint>
</robot>
"""
BOX_NEAR = '<box size="0.1 0.1 0.02"/>'


def write_urdf(folder: Path, near_geometry: str = BOX_NEAR, name: str = "toy.urdf") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(URDF.format(near_geometry=near_geometry))
    return path


def box_rect(cx_m: float, cy_m: float, half_w_m: float, half_h_m: float, z_m: float
             ) -> tuple[float, float, float, float]:
    """(x0, y0, x1, y1) pixels of a box face at depth z_m facing the camera, by hand."""
    return (CX + FX * (cx_m - half_w_m) / z_m, CY + FX * (cy_m - half_h_m) / z_m,
            CX + FX * (cx_m + half_w_m) / z_m, CY + FX * (cy_m + half_h_m) / z_m)


def make_kin_scene(root: Path, joint_values: list[list[float]] | None = None,
                   **kinematics: object):
    """A scene of black frames with the toy robot's config; returns (config, config_path).

    ``joint_values``: one [slide, turn] per frame (default three frames).
    """
    joint_values = joint_values or [[0.0, 0.0], [0.1, 0.5], [0.2, 1.0]]
    cam = root / "data" / "task" / "train" / "scene_0001" / "cam_0"
    (cam / "color").mkdir(parents=True, exist_ok=True)
    (cam / "joints").mkdir(exist_ok=True)
    for i, q in enumerate(joint_values):
        stem = str(1737546126000 + 33 * i)
        cv2.imwrite(str(cam / "color" / f"{stem}.png"), np.zeros(SIZE_WH[::-1], np.uint8))
        np.save(cam / "joints" / f"{stem}.npy", np.asarray(q))
    np.savetxt(cam / "K.txt", np.asarray(K))
    np.savetxt(cam / "pose.txt", np.eye(4))
    urdf = write_urdf(root / "robot")
    section = {"urdf": str(urdf), "joint_states": "{cam_dir}/joints",
               "joint_names": ["slide", "turn"], "intrinsics": "{cam_dir}/K.txt",
               "base_in_camera": "{cam_dir}/pose.txt", "arm_links": ["far", "near", "hand"],
               "gripper_left_links": ["finger"], **kinematics}
    path = root / "mask_config.yaml"
    cfg = write_config(path, task_name="task", data_base_dir=str(root / "data"),
                       export_base_dir=str(root / "out"), camera="0", scene_name="scene_0001",
                       backend="opencv", kinematics=section)
    return cfg, path
