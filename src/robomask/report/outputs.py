"""A scene's frames and mask folders, opened together for QA (read one frame at a time)."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from robomask.config import Config
from robomask.errors import MaskStoreError
from robomask.io.frames import FrameSource
from robomask.io.maskstore import MaskStore
from robomask.io.objstats import ObjectStats, read_object_stats
from robomask.pipeline.ready import require_sessions_done
from robomask.scenes import Scene

log = logging.getLogger(__name__)

STAGES = ("arm", "gripper", "export")


def objects_csv_path(scene: Scene, stage: str) -> Path:
    """``{out}/.robomask/{scene}/{stage}_objects.csv`` (written by the sessions)."""
    return scene.state_dir / f"{stage}_objects.csv"


class SceneOutputs:
    """Frames plus the arm, gripper and export mask stores of one scene.

    A stage is *present* when its folder holds at least one mask PNG. Masks are read
    per frame and never cached, so memory does not grow with the length of the scene.
    A session that was interrupted or made with other inputs is refused (its folder may
    mix two runs); a missing or incomplete one is shown with its gaps flagged.

    Args:
        scene: The scene.
        config: The config (for object ids and the export mode).

    Raises:
        StageNotReadyError: A session is interrupted or stale.
    """

    def __init__(self, scene: Scene, config: Config) -> None:
        self.scene = scene
        self.config = config
        self.frames: FrameSource = scene.frames()
        require_sessions_done(scene, config, self.frames, incomplete_ok=True)
        self.stores: dict[str, MaskStore] = {k: scene.store(k, self.frames) for k in STAGES}
        self.present = {k: s.root.is_dir() and any(s.root.glob("*.png"))
                        for k, s in self.stores.items()}

    def __len__(self) -> int:
        return len(self.frames)

    @property
    def size_wh(self) -> tuple[int, int]:
        """(width, height) of frames and masks, in pixels."""
        return self.frames.size_wh

    def mask(self, stage: str, frame_index: int) -> np.ndarray | None:
        """Bool (height, width) mask of ``stage`` on ``frame_index``; None when the stage is
        absent or that frame's mask is missing or unreadable."""
        if not self.present[stage]:
            return None
        store = self.stores[stage]
        if not store.has(frame_index):
            return None
        try:
            return store.read(frame_index)
        except MaskStoreError as exc:
            log.debug("%s", exc)  # reported as a missing_mask flag
            return None

    def masks(self, frame_index: int) -> dict[str, np.ndarray | None]:
        """``{stage: mask or None}`` for the three stages on ``frame_index``."""
        return {k: self.mask(k, frame_index) for k in STAGES}

    def object_stats(self, stage: str) -> list[ObjectStats]:
        """Rows of the stage's objects CSV; empty when the sessions did not write one."""
        return read_object_stats(objects_csv_path(self.scene, stage))

    def object_ids(self, stage: str) -> list[int]:
        """Configured object ids of a session stage (gripper: left, right)."""
        return self.config.arm_ids if stage == "arm" else self.config.gripper_ids
