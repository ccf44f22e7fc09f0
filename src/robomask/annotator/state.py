"""The annotations being edited in the UI: clicks per object and keyframe, undo, save.

One :class:`AnnotationState` holds the four prompt lists of a scene (SPEC section 4) as
a :class:`~robomask.prompts.PromptSet`. Clicks arrive as (x, y) pixels; a click on an
entry read from disk keeps that entry's ``coord_type``, a new entry is ``"abs"``. Saving
writes the arm file (ARM keys) and the gripper file (gripper keys) as one atomic pair;
opening a scene finishes a save killed half-way and removes stale temporaries.
Not thread-safe by itself: the server serialises calls with a lock.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any, Literal

import numpy as np

from robomask.config import Config
from robomask.errors import PromptError
from robomask.prompt_checks import prompt_warnings, validate_prompts
from robomask.prompts import (
    ARM2_KEY,
    ARM_KEY,
    LEFT_KEY,
    PROMPT_KEYS,
    RIGHT_KEY,
    PromptEntry,
    PromptSet,
    generated_stats,
    read_prompts,
    recover_prompt_pair,
    write_prompt_pair,
)
from robomask.scenes import Scene

Mode = Literal["append", "overwrite"]
ARM_FILE_KEYS = (ARM_KEY, ARM2_KEY)
GRIPPER_FILE_KEYS = (LEFT_KEY, RIGHT_KEY)
UNDO_DEPTH = 500  # actions kept for undo; older ones are dropped


@dataclass(frozen=True)
class AnnotatedObject:
    """An object the user can click on.

    Attributes:
        key: Prompt key its entries go to (e.g. ``GRIPPER_LEFT_KEYFRAME_PROMPTS``).
        name: Label shown in the page.
        obj_id: Configured object id.
        colour: CSS hex colour of its points and masks.
    """

    key: str
    name: str
    obj_id: int
    colour: str

    @property
    def rgb(self) -> tuple[int, int, int]:
        """The colour as (r, g, b) in 0..255."""
        return tuple(int(self.colour[i:i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def annotated_objects(config: Config) -> list[AnnotatedObject]:
    """The objects of the config: arm, arm 2 (when ``arm_obj_id_2`` is set), grippers."""
    objs = [AnnotatedObject(ARM_KEY, "arm", config.arm_obj_id, "#ff8c1a")]
    if config.arm_obj_id_2 is not None:
        objs.append(AnnotatedObject(ARM2_KEY, "arm 2", config.arm_obj_id_2, "#e040fb"))
    objs += [AnnotatedObject(LEFT_KEY, "gripper left", config.gripper_left_obj_id, "#18c5ff"),
             AnnotatedObject(RIGHT_KEY, "gripper right", config.gripper_right_obj_id, "#7cff4f")]
    return objs


def load_prompts(scene: Scene) -> tuple[PromptSet, list[str]]:
    """The arm file's ARM keys and the gripper file's gripper keys; a missing file is empty.

    Returns:
        The prompts, and one note per list found in the other file (not loaded: each
        key is read from its own file, and saving rewrites both files).

    Raises:
        PromptError: A file exists but does not parse.
    """
    out, notes = PromptSet(), []
    for path, keys in ((scene.arm_prompts_path, ARM_FILE_KEYS),
                       (scene.gripper_prompts_path, GRIPPER_FILE_KEYS)):
        if not path.is_file():
            continue
        try:
            loaded = read_prompts(path)
        except PromptError as exc:
            raise PromptError(exc.message, hint="fix the file, or start empty with "
                              "--mode overwrite (the file is replaced on save)") from exc
        if generated_stats(path) is not None:
            notes.append(f"{path.name}: clicks generated from the kinematic render; review "
                         "them, saving makes the file yours (never regenerated)")
        for key in PROMPT_KEYS:
            if key in keys:
                out.entries[key] = list(loaded[key])
            elif loaded[key]:
                notes.append(f"{path.name}: {len(loaded[key])} {key} entries ignored: "
                             f"expected them in the other prompt file; saving drops them")
    return out, notes


@dataclass(frozen=True)
class _Action:
    """One edit: the list of ``key`` before it, and the frame it touched."""

    key: str
    frame_index: int
    before: tuple[PromptEntry, ...]


class AnnotationState:
    """Clicks of one scene, with undo and save.

    Args:
        scene: The scene (gives the prompt file paths).
        config: Gives the object ids.
        size_wh: (width, height) of the frames in pixels.
        num_frames: Frames in the video.
        mode: ``"append"`` starts from the files on disk, ``"overwrite"`` starts empty.

    Raises:
        PromptError: ``mode`` is append and a prompt file does not parse.
    """

    def __init__(self, scene: Scene, config: Config, *, size_wh: tuple[int, int],
                 num_frames: int, mode: Mode = "append") -> None:
        if mode not in ("append", "overwrite"):
            raise PromptError(f"mode: expected 'append' or 'overwrite', got {mode!r}")
        self.scene = scene
        self.config = config
        self.size_wh = size_wh
        self.num_frames = num_frames
        self.mode = mode
        self.objects = annotated_objects(config)
        recover_prompt_pair(scene.camera_dir)
        self.prompts, self.load_notes = (load_prompts(scene) if mode == "append"
                                         else (PromptSet(), []))
        self.dirty = False
        self.saved_at: str | None = None
        self.save_count = 0
        self.saved = threading.Condition()
        self._history: deque[_Action] = deque(maxlen=UNDO_DEPTH)

    # --- lookups ---
    def object(self, obj_id: int) -> AnnotatedObject:
        """The object with ``obj_id``; :class:`PromptError` when it is not configured."""
        for o in self.objects:
            if o.obj_id == obj_id:
                return o
        raise PromptError(f"obj_id: expected one of {[o.obj_id for o in self.objects]} "
                          f"(the configured objects), got {obj_id}")

    def check_frame(self, frame_index: int) -> None:
        if not 0 <= frame_index < self.num_frames:
            raise PromptError(f"frame_index: expected 0..{self.num_frames - 1}, got "
                              f"{frame_index}")

    def clicks(self, frame_index: int, obj_id: int) -> tuple[np.ndarray, np.ndarray]:
        """Clicks of ``obj_id`` on ``frame_index``: float (N, 2) (x, y) pixels, int (N,)."""
        key = self.object(obj_id).key
        entries = [e for e in self.prompts[key] if e.frame_index == frame_index]
        if not entries:
            return np.zeros((0, 2)), np.zeros((0,), dtype=np.int64)
        pts = np.concatenate([e.points_px(self.size_wh) for e in entries])
        labels = np.asarray([lb for e in entries for lb in e.labels], dtype=np.int64)
        return pts, labels

    # --- edits ---
    def add_click(self, frame_index: int, obj_id: int, x: float, y: float, label: int) -> None:
        """Add one click at (x, y) pixels; label 1 positive, 0 negative.

        The point is appended to the last entry of that object on that frame (keeping its
        coord_type and its box, unless the point lies outside the box: the box then goes,
        since backends keep the object inside it), or starts a new ``"abs"`` entry, placed
        before the first entry of a later frame. Abs points are stored as integer pixels.
        """
        self.check_frame(frame_index)
        key = self.object(obj_id).key
        w, h = self.size_wh
        if not (0 <= x < w and 0 <= y < h):
            raise PromptError(f"click: expected (x, y) inside the {w}x{h} image, got "
                              f"({x:g}, {y:g})")
        if label not in (0, 1):
            raise PromptError(f"click: label: expected 1 (positive) or 0 (negative), got {label}")
        entries = self.prompts[key]
        before = tuple(entries)
        last = max((i for i, e in enumerate(entries) if e.frame_index == frame_index),
                   default=None)
        if last is None:
            at = next((i for i, e in enumerate(entries) if e.frame_index > frame_index),
                      len(entries))
            entries.insert(at, PromptEntry(frame_index, obj_id,
                                           ((float(int(x)), float(int(y))),), (label,)))
        else:
            e = entries[last]
            point = ((round(x / w, 6), round(y / h, 6)) if e.coord_type == "rel"
                     else (float(int(x)), float(int(y))))
            box = e.box_px(self.size_wh)
            keep_box = box is not None and box[0] <= x < box[2] and box[1] <= y < box[3]
            entries[last] = replace(e, points=e.points + (point,), labels=e.labels + (label,),
                                    box=e.box if keep_box else None)
        self._record(key, frame_index, before)

    def clear(self, frame_index: int, obj_id: int) -> bool:
        """Remove every click of ``obj_id`` on ``frame_index``; False when there was none."""
        self.check_frame(frame_index)
        key = self.object(obj_id).key
        before = tuple(self.prompts[key])
        kept = [e for e in before if e.frame_index != frame_index]
        if len(kept) == len(before):
            return False
        self.prompts.entries[key] = kept
        self._record(key, frame_index, before)
        return True

    def undo(self) -> tuple[int, int] | None:
        """Undo the last click or clear; returns its (frame_index, obj_id), None when none."""
        if not self._history:
            return None
        action = self._history.pop()
        self.prompts.entries[action.key] = list(action.before)
        self.dirty = True
        obj = next(o for o in self.objects if o.key == action.key)
        return action.frame_index, obj.obj_id

    def _record(self, key: str, frame_index: int, before: tuple[PromptEntry, ...]) -> None:
        self._history.append(_Action(key, frame_index, before))
        self.dirty = True

    # --- save ---
    def save(self) -> list[str]:
        """Write both prompt files as a pair (both old or both new after a kill); returns
        their paths."""
        write_prompt_pair(self.scene.arm_prompts_path, self.prompts.only(ARM_FILE_KEYS),
                          self.scene.gripper_prompts_path, self.prompts.only(GRIPPER_FILE_KEYS))
        with self.saved:
            self.dirty = False
            self.saved_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
            self.save_count += 1
            self.saved.notify_all()
        return [str(self.scene.arm_prompts_path), str(self.scene.gripper_prompts_path)]

    def snapshot(self) -> PromptSet:
        """A copy of the current prompts (entries are immutable, lists are copied)."""
        return self.prompts.only(PROMPT_KEYS)

    # --- the page's view ---
    def problems(self) -> list[dict[str, Any]]:
        """Warnings (left/right swapped, unequal counts, entries in the wrong file) and
        the first invalid entry."""
        out = [{"level": "warning", "key": wn.key, "frame_index": wn.frame_index,
                "message": wn.message} for wn in prompt_warnings(self.prompts, self.size_wh)]
        out += [{"level": "warning", "key": None, "frame_index": None, "message": note}
                for note in self.load_notes]
        try:
            validate_prompts(self.prompts, source="prompts", num_frames=self.num_frames,
                             size_wh=self.size_wh, config=self.config)
        except PromptError as exc:
            out.insert(0, {"level": "error", "key": None, "frame_index": None,
                           "message": str(exc)})
        return out

    def to_json(self) -> dict[str, Any]:
        """Objects with their keyframes, every click as (x, y) pixels, problems, save state."""
        objects, clicks = [], []
        for o in self.objects:
            frames = sorted({e.frame_index for e in self.prompts[o.key]})
            objects.append({"key": o.key, "name": o.name, "obj_id": o.obj_id,
                            "colour": o.colour, "keyframes": frames})
            for fi in frames:
                pts, labels = self.clicks(fi, o.obj_id)
                clicks.append({"frame_index": fi, "obj_id": o.obj_id,
                               "points": [[round(float(x), 2), round(float(y), 2)]
                                          for x, y in pts],
                               "labels": [int(v) for v in labels]})
        return {"objects": objects, "clicks": clicks, "problems": self.problems(),
                "dirty": self.dirty, "saved_at": self.saved_at, "mode": self.mode,
                "can_undo": bool(self._history)}
