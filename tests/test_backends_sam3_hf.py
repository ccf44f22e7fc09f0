"""The sam3-hf backend on the real transformers SAM3 classes, with tiny random weights.

The tiny model is saved with ``save_pretrained`` into a folder and loaded back through
the backend, as the real weights are. Random weights give meaningless masks: these tests
check structure (ids, frames, shapes, clean-up), never quality.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from robomask.backends import build_backend
from robomask.errors import BackendError
from robomask.io.frames import open_frames
from robomask.masks import FrameMasks
from sam3_hf_folder import TEXT_OBJECTS, tiny_sam3_folder

pytestmark = pytest.mark.hf

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
if int(transformers.__version__.split(".")[0]) < 5:
    pytest.skip("SAM3 needs transformers >= 5", allow_module_level=True)


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    """Tiny models gain nothing from threads; on a busy 2-core machine they cost ~10x."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_sam3_folder(tmp_path_factory.mktemp("hf"))


@pytest.fixture
def hf_scene(make_scene, tiny_model_dir):
    return make_scene(num_frames=6, size_wh=(96, 64), with_ckpt=False, backend="sam3-hf",
                      device="cpu",
                      sam3_hf_model_dir=str(tiny_model_dir))


def _check_frames(masks: list[FrameMasks], n: int, size_wh: tuple[int, int]) -> None:
    assert sorted(fm.frame_index for fm in masks) == list(range(n))  # each frame once
    for fm in masks:
        assert fm.size_wh == size_wh
        for m in fm.masks.values():
            assert m.shape == (size_wh[1], size_wh[0]) and m.dtype == bool


def test_text_then_clicks_propagate_both_ways(hf_scene) -> None:
    frames = open_frames(hf_scene.frames_dir)
    with build_backend(hf_scene.config, "arm") as backend:
        assert backend.name == "sam3-hf" and str(backend.device) == "cpu"
        with backend.open_session(frames) as session:
            text_ids = set(session.add_text(2, "robot and cable").masks)
            assert text_ids and text_ids <= set(range(TEXT_OBJECTS))  # detector ids 0..N-1
            clicked = session.add_clicks(4, 7, np.array([[20.0, 10.0], [50.0, 30.0]]),
                                         np.array([1, 0]))
            assert set(clicked.masks) == text_ids | {7}
            out = list(session.propagate(direction="both"))  # starts at frame 2
            tracker = session.tracker
        assert session.closed and session.tracker is None
    _check_frames(out, 6, (96, 64))
    for fm in out:
        assert set(fm.masks) == text_ids | {7}
    # streaming: no frame stays in the tracker session, old results were pruned
    assert not tracker.processed_frames
    for per_obj in tracker.output_dict_per_obj.values():
        assert len(per_obj["non_cond_frame_outputs"]) <= session.window + 1
    assert backend.model is None


def test_clicks_only_remove_and_reset(hf_scene) -> None:
    frames = open_frames(hf_scene.frames_dir)
    with build_backend(hf_scene.config, "gripper") as backend, \
            backend.open_session(frames) as session:
        session.add_clicks(0, 2, np.array([[10.0, 10.0]]), np.array([1]))
        session.add_clicks(3, 3, np.array([[80.0, 10.0]]), np.array([1]))
        forward = list(session.propagate(start_frame_index=3, direction="forward"))
        assert [fm.frame_index for fm in forward] == [3, 4, 5]
        backward = list(session.propagate(start_frame_index=3, direction="backward"))
        assert [fm.frame_index for fm in backward] == [3, 2, 1, 0]
        session.remove_object(2)
        after = list(session.propagate(direction="both"))
        _check_frames(after, 6, (96, 64))
        assert all(set(fm.masks) == {3} for fm in after)
        with pytest.raises(BackendError, match="expected one of the session's objects"):
            session.remove_object(2)
        session.reset()
        with pytest.raises(BackendError, match="expected a prompt first"):
            list(session.propagate())


def test_missing_or_incomplete_folder(make_scene, tmp_path: Path) -> None:
    cfg = make_scene(backend="sam3-hf", device="cpu").config
    cfg.sam3_hf_model_dir = None
    with pytest.raises(BackendError, match="sam3_hf_model_dir.*got no value"):
        build_backend(cfg, "arm")
    cfg.sam3_hf_model_dir = tmp_path / "nowhere"
    with pytest.raises(BackendError, match="expected a folder"):
        build_backend(cfg, "arm")
    partial = tmp_path / "partial"
    partial.mkdir()
    (partial / "config.json").write_text("{}")
    with pytest.raises(BackendError, match="without model weights.*processor_config.json"):
        build_backend(cfg.model_copy(update={"sam3_hf_model_dir": partial}), "arm")


