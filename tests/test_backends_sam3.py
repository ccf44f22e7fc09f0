"""The sam3 backend's adapter, against an in-process stand-in of sam3 0.1.4's predictor.

The stand-in (tests/sam3_standin.py) follows the request protocol of the published sam3
0.1.4 source; its docstring cites the lines of sam3/model/sam3_video_predictor.py and
sam3/model/sam3_video_inference.py each behaviour comes from. The real predictor needs
CUDA and the gated weights: ``test_real_predictor`` (marked gpu) runs it when both exist.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from robomask.backends.sam3 import BPE_NAME, Sam3Backend, build, find_bpe
from robomask.errors import BackendError, SessionError
from robomask.io.frames import open_frames
from robomask.masks import FrameMasks
from robomask.pipeline.track import TextPrompt, track
from robomask.prompts import PromptEntry
from sam3_standin import StandInPredictor


@pytest.fixture(autouse=True)
def _fresh_states():
    StandInPredictor._ALL_INFERENCE_STATES.clear()
    yield
    StandInPredictor._ALL_INFERENCE_STATES.clear()


def _backend(config, predictor: StandInPredictor, **kw) -> Sam3Backend:
    return Sam3Backend(lambda: predictor, config, **kw)


def _kinds(predictor: StandInPredictor) -> list[str]:
    return [r["type"] + (":text" if r.get("text") else ":points" if r.get("points") else "")
            + (f":{r['propagation_direction']}" if "propagation_direction" in r else "")
            for r in predictor.log]


def _check_frames(out: list[FrameMasks], n: int) -> None:
    assert sorted(fm.frame_index for fm in out) == list(range(n))


def test_arm_flow_text_warmup_clicks(make_scene) -> None:
    sc = make_scene(num_frames=6)
    frames = open_frames(sc.frames_dir)
    pred = StandInPredictor(text_objects=2)
    with _backend(sc.config, pred) as backend, backend.open_session(frames) as session:
        first = session.add_text(0, "robot and cable")
        assert set(first.masks) == {0, 1}
        for _ in session.propagate(direction="both"):  # track()'s warm-up
            pass
        clicked = session.add_clicks(3, 0, np.array([[48.0, 16.0], [10.0, 60.0]]),
                                     np.array([1, 0]))
        assert set(clicked.masks) == {0, 1}
        out = list(session.propagate(direction="both"))
    _check_frames(out, 6)
    assert all(set(fm.masks) == {0, 1} for fm in out)
    assert _kinds(pred) == ["start_session", "add_prompt:text", "propagate_in_video:forward",
                            "add_prompt:points", "propagate_in_video:forward",
                            "close_session"]  # the warm-up filled the cache: no bootstrap
    assert pred.passes == ["full", "partial"]  # each pass from frame 0, as the notebooks
    assert [r["start_frame_index"] for r in pred.log if "start_frame_index" in r] == [0, 0]
    click = pred.log[3]
    assert click["points"] == [[0.5, 0.25], [10 / 96, 60 / 64]]  # (x, y) / (w, h)
    assert click["point_labels"] == [1, 0] and click["obj_id"] == 0
    assert pred.log[0]["resource_path"] == str(sc.frames_dir)
    assert pred.has_shutdown and backend.predictor is None


def test_clicks_first_bootstrap_drops_text_objects(make_scene) -> None:
    """Gripper session: text bootstrap + propagation fill the cache, its objects go."""
    sc = make_scene(num_frames=5, arm_text_bootstrap_frame_index=1)
    frames = open_frames(sc.frames_dir)
    pred = StandInPredictor(text_objects=3, tensors=True)  # text ids 0, 1, 2 (2 = gripper!)
    with _backend(sc.config, pred) as backend, backend.open_session(frames) as session:
        left = session.add_clicks(2, 2, np.array([[9.0, 6.0]]), np.array([1]))
        assert set(left.masks) == {2}
        assert left.masks[2][6, 9] and left.masks[2].sum() < 40  # the click disc, not a bar
        session.add_clicks(4, 3, np.array([[86.0, 6.0]]), np.array([1]))
        out = list(session.propagate(direction="both"))
    _check_frames(out, 5)
    assert all(set(fm.masks) == {2, 3} for fm in out)
    kinds = _kinds(pred)
    assert kinds[:7] == ["start_session", "add_prompt:text", "propagate_in_video:forward",
                         "remove_object", "remove_object", "remove_object", "add_prompt:points"]
    assert pred.log[1]["text"] == sc.config.arm_text_prompt and pred.log[1]["frame_index"] == 1
    assert [r["obj_id"] for r in pred.log[3:6]] == [0, 1, 2]
    assert pred.passes == ["full", "partial"]  # the cache is filled once


def _gripper_clicks(frame_index: int) -> list[PromptEntry]:
    return [PromptEntry(frame_index, 2, ((20.0, 30.0),), (1,)),
            PromptEntry(frame_index, 3, ((70.0, 30.0),), (1,))]


def test_gripper_clicks_on_the_last_frame_reach_every_frame(make_scene) -> None:
    """Finding 5: a pass from n-1 made the next one a fetch of frames never cached."""
    sc = make_scene(num_frames=6)
    frames = open_frames(sc.frames_dir)
    pred = StandInPredictor()
    with _backend(sc.config, pred) as backend:
        out = list(track(frames, _gripper_clicks(5), backend=backend, keep_obj_ids=[2, 3]))
    _check_frames(out, 6)
    assert all(fm.object_ids == [2, 3] for fm in out)
    assert "fetch" not in pred.passes


def test_text_on_the_last_frame_gives_every_frame(make_scene) -> None:
    """Finding 5: text on frame n-1 propagated from there reached only that frame."""
    sc = make_scene(num_frames=6, arm_text_bootstrap_frame_index=5)
    frames = open_frames(sc.frames_dir)
    pred = StandInPredictor()
    with _backend(sc.config, pred) as backend:
        out = list(track(frames, [PromptEntry(2, 0, ((30.0, 40.0),), (1,))], backend=backend,
                         text=TextPrompt(5, "robot and cable")))
    _check_frames(out, 6)
    assert all(fm.object_ids == [0, 1] for fm in out)
    assert pred.passes == ["full", "partial"]


def test_bootstrap_removes_hidden_and_hotstart_removed_objects(make_scene) -> None:
    """Finding 5: text object 2 is empty everywhere (never in the outputs) and hotstart
    drops object 3 at frame 2; both must go, and removing 3 again must not assert."""
    sc = make_scene(num_frames=6)
    frames = open_frames(sc.frames_dir)
    pred = StandInPredictor(text_objects=4, empty_text_ids=(2,), hotstart_removed={3: 2})
    histories = []
    with _backend(sc.config, pred) as backend, backend.open_session(frames) as session:
        for entry in _gripper_clicks(3):
            session.add_clicks(entry.frame_index, entry.obj_id, entry.points_px(frames.size_wh),
                               entry.labels)
        histories = list(pred._state(session.session_id)["action_history"])
        out = list(session.propagate(direction="both"))
    _check_frames(out, 6)
    assert all(fm.object_ids == [2, 3] for fm in out)
    clicks = [a for a in histories if a["type"] in ("add", "refine")]
    assert [(a["type"], a["obj_ids"]) for a in clicks] == [("add", [2]), ("add", [3])]


@pytest.mark.parametrize("text_objects", [1, 4])
def test_gripper_masks_do_not_depend_on_the_text(make_scene, text_objects: int) -> None:
    """Finding 6 (decision, docs/sam3.md): gripper ids are new objects from their clicks;
    the text's objects are removed, so they neither take ids 2 and 3 nor cut pixels off
    the gripper masks (sam3's non-overlap rule). Text bar 0 covers the click at (20, 4)."""
    sc = make_scene(num_frames=4)
    frames = open_frames(sc.frames_dir)
    clicks = [PromptEntry(1, 2, ((20.0, 4.0),), (1,)), PromptEntry(1, 3, ((70.0, 30.0),), (1,))]
    with _backend(sc.config, StandInPredictor(text_objects=text_objects)) as backend:
        out = list(track(frames, clicks, backend=backend, keep_obj_ids=[2, 3]))
    yy, xx = np.mgrid[0:64, 0:96]
    disc = (xx - 20) ** 2 + (yy - 4) ** 2 <= 9
    for fm in out:
        assert np.array_equal(fm.masks[2], disc)  # the whole disc, whatever the text found


def test_ctrl_c_stops_the_pass_at_once(make_scene) -> None:
    """Finding 7: with one GPU the rest of the pass is not run on Ctrl-C."""
    sc = make_scene(num_frames=30)
    frames = open_frames(sc.frames_dir)
    pred = StandInPredictor()
    with pytest.raises(KeyboardInterrupt), _backend(sc.config, pred) as backend:
        for fm in track(frames, backend=backend, text=TextPrompt(0, "robot")):
            if fm.frame_index == 1:
                raise KeyboardInterrupt
    assert pred.frames_run == 2  # was 30: the stream was drained to its end
    assert _kinds(pred)[-1] == "close_session" and pred.has_shutdown


def test_ctrl_c_with_several_gpus_shuts_down_without_draining(make_scene) -> None:
    sc = make_scene(num_frames=30)
    frames = open_frames(sc.frames_dir)
    pred = StandInPredictor(world_size=2)
    backend = _backend(sc.config, pred, shutdown_timeout_s=5)
    with pytest.raises(KeyboardInterrupt), backend:
        for fm in track(frames, backend=backend, text=TextPrompt(0, "robot")):
            if fm.frame_index == 1:
                raise KeyboardInterrupt
    assert pred.frames_run == 2 and pred.has_shutdown and backend.predictor is None
    assert "close_session" not in _kinds(pred)  # it would wait at the workers' barrier


def test_early_stop_drains_the_stream(make_scene) -> None:
    sc = make_scene(num_frames=6)
    frames = open_frames(sc.frames_dir)
    pred = StandInPredictor(world_size=2)  # an open stream would hang the next request
    with _backend(sc.config, pred) as backend, backend.open_session(frames) as session:
        session.add_text(0, "robot")
        stream = session.propagate(direction="forward")
        assert next(stream).frame_index == 0
        stream.close()
        assert pred.stream_open  # the workers finish it anyway: drained by the next request
        session.remove_object(1)
        assert pred.streams_drained == 1 and not pred.stream_open
        assert all(set(fm.masks) == {0} for fm in session.propagate(direction="forward"))
        with pytest.raises(BackendError, match="Object 7 not found"):
            session.remove_object(7)


def test_session_closed_while_a_stream_is_pending(make_scene) -> None:
    """Several GPUs: a session closed with its stream left open is closed by the next
    request, after the stream is drained (the workers' barrier)."""
    sc = make_scene(num_frames=6)
    frames = open_frames(sc.frames_dir)
    pred = StandInPredictor(world_size=2)
    with _backend(sc.config, pred) as backend:
        with backend.open_session(frames) as first:
            first.add_text(0, "robot")
            next(first.propagate(direction="forward"))
        assert first.session_id in StandInPredictor._ALL_INFERENCE_STATES  # not yet
        with backend.open_session(frames) as second:
            assert first.session_id not in StandInPredictor._ALL_INFERENCE_STATES
            assert pred.streams_drained == 1
            second.add_text(0, "robot")
            assert len(list(second.propagate(direction="forward"))) == 6


def test_ctrl_c_closes_and_a_second_run_works(make_scene) -> None:
    sc = make_scene(num_frames=4)
    frames = open_frames(sc.frames_dir)
    first = StandInPredictor()
    backend = _backend(sc.config, first)
    with pytest.raises(KeyboardInterrupt), backend, backend.open_session(frames) as session:
        session.add_text(0, "robot")
        for _ in session.propagate():
            raise KeyboardInterrupt
    assert session.closed and first.has_shutdown and backend.predictor is None
    assert _kinds(first)[-1] == "close_session"
    assert not StandInPredictor._ALL_INFERENCE_STATES
    second = StandInPredictor()
    with _backend(sc.config, second) as again, again.open_session(frames) as s2:
        s2.add_text(0, "robot")
        _check_frames(list(s2.propagate()), 4)
    with pytest.raises(BackendError, match="closed"):
        backend.open_session(frames).add_text(0, "robot")


def test_stuck_shutdown_kills_workers(make_scene) -> None:
    """A worker killed by Ctrl-C never acknowledges; close() must still return."""
    sc = make_scene(num_frames=2)
    worker = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    pred = StandInPredictor(world_size=2, worker_pids={1: worker.pid}, hang_on_shutdown=True)
    backend = _backend(sc.config, pred, shutdown_timeout_s=0.5)
    t0 = time.monotonic()
    backend.close()
    worker.wait(timeout=5)  # reaped by close(); a sleeping worker would run for 60 s
    assert time.monotonic() - t0 < 10
    backend.close()  # twice is fine


def test_offload_video_to_cpu_reaches_init_state(make_scene) -> None:
    sc = make_scene(num_frames=2, sam3_offload_video_to_cpu=True)
    pred = StandInPredictor()
    with _backend(sc.config, pred) as backend, backend.open_session(open_frames(sc.frames_dir)):
        pass
    assert pred.model.init_state_calls[0]["offload_video_to_cpu"] is True


def test_offload_alone_warns_that_frames_still_reach_the_gpu(make_scene, caplog) -> None:
    """Finding 3: 0.1.4 copies the frames to the GPU anyway; the window is the bound."""
    sc = make_scene(num_frames=2, sam3_offload_video_to_cpu=True)
    with caplog.at_level("WARNING", logger="robomask.backends.sam3"):
        _backend(sc.config, StandInPredictor()).close()
    assert "set max_frames_per_session" in caplog.text
    caplog.clear()
    windowed = sc.config.model_copy(update={"max_frames_per_session": 100})
    with caplog.at_level("WARNING", logger="robomask.backends.sam3"):
        _backend(windowed, StandInPredictor()).close()
    assert "max_frames_per_session" not in caplog.text


def test_frame_count_mismatch_is_an_error(make_scene) -> None:
    sc = make_scene(num_frames=3)
    frames = open_frames(sc.frames_dir)
    (sc.frames_dir / "extra.bmp").write_bytes((sc.frames_dir / next(
        p.name for p in sc.frames_dir.iterdir())).read_bytes())  # sam3 reads .bmp too
    pred = StandInPredictor()
    with _backend(sc.config, pred) as backend, \
            pytest.raises(SessionError, match="sam3 read 4 frames, expected 3"):
        backend.open_session(frames)
    assert _kinds(pred)[-1] == "close_session"


def test_lerobot_v3_episode_gets_a_folder_of_its_own(make_scene, tmp_path) -> None:
    """A v3.0 video holds several episodes: sam3 must not read the whole file."""
    from lerobot_data import make_v21, make_v30
    from robomask.config import config_from_dict
    from robomask.scenes import scene

    for make, name, n, whole in ((make_v30, "v3", 9, False), (make_v21, "v2", 9, True)):
        root = make(tmp_path / name, {0: 7, 1: 9})
        cfg = config_from_dict({"export_base_dir": str(tmp_path / "out"),
                                "dataset": {"format": "lerobot", "root": str(root)}})
        frames = scene(cfg, "episode_000001").frames()
        assert frames.covers_file is whole
        pred = StandInPredictor()
        if not whole:
            with _backend(make_scene().config, pred) as backend:
                backend.open_session(frames).close()
            assert pred.model.init_state_calls[-1]["num_frames"] == n


def test_bpe_lookup(tmp_path: Path) -> None:
    with pytest.raises(BackendError, match="sam3_bpe_path.*got nothing"):
        find_bpe(tmp_path / BPE_NAME)
    (tmp_path / BPE_NAME).write_bytes(b"x")
    assert find_bpe(tmp_path / BPE_NAME) == tmp_path / BPE_NAME


def test_build_names_what_is_missing(make_scene) -> None:
    cfg = make_scene(num_frames=2).config
    if not _sam3_importable():
        with pytest.raises(BackendError, match=r"robomask\[sam3\]"):
            build(cfg, "arm")
    else:  # pragma: no cover - machines with sam3 installed
        with pytest.raises(BackendError):
            build(cfg.model_copy(update={"sam3_checkpoint": Path("/nonexistent.pt")}), "arm")


def _sam3_importable() -> bool:
    import importlib.util

    return importlib.util.find_spec("sam3") is not None


def _gpu_ready() -> str | None:
    try:
        import torch
    except ImportError:
        return "torch is not installed"
    if not torch.cuda.is_available():
        return "no CUDA GPU"
    if not _sam3_importable():
        return "the sam3 package is not installed (pip install 'robomask[sam3]')"
    ckpt = os.environ.get("ROBOMASK_SAM3_CHECKPOINT")
    if not ckpt or not Path(ckpt).is_file():
        return "ROBOMASK_SAM3_CHECKPOINT does not name a sam3.pt file"
    return None


@pytest.mark.gpu
def test_real_predictor(make_scene) -> None:
    """The real predictor on a tiny synthetic scene: gripper clicks (bootstrap), then text
    and an arm click. Each clicked object must cover its click on the clicked frame and
    have pixels on every frame (an empty result fails)."""
    reason = _gpu_ready()
    if reason:
        pytest.skip(reason)
    sc = make_scene(num_frames=8, size_wh=(160, 96),
                    sam3_checkpoint=os.environ["ROBOMASK_SAM3_CHECKPOINT"],
                    sam3_bpe_path=os.environ.get("ROBOMASK_SAM3_BPE"))
    frames = open_frames(sc.frames_dir)
    grip_xy, arm_xy = (73, 14), (30, 12)  # centres of the fixture's gripper and arm, frame 0
    for _ in range(2):  # a second predictor in the same process must work
        with build(sc.config, "gripper") as backend, backend.open_session(frames) as session:
            first = session.add_clicks(0, 2, np.array([grip_xy], float), np.array([1]))
            assert first.masks[2][grip_xy[1], grip_xy[0]]
            out = list(session.propagate(direction="both"))
            _check_frames(out, 8)
            assert all(fm.object_ids == [2] for fm in out)  # the text's objects are gone
            session.add_text(0, "robot arm")
            session.add_clicks(0, 0, np.array([arm_xy], float), np.array([1]))
            out = list(session.propagate(direction="both"))
            _check_frames(out, 8)
            assert out[0].masks[0][arm_xy[1], arm_xy[0]]
            assert all(0 in fm.object_ids for fm in out)
