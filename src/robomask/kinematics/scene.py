"""A scene's render: the robot, its joint states and its camera, per frame.

The one entry point for code that wants rendered masks of a scene (the kinematic
backend, generated prompts, the report check, the opencv shape prior)::

    sr = open_scene_render(config, scene)      # doctest: +SKIP
    fm = sr.frame_masks(12)                    # FrameMasks: obj_id -> bool (height, width)
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from robomask.config import Config, KinematicsConfig
from robomask.errors import KinematicsError
from robomask.io.frames import FrameSource
from robomask.kinematics.camera import (
    Camera,
    base_to_optical,
    read_intrinsics,
    read_pose,
)
from robomask.kinematics.groups import label_lut, link_groups, object_names
from robomask.kinematics.joints import JointTrack, read_joint_states
from robomask.kinematics.model import load_robot
from robomask.kinematics.render import Renderer
from robomask.masks import FrameMasks
from robomask.scenes import Scene

_PLACEHOLDER = re.compile(r"\{([^}]*)\}")


def expand(value: str, scene: Scene, key: str, *, section: str = "kinematics.") -> str:
    """``value`` with ``{scene}``, ``{scene_dir}`` and ``{cam_dir}`` filled in; errors
    name the key as ``{section}{key}``."""
    known = {"scene": scene.name, "scene_dir": str(scene.camera_dir.parent),
             "cam_dir": str(scene.camera_dir)}

    def fill(m: re.Match[str]) -> str:
        if m.group(1) not in known:
            raise KinematicsError(f"{section}{key}: expected placeholders {{scene}}, "
                                  f"{{scene_dir}} or {{cam_dir}}, got {{{m.group(1)}}}")
        return known[m.group(1)]

    return _PLACEHOLDER.sub(fill, value)


def _value(kin: KinematicsConfig, key: str, scene: Scene) -> str | list:
    value = getattr(kin, key)
    return expand(value, scene, key) if isinstance(value, str) else value


def kinematics_section(config: Config) -> KinematicsConfig:
    """The config's kinematics section.

    Raises:
        KinematicsError: The config has none.
    """
    if config.kinematics is None:
        raise KinematicsError("kinematics: expected the config section (urdf, joint_states, "
                              "intrinsics and camera pose), got none in the config",
                              hint="'robomask init' lists its keys; 'robomask demo --kind "
                                   "kinematic' writes a config with one")
    return config.kinematics


def pose_key(kin: KinematicsConfig) -> str:
    """``camera_pose_in_base`` or ``base_in_camera``: the pose key the section sets."""
    return "camera_pose_in_base" if kin.camera_pose_in_base is not None else "base_in_camera"


def scene_camera(kin: KinematicsConfig, scene: Scene, size_wh: tuple[int, int]) -> Camera:
    """The camera of ``scene`` from the config's intrinsics and pose."""
    k = read_intrinsics(_value(kin, "intrinsics", scene))
    key = pose_key(kin)
    pose = read_pose(_value(kin, key, scene), key=f"kinematics.{key}")
    return Camera(k, base_to_optical(pose, convention=key,  # type: ignore[arg-type]
                                     camera_frame=kin.camera_frame), size_wh)


def pose_path(kin: KinematicsConfig, scene: Scene) -> tuple[str, Path | None]:
    """The pose key in use and its file (None when the pose is inline)."""
    key = pose_key(kin)
    value = _value(kin, key, scene)
    return key, Path(value) if isinstance(value, str) else None


def joint_source(kin: KinematicsConfig, scene: Scene) -> tuple[str | None, str | None]:
    """The scene's joint-state file or folder (placeholders filled) and table column; a
    LeRobot episode without ``joint_states`` uses its own rows (``observation.state``)."""
    if kin.joint_states is not None:
        return expand(kin.joint_states, scene, "joint_states"), kin.joint_states_column
    if scene.episode is not None:
        return str(scene.episode.data_path), kin.joint_states_column or "observation.state"
    return None, kin.joint_states_column


def input_paths(kin: KinematicsConfig, scene: Scene) -> dict[str, Path]:
    """Config key -> the file (or joint-state folder) that the render of ``scene`` reads:
    the URDF, the joint states, and the intrinsics and pose where they are files, not
    inline. A fingerprint of their contents tells when a render is outdated."""
    paths = {"urdf": Path(expand(kin.urdf, scene, "urdf"))}
    if (joints := joint_source(kin, scene)[0]) is not None:
        paths["joint_states"] = Path(joints)
    if isinstance(k := _value(kin, "intrinsics", scene), str):
        paths["intrinsics"] = Path(k)
    key, pose = pose_path(kin, scene)
    if pose is not None:
        paths[key] = pose
    return paths


