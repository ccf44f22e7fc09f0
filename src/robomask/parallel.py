"""Map a function over frames on several processes, with results in frame order.

The one helper that merge, report and export use to spread per-frame work over the
cores given (``--jobs``). Frames go to worker processes in chunks; results come back
in the order of the input, whatever order the chunks finish in, so a caller that
writes or aggregates results sees exactly what one process would have produced.
Only a few chunks are in flight at a time, so memory does not grow with the video.

Example:
    >>> def area(store, frame_index):  # a module-level function (it is pickled)
    ...     return int(store.read(frame_index).sum())
    >>> for frame_index, px in zip(todo, map_frames(area, store, todo, jobs=None)):
    ...     ticker.advance()  # doctest: +SKIP
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, TypeVar

from robomask.errors import ConfigError

C = TypeVar("C")
R = TypeVar("R")

FrameFn = Callable[[C, int], R]
DEFAULT_CHUNK_FRAMES = 16
# Starting worker processes costs a few hundred ms; fewer frames than this per extra
# worker are done faster here.
DEFAULT_MIN_FRAMES_PER_JOB = 100

_worker_fn: Callable[[Any, int], Any] | None = None
_worker_context: Any = None


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity where the OS tells it)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def resolve_jobs(jobs: int | None) -> int:
    """Worker processes for ``jobs``: None or 0 = every available core.

    Raises:
        ConfigError: ``jobs`` is negative.
    """
    if jobs is None or jobs == 0:
        return available_cores()
    if jobs < 0:
        raise ConfigError(f"--jobs: expected a number of processes >= 1 (0 = all cores), "
                          f"got {jobs}")
    return jobs


def _init_worker(fn: Callable[[Any, int], Any], context: Any) -> None:
    global _worker_fn, _worker_context
    _worker_fn, _worker_context = fn, context
    import cv2  # one OpenCV thread per worker: the processes are the parallelism

    cv2.setNumThreads(1)


def _run_chunk(frame_indices: Sequence[int]) -> list[Any]:
    assert _worker_fn is not None
    return [_worker_fn(_worker_context, i) for i in frame_indices]


def _mp_context(fn: Callable[..., Any]) -> mp.context.BaseContext:
    """``forkserver`` where there is one: workers fork from a clean, single-threaded
    server that has imported ``fn``'s module once, so they start fast and inherit no lock
    held by one of this process's threads (a plain fork of a process running OpenCV's
    thread pool or a progress display can hang); ``spawn`` elsewhere."""
    if "forkserver" not in mp.get_all_start_methods():
        return mp.get_context("spawn")
    ctx = mp.get_context("forkserver")
    if fn.__module__ != "__main__":
        ctx.set_forkserver_preload([fn.__module__])
    return ctx


def map_frames(fn: FrameFn, context: C, frame_indices: Sequence[int], *,
               jobs: int | None = None, chunk_frames: int = DEFAULT_CHUNK_FRAMES,
               min_frames_per_job: int = DEFAULT_MIN_FRAMES_PER_JOB) -> Iterator[R]:
    """Yield ``fn(context, i)`` for each ``i`` of ``frame_indices``, in that order.

    With more than one job, ``fn`` runs in worker processes: it must be a module-level
    function, and ``context`` (stores, config: whatever ``fn`` needs) must pickle; it
    is sent to each worker once. Results must pickle too; keep them small (numbers,
    short bytes). One job, too few frames to pay for starting workers, or a daemonic
    caller (a batch worker, which may not start processes) runs ``fn`` here, in order,
    with the same results.

    Args:
        fn: ``fn(context, frame_index) -> result``.
        context: Passed to every call.
        frame_indices: Frames to map over.
        jobs: Worker processes; None or 0 = every available core.
        chunk_frames: Frames per task sent to a worker.
        min_frames_per_job: Frames each worker must get at least; fewer workers (or
            none) are started otherwise.

    Raises:
        Whatever ``fn`` raises, for the earliest failing frame reached; pending work
        is cancelled.
    """
    frames = list(frame_indices)
    workers = min(resolve_jobs(jobs), -(-len(frames) // max(chunk_frames, 1)),
                  len(frames) // max(min_frames_per_job, 1))
    if workers <= 1 or mp.current_process().daemon:
        for i in frames:
            yield fn(context, i)
        return
    chunks = [frames[k:k + chunk_frames] for k in range(0, len(frames), chunk_frames)]
    ctx = _mp_context(fn)
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker,
                             initargs=(fn, context)) as pool:
        pending: deque[Future[list[Any]]] = deque()
        todo = iter(chunks)
        try:
            for chunk in todo:
                pending.append(pool.submit(_run_chunk, chunk))
                if len(pending) >= 2 * workers:
                    break
            while pending:
                results = pending.popleft().result()
                nxt = next(todo, None)
                if nxt is not None:
                    pending.append(pool.submit(_run_chunk, nxt))
                yield from results
        finally:
            for fut in pending:
                fut.cancel()
