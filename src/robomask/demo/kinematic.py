"""A synthetic scene with a URDF, joint angles per frame and a calibrated camera: the
zero-click demo. Needs the ``kinematics`` extra.

``make_kinematic_scene(root)`` writes, deterministically::

    root/mask_config.yaml            opencv backend, kinematics section (use: prompts)
    root/robot/demo_arm.urdf         boxes and cylinders: 4 arm links, palm, two fingers
    root/data/demo_task/train/scene_0001/cam_105422061350/
        color/{timestamp_ms}.png     the robot rendered over a textured table, shaded
        joint_states.csv             frame_index + one column per joint (radians, metres)
        K.txt, camera_pose.txt       intrinsics; camera pose in the base (optical frame)
    root/ground_truth/scene_0001/{arm,gripper}/00000.png ...

No prompt file is written: the pipeline makes them from the render.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from robomask.demo.scene import DemoFiles, DemoScene
from robomask.demo.synth import ARM_RGB, GRIPPER_RGB, table_texture
from robomask.kinematics import Camera, Renderer, load_robot

GRIPPER_LINKS = ("palm", "finger_left", "finger_right")
JOINTS = ("pan", "lift", "elbow", "wrist", "finger")

URDF = """<?xml version="1.0"?>
<robot name="demo_arm">
  <link name="base"><visual><origin xyz="0 0 0.05"/>
    <geometry><cylinder radius="0.09" length="0.1"/></geometry></visual></link>
  <link name="shoulder"><visual><origin xyz="0 0 0.06"/>
    <geometry><box size="0.13 0.13 0.12"/></geometry></visual></link>
  <link name="upper_arm"><visual><origin xyz="0 0 0.2"/>
    <geometry><box size="0.08 0.08 0.4"/></geometry></visual></link>
  <link name="forearm"><visual><origin xyz="0 0 0.17"/>
    <geometry><box size="0.065 0.065 0.34"/></geometry></visual></link>
  <link name="wrist"><visual><origin xyz="0 0 0.03"/>
    <geometry><cylinder radius="0.045" length="0.06"/></geometry></visual></link>
  <link name="palm"><visual><origin xyz="0 0 0.02"/>
    <geometry><box size="0.12 0.05 0.04"/></geometry></visual></link>
  <link name="finger_left"><visual><origin xyz="0 0 0.04"/>
    <geometry><box size="0.018 0.035 0.08"/></geometry></visual></link>
  <link name="finger_right"><visual><origin xyz="0 0 0.04"/>
    <geometry><box size="0.018 0.035 0.08"/></geometry></visual></link>
  <joint name="pan" type="revolute"><parent link="base"/><child link="shoulder"/>
    <origin xyz="0 0 0.1"/><axis xyz="0 0 1"/>$LIMIT</joint>
  <joint name="lift" type="revolute"><parent link="shoulder"/><child link="upper_arm"/>
    <origin xyz="0 0 0.12"/><axis xyz="0 1 0"/>$LIMIT</joint>
  <joint name="elbow" type="revolute"><parent link="upper_arm"/><child link="forearm"/>
    <origin xyz="0 0 0.4"/><axis xyz="0 1 0"/>$LIMIT</joint>
  <joint name="wrist" type="revolute"><parent link="forearm"/><child link="wrist"/>
    <origin xyz="0 0 0.34"/><axis xyz="0 0 1"/>$LIMIT</joint>
  <joint name="palm_fix" type="fixed"><parent link="wrist"/><child link="palm"/>
    <origin xyz="0 0 0.06"/></joint>
  <joint name="finger" type="prismatic"><parent link="palm"/><child link="finger_left"/>
    <origin xyz="0.0 0 0.04"/><axis xyz="1 0 0"/>
    <limit lower="0" upper="0.05" effort="1" velocity="1"/></joint>
  <joint name="finger_mirror" type="prismatic"><parent link="palm"/><child link="finger_right"/>
    <origin xyz="0.0 0 0.04"/><axis xyz="1 0 0"/>
    <limit lower="-0.05" upper="0" effort="1" velocity="1"/>
    <mimic joint="finger" multiplier="-1" offset="0"/></joint>
