"""Long videos in windows (robomask.pipeline.windows, track(max_frames=...)): every frame
once, object ids kept across window boundaries, no session holding more than a window.

Run on the sam3 stand-in (clicks sampled from masks carry objects over) and on the real
transformers classes with tiny random weights (mask prompts carry them over).
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from robomask.io.frames import open_frames
from robomask.pipeline.track import TextPrompt, track
from robomask.pipeline.windows import clicks_from_mask, plan_windows
from robomask.prompts import PromptEntry
from sam3_standin import StandInPredictor


@pytest.fixture(autouse=True)
def _fresh_states():
    StandInPredictor._ALL_INFERENCE_STATES.clear()
    yield
    StandInPredictor._ALL_INFERENCE_STATES.clear()


def _sam3(config, pred):
    from robomask.backends.sam3 import Sam3Backend

    return Sam3Backend(lambda: pred, config)


def _check_once(out, n: int) -> None:
    assert sorted(fm.frame_index for fm in out) == list(range(n))


def test_plan_windows() -> None:
    assert [(w.start, w.stop) for w in plan_windows(10, 4)] == [(0, 4), (3, 7), (6, 10)]
    assert [(w.start, w.stop) for w in plan_windows(10, None)] == [(0, 10)]
    assert [(w.start, w.stop) for w in plan_windows(10, 10)] == [(0, 10)]
    windows = plan_windows(1500, 300)
    assert all(w.stop - w.start <= 300 for w in windows) and windows[-1].stop == 1500
    assert all(a.stop - b.start == 4 for a, b in zip(windows, windows[1:], strict=False))
    with pytest.raises(ValueError, match="expected >= 2"):
        plan_windows(10, 1)


def test_clicks_from_mask() -> None:
    mask = np.zeros((40, 60), bool)
    mask[5:35, 10:20] = True  # an L: a bar and a foot
    mask[25:35, 20:50] = True
    points, labels = clicks_from_mask(mask)
    pos, neg = points[labels == 1].astype(int), points[labels == 0].astype(int)
    assert len(pos) == 3 and all(mask[y, x] for x, y in pos)
    assert len(neg) == 2 and not any(mask[y, x] for x, y in neg)
    assert all(10 <= x < 50 and 5 <= y < 35 for x, y in neg)  # inside the bounding box


def test_gripper_session_in_three_windows(make_scene) -> None:
    """Stand-in (clicks only): 10 frames in windows of 4 -> 3 sessions; ids 2 and 3 on
    every frame, each frame once, no session over 4 frames, window folders cleaned up."""
    sc = make_scene(num_frames=10)
    frames = open_frames(sc.frames_dir)
    pred = StandInPredictor()
    clicks = [PromptEntry(1, 2, ((20.0, 30.0),), (1,)), PromptEntry(1, 3, ((70.0, 30.0),), (1,))]
    with _sam3(sc.config, pred) as backend:
        out = list(track(frames, clicks, backend=backend, keep_obj_ids=[2, 3], max_frames=4))
    _check_once(out, 10)
    assert all(fm.object_ids == [2, 3] for fm in out)
    held = [c["num_frames"] for c in pred.model.init_state_calls]
    assert held == [4, 4, 4]
    folders = [c["resource_path"] for c in pred.model.init_state_calls]
    assert not any(os.path.exists(f) for f in folders)


def test_text_in_a_middle_window_seeds_both_ways(make_scene) -> None:
    """The text's window runs first; the windows before it are seeded backwards."""
    sc = make_scene(num_frames=10, arm_text_bootstrap_frame_index=5)
    frames = open_frames(sc.frames_dir)
    pred = StandInPredictor()
    with _sam3(sc.config, pred) as backend:
        out = list(track(frames, backend=backend, text=TextPrompt(5, "robot"), max_frames=4))
    _check_once(out, 10)
    assert [fm.frame_index for fm in out][:4] == [3, 4, 5, 6]  # the text's window first
    assert all(fm.object_ids == [0, 1] for fm in out)


def test_ctrl_c_in_a_later_window_closes_its_session(make_scene) -> None:
    sc = make_scene(num_frames=10)
    frames = open_frames(sc.frames_dir)
    pred = StandInPredictor()
    with pytest.raises(KeyboardInterrupt), _sam3(sc.config, pred) as backend:
        for fm in track(frames, backend=backend, text=TextPrompt(0, "robot"), max_frames=4):
            if fm.frame_index == 5:
                raise KeyboardInterrupt
    kinds = [r["type"] for r in pred.log]
    assert kinds.count("start_session") == 2 == kinds.count("close_session")
    assert pred.has_shutdown


def test_run_session_in_windows_opencv(make_scene) -> None:
    """The session runner with max_frames_per_session, on the opencv backend (mask
    prompts): 12 frames in 4 windows, the arm followed across every boundary although its
    only clicks are on frame 0."""
    from robomask.backends import build_backend
    from robomask.masks import mask_iou
    from robomask.pipeline.sessions import run_session
    from robomask.scenes import scene

    sc = make_scene(num_frames=12, with_ckpt=False, backend="opencv", max_frames_per_session=4)
    s = scene(sc.config, sc.name)
    with build_backend(sc.config, "arm") as backend:
        result = run_session("arm", s, sc.config, backend)
    assert result.frames == 12 and result.object_frames == {0: 12}
    store = s.store("arm", s.frames())
    assert min(mask_iou(store.read(i) > 0, sc.arm_gt[i]) for i in range(12)) > 0.9


@pytest.mark.hf
def test_sam3_hf_in_three_windows(make_scene, tmp_path_factory) -> None:
    """Real transformers classes (tiny random weights): mask prompts carry the text's
    objects over two window boundaries; no session is given more than 4 frames."""
    pytest.importorskip("transformers")
    torch = pytest.importorskip("torch")
    from robomask.backends import build_backend
    from sam3_hf_folder import tiny_sam3_folder

    model_dir = tiny_sam3_folder(tmp_path_factory.mktemp("hf"))
    sc = make_scene(num_frames=10, backend="sam3-hf", device="cpu",
                    sam3_hf_model_dir=str(model_dir))
    frames = open_frames(sc.frames_dir)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with build_backend(sc.config, "arm") as backend:
            held: list[int] = []
            opened = backend.open_session
            backend.open_session = lambda f: (held.append(len(f)), opened(f))[1]
            out = list(track(frames, backend=backend, text=TextPrompt(0, "robot and cable"),
                             max_frames=4))
    finally:
        torch.set_num_threads(threads)
    _check_once(out, 10)
    assert held == [4, 4, 4]
    ids = out[0].object_ids
    assert ids and all(fm.object_ids == ids for fm in out)