def test_sessions_end_to_end(hf_scene) -> None:
    """Both stages through robomask's own session runner (SPEC section 5)."""
    sessions = pytest.importorskip("robomask.pipeline.sessions")
    from robomask.scenes import scene

    sc = scene(hf_scene.config, hf_scene.name)
    for stage in ("arm", "gripper"):
        with build_backend(hf_scene.config, stage) as backend:
            result = sessions.run_session(stage, sc, hf_scene.config, backend)
        assert result.frames == 6 and not result.skipped
        store = sc.store(stage, sc.frames())
        assert store.missing() == []
        assert store.read(0).shape == (64, 96)
    assert (sc.state_dir / "gripper_objects.csv").is_file()


def test_clicks_refine_an_existing_object(hf_scene) -> None:
    """Finding 2: clicks on a text object, on a frame already tracked, must survive the
    next propagation (transformers stored them as an ordinary tracked frame)."""
    frames = open_frames(hf_scene.frames_dir)
    with build_backend(hf_scene.config, "arm") as backend, \
            backend.open_session(frames) as session:
        obj = min(session.add_text(0, "robot and cable").masks)
        before = {fm.frame_index: fm for fm in session.propagate(direction="both")}
        clicked = session.add_clicks(4, obj, np.array([[80.0, 50.0], [10.0, 10.0]]),
                                     np.array([0, 0]))  # "not here": negative clicks
        assert not np.array_equal(clicked.masks[obj], before[4].masks[obj])
        after = {fm.frame_index: fm for fm in session.propagate(direction="both")}
    assert np.array_equal(after[4].masks[obj], clicked.masks[obj])


def test_duplicate_detections_are_suppressed(hf_scene, monkeypatch) -> None:
    """Finding 4: two detector queries made identical find the same object twice; robomask
    keeps one, with its own NMS, and never asks the Hub for transformers' kernels."""
    from transformers.models.sam3_video import modeling_sam3_video

    from robomask.backends import sam3_hf

    hub_calls: list[tuple] = []
    monkeypatch.setattr(modeling_sam3_video, "get_kernel",
                        lambda *a, **k: hub_calls.append(a), raising=False)
    monkeypatch.setattr(modeling_sam3_video, "is_kernels_available", lambda: True)
    monkeypatch.setattr(modeling_sam3_video, "cv_utils_kernel", None)
    monkeypatch.setattr(modeling_sam3_video, "nms_masks", modeling_sam3_video.nms_masks)
    frames = open_frames(hf_scene.frames_dir)
    with build_backend(hf_scene.config, "arm") as backend:
        assert modeling_sam3_video.nms_masks is sam3_hf.nms_masks
        decoder = backend.model.detector_model.detr_decoder
        with torch.no_grad():
            decoder.query_embed.weight[1] = decoder.query_embed.weight[0]
            decoder.reference_points.weight[1] = decoder.reference_points.weight[0]
        ids, masks = backend.detect(frames[0], 0, "robot")
    assert len(ids) == 1 and masks.shape[0] == 1 and bool(masks[0].any())
    assert hub_calls == []


def test_nms_masks() -> None:
    from robomask.backends.sam3_hf import nms_masks

    m = torch.full((4, 8, 8), -1.0)
    m[0, :4], m[1, :4], m[2, 4:], m[3, :5] = 1.0, 1.0, 1.0, 1.0  # 1 = 0; 3 overlaps 0 by 0.8
    probs = torch.tensor([0.5, 0.9, 0.7, 0.05])
    assert nms_masks(probs, m, 0.1, 0.5).tolist() == [False, True, True, False]
    assert nms_masks(probs, m, 0.0, 0.9).tolist() == [False, True, True, True]


def test_a_box_goes_with_the_clicks_and_survives_a_rebuild(hf_scene) -> None:
    """A box reaches the tracker as its two corner points (labels 2 and 3) before the
    clicks, and is sent again when remove_object rebuilds the session."""
    frames = open_frames(hf_scene.frames_dir)

    def inputs(session, obj_id: int, frame_index: int):
        idx = session.tracker.obj_id_to_idx(obj_id)
        return session.tracker.point_inputs_per_obj[idx][frame_index]["point_labels"]

    with build_backend(hf_scene.config, "gripper") as backend, \
            backend.open_session(frames) as session:
        assert backend.capabilities.box_prompts
        boxed = session.add_clicks(1, 2, np.array([[30.0, 20.0]]), np.array([1]),
                                   box_xyxy=np.array([10.0, 5.0, 60.0, 40.0]))
        assert set(boxed.masks) == {2} and boxed.masks[2].shape == (64, 96)
        session.add_clicks(3, 3, np.array([[80.0, 10.0]]), np.array([1]))
        assert inputs(session, 2, 1).flatten().tolist() == [2, 3, 1]
        assert inputs(session, 3, 3).flatten().tolist() == [1]
        session.remove_object(3)
        assert inputs(session, 2, 1).flatten().tolist() == [2, 3, 1]
        _check_frames(list(session.propagate(direction="both")), 6, (96, 64))
