"""Checks of a prompt set against its video and config, and the warnings users rely on."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from robomask.config import Config
from robomask.errors import PromptError
from robomask.prompts import (
    ARM2_KEY,
    ARM_KEY,
    LEFT_KEY,
    PROMPT_KEYS,
    RIGHT_KEY,
    PromptEntry,
    PromptSet,
)

ID_KEYS = {ARM_KEY: "arm_obj_id", ARM2_KEY: "arm_obj_id_2", LEFT_KEY: "gripper_left_obj_id",
           RIGHT_KEY: "gripper_right_obj_id"}  # prompt key -> config key of its object id


def expected_obj_ids(config: Config) -> dict[str, int | None]:
    """Prompt key -> the object id its entries must carry (None: key not in use)."""
    return {key: getattr(config, name) for key, name in ID_KEYS.items()}


def validate_prompts(prompts: PromptSet, *, source: str, num_frames: int,
                     size_wh: tuple[int, int], config: Config) -> None:
    """Raise :class:`PromptError` on the first entry that does not fit the video or config.

    Args:
        prompts: The prompt set.
        source: File name for messages.
        num_frames: Frames in the video.
        size_wh: (width, height) of the frames in pixels.
        config: Gives the object id each key must carry.
    """
    w, h = size_wh
    for key, want_id in expected_obj_ids(config).items():
        for i, e in enumerate(prompts[key]):
            where = f"{source}: {key}[{i}]"
            if want_id is None:
                break  # key not in use (arm_obj_id_2: null): ignored, as the notebooks do
            if e.obj_id != want_id:
                raise PromptError(f"{where}: obj_id: expected {want_id} (the configured id "
                                  f"for {key}, config key {ID_KEYS[key]}), got {e.obj_id}")
            if e.frame_index >= num_frames:
                raise PromptError(f"{where}: frame_index: expected 0..{num_frames - 1} "
                                  f"(the video has {num_frames} frames), got {e.frame_index}")
            if e.coord_type == "abs":
                for k, (x, y) in enumerate(e.points):
                    if not (0 <= x < w and 0 <= y < h):
                        raise PromptError(f"{where}: point {k}: expected (x, y) inside the "
                                          f"{w}x{h} image, got ({x:g}, {y:g})")
                if e.box is not None and not (e.box[2] <= w and e.box[3] <= h):
                    raise PromptError(f"{where}: box_xyxy: expected a box inside the {w}x{h} "
                                      f"image, got [{', '.join(f'{v:g}' for v in e.box)}]")


@dataclass(frozen=True)
class PromptWarning:
    """A likely mistake in a prompt set that does not stop a run.

    Attributes:
        key: Prompt key concerned.
        frame_index: Keyframe concerned, or None for the whole key.
        message: One line for the user.
    """

    key: str
    frame_index: int | None
    message: str


def _positive_x(e: PromptEntry, width: int) -> list[float]:
    pts = e.points_px((width, 1))
    return [float(p[0]) for p, lb in zip(pts, e.labels, strict=True) if lb == 1]


def prompt_warnings(prompts: PromptSet, size_wh: tuple[int, int]) -> list[PromptWarning]:
    """Left/right gripper points mostly on the wrong image half; unequal point counts;
    positive points outside their entry's box."""
    w = size_wh[0]
    out: list[PromptWarning] = []
    for key, wrong_side, side in ((LEFT_KEY, lambda x: x > w / 2, "right"),
                                  (RIGHT_KEY, lambda x: x < w / 2, "left")):
        xs = [x for e in prompts[key] for x in _positive_x(e, w)]
        if xs and sum(map(wrong_side, xs)) > len(xs) / 2:
            frames = sorted({e.frame_index for e in prompts[key]})
            out.append(PromptWarning(key, None,
                                     f"{key}: most positive points sit on the {side} half of "
                                     f"the image (keyframes {frames}): left/right probably "
                                     "swapped"))
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for key in (LEFT_KEY, RIGHT_KEY):
        for e in prompts[key]:
            counts[e.frame_index][key] = counts[e.frame_index].get(key, 0) + len(e.points)
    for fi, c in sorted(counts.items()):
        if len(c) == 2 and c[LEFT_KEY] != c[RIGHT_KEY]:
            out.append(PromptWarning(LEFT_KEY, fi,
                                     f"frame {fi}: left gripper has {c[LEFT_KEY]} points, right "
                                     f"has {c[RIGHT_KEY]}: expected equal counts per keyframe"))
    for key in PROMPT_KEYS:
        for e in prompts[key]:
            box = e.box_px(size_wh)
            pos = e.points_px(size_wh)[np.asarray(e.labels) == 1]
            if box is not None and not ((pos >= box[:2]) & (pos < box[2:])).all(axis=1).all():
                out.append(PromptWarning(key, e.frame_index,
                                         f"{key}, frame {e.frame_index}: a positive point lies "
                                         "outside the entry's box_xyxy: the mask stays inside "
                                         "the box on backends that take boxes"))
    return out
