"""A session killed part-way (or made stale) is never consumed: merge and status refuse
it, naming the scene and the command that redoes it, and `run` redoes it."""

from __future__ import annotations

import numpy as np
import pytest

from cli_run import run_cli
from robomask.errors import StageNotReadyError
from robomask.pipeline.merge import merge_scene
from robomask.pipeline.runner import Pipeline
from robomask.pipeline.sessions import run_session
from robomask.pipeline.status import scene_status
from robomask.prompts import LEFT_KEY, RIGHT_KEY, PromptEntry, PromptSet, write_prompts
from robomask.report.outputs import SceneOutputs
from robomask.scenes import scene as get_scene
from scripted_backend import build

FRAMES, KILL_AT = 90, 40


def _gripper_prompts(path, x_px: float) -> None:
    grip = PromptSet()
    grip.entries[LEFT_KEY] = [PromptEntry(0, 2, ((x_px, 20.0),), (1,))]
    grip.entries[RIGHT_KEY] = [PromptEntry(0, 3, ((x_px + 8, 20.0),), (1,))]
    write_prompts(path, grip)


def _kill_after(n: int):
    def on_progress(update) -> None:
        if update.done == n:
            raise KeyboardInterrupt  # what SIGKILL leaves on disk: the marker says running

    return on_progress


def _exported(s) -> np.ndarray:
    store = s.store("export", s.frames())
    return np.stack([store.read(i) for i in range(len(store))])


@pytest.fixture
def done_scene(make_scene):
    sc = make_scene(num_frames=FRAMES, size_wh=(200, 48), with_ckpt=False,
                    backend="scripted_backend:build")
    s = get_scene(sc.config, sc.name)
    _gripper_prompts(s.gripper_prompts_path, 10.0)
    with Pipeline(sc.config) as pipe:
        assert all(r.status == "done" for r in pipe.run(sc.name))
    return sc, s


def test_rerun_killed_after_40_of_90_frames_is_refused_then_redone(done_scene, capsys):
    sc, s = done_scene
    _gripper_prompts(s.gripper_prompts_path, 60.0)  # the user moves the clicks, re-runs
    with pytest.raises(KeyboardInterrupt):
        run_session("gripper", s, sc.config, build(sc.config, "gripper"),
                    on_progress=_kill_after(KILL_AT))
    # the folder is complete (40 new frames + 50 old ones), so a file count cannot tell
    assert s.store("gripper", s.frames()).is_complete()

    with pytest.raises(StageNotReadyError, match=r"scene_0001.*_ckpt_gripper.*killed") as exc:
        merge_scene(s, sc.config)
    assert "robomask run --scene scene_0001" in str(exc.value)
    code, out = run_cli(["merge", "--config", str(sc.config_path), "--scene", sc.name], capsys)
    assert code == 2 and "error:" in out and "robomask run --scene scene_0001" in out
    st = scene_status(sc.config, sc.name)
    assert st.stages == {"arm": "done", "gripper": "interrupted", "export": "stale"}
    with pytest.raises(StageNotReadyError, match="_ckpt_gripper"):
        SceneOutputs(s, sc.config)  # the QA report and video refuse it too

    # `run` redoes the interrupted session (only it), then the merge; the export is all new
    with Pipeline(sc.config) as pipe:
        assert [r.status for r in pipe.run(sc.name)] == ["skipped", "done", "done"]
    redone = _exported(s)
    assert scene_status(sc.config, sc.name).stages == {
        "arm": "done", "gripper": "done", "export": "done"}
    with Pipeline(sc.config) as pipe:  # a clean run on the new prompts, frame for frame
        pipe.run(sc.name, force=True)
    assert np.array_equal(redone, _exported(s))


def test_session_with_changed_prompts_is_stale_for_merge(done_scene):
    sc, s = done_scene
    _gripper_prompts(s.gripper_prompts_path, 60.0)  # changed, not re-run
    with pytest.raises(StageNotReadyError, match=r"_ckpt_gripper.*prompt file or config "
                                                 r"changed"):
        merge_scene(s, sc.config)
    assert scene_status(sc.config, sc.name).stages["gripper"] == "stale"


def test_notebook_era_folders_without_markers_still_merge(make_scene):
    sc = make_scene()
    result = merge_scene(get_scene(sc.config, sc.name), sc.config)
    assert result.frames_written == sc.num_frames


@pytest.mark.parametrize("garbage", [b"\xff\xfe\x00", b"[1, 2]", b'{"status": '])
def test_an_edited_marker_counts_as_interrupted(done_scene, garbage):
    sc, s = done_scene
    (s.state_dir / "gripper.json").write_bytes(garbage)
    assert scene_status(sc.config, sc.name).stages["gripper"] == "interrupted"
    with pytest.raises(StageNotReadyError, match="_ckpt_gripper"):
        merge_scene(s, sc.config)
