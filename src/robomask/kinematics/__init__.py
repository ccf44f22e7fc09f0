"""Kinematic masks: the robot rendered from its URDF, joint angles and camera calibration.

Beside the backends: no pipeline imports. Needs the ``kinematics`` extra
(``pip install 'robomask[kinematics]'``: yourdfpy, trimesh, fast-simplification, pyarrow).

Example:
    >>> from robomask.kinematics import open_scene_render   # doctest: +SKIP
    >>> sr = open_scene_render(config, scene)
    >>> sr.frame_masks(0).masks[config.arm_obj_id]           # bool (height, width)
"""

from robomask.kinematics.camera import Camera, base_to_optical, read_intrinsics, read_pose
from robomask.kinematics.joints import (
    JointTable,
    JointTrack,
    lerobot_names,
    read_joint_states,
    read_joint_table,
)
from robomask.kinematics.model import LinkMesh, RobotModel, load_robot
from robomask.kinematics.render import Renderer
from robomask.kinematics.scene import SceneRender, open_scene_render

__all__ = ["Camera", "JointTable", "JointTrack", "LinkMesh", "Renderer", "RobotModel",
           "SceneRender", "base_to_optical", "lerobot_names", "load_robot",
           "open_scene_render", "read_intrinsics", "read_joint_states", "read_joint_table",
           "read_pose"]
