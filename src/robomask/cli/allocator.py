"""glibc's allocator, tuned for frame-sized arrays (the CLI process only).

A frame's arrays (about 1 MB at 1280x720) are freed and allocated again for the next
frame. By default glibc hands such memory back to the kernel (``munmap``, or trimming a
thread's arena) and the next frame faults it in again, page by page: a merge of
notebook checkpoints spent a third of its time in the kernel doing that. Raising the
mmap and trim thresholds keeps freed buffers for reuse (at most TRIM_THRESHOLD_BYTES of
free heap is kept), and one arena for all threads keeps worker threads from each
growing and trimming their own. Elsewhere (macOS, musl) this is a no-op.
"""

from __future__ import annotations

import ctypes
import ctypes.util

M_TRIM_THRESHOLD = -1  # mallopt parameters, from glibc's malloc.h
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
MMAP_THRESHOLD_BYTES = 32 << 20  # arrays below this come from the heap, not mmap
TRIM_THRESHOLD_BYTES = 256 << 20  # free heap kept before it is handed back


def keep_freed_buffers() -> bool:
    """Set glibc's mmap and trim thresholds; True when they were set."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
                and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES)
                and mallopt(M_ARENA_MAX, 1))
