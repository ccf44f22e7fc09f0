"""Write a synthetic demo scene in the real folder layout (SPEC section 2).

``make_demo_scene(root)`` writes, deterministically and in seconds::

    root/mask_config.yaml                       backend opencv, task demo_task, one arm
    root/data/demo_task/train/scene_0001/cam_105422061350/color/{timestamp_ms}.png
    root/data/demo_task/train/scene_0001/cam_105422061350/annotation_prompts_*_points.json
    root/ground_truth/scene_0001/{arm,gripper}/00000.png ...

Clicks are derived from the drawn parts by :func:`robomask.demo.clicks.clicks_from_parts`
on the keyframes ``0``, ``num_frames // 2`` and ``num_frames - 1``, as a careful user
clicks: for the arm one positive click on each link and on the cable, negatives in the
gaps between cable and links, on the gripper and on the table; for the (right) gripper
one positive click on the palm and on each finger, negatives between the fingers, on
the forearm and on the table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from robomask.config import render_template
from robomask.demo.clicks import clicks_from_parts
from robomask.demo.owned import OwnedFiles
from robomask.demo.synth import draw_frame, table_texture
from robomask.io.atomic import json_bytes
from robomask.io.frames import encode_image
from robomask.io.maskstore import MaskStore, encode_png
from robomask.prompts import ARM_KEY, RIGHT_KEY, PromptEntry, PromptSet
from robomask.scenes import ARM_PROMPTS_FILE, GRIPPER_PROMPTS_FILE

TASK = "demo_task"
SCENE = "scene_0001"
CAMERA = "105422061350"
FIRST_TIMESTAMP_MS = 1737546126000
FPS = 30
CREATED_AT = "2025-01-22T12:00:00+00:00"
ARM_ID, GRIPPER_RIGHT_ID = 0, 3
PARTS = {"arm": ("link1", "link2", "link3", "cable"), "gripper": ("palm", "finger1", "finger2")}


@dataclass(frozen=True)
class DemoScene:
    """Where a demo scene was written and how to read its ground truth.

    Attributes:
        root: The folder everything is under.
        config_path: ``root/mask_config.yaml``.
        scene: Scene name (``"scene_0001"``).
        camera_dir: The ``cam_*`` folder (frames in ``color/``, prompt files beside it).
        ground_truth_dirs: ``{"arm": ..., "gripper": ...}``, masks named ``00000.png``.
        num_frames: Frames in the video.
        size_wh: (width, height) in pixels.
        keyframes: Frames that carry clicks.
    """

    root: Path
    config_path: Path
    scene: str
    camera_dir: Path
    ground_truth_dirs: dict[str, Path]
    num_frames: int
    size_wh: tuple[int, int]
    keyframes: tuple[int, ...] = field(default=())

    def ground_truth(self, kind: str, frame_index: int) -> np.ndarray:
        """Bool (height, width) ground-truth mask of ``kind`` ("arm" or "gripper")."""
        store = ground_truth_store(self.ground_truth_dirs[kind], self.size_wh, self.num_frames)
        return store.read(frame_index)


def make_demo_scene(root: Path, *, num_frames: int = 90, size_wh: tuple[int, int] = (640, 360),
                    seed: int = 0, force: bool = False) -> DemoScene:
    """Write the demo scene under ``root`` (created if needed), every file atomically.

    Files an earlier demo wrote there are replaced, and its frames and ground-truth
    PNGs removed first; any other file in the way (a user's mask_config.yaml, a demo
    file edited since) stops the demo before it writes anything, unless ``force``.

    Args:
        root: Output folder.
        num_frames: Frames to draw (>= 3).
        size_wh: (width, height) of the frames in pixels.
        seed: Seed of the table texture and the motion phases.
        force: Overwrite files the demo did not write.

    Raises:
        OverwriteError: A file in the way is not the demo's and ``force`` is off.
    """
    if num_frames < 3:
        raise ValueError(f"num_frames: expected >= 3, got {num_frames}")
    files = DemoFiles(root, size_wh, num_frames, force=force)
    cam = files.camera_dir
    files.clear([cam / ARM_PROMPTS_FILE, cam / GRIPPER_PROMPTS_FILE])
    keyframes = (0, num_frames // 2, num_frames - 1)
    table = table_texture(size_wh, seed)
    prompts = {"arm": PromptSet(), "gripper": PromptSet()}
    for i in range(num_frames):
        frame = draw_frame(i, num_frames, size_wh, seed, table)
        masks = {"arm": frame.arm, "gripper": frame.gripper}
        files.write_frame(i, frame.rgb, masks)
        if i in keyframes:
            for kind, (key, obj_id) in (("arm", (ARM_KEY, ARM_ID)),
                                        ("gripper", (RIGHT_KEY, GRIPPER_RIGHT_ID))):
                other = masks["gripper" if kind == "arm" else "arm"]
                pts, labels = clicks_from_parts([frame.parts[p] for p in PARTS[kind]],
                                                near=other)
                prompts[kind].entries[key].append(PromptEntry(
                    i, obj_id, tuple((float(x), float(y)) for x, y in pts),
                    tuple(int(v) for v in labels)))
    for kind, name in (("arm", ARM_PROMPTS_FILE), ("gripper", GRIPPER_PROMPTS_FILE)):
        doc = prompts[kind].to_json()
        doc["created_at_utc"] = CREATED_AT  # a fixed stamp keeps the files reproducible
        files.owned.write(cam / name, json_bytes(doc))
    return files.finish(keyframes, export_base_dir="masks", camera=CAMERA, arm_obj_id=ARM_ID,
                        gripper_left_obj_id=2, gripper_right_obj_id=GRIPPER_RIGHT_ID,
                        export_arm_dilate_radius=5, export_gripper_dilate_radius=5)


class DemoFiles:
    """A demo scene's folders under ``root`` (SPEC section 2) and the writing into them:
    every file atomically and recorded as the demo's own
    (:class:`~robomask.demo.owned.OwnedFiles`), so a later demo may replace it.

    Args:
        root: Output folder.
        size_wh: (width, height) of the frames in pixels.
        num_frames: Frames in the video.
        force: Overwrite files the demo did not write.
    """

    def __init__(self, root: Path, size_wh: tuple[int, int], num_frames: int, *,
                 force: bool) -> None:
        self.root = Path(root)
        self.camera_dir = self.root / "data" / TASK / "train" / SCENE / f"cam_{CAMERA}"
        self.color = self.camera_dir / "color"
        self.ground_truth_dirs = {k: self.root / "ground_truth" / SCENE / k
                                  for k in ("arm", "gripper")}
        self.stores = {k: ground_truth_store(d, size_wh, num_frames)
                       for k, d in self.ground_truth_dirs.items()}
        self.stamps = [FIRST_TIMESTAMP_MS + round(i * 1000 / FPS) for i in range(num_frames)]
        self.config_path = self.root / "mask_config.yaml"
        self.size_wh, self.num_frames = (int(size_wh[0]), int(size_wh[1])), num_frames
        self.owned = OwnedFiles(self.root, force=force)

    def clear(self, extra: list[Path]) -> None:
        """Check, before anything is written, that every file to be written (the frames,
        the ground truth, the config and ``extra``) is absent or the demo's own, and remove
        an earlier demo's frames and ground truth that this one will not write.

        Raises:
            OverwriteError: A file in the way is not the demo's and ``force`` is off.
        """
        planned = [self.config_path, *extra, *(self.color / f"{t}.png" for t in self.stamps),
                   *(st.path(i) for st in self.stores.values() for i in range(self.num_frames))]
        for old in self.owned.check(planned, cleared=(self.color,
                                                      *self.ground_truth_dirs.values())):
            old.unlink()

    def write_frame(self, frame_index: int, rgb: np.ndarray, masks: dict[str, np.ndarray]
                    ) -> None:
        """Write frame ``frame_index`` (uint8 RGB) and its ``arm``/``gripper`` masks."""
        self.owned.write(self.color / f"{self.stamps[frame_index]}.png",
                         encode_image(rgb, ".png"))
        for kind, store in self.stores.items():
            self.owned.write(store.path(frame_index), encode_png(masks[kind]))

    def finish(self, keyframes: tuple[int, ...] = (), **config: object) -> DemoScene:
        """Write the config (task, scene and data folder of the demo, backend opencv, no
        second arm, GPU 0, and the ``config`` values) and the manifest of the demo's files.
        """
        self.owned.write(self.config_path, render_template(
            task_name=TASK, scene_name=SCENE, data_base_dir="data", sam3_checkpoint=None,
            backend="opencv", arm_obj_id_2=None, cuda_visible_devices="0",
            cuda_visible_devices_arm="0", cuda_visible_devices_gripper="0",
            **config).encode("utf-8"))
        self.owned.save()
        return DemoScene(self.root, self.config_path, SCENE, self.camera_dir,
                         self.ground_truth_dirs, self.num_frames, self.size_wh, keyframes)


def ground_truth_store(folder: Path, size_wh: tuple[int, int], num_frames: int
                       ) -> MaskStore:
    """The store of ground-truth masks named ``00000.png``, ``00001.png``, ..."""
    return MaskStore(folder, size_wh=tuple(size_wh),
                     stems=[f"{i:05d}" for i in range(num_frames)])
