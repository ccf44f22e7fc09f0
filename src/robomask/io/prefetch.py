"""A frame source that decodes the next frames on a background thread.

A backend asks for frames one after the other, forwards or backwards; while it works
on one frame, the next few are decoded here, so decoding hides behind the model. The
wrapped source is only ever touched by the one background thread (an .mp4 decoder is
not thread-safe) unless it says reads may run at once (a folder of images: PNG and
JPEG decoding release the GIL, so two threads decode two frames at a time), and at most
``ahead`` decoded frames wait in memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np

from robomask.io.frames import FrameSource

DEFAULT_AHEAD = 6


class PrefetchFrames:
    """Wrap ``source``; reads give the same arrays, decoded ahead of the reader.

    After a read of frame ``i`` that followed a read of ``i - 1`` (or was the first),
    frames ``i + 1 .. i + ahead`` are decoded in the background; after ``i + 1`` then
    ``i``, frames ``i - 1 .. i - ahead``. Other jumps decode nothing ahead, so random
    access costs what it costs without the wrapper. A frame that fails to decode raises
    its usual error when (and only when) it is read. Close it (or use ``with``) to stop
    the thread; the wrapped source is closed too when it has a ``close``.

    Args:
        source: The frames.
        ahead: Frames to decode ahead of the reader (each ~2.7 MB at 1280x720).
        threads: Decoding threads; more than one only for a source whose reads may run
            at once (a :class:`~robomask.io.frames.FolderFrames`).
    """

    def __init__(self, source: FrameSource, ahead: int = DEFAULT_AHEAD, threads: int = 1
                 ) -> None:
        self.source = source
        self.path: Path = source.path
        self.stems: list[str] = source.stems
        self.size_wh: tuple[int, int] = source.size_wh
        self.ahead = ahead
        self._pool = ThreadPoolExecutor(max(threads, 1), thread_name_prefix="robomask-frames")
        self._pending: dict[int, Future[np.ndarray]] = {}
        self._last: int | None = None

    def __len__(self) -> int:
        return len(self.source)

    def describe(self, frame_index: int) -> str:
        return self.source.describe(frame_index)

    def __getitem__(self, frame_index: int) -> np.ndarray:
        wanted = self._pending.pop(frame_index, None)
        if wanted is None:
            wanted = self._pool.submit(self.source.__getitem__, frame_index)
        step = 1 if self._last is None else frame_index - self._last
        self._last = frame_index
        upcoming = [frame_index + step * k for k in range(1, self.ahead + 1)] \
            if step in (1, -1) else []
        upcoming = [j for j in upcoming if 0 <= j < len(self.source)]
        for j in [j for j in self._pending if j not in upcoming]:
            self._pending.pop(j).cancel()
        for j in upcoming:
            if j not in self._pending:
                self._pending[j] = self._pool.submit(self.source.__getitem__, j)
        return wanted.result()

    def __iter__(self) -> Iterator[np.ndarray]:
        for i in range(len(self)):
            yield self[i]

    def close(self) -> None:
        """Stop decoding ahead and close the wrapped source; safe to call twice."""
        for fut in self._pending.values():
            fut.cancel()
        self._pending.clear()
        self._pool.shutdown(wait=True)
        close = getattr(self.source, "close", None)
        if close is not None:
            close()

    def __enter__(self) -> PrefetchFrames:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
