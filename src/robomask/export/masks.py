"""The masks an export reads: the merged export, one session, or both sessions per object."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from robomask.config import Config
from robomask.errors import ExportError
from robomask.io.frames import FrameSource
from robomask.io.maskstore import MaskStore
from robomask.io.objstats import ObjectStats, read_object_stats
from robomask.pipeline.state import StageState
from robomask.scenes import Scene

from .objects import Region, half_regions, split_union, stats_regions

_MAKES = {"export": "robomask merge", "arm": "robomask segment arm",
          "gripper": "robomask segment gripper"}


def finished_store(scene: Scene, frames: FrameSource, stage: str) -> MaskStore:
    """The mask store of ``stage`` (export, arm or gripper), checked to be whole.

    Raises:
        ExportError: The stage was interrupted (its marker says running, or cannot be
            read) or a mask is missing.
    """
    store = scene.store(stage, frames)
    status = StageState(scene.state_dir, stage).status(None, store)
    if status in ("interrupted", "stale"):
        raise ExportError(f"{store.root}: expected a finished {stage} stage, got one that was "
                          "interrupted (its marker does not say done)",
                          hint=f"run '{_MAKES[stage]}' for scene '{scene.name}' again")
    missing = store.missing()
    if missing:
        raise ExportError(f"{store.root}: expected {len(store)} masks, got "
                          f"{len(store) - len(missing)} (first missing: frame {missing[0]})",
                          hint=f"run '{_MAKES[stage]}' for scene '{scene.name}' first")
    return store


class SceneMasks:
    """Read the masks of one scene for an export, one frame at a time.

    Args:
        scene: The scene.
        config: Its config (object ids).
        frames: The scene's frames (sizes and names of the masks).
        stage: ``export`` (merged masks, one object: ``arm_obj_id``), ``arm``, ``gripper``
            or ``sessions`` (arm and gripper sessions, split per object).
    """

    def __init__(self, scene: Scene, config: Config, frames: FrameSource, stage: str) -> None:
        self.config = config
        self.stage = stage
        self.size_wh = frames.size_wh
        sessions = ("arm", "gripper") if stage == "sessions" else (stage,)
        self._stores = {s: finished_store(scene, frames, s) for s in sessions}
        self._stats: dict[str, dict[int, list[ObjectStats]]] = {}
        for s in sessions:
            if s == "export":
                continue
            by_frame: dict[int, list[ObjectStats]] = defaultdict(list)
            for row in read_object_stats(scene.state_dir / f"{s}_objects.csv"):
                by_frame[row.frame_index].append(row)
            self._stats[s] = by_frame

    def union(self, frame_index: int) -> np.ndarray:
        """Bool (height, width): the union of the stage's masks on ``frame_index``."""
        masks = [s.read(frame_index) for s in self._stores.values()]
        return masks[0] if len(masks) == 1 else np.logical_or.reduce(masks)

    def objects(self, frame_index: int) -> dict[int, np.ndarray]:
        """Object id -> bool (height, width) mask on ``frame_index`` for the objects the
        session stats place on this frame (any mask may be empty); see
        :mod:`robomask.export.objects` for how a union is split."""
        out: dict[int, np.ndarray] = {}
        for stage, store in self._stores.items():
            mask = store.read(frame_index)
            if stage == "export":
                out[self.config.arm_obj_id] = mask
                continue
            regions = self._regions(stage, frame_index)
            out.update(split_union(mask, regions))
        return out

    def category(self, obj_id: int) -> str:
        """``"arm"`` or ``"gripper"``: the session an object id belongs to."""
        return "arm" if obj_id in self.config.arm_ids else "gripper"

    def _regions(self, stage: str, frame_index: int) -> list[Region]:
        ids = self.config.arm_ids if stage == "arm" else self.config.gripper_ids
        rows = [r for r in self._stats[stage].get(frame_index, []) if r.obj_id in ids]
        return stats_regions(rows) or half_regions(self._left_to_right(stage), self.size_wh)

    def _left_to_right(self, stage: str) -> list[int]:
        c = self.config
        if stage == "arm":
            return [c.arm_obj_id_2, c.arm_obj_id] if c.arm_obj_id_2 is not None \
                else [c.arm_obj_id]
        return [c.gripper_left_obj_id, c.gripper_right_obj_id]
