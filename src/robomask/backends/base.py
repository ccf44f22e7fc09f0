"""The backend interface: the one seam between robomask and any segmentation model.

A :class:`Backend` holds a model, built once per process. It opens a
:class:`VideoSession` per video. Public session methods check their arguments here,
once, and call the backend's ``_``-prefixed hooks; bidirectional propagation and the
per-object merge of the start frame are done here too, so every backend gets them
the same way.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np

from robomask.errors import BackendError
from robomask.io.frames import FrameSource
from robomask.masks import FrameMasks

Direction = Literal["forward", "backward", "both"]


@dataclass(frozen=True)
class Capabilities:
    """What a backend can do.

    Attributes:
        text_prompts: Accepts :meth:`VideoSession.add_text`.
        clicks: Accepts :meth:`VideoSession.add_clicks`.
        devices: Device kinds it can run on, e.g. ``("cpu",)`` or ``("cuda",)``.
        mask_prompts: Accepts :meth:`VideoSession.add_mask` (a mask as an object's prompt;
            used to carry objects from one window of a long video into the next).
        needs_prompts: False for a backend that finds its objects unprompted (e.g.
            ``kinematic``); :meth:`VideoSession.propagate` then starts at frame 0.
        box_prompts: Accepts a box with the clicks (``box_xyxy`` of
            :meth:`VideoSession.add_clicks`).
    """

    text_prompts: bool
    clicks: bool
    devices: tuple[str, ...]
    mask_prompts: bool = False
    needs_prompts: bool = True
    box_prompts: bool = False


class VideoSession(ABC):
    """Prompts and propagation on one video. Always closed (use ``with``)."""

    backend_name: ClassVar[str] = "backend"

    def __init__(self, frames: FrameSource, capabilities: Capabilities) -> None:
        self.frames = frames
        self.capabilities = capabilities
        self.prompted_frames: set[int] = set()
        self.closed = False

    # --- properties ---
    @property
    def num_frames(self) -> int:
        return len(self.frames)

    @property
    def size_wh(self) -> tuple[int, int]:
        """(width, height) of the video in pixels."""
        return self.frames.size_wh

    # --- public API (argument checks, then the backend's hooks) ---
    def add_text(self, frame_index: int, text: str) -> FrameMasks:
        """Find every instance of ``text`` on ``frame_index``; returns that frame's masks.

        A new text prompt resets the session's previous prompts (SAM3 semantics).
        """
        self._check_open()
        if not self.capabilities.text_prompts:
            raise BackendError(
                f"backend '{self.backend_name}': expected click prompts, got a text prompt "
                f"({text!r}); this backend does not read text",
                hint="add arm clicks to annotation_prompts_arm_points.json "
                     "(robomask annotate), or use backend sam3 / sam3-hf")
        self._check_frame(frame_index)
        if not text.strip():
            raise BackendError(f"text prompt: expected non-empty text, got {text!r}")
        self.prompted_frames = {frame_index}
        return self._add_text(frame_index, text)

    def add_clicks(self, frame_index: int, obj_id: int, points_xy: np.ndarray,
                   labels: np.ndarray, *, box_xyxy: np.ndarray | None = None) -> FrameMasks:
        """Set the clicks of ``obj_id`` on ``frame_index``, replacing earlier ones there.

        Args:
            frame_index: Frame the clicks are on.
            obj_id: Object the clicks belong to.
            points_xy: Float array (N, 2) of (x, y) in pixels.
            labels: Int array (N,): 1 positive, 0 negative.
            box_xyxy: Optional float (4,) box around the object, (x0, y0, x1, y1) in
                pixels, given with the clicks (backends with ``box_prompts`` only).

        Returns:
            The masks of every object on ``frame_index`` after the clicks.
        """
        self._check_open()
        if not self.capabilities.clicks:
            raise BackendError(f"backend '{self.backend_name}': expected text prompts, "
                               "got clicks; this backend does not take clicks")
        self._check_frame(frame_index)
        pts = np.asarray(points_xy, dtype=np.float64).reshape(-1, 2)
        lbs = np.asarray(labels, dtype=np.int64).reshape(-1)
        if len(pts) == 0 or len(pts) != len(lbs):
            raise BackendError(f"clicks: expected N > 0 points and N labels, got {len(pts)} "
                               f"points and {len(lbs)} labels")
        if box_xyxy is None:
            self.prompted_frames.add(frame_index)
            return self._add_clicks(frame_index, int(obj_id), pts, lbs)
        box = self._check_box(box_xyxy)
        self.prompted_frames.add(frame_index)
        return self._add_box_clicks(frame_index, int(obj_id), pts, lbs, box)

    def add_mask(self, frame_index: int, obj_id: int, mask: np.ndarray) -> FrameMasks:
        """Prompt ``obj_id`` on ``frame_index`` with its mask there (bool (height, width)).

        Returns:
            The masks of every object on ``frame_index`` after the prompt.
        """
        self._check_open()
        if not self.capabilities.mask_prompts:
            raise BackendError(f"backend '{self.backend_name}': expected clicks or text, got "
                               "a mask prompt; this backend does not take masks")
        self._check_frame(frame_index)
        m = np.asarray(mask, dtype=bool)
        w, h = self.size_wh
        if m.shape != (h, w) or not m.any():
            raise BackendError(f"mask prompt: expected a non-empty bool mask of shape "
                               f"(height, width) = ({h}, {w}), got shape {m.shape} with "
                               f"{int(m.sum())} pixels set")
        self.prompted_frames.add(frame_index)
        return self._add_mask(frame_index, int(obj_id), m)

    def propagate(self, *, start_frame_index: int | None = None,
                  direction: Direction = "both") -> Iterator[FrameMasks]:
        """Yield the masks of every frame reached, each frame once.

        Args:
            start_frame_index: Frame to start from; None = the earliest prompted frame.
            direction: ``"forward"``, ``"backward"`` or ``"both"``. With ``"both"`` the
                start frame is reached by both passes and its objects are merged per
                object, so an object that only one pass found is kept.
        """
        self._check_open()
        if direction not in ("forward", "backward", "both"):
            raise BackendError(f"direction: expected forward, backward or both, got "
                               f"{direction!r}")
        if not self.prompted_frames and self.capabilities.needs_prompts:
            raise BackendError("propagate: expected a prompt first, got none",
                               hint="call add_text() or add_clicks() before propagate()")
        first = min(self.prompted_frames, default=0)
        start = first if start_frame_index is None else start_frame_index
        self._check_frame(start)
        if direction == "forward":
            yield from self._propagate(start, reverse=False)
            return
        if direction == "backward":
            yield from self._propagate(start, reverse=True)
            return
        yield from self._propagate_both(start)

    def _propagate_both(self, start_frame_index: int) -> Iterator[FrameMasks]:
        """Forward, then backward from ``start_frame_index``; every frame once, the start
        frame's objects merged per object. A backend whose model orders its passes itself
        (sam3) overrides this."""
        start = start_frame_index
        held: FrameMasks | None = None
        for fm in self._propagate(start, reverse=False):
            if fm.frame_index == start:
                held = fm
            else:
                yield fm
        for fm in self._propagate(start, reverse=True):
            if fm.frame_index == start and held is not None:
                fm = held.merged_with(fm)
                held = None
            yield fm
        if held is not None:
            yield held

    def remove_object(self, obj_id: int) -> None:
        """Forget ``obj_id`` and its prompts."""
        self._check_open()
        self._remove_object(int(obj_id))

    def reset(self) -> None:
        """Forget every prompt and result of this session."""
        self._check_open()
        self.prompted_frames = set()
        self._reset()

    def close(self) -> None:
        """Release the session's resources; safe to call twice."""
        if not self.closed:
            self.closed = True
            self._close()

    def __enter__(self) -> VideoSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- checks ---
    def _check_open(self) -> None:
        if self.closed:
            raise BackendError("session: expected an open session, got a closed one",
                               hint="open a new session with backend.open_session(frames)")

    def _check_box(self, box_xyxy: np.ndarray) -> np.ndarray:
        """``box_xyxy`` as a float (4,) array, checked against the backend and the image."""
        if not self.capabilities.box_prompts:
            raise BackendError(f"backend '{self.backend_name}': expected clicks alone, got a "
                               "box with them; this backend does not take boxes",
                               hint="leave the box out (VideoSession.add_clicks box_xyxy=None)")
        box = np.asarray(box_xyxy, dtype=np.float64).reshape(-1)
        w, h = self.size_wh
        if not (box.shape == (4,) and np.isfinite(box).all() and 0 <= box[0] < box[2] <= w
                and 0 <= box[1] < box[3] <= h):
            raise BackendError(f"box: expected finite (x0, y0, x1, y1) pixels with "
                               f"0 <= x0 < x1 <= {w} and 0 <= y0 < y1 <= {h}, got "
                               f"{box.tolist()}")
        return box

    def _check_frame(self, frame_index: int) -> None:
        if not 0 <= frame_index < self.num_frames:
            raise BackendError(f"frame_index: expected 0..{self.num_frames - 1}, got "
                               f"{frame_index}")

    # --- hooks for backends ---
    def _add_text(self, frame_index: int, text: str) -> FrameMasks:
        raise NotImplementedError  # only called when capabilities.text_prompts

    @abstractmethod
    def _add_clicks(self, frame_index: int, obj_id: int, points_xy: np.ndarray,
                    labels: np.ndarray) -> FrameMasks: ...

    def _add_box_clicks(self, frame_index: int, obj_id: int, points_xy: np.ndarray,
                        labels: np.ndarray, box_xyxy: np.ndarray) -> FrameMasks:
        raise NotImplementedError  # only called when capabilities.box_prompts

    def _add_mask(self, frame_index: int, obj_id: int, mask: np.ndarray) -> FrameMasks:
        raise NotImplementedError  # only called when capabilities.mask_prompts

    @abstractmethod
    def _propagate(self, start_frame_index: int, *, reverse: bool) -> Iterator[FrameMasks]:
        """One pass from ``start_frame_index`` (inclusive) to the last (or first) frame."""

    @abstractmethod
    def _remove_object(self, obj_id: int) -> None: ...

    @abstractmethod
    def _reset(self) -> None: ...

    def _close(self) -> None:  # noqa: B027 - optional hook, empty by default
        """Free per-session resources (override when there are any)."""


class Backend(ABC):
    """A segmentation model, built once per process and shared by its sessions."""

    name: ClassVar[str]
    capabilities: ClassVar[Capabilities]

    @abstractmethod
    def open_session(self, frames: FrameSource) -> VideoSession:
        """Start a session on ``frames``."""

    def close(self) -> None:  # noqa: B027 - optional hook, empty by default
        """Free the model (GPU memory, worker processes). Safe to call twice."""

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
