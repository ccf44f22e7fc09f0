"""A small backend that follows the interface with scripted, known masks (for tests)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from robomask.backends.base import Backend, Capabilities, VideoSession
from robomask.masks import FrameMasks


def disc(size_wh: tuple[int, int], center_xy: tuple[float, float], r: int) -> np.ndarray:
    w, h = size_wh
    yy, xx = np.mgrid[0:h, 0:w]
    return (xx - center_xy[0]) ** 2 + (yy - center_xy[1]) ** 2 <= r * r


class ScriptedSession(VideoSession):
    """Each clicked object is a disc around its mean positive click, moving 1 px right per
    frame away from its keyframe. Text prompts find ``text_objects`` (id -> centre).

    ``forward_only`` / ``backward_only``: object ids the forward (backward) pass does not
    report, to check the per-object merge of the start frame.
    """

    backend_name = "scripted"

    def __init__(self, frames, backend: ScriptedBackend) -> None:
        super().__init__(frames, backend.capabilities)
        self.backend = backend
        # objects a backend found by itself (as SAM3's hidden text bootstrap does)
        self.objects: dict[int, tuple[int, tuple[float, float]]] = {
            i: (0, c) for i, c in backend.preexisting.items()}

    def _mask(self, obj_id: int, frame_index: int) -> np.ndarray:
        key, (x, y) = self.objects[obj_id]
        return disc(self.size_wh, (x + (frame_index - key), y), 3)

    def _frame(self, frame_index: int, exclude: set[int] = frozenset()) -> FrameMasks:
        return FrameMasks(frame_index, self.size_wh, {
            i: self._mask(i, frame_index) for i in self.objects if i not in exclude})

    def _add_text(self, frame_index: int, text: str) -> FrameMasks:
        self.backend.calls.append(("text", frame_index, text))
        self.objects = {i: (frame_index, c) for i, c in self.backend.text_objects.items()}
        return self._frame(frame_index)

    def _add_clicks(self, frame_index, obj_id, points_xy, labels) -> FrameMasks:
        self.backend.calls.append(("clicks", frame_index, obj_id, points_xy.tolist()))
        pos = points_xy[labels == 1]
        centre = tuple(pos.mean(axis=0)) if len(pos) else tuple(points_xy.mean(axis=0))
        self.objects[obj_id] = (frame_index, centre)
        return self._frame(frame_index)

    def _propagate(self, start_frame_index: int, *, reverse: bool) -> Iterator[FrameMasks]:
        self.backend.calls.append(("propagate", start_frame_index, reverse))
        exclude = self.backend.backward_only if not reverse else self.backend.forward_only
        order = range(start_frame_index, -1, -1) if reverse else range(start_frame_index,
                                                                      self.num_frames)
        for i in order:
            yield self._frame(i, set(exclude) | self.backend.never)

    def _remove_object(self, obj_id: int) -> None:
        self.objects.pop(obj_id, None)

    def _reset(self) -> None:
        self.objects = {}

    def _close(self) -> None:
        self.backend.calls.append(("close",))


class ScriptedBackend(Backend):
    name = "scripted"

    def __init__(self, *, text: bool = True, text_objects=None, forward_only=(),
                 backward_only=(), never=(), preexisting=None) -> None:
        self.capabilities = Capabilities(text_prompts=text, clicks=True, devices=("cpu",))
        self.text_objects = dict(text_objects or {})
        self.forward_only = set(forward_only)
        self.backward_only = set(backward_only)
        self.never = set(never)
        self.preexisting = dict(preexisting or {})
        self.calls: list[tuple] = []
        self.closed = False

    def open_session(self, frames) -> ScriptedSession:
        self.calls.append(("open",))
        return ScriptedSession(frames, self)

    def close(self) -> None:
        self.closed = True


def build(config, stage) -> ScriptedBackend:
    """Factory for ``backend: "scripted_backend:build"`` (importable in worker processes)."""
    return ScriptedBackend(text=False)