</robot>
""".replace("$LIMIT", '<limit lower="-3" upper="3" effort="1" velocity="1"/>')


def joint_track(num_frames: int) -> np.ndarray:
    """(num_frames, 5) joint values: pan, lift, elbow, wrist (radians), finger (metres)."""
    t = np.linspace(0.0, 1.0, num_frames)[:, None]
    lo = np.array([-0.5, 0.25, 0.7, -0.6, 0.012])
    hi = np.array([0.6, 0.55, 1.3, 0.8, 0.045])
    phase = np.array([0.0, 0.7, 1.9, 0.3, 1.1])
    return lo + (hi - lo) * (0.5 - 0.5 * np.cos(2 * np.pi * t + phase))


def demo_camera(size_wh: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Intrinsics (3x3) and the camera pose in the base frame (4x4, optical axes)."""
    w, h = size_wh
    f = 0.9 * w
    k = np.array([[f, 0, (w - 1) / 2], [0, f, (h - 1) / 2], [0, 0, 1.0]])
    eye, target = np.array([1.25, -0.75, 0.75]), np.array([0.15, 0.0, 0.42])
    z = (target - eye) / np.linalg.norm(target - eye)
    x = np.cross(z, (0, 0, 1.0))
    x /= np.linalg.norm(x)
    pose = np.eye(4)
    pose[:3, :3] = np.stack([x, np.cross(z, x), z], axis=1)
    pose[:3, 3] = eye
    return k, pose


def _shade(labels: np.ndarray, names: tuple[str, ...], table: np.ndarray,
           rng: np.random.Generator) -> np.ndarray:
    img = table.astype(np.float32)
    for k, name in enumerate(names):
        region = labels == k + 1
        base = GRIPPER_RGB if name in GRIPPER_LINKS else ARM_RGB * (0.92 + 0.03 * (k % 3))
        img[region] = base
    img += rng.normal(0, 4, img.shape).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


def make_kinematic_scene(root: Path, *, num_frames: int = 60,
                         size_wh: tuple[int, int] = (640, 360), seed: int = 0,
                         force: bool = False) -> DemoScene:
    """Write the kinematic demo scene under ``root`` (see the module docstring).

    Raises:
        OverwriteError: A file in the way is not the demo's and ``force`` is off.
        BackendError: The ``kinematics`` extra is not installed.
    """
    files = DemoFiles(root, size_wh, num_frames, force=force)
    cam = files.camera_dir
    urdf = files.root / "robot" / "demo_arm.urdf"
    files.clear([urdf, cam / "joint_states.csv", cam / "K.txt", cam / "camera_pose.txt"])
    files.owned.write(urdf, URDF.encode("utf-8"))
    q = joint_track(num_frames)
    rows = ["frame_index," + ",".join(JOINTS)] + [
        f"{i}," + ",".join(f"{v:.6f}" for v in q[i]) for i in range(num_frames)]
    files.owned.write(cam / "joint_states.csv", ("\n".join(rows) + "\n").encode("utf-8"))
    k, pose = demo_camera(size_wh)
    files.owned.write(cam / "K.txt",
                      "\n".join(" ".join(f"{v:.6f}" for v in r) for r in k).encode())
    files.owned.write(cam / "camera_pose.txt",
                      "\n".join(" ".join(f"{v:.9f}" for v in r) for r in pose).encode())
    renderer = Renderer(load_robot(urdf), Camera(k, np.linalg.inv(pose), tuple(size_wh)))
    names = renderer.link_names
    grip_labels = [names.index(n) + 1 for n in GRIPPER_LINKS]
    table = table_texture(size_wh, seed)
    rng = np.random.default_rng(seed)
    for i in range(num_frames):
        labels = renderer.labels(dict(zip(JOINTS, q[i].tolist(), strict=True)))
        grip = np.isin(labels, grip_labels)
        files.write_frame(i, _shade(labels, names, table, rng),
                          {"arm": (labels > 0) & ~grip, "gripper": grip})
    kinematics = {"urdf": "robot/demo_arm.urdf",
                  "joint_states": "{cam_dir}/joint_states.csv",
                  "intrinsics": "{cam_dir}/K.txt",
                  "camera_pose_in_base": "{cam_dir}/camera_pose.txt",
                  "camera_frame": "optical", "arm_links": ["*"],
                  "gripper_right_links": list(GRIPPER_LINKS), "use": "prompts",
                  "keyframe_every": 30}
    return files.finish(export_base_dir="masks", vis_frame_stride=10, kinematics=kinematics)
