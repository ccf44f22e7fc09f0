"""The streaming session: frames decoded ahead, masks written behind on threads, with the
same files byte for byte as writing them one at a time in the session's thread."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from robomask.errors import FrameError, MaskStoreError
from robomask.io.frames import FolderFrames
from robomask.io.objstats import stats_of, write_object_stats
from robomask.io.prefetch import PrefetchFrames
from robomask.pipeline.sessions import run_session
from robomask.pipeline.state import StageState
from robomask.pipeline.track import TextPrompt, track
from robomask.prompts import ARM_KEY, read_prompts
from robomask.scenes import scene as get_scene
from scripted_backend import ScriptedBackend


class Recording:
    """A frame source that records which frames were decoded, and on which thread."""

    def __init__(self, source):
        self.source, self.path, self.stems, self.size_wh = (source, source.path, source.stems,
                                                            source.size_wh)
        self.reads: list[tuple[int, str]] = []

    def __len__(self):
        return len(self.source)

    def describe(self, i):
        return self.source.describe(i)

    def __getitem__(self, i):
        self.reads.append((i, threading.current_thread().name))
        return self.source[i]


def test_prefetch_gives_the_same_frames_and_decodes_ahead_on_its_thread(make_scene):
    sc = make_scene(num_frames=12, with_ckpt=False)
    folder = FolderFrames(sc.frames_dir)
    rec = Recording(folder)
    with PrefetchFrames(rec, ahead=3) as frames:
        for i in (0, 1, 2, 3):
            np.testing.assert_array_equal(frames[i], folder[i])
        assert wait_for_reads(rec, {4, 5, 6}), "expected frames 4-6 decoded ahead"
        for i in (11, 10):  # a jump, then a step back: decode ahead backwards
            np.testing.assert_array_equal(frames[i], folder[i])
        assert wait_for_reads(rec, {9, 8, 7}), "expected frames 9-7 decoded ahead"
        np.testing.assert_array_equal(frames[9], folder[9])
        np.testing.assert_array_equal(frames[4], folder[4])  # a jump: served all the same
        assert len(frames) == 12 and frames.size_wh == folder.size_wh
    assert {name for _, name in rec.reads} == {"robomask-frames_0"}
    assert [i for i, _ in rec.reads].count(9) == 1, "frame 9 was decoded once, ahead"


def wait_for_reads(rec: Recording, frames: set[int]) -> bool:
    """Wait (up to 10 s, for a loaded machine) until the background thread read ``frames``."""
    deadline = time.monotonic() + 10
    while not frames <= {i for i, _ in rec.reads} and time.monotonic() < deadline:
        time.sleep(0.01)
    return frames <= {i for i, _ in rec.reads}


def test_prefetch_raises_a_bad_frame_only_when_it_is_read(make_scene):
    sc = make_scene(num_frames=6, with_ckpt=False)
    folder = FolderFrames(sc.frames_dir)
    folder.file(3).write_bytes(b"not an image")
    with PrefetchFrames(folder, ahead=4) as frames:
        frames[1], frames[2]  # frame 3 is decoded ahead and fails there, silently
        with pytest.raises(FrameError, match=r"frame 3\): expected a readable image"):
            frames[3]


def test_session_files_equal_one_thread_writing_frame_by_frame(make_scene, tmp_path):
    sc = make_scene(num_frames=40, size_wh=(128, 80), with_ckpt=False)
    s = get_scene(sc.config, sc.name)
    found = {5: (70.0, 40.0), 9: (20.0, 60.0)}  # two objects found by text, one clicked
    run_session("arm", s, sc.config, ScriptedBackend(text_objects=found))
    # the reference: the same track written inline, one frame after the other
    store = s.store("arm", s.frames())
    ref = type(store)(tmp_path / "ref", size_wh=store.size_wh, stems=store.stems)
    ref.prepare()
    clicks = read_prompts(s.arm_prompts_path, kind="arm")[ARM_KEY]
    rows = []
    text = TextPrompt(sc.config.arm_text_bootstrap_frame_index, sc.config.arm_text_prompt)
    for fm in track(s.frames(), clicks, backend=ScriptedBackend(text_objects=found), text=text):
        ref.write(fm.frame_index, fm.union())
        rows += stats_of(fm, sorted(fm.masks))
    write_object_stats(tmp_path / "ref.csv", rows)
    for i in range(sc.num_frames):
        assert store.path(i).read_bytes() == ref.path(i).read_bytes(), i
    assert (s.state_dir / "arm_objects.csv").read_bytes() == (tmp_path / "ref.csv").read_bytes()


def test_a_failed_write_stops_the_session_with_one_line_and_leaves_it_interrupted(make_scene):
    sc = make_scene(num_frames=30, with_ckpt=False)
    s = get_scene(sc.config, sc.name)
    blocker = s.mask_dir("arm") / "00012.png"  # a folder where frame 12's file must go
    (blocker / "keep").mkdir(parents=True)
    with pytest.raises(MaskStoreError, match=r"_ckpt_arm/00012\.png: expected to write the "
                                             r"mask of frame 12, got"):
        run_session("arm", s, sc.config, ScriptedBackend())
    assert StageState(s.state_dir, "arm").read()["status"] == "running"
    assert not [p for p in s.mask_dir("arm").iterdir() if p.name.endswith(".tmp")]
    assert not [t for t in threading.enumerate() if t.name.startswith("robomask-")]


def test_an_interrupted_session_leaves_whole_files_and_resumes_to_the_same_bytes(make_scene):
    sc = make_scene(num_frames=30, with_ckpt=False)
    s = get_scene(sc.config, sc.name)
    folder = s.mask_dir("arm")
    run_session("arm", s, sc.config, ScriptedBackend())
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    csv = (s.state_dir / "arm_objects.csv").read_bytes()

    def stop_at_ten(update):
        if update.done == 10:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_session("arm", s, sc.config, ScriptedBackend(), force=True, on_progress=stop_at_ten)
    assert StageState(s.state_dir, "arm").read()["status"] == "running"
    assert all(p.suffix == ".png" and p.read_bytes() == before[p.name] for p in folder.iterdir())
    resumed = run_session("arm", s, sc.config, ScriptedBackend())
    assert not resumed.skipped
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert (s.state_dir / "arm_objects.csv").read_bytes() == csv