@dataclass
class SceneRender:
    """Rendered labels and object masks of every frame of one scene.

    Attributes:
        renderer: The robot and camera.
        joints: Joint values per frame.
        groups: Object id -> its link names.
        names: Object id -> ``arm``, ``arm_2``, ``gripper_left`` or ``gripper_right``.
    """

    renderer: Renderer
    joints: JointTrack
    groups: dict[int, tuple[str, ...]]
    names: dict[int, str]

    def __post_init__(self) -> None:
        self._lut, self._ids = label_lut(self.groups, self.renderer.link_names)

    def __len__(self) -> int:
        return len(self.joints.values)

    @property
    def size_wh(self) -> tuple[int, int]:
        return self.renderer.camera.size_wh

    def labels(self, frame_index: int, camera: Camera | None = None) -> np.ndarray:
        """uint16 (height, width) link labels of a frame (0 = background)."""
        return self.renderer.labels(self.joints.at(frame_index), camera)

    def masks_of_labels(self, labels: np.ndarray) -> dict[int, np.ndarray]:
        """Object id -> bool (height, width) mask, from a label image."""
        slots = self._lut[labels]
        return {obj_id: slots == k + 1 for k, obj_id in enumerate(self._ids)}

    def frame_masks(self, frame_index: int) -> FrameMasks:
        """The rendered masks of every object on one frame."""
        return FrameMasks(frame_index, self.size_wh,
                          self.masks_of_labels(self.labels(frame_index)))

    def __iter__(self) -> Iterator[FrameMasks]:
        for i in range(len(self)):
            yield self.frame_masks(i)

    def check_visible(self, samples: int = 12) -> None:
        """Raise when the robot is outside the image or behind the camera on every one of
        up to ``samples`` evenly spaced frames: almost always a wrong pose convention.

        Raises:
            KinematicsError: Nothing of the robot is drawn on any sampled frame.
        """
        picks = np.unique(np.linspace(0, len(self) - 1, min(samples, len(self))).astype(int))
        behind = 0.0
        for i in picks:
            if self.labels(int(i)).any():
                return
            z = self.renderer.points_in_optical(self.joints.at(int(i)))[:, 2]
            behind = max(behind, float(np.mean(z <= 0)))
        where = ("behind the camera" if behind > 0.5 else "outside the image")
        raise KinematicsError(
            f"kinematics: expected the robot in view, got it {where} on every frame checked "
            f"({len(picks)} frames)",
            hint="almost always a wrong convention: try base_in_camera instead of "
                 "camera_pose_in_base (or the reverse), or camera_frame ros_body vs optical")


def open_scene_render(config: Config, scene: Scene, frames: FrameSource | None = None
                      ) -> SceneRender:
    """The :class:`SceneRender` of ``scene`` from the config's kinematics section.

    Args:
        config: A config with a ``kinematics`` section.
        scene: The scene; ``{scene_dir}``/``{cam_dir}`` placeholders are filled from it.
        frames: The scene's frames if already open (their names and size are used).

    Raises:
        KinematicsError: No kinematics section, or a bad URDF, joint state or camera.
    """
    kin = kinematics_section(config)
    frames = frames if frames is not None else scene.frames()
    robot = load_robot(expand(kin.urdf, scene, "urdf"),
                       package_root=kin.package_root and expand(kin.package_root, scene,
                                                                "package_root"),
                       max_faces=kin.mesh_faces)
    source, column = joint_source(kin, scene)
    if source is None:
        raise KinematicsError("kinematics.joint_states: expected a folder or table of joint "
                              "states, got none (only a LeRobot dataset has its own)")
    joints = read_joint_states(
        source, frames.stems,
        known_joints=robot.actuated if kin.joint_names is None else
        tuple(j.name for j in robot.joints), joint_names=kin.joint_names,
        match=kin.joint_states_match, tolerance_s=kin.timestamp_tolerance_s,
        column=column, episode_index=scene.episode.index if scene.episode else None)
    renderer = Renderer(robot, scene_camera(kin, scene, frames.size_wh))
    return SceneRender(renderer, joints, link_groups(config, kin, robot.link_names),
                       object_names(config))
