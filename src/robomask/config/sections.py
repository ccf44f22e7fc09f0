"""The nested sections of mask_config.yaml: ``kinematics:`` (render the robot from its
URDF, joint angles and camera) and ``dataset:`` (where the scenes come from)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

KinematicsUse = Literal["prompts", "masks", "check"]
MatrixOrPath = str | list[list[float]]
KINEMATICS_PATH_KEYS = ("urdf", "package_root", "joint_states", "intrinsics",
                        "camera_pose_in_base", "base_in_camera")


class KinematicsConfig(BaseModel):
    """The ``kinematics:`` section: render the robot from its URDF, joint angles and camera.

    Paths may hold ``{scene}``, ``{scene_dir}`` and ``{cam_dir}``; relative paths are
    taken relative to the config file's folder.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    urdf: str = Field(description="the robot's URDF (meshes relative to it or package://)")
    package_root: str | None = Field(
        None, description="folder that package:// mesh paths are resolved against")
    joint_states: str | None = Field(
        None, description="per-frame joint values: a folder of .npy/.txt (by frame stem or "
        "index), or a .csv/.parquet table with frame_index or timestamp; null = a LeRobot "
        "episode's own parquet rows (dataset.format lerobot)")
    joint_states_column: str | None = Field(
        None, description="table column holding one vector per row, e.g. observation.state "
        "(names from LeRobot meta/info.json); null = one column per joint (observation.state "
        "for a LeRobot episode's rows)")
    joint_names: list[str] | None = Field(
        None, description="names of the joint values in order; null = the URDF's actuated "
        "joints (or the LeRobot names)")
    joint_states_match: Literal["auto", "stem", "index", "frame_index", "timestamp"] = Field(
        "auto", description="how joint states meet frames: auto | stem | index | frame_index "
        "| timestamp")
    timestamp_tolerance_s: float = Field(
        0.02, gt=0, description="largest gap (seconds) between a frame and its joint state "
        "when matching by timestamp")
    intrinsics: MatrixOrPath = Field(
        description="3x3 camera matrix: inline, a K.txt/.npy, or a ROS camera_info.yaml")
    camera_pose_in_base: MatrixOrPath | None = Field(
        None, description="4x4 pose of the camera in the robot base frame (.npy/.txt or "
        "inline); give this or base_in_camera")
    base_in_camera: MatrixOrPath | None = Field(
        None, description="4x4 pose of the robot base in the camera frame (the inverse)")
    camera_frame: Literal["optical", "ros_body"] = Field(
        "optical", description="frame of that pose: optical (z forward, x right, y down) | "
        "ros_body (ROS camera_link: x forward, y left, z up)")
    arm_links: list[str] = Field(
        ["*"], description="links (globs) of the arm object; links of a gripper group win")
    arm_2_links: list[str] = Field([], description="links (globs) of the second arm")
    gripper_left_links: list[str] = Field([], description="links (globs) of the left gripper")
    gripper_right_links: list[str] = Field(
        [], description="links (globs) of the right gripper")
    use: KinematicsUse = Field(
        "prompts", description="prompts (write click files from the render; the opencv "
        "backend also tracks with the render as a shape prior) | masks (the render is the "
        "session result) | check (report only)")
    refine_px: int = Field(
        0, ge=0, le=50, description="masks: move the rendered outline onto image edges by at "
        "most this many pixels (GrabCut in a band); 0 = off")
    keyframe_every: int = Field(
        30, ge=1, description="prompts: a keyframe at least every N frames (more where the "
        "render changes)")
    mesh_faces: int = Field(
        800, ge=12, description="triangles per link after simplification (speed vs detail)")
    check_min_iou: float = Field(
        0.5, ge=0, le=1, description="report: flag frames whose session mask and render "
        "part below this IoU")

    @model_validator(mode="after")
    def _one_pose(self) -> KinematicsConfig:
        given = [k for k in ("camera_pose_in_base", "base_in_camera") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError("kinematics: expected exactly one of camera_pose_in_base and "
                             f"base_in_camera, got {given or 'neither'}")
        return self


class DatasetConfig(BaseModel):
    """Where the scenes come from (``dataset:`` in the config)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    format: Literal["spec", "lerobot"] = Field(
        "spec", description="spec: the {data_base_dir}/{task_name}/{split}/{scene} folders; "
        "lerobot: a LeRobot v2.1/v3.0 dataset, one scene per episode (episode_000001)")
    root: Path | None = Field(
        None, description="lerobot: the dataset folder (holding meta/info.json)")
    camera: str | None = Field(
        None, description="lerobot: video key, e.g. observation.images.cam_high; "
        "null = the dataset's only camera")
    episodes: str | None = Field(
        None, description='lerobot: episode indices to use, e.g. "1,2,4", [1, 2, 4] or "0-9"; '
        'null = all')

    @field_validator("episodes", mode="before")
    @classmethod
    def _episodes_as_text(cls, value: Any) -> Any:
        """YAML ``episodes: 3`` or ``[1, 2, 4]`` -> ``"3"`` / ``"1,2,4"``."""
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, list) and all(isinstance(v, int) and not isinstance(v, bool)
                                           for v in value):
            return ",".join(map(str, value))
        return value

    @model_validator(mode="after")
    def _root_for_lerobot(self) -> DatasetConfig:
        if self.format == "lerobot" and self.root is None:
            raise ValueError("dataset.root: expected the LeRobot dataset folder for format "
                             "lerobot, got nothing")
        return self
