"""Saving the arm and gripper prompt files as a pair: a kill at any moment leaves both
old or both new once the scene is opened again (or a run reads them)."""

from __future__ import annotations

import os

import pytest

from robomask.annotator.state import AnnotationState
from robomask.io import atomic
from robomask.prompts import ARM_KEY, RIGHT_KEY, read_prompts
from robomask.scenes import scene as get_scene


def _state(sc) -> AnnotationState:
    s = get_scene(sc.config, sc.name)
    return AnnotationState(s, sc.config, size_wh=sc.size_wh, num_frames=sc.num_frames)


def _kill_after_replacing(monkeypatch, target) -> None:
    """Make the process 'die' right after ``target`` got its new content."""
    real = os.replace

    def replace(src, dst):
        real(src, dst)
        if str(dst) == str(target):
            raise KeyboardInterrupt

    monkeypatch.setattr(atomic.os, "replace", replace)


@pytest.fixture
def edited(make_scene):
    sc = make_scene(with_ckpt=False)
    st = _state(sc)
    st.add_click(3, sc.config.arm_obj_id, 20, 20, 1)
    st.add_click(3, sc.config.gripper_right_obj_id, 50, 20, 1)
    return sc, st


def _saved_frames(path, key) -> list[int]:
    return [e.frame_index for e in read_prompts(path)[key]]


def test_kill_between_the_two_renames_is_finished_at_start_up(edited, monkeypatch):
    sc, st = edited
    s = st.scene
    _kill_after_replacing(monkeypatch, s.arm_prompts_path)
    with pytest.raises(KeyboardInterrupt):
        st.save()
    monkeypatch.undo()
    # opening the scene again (annotator start-up) completes the pair
    _state(sc)
    assert _saved_frames(s.arm_prompts_path, ARM_KEY) == [0, 3]
    assert _saved_frames(s.gripper_prompts_path, RIGHT_KEY) == [0, 3]
    assert not list(s.camera_dir.glob(".*tmp")) and not list(s.camera_dir.glob(".*journal"))


def test_a_run_reading_the_gripper_file_also_sees_the_new_pair(edited, monkeypatch):
    sc, st = edited
    s = st.scene
    _kill_after_replacing(monkeypatch, s.arm_prompts_path)
    with pytest.raises(KeyboardInterrupt):
        st.save()
    monkeypatch.undo()
    assert _saved_frames(s.gripper_prompts_path, RIGHT_KEY) == [0, 3]  # plan_session's read


def test_stale_temporaries_beside_prompt_files_are_removed_at_start_up(make_scene):
    sc = make_scene(with_ckpt=False)
    s = get_scene(sc.config, sc.name)
    before = s.arm_prompts_path.read_bytes()
    stale = [s.camera_dir / ".annotation_prompts_arm_points.json.4242.tmp",
             s.camera_dir / ".annotation_prompts_gripper_points.json.4242.tmp"]
    for p in stale:
        p.write_text('{"half": ')  # a save killed before its commit point
    _state(sc)
    assert not any(p.exists() for p in stale)
    assert s.arm_prompts_path.read_bytes() == before  # rolled back: old pair kept
