"""robomask.parallel: ordered results, errors and the inline fallback."""

from __future__ import annotations

import os

import pytest

from robomask.errors import ConfigError, MaskStoreError
from robomask.parallel import available_cores, map_frames, resolve_jobs


def square_with_pid(offset: int, frame_index: int) -> tuple[int, int]:
    return offset + frame_index * frame_index, os.getpid()


def fail_on_five(_: None, frame_index: int) -> int:
    if frame_index == 5:
        raise MaskStoreError(f"frame {frame_index}: expected a mask, got nothing")
    return frame_index


def test_results_come_in_input_order_from_several_processes():
    frames = [9, 3, 0, 7, 1, 8, 2, 6, 4, 5, 10]
    got = list(map_frames(square_with_pid, 100, frames, jobs=2, chunk_frames=2,
                          min_frames_per_job=1))
    assert [v for v, _ in got] == [100 + i * i for i in frames]
    assert {pid for _, pid in got} - {os.getpid()}, "expected work done in worker processes"


def test_one_job_runs_here_with_the_same_results():
    frames = list(range(7))
    inline = list(map_frames(square_with_pid, 1, frames, jobs=1, chunk_frames=2))
    assert {pid for _, pid in inline} == {os.getpid()}
    pooled = list(map_frames(square_with_pid, 1, frames, jobs=3, chunk_frames=2,
                             min_frames_per_job=1))
    assert [v for v, _ in inline] == [v for v, _ in pooled]


def test_a_worker_error_reaches_the_caller_with_its_type_and_message():
    with pytest.raises(MaskStoreError, match="frame 5: expected a mask"):
        list(map_frames(fail_on_five, None, range(12), jobs=2, chunk_frames=3,
                        min_frames_per_job=1))


def test_jobs_values():
    assert resolve_jobs(None) == resolve_jobs(0) == available_cores() >= 1
    assert resolve_jobs(3) == 3
    with pytest.raises(ConfigError, match="--jobs: expected"):
        resolve_jobs(-2)
    assert list(map_frames(square_with_pid, 0, [], jobs=4)) == []
    few = list(map_frames(square_with_pid, 0, range(150), jobs=4, min_frames_per_job=100))
    assert {pid for _, pid in few} == {os.getpid()}, "150 frames: one job is enough"
