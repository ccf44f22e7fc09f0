"""Shared fixtures: a small synthetic scene in the real folder layout."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest
from scipy import ndimage

from robomask.config import Config, render_template
from robomask.prompts import ARM_KEY, LEFT_KEY, RIGHT_KEY, PromptEntry, PromptSet, write_prompts


@dataclass
class SceneFixture:
    """Paths and ground truth of a synthetic scene built by ``make_scene``."""

    root: Path
    config_path: Path
    config: Config
    name: str
    camera_dir: Path
    frames_dir: Path
    size_wh: tuple[int, int]
    num_frames: int
    arm_gt: list[np.ndarray]
    gripper_gt: list[np.ndarray]

    @property
    def out_dir(self) -> Path:
        return self.config.output_dir


def _rect(h: int, w: int, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
    m = np.zeros((h, w), bool)
    m[max(y0, 0):max(y1, 0), max(x0, 0):max(x1, 0)] = True
    return m


def write_config(path: Path, **values: object) -> Config:
    from robomask.config import load_config

    path.write_text(render_template(**values))
    return load_config(path)


@pytest.fixture
def make_scene(tmp_path: Path) -> Callable[..., SceneFixture]:
    """Factory: ``make_scene(name="scene_0001", num_frames=8, size_wh=(96, 64),
    with_ckpt=True, with_prompts=True, **config_values)``.

    Frames are noisy textures with a bright arm bar moving right and a gripper block
    at its tip; timestamp-named PNGs; session checkpoints are the ground truth.
    """

    def make(name: str = "scene_0001", num_frames: int = 8, size_wh: tuple[int, int] = (96, 64),
             with_ckpt: bool = True, with_prompts: bool = True, **values: object) -> SceneFixture:
        w, h = size_wh
        rng = np.random.default_rng(0)
        cam = tmp_path / "data" / "task_0001" / "train" / name / "cam_105422061350"
        color = cam / "color"
        color.mkdir(parents=True, exist_ok=True)
        out = tmp_path / "masks" / "task_0001"
        arm_gt, grip_gt = [], []
        for i in range(num_frames):
            x = 10 + 3 * i
            arm = _rect(h, w, x, 5, x + w // 3, 5 + h // 5)
            grip = _rect(h, w, x + w // 3, 2, x + w // 3 + w // 8, 8 + h // 5)
            img = rng.integers(0, 60, (h, w, 3), dtype=np.uint8)
            img[arm] = (200, 200, 210)
            img[grip] = (40, 160, 40)
            cv2.imwrite(str(color / f"{1737546126000 + 33 * i}.png"), img[..., ::-1])
            arm_gt.append(arm)
            grip_gt.append(grip)
            if with_ckpt:
                for kind, m in (("arm", arm), ("gripper", grip)):
                    d = out / f"{name}_ckpt_{kind}"
                    d.mkdir(parents=True, exist_ok=True)
                    cv2.imwrite(str(d / f"{i:05d}.png"), m.astype(np.uint8) * 255)
        if with_prompts:
            arm_p = PromptSet()
            arm_p.entries[ARM_KEY] = [PromptEntry(0, 0, ((w / 4, 8.0),), (1,))]
            write_prompts(cam / "annotation_prompts_arm_points.json", arm_p)
            grip_p = PromptSet()
            grip_p.entries[LEFT_KEY] = [PromptEntry(0, 2, ((0.1, 0.1),), (1,), "rel")]
            grip_p.entries[RIGHT_KEY] = [PromptEntry(0, 3, ((0.9, 0.1),), (1,), "rel")]
            write_prompts(cam / "annotation_prompts_gripper_points.json", grip_p)
        cfg_values = {"task_name": "task_0001", "scene_name": name,
                      "data_base_dir": str(tmp_path / "data"),
                      "export_base_dir": str(tmp_path / "masks"), **values}
        cfg_path = tmp_path / "mask_config.yaml"
        cfg = write_config(cfg_path, **cfg_values)
        return SceneFixture(tmp_path, cfg_path, cfg, name, cam, color, size_wh, num_frames,
                            arm_gt, grip_gt)

    return make


@pytest.fixture
def click_backend() -> str:
    """Registers and returns the name of ``test-clicks``: a small click-only backend
    (colour flood fill from the positive points, minus the regions of the negative
    points), for code that needs a real :class:`~robomask.backends.Backend`."""
    from robomask.backends import register_backend
    from robomask.backends.base import Backend, Capabilities, VideoSession
    from robomask.masks import FrameMasks

    caps = Capabilities(text_prompts=False, clicks=True, devices=("cpu",))

    def fill(rgb: np.ndarray, points: np.ndarray) -> np.ndarray:
        h, w = rgb.shape[:2]
        out = np.zeros((h + 2, w + 2), np.uint8)
        for x, y in points.astype(int):
            cv2.floodFill(rgb.copy(), out, (int(x), int(y)), 0, (30,) * 3, (30,) * 3,
                          4 | cv2.FLOODFILL_MASK_ONLY | (1 << 8))
        return out[1:-1, 1:-1] > 0

    class Session(VideoSession):
        backend_name = "test-clicks"

        def __init__(self, frames) -> None:
            super().__init__(frames, caps)
            self.clicks: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}

        def _mask(self, frame_index: int, obj_id: int) -> np.ndarray:
            pts, labels = self.clicks[(frame_index, obj_id)]
            rgb = self.frames[frame_index]
            return fill(rgb, pts[labels == 1]) & ~fill(rgb, pts[labels == 0])

        def _add_clicks(self, frame_index, obj_id, points_xy, labels) -> FrameMasks:
            self.clicks[(frame_index, obj_id)] = (points_xy, labels)
            return FrameMasks(frame_index, self.size_wh, {
                o: self._mask(f, o) for f, o in self.clicks if f == frame_index})

        def _propagate(self, start_frame_index, *, reverse):
            order = range(start_frame_index, -1, -1) if reverse else range(
                start_frame_index, self.num_frames)
            for i in order:
                yield FrameMasks(i, self.size_wh, {
                    o: self._mask(f, o) for f, o in self.clicks if f == i})

        def _remove_object(self, obj_id) -> None:
            self.clicks = {k: v for k, v in self.clicks.items() if k[1] != obj_id}

        def _reset(self) -> None:
            self.clicks = {}

    class ClickBackend(Backend):
        name = "test-clicks"
        capabilities = caps

        def open_session(self, frames) -> VideoSession:
            return Session(frames)

    register_backend("test-clicks", lambda config, stage: ClickBackend())
    return "test-clicks"


# --- the SPEC merge rule, computed independently of robomask (scipy.ndimage) ---

def spec_structure(radius: int, kernel: str) -> np.ndarray:
    """The structuring element the SPEC rule and the README promise.

    square: the (2r+1)x(2r+1) square of the notebooks. disk: offset (dx, dy) is in when
    |dx| <= round(sqrt(r^2 - dy^2)), which is what OpenCV's MORPH_ELLIPSE draws.
    """
    if kernel == "square":
        return np.ones((2 * radius + 1, 2 * radius + 1), bool)
    dy, dx = np.mgrid[-radius:radius + 1, -radius:radius + 1]
    return np.abs(dx) <= np.rint(np.sqrt(radius**2 - dy**2))


def spec_dilate(mask: np.ndarray, radius: int, kernel: str = "square") -> np.ndarray:
    if radius == 0:
        return mask.copy()
    return ndimage.binary_dilation(mask, structure=spec_structure(radius, kernel))


def spec_export(arm: np.ndarray, grip: np.ndarray, r_arm: int, r_grip: int, mode: str,
                kernel: str = "square") -> np.ndarray:
    a, g = spec_dilate(arm, r_arm, kernel), spec_dilate(grip, r_grip, kernel)
    return {"arm_minus_gripper": a & ~g, "union": a | g, "arm": a, "gripper": g}[mode]
