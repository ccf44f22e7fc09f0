"""A video session of the opencv backend: keyframes from clicks, fused propagation.

Every object's mask on a frame comes from its keyframes (frames where it has clicks):

- On a keyframe, its clicks (and box, if given) decide (see :mod:`.clicks`, on the
  full-size frame; the mask is kept averaged down to the working resolution as a soft
  mask, which loses almost nothing of thin parts); nothing else is mixed in.
- Between two keyframes ``a`` and ``b``, the mask carried from ``a`` (flow + colour, see
  :mod:`.track`) and the one carried from ``b`` are fused by temporal distance:
  ``soft = (|b - t| * from_a + |t - a| * from_b) / |b - a|``, thresholded at 0.5. The
  fused mask is what is carried on to the next frame.
- Before the first or after the last keyframe, the one estimate there is.

A pass in either direction fuses the same way (the pass carries the fused mask, so the
two directions may differ slightly between keyframes). A pass walks the frames once
in its direction and, on entering a gap, first carries the mask of the keyframe ahead
back to the current frame (a "pre-pass"), storing it as uint8 soft masks at working
resolution in a temporary file (:class:`GapBuffer`). Memory therefore holds at most one
keyframe gap of low-resolution soft masks per object, on disk-backed pages, and a few
decoded frames; it does not grow with the length of the video. A pass that starts
between keyframes first walks silently from the nearest keyframe behind it.
"""

from __future__ import annotations

import os
import tempfile
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np

from robomask.backends.base import Capabilities, VideoSession
from robomask.backends.opencv.clicks import mask_from_clicks
from robomask.backends.opencv.prior import MaskSource, ShapePrior
from robomask.backends.opencv.track import ColourModel, Flow, WorkFrame, refine, warp
from robomask.io.frames import FrameSource
from robomask.masks import FrameMasks

CACHED_FRAMES = 3


@dataclass(frozen=True)
class Keyframe:
    """An object's mask on one of its keyframes: float32 (h, w) in [0, 1], the full-size
    mask from its clicks averaged down to the working resolution."""

    mask: np.ndarray
    colour: ColourModel


@dataclass
class _Carried:
    """The estimate carried along a pass from keyframe ``origin``."""

    soft: np.ndarray
    colour: ColourModel
    origin: int


class GapBuffer:
    """Soft masks of one object for the frames of one keyframe gap, in a temporary file.

    Read and written with ``os.pread``/``os.pwrite`` rather than a memory map, so the
    buffered masks live in the page cache, not in the process's resident memory: peak
    RSS stays flat however long the gap is (benchmarks/session_memory.py).

    Args:
        frame_indices: Frames the buffer holds.
        shape_hw: (h, w) of a working-resolution mask.
    """

    def __init__(self, frame_indices: list[int], shape_hw: tuple[int, int]) -> None:
        self._slot = {f: k for k, f in enumerate(frame_indices)}
        self._shape = shape_hw
        self._nbytes = shape_hw[0] * shape_hw[1]
        self._file = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close())

    def put(self, frame_index: int, soft: np.ndarray) -> None:
        data = np.rint(np.clip(soft, 0, 1) * 255).astype(np.uint8)
        os.pwrite(self._file.fileno(), data.tobytes(), self._slot[frame_index] * self._nbytes)

    def get(self, frame_index: int) -> np.ndarray:
        raw = os.pread(self._file.fileno(), self._nbytes, self._slot[frame_index] * self._nbytes)
        return np.frombuffer(raw, np.uint8).reshape(self._shape).astype(np.float32) / 255.0

    def close(self) -> None:
        self._file.close()


@dataclass
class _Ahead:
    target: int  # the keyframe the buffered masks come from
    buffer: GapBuffer


