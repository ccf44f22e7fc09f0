"""Synthetic two-arm scenes with planted mask faults, for the QA report tests.

Built on conftest's ``make_scene`` (frames, config, layout); this module writes session
PNGs, objects CSVs (robomask.io.objstats) and exports (robomask.pipeline.merge).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import cv2
import numpy as np

from robomask.io.objstats import stats_of, write_object_stats
from robomask.masks import FrameMasks
from robomask.pipeline.merge import merge_scene
from robomask.report.outputs import objects_csv_path
from robomask.scenes import scene as find_scene

#: Planted faults and the frames (inclusive) they cover.
FAULTS = {
    "export_empty": (5, 7),   # exported masks emptied after the merge
    "lost": (10, 14),         # right gripper (object 3) missing
    "far": (15, 17),          # left gripper (object 2) segmented on a cup far from the arms
    "leak": (20, 24),         # right arm (object 0) leaks; the arm union area doubles
    "swap": (30, 34),         # left/right gripper ids exchanged (objects CSV only)
}
FAULT_KIND = {"export_empty": "export_empty", "lost": "lost_track", "far": "wrong_object",
              "leak": "area_jump", "swap": "swap"}


def _rect(h: int, w: int, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
    m = np.zeros((h, w), bool)
    m[max(y0, 0):min(y1, h), max(x0, 0):min(x1, w)] = True
    return m


def _objects(i: int, size_wh: tuple[int, int], faults: set[str]) -> dict[int, np.ndarray]:
    """Masks of objects 0 (right arm), 1 (left arm), 2 (left gripper), 3 (right gripper)
    and -1 (the leaked background, drawn in another colour), on frame ``i``."""
    w, h = size_wh
    sx, sy = w / 160, h / 96
    sway = round(4 * math.sin(2 * math.pi * i / 20))

    def r(x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
        return _rect(h, w, round(x0 * sx), round(y0 * sy), round(x1 * sx), round(y1 * sy))

    xr, xl = 104 + sway, 40 - sway
    objs = {0: r(xr, 0, xr + 14, 50), 1: r(xl, 0, xl + 14, 50),
            2: r(xl - 3, 50, xl + 17, 64), 3: r(xr - 3, 50, xr + 17, 64)}

    def on(fault: str) -> bool:
        a, b = FAULTS[fault]
        return fault in faults and a <= i <= b

    if on("leak"):
        objs[-1] = r(xr + 14, 0, xr + 42, 50)
    if on("far"):
        objs[2] = r(2, 82, 22, 96)
    if on("lost"):
        objs[3] = np.zeros((h, w), bool)
    return objs


def build_qa_scene(make_scene: Callable, faults: Iterable[str] = (), *,
                   name: str = "scene_0001", num_frames: int = 40,
                   size_wh: tuple[int, int] = (160, 96), with_csv: bool = True,
                   with_export: bool = True, **config_values: object):
    """A finished scene (frames, both sessions, export) with ``faults`` planted.

    Returns:
        ``(fixture, scene)``: conftest's SceneFixture and the robomask Scene.
    """
    faults = set(faults)
    unknown = faults - set(FAULTS)
    if unknown:
        raise ValueError(f"faults: expected some of {sorted(FAULTS)}, got {sorted(unknown)}")
    values = {"arm_obj_id_2": 1, "export_arm_dilate_radius": 2,
              "export_gripper_dilate_radius": 2, **config_values}
    fx = make_scene(name=name, num_frames=num_frames, size_wh=size_wh, with_ckpt=False,
                    **values)
    cfg, w, h = fx.config, *size_wh
    sc = find_scene(cfg, name)
    frames = sorted(fx.frames_dir.glob("*.png"), key=lambda p: int(p.stem))
    rng = np.random.default_rng(1)
    arm_dir, grip_dir = sc.mask_dir("arm"), sc.mask_dir("gripper")
    arm_dir.mkdir(parents=True, exist_ok=True)
    grip_dir.mkdir(parents=True, exist_ok=True)
    arm_rows, grip_rows = [], []
    for i, path in enumerate(frames):
        objs = _objects(i, size_wh, faults)
        leak = objs.pop(-1, np.zeros((h, w), bool))
        img = rng.integers(20, 70, (h, w, 3), dtype=np.uint8)
        img[objs[0] | objs[1]] = (205, 205, 215)
        img[leak] = (150, 110, 70)
        img[objs[2] | objs[3]] = (40, 170, 60)
        cv2.imwrite(str(path), img[..., ::-1])
        arm = FrameMasks(i, (w, h), {0: objs[0] | leak, 1: objs[1]})
        grip_ids = {2: objs[2], 3: objs[3]}
        if "swap" in faults and FAULTS["swap"][0] <= i <= FAULTS["swap"][1]:
            grip_ids = {2: objs[3], 3: objs[2]}
        grip = FrameMasks(i, (w, h), grip_ids)
        cv2.imwrite(str(arm_dir / f"{i:05d}.png"), arm.union().astype(np.uint8) * 255)
        cv2.imwrite(str(grip_dir / f"{i:05d}.png"), grip.union().astype(np.uint8) * 255)
        arm_rows += stats_of(arm, cfg.arm_ids)
        grip_rows += stats_of(grip, cfg.gripper_ids)
    if with_csv:
        write_object_stats(objects_csv_path(sc, "arm"), arm_rows)
        write_object_stats(objects_csv_path(sc, "gripper"), grip_rows)
    if with_export:
        merge_scene(sc, cfg)
        if "export_empty" in faults:
            a, b = FAULTS["export_empty"]
            for i in range(a, b + 1):
                cv2.imwrite(str(sc.mask_dir("export") / f"{i:05d}.png"),
                            np.zeros((h, w), np.uint8))
    return fx, sc
