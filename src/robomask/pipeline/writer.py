"""Write a session's masks behind the backend: union, PNG encoding, the atomic write and
the per-object stats of each frame run on worker threads while the model works on the
next frames (OpenCV's encoder and the numpy reductions release the GIL).

At most ``max_pending`` frames wait or are being written, so memory stays flat however
long the video; the backend waits when the writers fall behind. The first error a
writer hits (a full disk, a folder that became read-only) is raised to the session on
its next frame, and nothing more is written after it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor

from robomask.io.maskstore import MaskStore
from robomask.io.objstats import ObjectStats, stats_of
from robomask.masks import FrameMasks

DEFAULT_WORKERS = 2
DEFAULT_MAX_PENDING = 8

_Done = tuple[int, list[int], list[ObjectStats]]


class SessionWriter:
    """Streams one session's frames into its mask store and gathers their stats.

    Args:
        store: The session's store (prepared).
        stats_obj_ids: Objects that get a stats row on every frame, present or not
            (objects found on a frame always get one).
        workers: Writer threads.
        max_pending: Frames queued or in progress at most.

    Example:
        >>> with SessionWriter(store, [2, 3]) as writer:  # doctest: +SKIP
        ...     for fm in masks:
        ...         writer.put(fm)
        ...     rows, object_frames = writer.finish()
    """

    def __init__(self, store: MaskStore, stats_obj_ids: Iterable[int] = (), *,
                 workers: int = DEFAULT_WORKERS,
                 max_pending: int = DEFAULT_MAX_PENDING) -> None:
        self.store = store
        self.stats_obj_ids = frozenset(stats_obj_ids)
        self.max_pending = max(max_pending, 1)
        self.written: set[int] = set()
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="robomask-writer")
        self._pending: deque[Future[_Done]] = deque()
        self._rows: list[ObjectStats] = []
        self._object_frames: dict[int, int] = {}

    def _write(self, fm: FrameMasks, with_stats: bool) -> _Done:
        self.store.write(fm.frame_index, fm.union())
        if not with_stats:
            return fm.frame_index, [], []
        rows = stats_of(fm, sorted(set(fm.masks) | self.stats_obj_ids))
        return fm.frame_index, fm.object_ids, rows

    def _collect(self, fut: Future[_Done]) -> None:
        frame_index, object_ids, rows = fut.result()  # raises the writer's error
        self.written.add(frame_index)
        for obj_id in object_ids:
            self._object_frames[obj_id] = self._object_frames.get(obj_id, 0) + 1
        self._rows += rows

    def put(self, fm: FrameMasks, *, with_stats: bool = True) -> None:
        """Queue a frame's masks; waits while ``max_pending`` frames are in flight.

        Raises:
            MaskStoreError: A writer failed on an earlier frame.
        """
        while self._pending and (self._pending[0].done()
                                 or len(self._pending) >= self.max_pending):
            self._collect(self._pending.popleft())
        self._pending.append(self._pool.submit(self._write, fm, with_stats))

    def put_empty(self, frame_index: int) -> None:
        """Queue an empty mask (and no stats rows) for a frame the backend gave no
        output for."""
        self.put(FrameMasks(frame_index, self.store.size_wh, {}), with_stats=False)

    def finish(self) -> tuple[list[ObjectStats], dict[int, int]]:
        """Wait for every queued frame; returns (stats rows, object id -> frames present).

        Raises:
            MaskStoreError: A writer failed.
        """
        while self._pending:
            self._collect(self._pending.popleft())
        return self._rows, dict(self._object_frames)

    def close(self) -> None:
        """Drop frames not started yet and wait for those being written (each write is
        atomic, so a frame is on disk whole or not at all); safe to call twice."""
        for fut in self._pending:
            fut.cancel()
        self._pool.shutdown(wait=True)
        self._pending.clear()

    def __enter__(self) -> SessionWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

