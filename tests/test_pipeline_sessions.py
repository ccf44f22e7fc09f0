"""Session semantics (SPEC section 5) against a scripted backend with known masks."""

from __future__ import annotations

import numpy as np
import pytest

from robomask.errors import SessionError
from robomask.io.objstats import read_object_stats
from robomask.pipeline.sessions import run_session
from robomask.prompts import LEFT_KEY, RIGHT_KEY, PromptEntry, PromptSet, write_prompts
from robomask.scenes import scene as get_scene
from scripted_backend import ScriptedBackend, disc


def _read_all(store):
    return np.stack([store.read(i) for i in range(len(store))])


def test_arm_session_text_then_clicks_writes_union_of_every_object(make_scene):
    sc = make_scene(with_ckpt=False)
    s = get_scene(sc.config, sc.name)
    backend = ScriptedBackend(text_objects={5: (70.0, 40.0)})
    result = run_session("arm", s, sc.config, backend)
    kinds = [c[0] for c in backend.calls]
    # text, a drained warm-up propagation both ways, the clicks, the final propagation
    assert kinds == ["open", "text", "propagate", "propagate", "clicks", "propagate",
                     "propagate", "close"]
    store = s.store("arm", s.frames())
    w, h = sc.size_wh
    for i in range(sc.num_frames):
        expected = disc((w, h), (70 + i, 40), 3) | disc((w, h), (w / 4 + i, 8), 3)
        assert np.array_equal(store.read(i), expected), i
    assert result.object_frames == {0: sc.num_frames, 5: sc.num_frames}
    assert result.warnings == []
    stats = read_object_stats(s.state_dir / "arm_objects.csv")
    assert {r.obj_id for r in stats} == {0, 5} and len(stats) == 2 * sc.num_frames


def test_arm_session_without_text_uses_clicks_only(make_scene):
    sc = make_scene(with_ckpt=False)
    s = get_scene(sc.config, sc.name)
    backend = ScriptedBackend(text=False)
    run_session("arm", s, sc.config, backend)
    assert "text" not in [c[0] for c in backend.calls]


def test_arm_session_without_text_or_clicks_fails_clearly(make_scene):
    sc = make_scene(with_ckpt=False, with_prompts=False)
    s = get_scene(sc.config, sc.name)
    with pytest.raises(SessionError, match="expected arm clicks"):
        run_session("arm", s, sc.config, ScriptedBackend(text=False))


def test_arm_warns_when_configured_arm_id_never_appears(make_scene):
    sc = make_scene(with_ckpt=False, with_prompts=False, arm_obj_id_2=1)
    s = get_scene(sc.config, sc.name)
    result = run_session("arm", s, sc.config, ScriptedBackend(text_objects={0: (30.0, 30.0)}))
    assert len(result.warnings) == 1 and "arm_obj_id_2=1" in result.warnings[0]


def test_bidirectional_merge_keeps_object_seen_by_one_pass_only(make_scene):
    sc = make_scene(with_ckpt=False)
    s = get_scene(sc.config, sc.name)
    # keyframe 3: object 2 reported only by the forward pass, 3 only by the backward pass
    grip = PromptSet()
    grip.entries[LEFT_KEY] = [PromptEntry(3, 2, ((20.0, 30.0),), (1,))]
    grip.entries[RIGHT_KEY] = [PromptEntry(3, 3, ((70.0, 30.0),), (1,))]
    write_prompts(s.gripper_prompts_path, grip)
    backend = ScriptedBackend(forward_only={2}, backward_only={3})
    run_session("gripper", s, sc.config, backend)
    store = s.store("gripper", s.frames())
    w, h = sc.size_wh
    start = store.read(3)
    assert np.array_equal(start, disc((w, h), (20, 30), 3) | disc((w, h), (70, 30), 3))
    assert np.array_equal(store.read(5), disc((w, h), (22, 30), 3))   # forward: only obj 2
    assert np.array_equal(store.read(1), disc((w, h), (68, 30), 3))   # backward: only obj 3


def test_gripper_result_holds_gripper_ids_only(make_scene):
    sc = make_scene(with_ckpt=False)
    s = get_scene(sc.config, sc.name)
    backend = ScriptedBackend(preexisting={0: (50.0, 50.0)})  # an arm the backend found
    run_session("gripper", s, sc.config, backend)
    store = s.store("gripper", s.frames())
    w, h = sc.size_wh
    for i in range(sc.num_frames):
        expected = disc((w, h), (0.1 * w + i, 0.1 * h), 3) | disc((w, h), (0.9 * w + i, 0.1 * h), 3)
        assert np.array_equal(store.read(i), expected), i
    stats = read_object_stats(s.state_dir / "gripper_objects.csv")
    assert {r.obj_id for r in stats} == {2, 3}


def test_gripper_without_points_fails(make_scene):
    sc = make_scene(with_ckpt=False)
    s = get_scene(sc.config, sc.name)
    write_prompts(s.gripper_prompts_path, PromptSet())
    with pytest.raises(SessionError, match="at least one gripper side"):
        run_session("gripper", s, sc.config, ScriptedBackend())


def test_gripper_side_with_points_that_never_appears_fails(make_scene):
    sc = make_scene(with_ckpt=False)
    s = get_scene(sc.config, sc.name)
    backend = ScriptedBackend(never={3})
    with pytest.raises(SessionError, match="GRIPPER_RIGHT_KEYFRAME_PROMPTS has points"):
        run_session("gripper", s, sc.config, backend)
    assert backend.calls[-1] == ("close",)


def test_finished_stage_is_skipped_until_inputs_change(make_scene):
    sc = make_scene(with_ckpt=False)
    s = get_scene(sc.config, sc.name)
    backend = ScriptedBackend()
    assert not run_session("gripper", s, sc.config, backend).skipped
    assert run_session("gripper", s, sc.config, backend).skipped
    assert not run_session("gripper", s, sc.config, backend, force=True).skipped
    grip = PromptSet()
    grip.entries[LEFT_KEY] = [PromptEntry(2, 2, ((30.0, 30.0),), (1,))]
    write_prompts(s.gripper_prompts_path, grip)
    assert not run_session("gripper", s, sc.config, backend).skipped


def test_session_closed_when_progress_callback_raises(make_scene):
    sc = make_scene(with_ckpt=False)
    s = get_scene(sc.config, sc.name)
    backend = ScriptedBackend()

    def boom(update):
        if update.done == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_session("gripper", s, sc.config, backend, on_progress=boom)
    assert backend.calls[-1] == ("close",)
    marker = (s.state_dir / "gripper.json").read_text()
    assert '"running"' in marker