class OpenCVSession(VideoSession):
    """Clicks and propagation on one video with the opencv backend (CPU, no weights).

    :meth:`add_clicks` returns the masks of the objects that have clicks on that frame
    (the others are known only after a propagation).

    Args:
        frames: The video; frames are read one at a time.
        capabilities: The backend's capabilities.
        work_long_side: Long side in pixels of the working resolution (frames larger than
            this are downscaled for flow and colour refinement; keyframe masks come from
            the full-size frame; masks come back full size).
        prior: Masks of the objects per frame (the kinematic render) that hold the
            carried masks between keyframes (:mod:`.prior`); None: flow and colour alone.
    """

    backend_name = "opencv"

    def __init__(self, frames: FrameSource, capabilities: Capabilities,
                 work_long_side: int, prior: MaskSource | None = None) -> None:
        super().__init__(frames, capabilities)
        w, h = frames.size_wh
        scale = min(1.0, work_long_side / max(w, h))
        self.work_wh = (max(1, round(w * scale)), max(1, round(h * scale)))
        self._prior = ShapePrior(prior, self.work_wh) if prior is not None else None
        self._keyframes: dict[int, dict[int, Keyframe]] = {}
        self._cache: OrderedDict[int, WorkFrame] = OrderedDict()
        self._flow = Flow()

    # --- hooks ---
    def _add_clicks(self, frame_index: int, obj_id: int, points_xy: np.ndarray,
                    labels: np.ndarray) -> FrameMasks:
        return self._add_box_clicks(frame_index, obj_id, points_xy, labels, None)

    def _add_box_clicks(self, frame_index: int, obj_id: int, points_xy: np.ndarray,
                        labels: np.ndarray, box_xyxy: np.ndarray | None) -> FrameMasks:
        rgb = self.frames[frame_index]  # full size: thin parts need every pixel
        return self._keyframe(frame_index, obj_id, rgb, mask_from_clicks(
            rgb, points_xy, labels, box_xyxy).astype(np.float32))

    def _add_mask(self, frame_index: int, obj_id: int, mask: np.ndarray) -> FrameMasks:
        return self._keyframe(frame_index, obj_id, self.frames[frame_index],
                              mask.astype(np.float32))

    def _keyframe(self, frame_index: int, obj_id: int, rgb: np.ndarray,
                  soft: np.ndarray) -> FrameMasks:
        """Make a full-size soft mask ``obj_id``'s keyframe on ``frame_index``."""
        if soft.shape[::-1] != self.work_wh:
            soft = cv2.resize(soft, self.work_wh, interpolation=cv2.INTER_AREA)
        self._keyframes.setdefault(obj_id, {})[frame_index] = Keyframe(
            soft, ColourModel.learn(self._work(frame_index, rgb), soft > 0.5))
        return FrameMasks(frame_index, self.size_wh, {
            o: self._full(kfs[frame_index].mask)
            for o, kfs in self._keyframes.items() if frame_index in kfs})

    def _remove_object(self, obj_id: int) -> None:
        self._keyframes.pop(obj_id, None)

    def _reset(self) -> None:
        self._keyframes.clear()

    def _close(self) -> None:
        self._cache.clear()

    def _propagate(self, start_frame_index: int, *, reverse: bool) -> Iterator[FrameMasks]:
        step = -1 if reverse else 1
        stop = -1 if reverse else self.num_frames
        behind = [k for kfs in self._keyframes.values()
                  if (k := self._nearest(kfs, start_frame_index, step, behind=True)) is not None]
        first = start_frame_index
        if behind:
            first = max(behind) if reverse else min(behind)
        carried: dict[int, _Carried] = {}
        ahead: dict[int, _Ahead] = {}
        prev: WorkFrame | None = None
        try:
            for t in range(first, stop, step):
                cur = self._work(t)
                masks = self._step(t, step, cur, prev, carried, ahead)
                prev = cur
                if (t - start_frame_index) * step >= 0:
                    yield FrameMasks(t, self.size_wh,
                                     {o: self._full(s) for o, s in masks.items()})
        finally:
            for a in ahead.values():
                a.buffer.close()

    # --- the walk ---
    def _step(self, t: int, step: int, cur: WorkFrame, prev: WorkFrame | None,
              carried: dict[int, _Carried], ahead: dict[int, _Ahead]) -> dict[int, np.ndarray]:
        """Soft masks (float32, working resolution) of every object known on frame ``t``."""
        self._fill_ahead(t, step, ahead)
        maps = self._flow.maps(cur, prev) if prev is not None and carried else None
        out: dict[int, np.ndarray] = {}
        for obj_id, kfs in self._keyframes.items():
            if t in kfs:
                kf = kfs[t]
                carried[obj_id] = _Carried(kf.mask, kf.colour, t)
                out[obj_id] = carried[obj_id].soft
                continue
            c = carried.get(obj_id)
            if c is not None and maps is not None:
                mask = refine(self._held(t, obj_id, warp(c.soft, maps)), cur, c.colour)
                c.soft, c.colour = mask.astype(np.float32), c.colour.updated(cur, mask)
            a = ahead.get(obj_id)
            if c is not None and a is not None:
                w_behind = abs(a.target - t) / abs(a.target - c.origin)
                c.soft = w_behind * c.soft + (1.0 - w_behind) * a.buffer.get(t)
            if c is not None:
                out[obj_id] = c.soft
            elif a is not None:
                out[obj_id] = a.buffer.get(t)
        return out

    def _fill_ahead(self, t: int, step: int, ahead: dict[int, _Ahead]) -> None:
        """Make sure every object's buffer holds the estimate from its keyframe ahead."""
        groups: dict[int, list[int]] = {}
        for obj_id, kfs in self._keyframes.items():
            target = None if t in kfs else self._nearest(kfs, t, step, behind=False)
            old = ahead.get(obj_id)
            if old is not None and old.target != target:
                old.buffer.close()
                del ahead[obj_id]
            if target is not None and obj_id not in ahead:
                groups.setdefault(target, []).append(obj_id)
        for target, obj_ids in groups.items():
            frames = list(range(target - step, t - step, -step))
            buffers = {o: GapBuffer(frames, self.work_wh[::-1]) for o in obj_ids}
            for obj_id, buf in buffers.items():
                ahead[obj_id] = _Ahead(target, buf)
            self._pre_pass(target, frames, buffers)

    def _pre_pass(self, target: int, frames: list[int], buffers: dict[int, GapBuffer]) -> None:
        """Carry the keyframe masks of ``target`` over ``frames`` into ``buffers``."""
        state = {o: (self._keyframes[o][target].mask,
                     self._keyframes[o][target].colour) for o in buffers}
        prev = self._work(target)
        for f in frames:
            cur = self._work(f)
            maps = self._flow.maps(cur, prev)
            for obj_id, (soft, colour) in state.items():
                mask = refine(self._held(f, obj_id, warp(soft, maps)), cur, colour)
                state[obj_id] = (mask.astype(np.float32), colour.updated(cur, mask))
                buffers[obj_id].put(f, mask)
            prev = cur

    def _held(self, t: int, obj_id: int, soft: np.ndarray) -> np.ndarray:
        """A carried soft mask held to the shape prior on frame ``t``, if there is one."""
        return soft if self._prior is None else self._prior.apply(t, obj_id, soft)

    @staticmethod
    def _nearest(kfs: dict[int, Keyframe], t: int, step: int, *, behind: bool) -> int | None:
        """Nearest keyframe behind (at or before ``t`` in walk order) or strictly ahead."""
        if behind:
            hits = [k for k in kfs if (t - k) * step >= 0]
            return max(hits, key=lambda k: k * step) if hits else None
        hits = [k for k in kfs if (k - t) * step > 0]
        return min(hits, key=lambda k: k * step) if hits else None

    # --- frames and sizes ---
    def _work(self, frame_index: int, rgb: np.ndarray | None = None) -> WorkFrame:
        """The frame at working resolution (``rgb``: the full-size frame, if decoded)."""
        if frame_index in self._cache:
            self._cache.move_to_end(frame_index)
            return self._cache[frame_index]
        if rgb is None:
            rgb = self.frames[frame_index]
        if rgb.shape[1::-1] != self.work_wh:
            rgb = cv2.resize(rgb, self.work_wh, interpolation=cv2.INTER_AREA)
        frame = WorkFrame.from_rgb(np.ascontiguousarray(rgb))
        self._cache[frame_index] = frame
        if len(self._cache) > CACHED_FRAMES:
            self._cache.popitem(last=False)
        return frame

    def _full(self, soft: np.ndarray) -> np.ndarray:
        """Bool full-size mask from a float32 soft mask at working resolution."""
        if soft.shape[::-1] == self.size_wh:
            return soft > 0.5
        return cv2.resize(soft, self.size_wh, interpolation=cv2.INTER_LINEAR) > 0.5
