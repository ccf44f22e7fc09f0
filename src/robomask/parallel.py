"""Map a function over frames on several threads or processes, with results in frame order.

The one helper that merge, report and export use to spread per-frame work over the
cores given (``--jobs``). Frames go to workers in chunks; results come back in the
order of the input, whatever order the chunks finish in, so a caller that writes or
aggregates results sees exactly what one worker would have produced. Only a few
chunks are in flight at a time, so memory does not grow with the video.

Threads suit work that spends its time in OpenCV, numpy, zlib and file I/O, which
release the GIL (PNG decoding and encoding, dilation): they start at once and share
memory. Processes suit work that runs Python code per pixel row or per object; they
cost a few hundred milliseconds to start, so they are only started for enough frames.

Example:
    >>> def area(store, frame_index):  # module-level, so that processes can use it too
    ...     return int(store.read(frame_index).sum())
    >>> for frame_index, px in zip(todo, map_frames(area, store, todo, jobs=None)):
    ...     ticker.advance()  # doctest: +SKIP
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any, Literal, TypeVar

from robomask.errors import ConfigError

C = TypeVar("C")
R = TypeVar("R")

FrameFn = Callable[[C, int], R]
WorkerKind = Literal["threads", "processes"]
DEFAULT_CHUNK_FRAMES = 16
# Starting worker processes costs a few hundred ms: fewer frames than this per worker
# are done faster without them.
MIN_FRAMES_PER_PROCESS = 100

_worker_fn: Callable[[Any, int], Any] | None = None
_worker_context: Any = None


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity where the OS tells it)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def resolve_jobs(jobs: int | None) -> int:
    """Workers for ``jobs``: None or 0 = every available core.

    Raises:
        ConfigError: ``jobs`` is negative.
    """
    if jobs is None or jobs == 0:
        return available_cores()
    if jobs < 0:
        raise ConfigError(f"--jobs: expected a number of workers >= 1 (0 = all cores), "
                          f"got {jobs}")
    return jobs


def _run_chunk(fn: Callable[[Any, int], Any], context: Any,
               frame_indices: Sequence[int]) -> list[Any]:
    return [fn(context, i) for i in frame_indices]


def _init_process(fn: Callable[[Any, int], Any], context: Any) -> None:
    global _worker_fn, _worker_context
    _worker_fn, _worker_context = fn, context
    import cv2  # one OpenCV thread per process: the processes are the parallelism

    cv2.setNumThreads(1)


def _run_chunk_in_process(frame_indices: Sequence[int]) -> list[Any]:
    assert _worker_fn is not None
    return _run_chunk(_worker_fn, _worker_context, frame_indices)


def _mp_context(fn: Callable[..., Any]) -> mp.context.BaseContext:
    """``forkserver`` where there is one: processes fork from a clean, single-threaded
    server that imported ``fn``'s module once, and inherit no lock held by one of this
    process's threads (a plain fork of a process whose OpenCV thread pool has run hangs
    in ``cv2.setNumThreads``); ``spawn`` elsewhere."""
    if "forkserver" not in mp.get_all_start_methods():
        return mp.get_context("spawn")
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["__main__", fn.__module__])
    return ctx


def _executor(kind: WorkerKind, workers: int, fn: Callable[[Any, int], Any], context: Any
              ) -> tuple[Executor, Callable[[Sequence[int]], Future[list[Any]]]]:
    """The pool and a function submitting one chunk to it."""
    if kind == "threads":
        threads = ThreadPoolExecutor(workers, thread_name_prefix="robomask-map")
        return threads, lambda chunk: threads.submit(_run_chunk, fn, context, chunk)
    processes = ProcessPoolExecutor(workers, mp_context=_mp_context(fn),
                                    initializer=_init_process, initargs=(fn, context))
    return processes, lambda chunk: processes.submit(_run_chunk_in_process, chunk)


def map_frames(fn: FrameFn, context: C, frame_indices: Sequence[int], *,
               jobs: int | None = None, workers: WorkerKind = "threads",
               chunk_frames: int = DEFAULT_CHUNK_FRAMES,
               min_frames_per_process: int = MIN_FRAMES_PER_PROCESS) -> Iterator[R]:
    """Yield ``fn(context, i)`` for each ``i`` of ``frame_indices``, in that order.

    With processes, ``fn`` must be a module-level function and ``context`` (stores,
    config: whatever ``fn`` needs) must pickle; it is sent to each process once, and
    results must pickle too (keep them small). One job, a single chunk, too few frames
    to pay for starting processes, or a daemonic caller (a batch worker, which may not
    start processes) runs ``fn`` here, in order, with the same results.

    Args:
        fn: ``fn(context, frame_index) -> result``.
        context: Passed to every call.
        frame_indices: Frames to map over.
        jobs: Workers; None or 0 = every available core.
        workers: ``"threads"`` or ``"processes"`` (see the module's docstring).
        chunk_frames: Frames per task sent to a worker.
        min_frames_per_process: Frames each process must get at least; fewer
            processes (or none) are started otherwise.

    Raises:
        Whatever ``fn`` raises, for the earliest failing frame reached; pending work
        is cancelled.
    """
    frames = list(frame_indices)
    n = min(resolve_jobs(jobs), -(-len(frames) // max(chunk_frames, 1)))
    if workers == "processes":
        n = 1 if mp.current_process().daemon else \
            min(n, len(frames) // max(min_frames_per_process, 1))
    if n <= 1:
        for i in frames:
            yield fn(context, i)
        return
    chunks = iter([frames[k:k + chunk_frames] for k in range(0, len(frames), chunk_frames)])
    pool, submit = _executor(workers, n, fn, context)
    pending: deque[Future[list[Any]]] = deque()
    with pool:
        try:
            for chunk in chunks:
                pending.append(submit(chunk))
                if len(pending) >= 2 * n:
                    break
            while pending:
                results = pending.popleft().result()
                nxt = next(chunks, None)
                if nxt is not None:
                    pending.append(submit(nxt))
                yield from results
        finally:
            for fut in pending:
                fut.cancel()
