"""robomask.parallel: ordered results from threads and processes, errors, the inline case."""

from __future__ import annotations

import os
import threading

import pytest

from robomask.errors import ConfigError, MaskStoreError
from robomask.parallel import available_cores, map_frames, resolve_jobs


def square_where(offset: int, frame_index: int) -> tuple[int, int, str]:
    return offset + frame_index * frame_index, os.getpid(), threading.current_thread().name


def fail_on_five(_: None, frame_index: int) -> int:
    if frame_index == 5:
        raise MaskStoreError(f"frame {frame_index}: expected a mask, got nothing")
    return frame_index


FRAMES = [9, 3, 0, 7, 1, 8, 2, 6, 4, 5, 10]


def test_processes_give_results_in_input_order():
    got = list(map_frames(square_where, 100, FRAMES, jobs=2, workers="processes",
                          chunk_frames=2, min_frames_per_process=1))
    assert [v for v, _, _ in got] == [100 + i * i for i in FRAMES]
    assert {pid for _, pid, _ in got} - {os.getpid()}, "expected work in worker processes"


def test_threads_give_results_in_input_order():
    got = list(map_frames(square_where, 100, FRAMES, jobs=3, chunk_frames=2))
    assert [v for v, _, _ in got] == [100 + i * i for i in FRAMES]
    assert {name for _, _, name in got} <= {f"robomask-map_{k}" for k in range(3)}


def test_one_job_or_few_frames_run_here_with_the_same_results():
    inline = list(map_frames(square_where, 1, range(7), jobs=1, chunk_frames=2))
    assert {(pid, name) for _, pid, name in inline} == {(os.getpid(), "MainThread")}
    few = list(map_frames(square_where, 1, range(7), jobs=4, workers="processes",
                          chunk_frames=2, min_frames_per_process=100))
    assert few == inline, "7 frames do not pay for starting processes"


@pytest.mark.parametrize("workers", ["threads", "processes"])
def test_a_worker_error_reaches_the_caller_with_its_type_and_message(workers):
    with pytest.raises(MaskStoreError, match="frame 5: expected a mask"):
        list(map_frames(fail_on_five, None, range(12), jobs=2, workers=workers,
                        chunk_frames=3, min_frames_per_process=1))


def test_jobs_values():
    assert resolve_jobs(None) == resolve_jobs(0) == available_cores() >= 1
    assert resolve_jobs(3) == 3
    with pytest.raises(ConfigError, match="--jobs: expected"):
        resolve_jobs(-2)
    assert list(map_frames(square_where, 0, [], jobs=4)) == []
