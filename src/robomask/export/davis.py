"""``davis``: DAVIS-style palette label maps and JPEG frames, for training VOS models.

Layout (as DAVIS 2017 / YouTube-VOS loaders expect, one folder per scene):
``{out}/JPEGImages/{scene}/00000.jpg`` (source JPEGs copied as they are, other frames
encoded at quality 95) and ``{out}/Annotations/{scene}/00000.png``.
Each label map is an 8-bit palette PNG (the DAVIS / PASCAL VOC palette): 0 background,
1 arm, 2 arm 2, 3 left gripper, 4 right gripper, from the session masks split per
object (:mod:`robomask.export.objects`). Where an arm and a gripper mask overlap the
gripper label wins (it is the smaller, more specific object). ``--stage arm`` or
``gripper`` keeps one session's labels; ``--stage export`` writes the merged mask as
label 1.
"""

from __future__ import annotations

import io
import shutil
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from robomask.config import Config
from robomask.io.atomic import write_bytes, writing
from robomask.io.frames import FolderFrames, FrameSource
from robomask.progress import ProgressCallback
from robomask.scenes import Scene

from .base import Exporter
from .masks import SceneMasks

_JPEG = [cv2.IMWRITE_JPEG_QUALITY, 95]


def davis_palette() -> list[int]:
    """The 256-colour DAVIS (PASCAL VOC) palette as a flat [r, g, b, ...] list:
    label 1 is (128, 0, 0), 2 (0, 128, 0), 3 (128, 128, 0), 4 (0, 0, 128), ..."""
    out = []
    for label in range(256):
        r = g = b = 0
        c = label
        for bit in range(8):
            r |= ((c >> 0) & 1) << (7 - bit)
            g |= ((c >> 1) & 1) << (7 - bit)
            b |= ((c >> 2) & 1) << (7 - bit)
            c >>= 3
        out += [r, g, b]
    return out


PALETTE = davis_palette()


def label_of(config: Config) -> dict[int, int]:
    """Object id -> DAVIS label: arm 1, arm 2 2, left gripper 3, right gripper 4."""
    labels = {config.arm_obj_id: 1, config.gripper_left_obj_id: 3,
              config.gripper_right_obj_id: 4}
    if config.arm_obj_id_2 is not None:
        labels[config.arm_obj_id_2] = 2
    return labels


def encode_label_png(labels: np.ndarray) -> bytes:
    """An (height, width) uint8 label map as a palette ("P" mode) PNG."""
    im = Image.fromarray(labels, mode="P")
    im.putpalette(PALETTE)
    buf = io.BytesIO()
    im.save(buf, format="PNG", optimize=False, compress_level=1)
    return buf.getvalue()


@dataclass(frozen=True)
class _Frames:
    """Writes frame i as ``{images}/i.jpg`` and its label map as ``{annotations}/i.png``."""

    frames: FrameSource
    masks: SceneMasks
    labels_of: dict[int, int]
    images: Path
    annotations: Path

    def frame(self, frame_index: int) -> None:
        name = f"{frame_index:05d}"
        source = self.frames.file(frame_index) if isinstance(self.frames, FolderFrames) \
            else None
        if source is not None and source.suffix.lower() in (".jpg", ".jpeg"):
            with writing(self.images / f"{name}.jpg") as tmp:  # a JPEG already: as it is
                shutil.copyfile(source, tmp)
        else:
            jpg = cv2.imencode(".jpg", self.frames[frame_index][..., ::-1], _JPEG)[1]
            write_bytes(self.images / f"{name}.jpg", jpg.tobytes())
        w, h = self.frames.size_wh
        labels = np.zeros((h, w), np.uint8)
        objects = self.masks.objects(frame_index)
        for obj_id in sorted(objects, key=lambda o: self.masks.category(o) == "gripper"):
            labels[objects[obj_id]] = self.labels_of[obj_id]
        write_bytes(self.annotations / f"{name}.png", encode_label_png(labels))


class DavisExporter(Exporter):
    """DAVIS-style frames and label maps per scene (see the module docstring)."""

    name = "davis"
    stages = ("sessions", "arm", "gripper", "export")

    def targets(self, scene: Scene) -> list[Path]:
        root = self.options.out_dir
        return [root / "JPEGImages" / scene.name, root / "Annotations" / scene.name]

    def write_scene(self, scene: Scene, staged: list[Path],
                    on_progress: ProgressCallback | None) -> int:
        frames = scene.frames()
        work = _Frames(frames, SceneMasks(scene, self.config, frames, self.stage),
                       label_of(self.config), *staged)
        ticker = self.ticker(scene, len(frames), on_progress)
        for _ in self.map_frames(work, len(frames), ticker, frames=frames):
            pass
        return len(frames)
