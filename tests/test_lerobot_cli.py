"""Commands on LeRobot scenes: run, status, check, export and annotate's prompt paths."""

from __future__ import annotations

import pytest
import yaml

from cli_run import assert_user_error, run_cli, wide_console  # noqa: F401
from lerobot_data import make_v21
from robomask.config import load_config
from robomask.prompts import (
    ARM_KEY,
    LEFT_KEY,
    RIGHT_KEY,
    PromptEntry,
    PromptSet,
    read_prompts,
    write_prompts,
)
from robomask.scenes import scene


def snapshot(root):
    return {p: (p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*")}


@pytest.fixture
def lerobot_project(tmp_path):
    """A v2.1 dataset (episodes 0 and 1 present, 2 listed without files), a config with
    the scripted backend and mask_naming source_stem, and prompts for episodes 0 and 1."""
    root = make_v21(tmp_path / "g1", {0: 6, 1: 5}, listed={2: 4})
    cfg_path = tmp_path / "mask_config.yaml"
    cfg_path.write_text(yaml.safe_dump({
        "export_base_dir": str(tmp_path / "out"), "backend": "scripted_backend:build",
        "mask_naming": "source_stem", "export_arm_dilate_radius": 1,
        "export_gripper_dilate_radius": 1, "dataset": {"format": "lerobot", "root": str(root)}}))
    cfg = load_config(cfg_path)
    for ep in (0, 1):
        prompts_dir = cfg.output_dir / "prompts" / f"episode_{ep:06d}"
        arm = PromptSet()
        arm.entries[ARM_KEY] = [PromptEntry(0, 0, ((20.0, 20.0),), (1,))]
        write_prompts(prompts_dir / "annotation_prompts_arm_points.json", arm)
        grip = PromptSet()
        grip.entries[LEFT_KEY] = [PromptEntry(0, 2, ((10.0, 30.0),), (1,))]
        grip.entries[RIGHT_KEY] = [PromptEntry(0, 3, ((50.0, 30.0),), (1,))]
        write_prompts(prompts_dir / "annotation_prompts_gripper_points.json", grip)
    return root, cfg_path, cfg


def test_run_status_check_on_episodes_leave_the_dataset_untouched(lerobot_project, capsys):
    root, cfg_path, cfg = lerobot_project
    before = snapshot(root)
    code, out = run_cli(["run", "-c", str(cfg_path), "--scenes", "episode_*"], capsys)
    assert code == 1  # episode 2 has no files: it fails, the others run
    assert "episode_000002.mp4: episode 2: expected its video file" in out
    for ep, n in ((0, 6), (1, 5)):
        export = cfg.output_dir / f"episode_{ep:06d}"
        assert sorted(p.name for p in export.glob("*.png")) == [f"{i:06d}.png" for i in range(n)]
    code, out = run_cli(["status", "-c", str(cfg_path), "--scenes", "episode_00000[01]"], capsys)
    assert code == 0 and out.count("done") >= 6
    code, out = run_cli(["check", "-c", str(cfg_path), "--scenes", "episode_*"], capsys)
    assert code == 1 and "episode_000002" in out
    code, out = run_cli(["export", "-c", str(cfg_path), "--format", "lerobot", "--scenes",
                         "episode_00000[01]"], capsys)
    assert code == 0 and "round-trip IoU >= 1.0000" in out
    copy = cfg.output_dir / "exports" / "lerobot"
    assert (copy / "videos/chunk-000/observation.images.cam.robot_mask/episode_000001.mp4"
            ).is_file()
    code, out = run_cli(["export", "-c", str(cfg_path), "--format", "lerobot", "--scenes",
                         "episode_000000"], capsys)
    assert_user_error(code, out, "exports/lerobot", "got an existing dataset copy")
    code, out = run_cli(["export", "-c", str(cfg_path), "--format", "lerobot", "--scenes",
                         "episode_*", "--force"], capsys)  # episode 2 fails, 0 and 1 export
    assert code == 1 and "round-trip IoU >= 1.0000" in out
    assert "error: episode_000002: " in out and "1 of 3 scene(s) failed" in out
    assert snapshot(root) == before  # the dataset folder is never written to


def test_annotate_state_saves_under_the_export_folder(lerobot_project):
    from robomask.annotator.state import AnnotationState

    _, _, cfg = lerobot_project
    s = scene(cfg, "episode_000001")
    frames = s.frames()
    state = AnnotationState(s, cfg, size_wh=frames.size_wh, num_frames=len(frames))
    assert len(state.prompts[ARM_KEY]) == 1  # read from the export folder
    state.add_click(3, cfg.arm_obj_id, 30.0, 20.0, 1)
    state.save()
    saved = read_prompts(cfg.output_dir / "prompts" / "episode_000001" /
                         "annotation_prompts_arm_points.json")
    assert [e.frame_index for e in saved[ARM_KEY]] == [0, 3]
