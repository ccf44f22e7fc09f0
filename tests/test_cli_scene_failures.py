"""Multi-scene commands go on past a failed scene, as ``run`` does: the other scenes are
done, one ``error:`` line names each failed scene, a count ends the run, exit code 1."""

from __future__ import annotations

import json
import shutil

import cv2
import numpy as np
import pytest

from cli_run import assert_user_error, run_cli, wide_console  # noqa: F401

SCENES = ("scene_0001", "scene_0002", "scene_0003")


@pytest.fixture
def three_scenes(make_scene):
    """Three scenes with session masks; returns the last fixture (same config)."""
    for name in SCENES:
        sc = make_scene(name=name, num_frames=4)
    return sc


def without_frames(sc, name: str) -> None:
    """Scene ``name`` cannot be opened: its frame folder is gone (like a LeRobot episode
    whose video is missing)."""
    shutil.rmtree(sc.camera_dir.parents[1] / name / sc.camera_dir.name / "color")


def without_sessions(sc, name: str) -> None:
    """Scene ``name`` opens, but has no session masks to merge or export."""
    for kind in ("arm", "gripper", "export"):
        shutil.rmtree(sc.out_dir / f"{name}_ckpt_{kind}" if kind != "export"
                      else sc.out_dir / name, ignore_errors=True)


def assert_failed_one_of_three(code: int, out: str, name: str) -> None:
    assert code == 1, out
    errors = [ln for ln in out.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith(f"error: {name}: "), out
    assert "1 of 3 scene(s) failed" in out


def args(sc, command: str, *extra: str) -> list[str]:
    return [command, "--config", str(sc.config_path), "--scenes", "scene_*", *extra]


def test_merge_goes_on_past_a_scene_without_frames(three_scenes, capsys):
    sc = three_scenes
    without_frames(sc, "scene_0002")
    code, out = run_cli(args(sc, "merge"), capsys)
    assert_failed_one_of_three(code, out, "scene_0002")
    for name in ("scene_0001", "scene_0003"):
        assert len(list((sc.out_dir / name).glob("*.png"))) == 4, name
    assert not (sc.out_dir / "scene_0002").exists()


def test_merge_goes_on_past_a_scene_without_sessions(three_scenes, capsys):
    sc = three_scenes
    without_sessions(sc, "scene_0001")
    code, out = run_cli(args(sc, "merge"), capsys)
    assert_failed_one_of_three(code, out, "scene_0001")
    assert len(list((sc.out_dir / "scene_0003").glob("*.png"))) == 4


@pytest.mark.parametrize("html", [True, False])
def test_report_goes_on_past_a_failed_scene(three_scenes, capsys, tmp_path, html):
    sc = three_scenes
    run_cli(args(sc, "merge"), capsys)
    without_frames(sc, "scene_0002")
    out_dir = tmp_path / "report"
    code, out = run_cli(args(sc, "report", "--out", str(out_dir),
                             "--html" if html else "--no-html"), capsys)
    assert_failed_one_of_three(code, out, "scene_0002")
    flags = json.loads((out_dir / "flags.json").read_text())
    assert [s["scene"] for s in flags["scenes"]] == ["scene_0001", "scene_0003"]
    assert [f["scene"] for f in flags["failed"]] == ["scene_0002"]
    assert "color" in flags["failed"][0]["error"]
    if html:  # the index says which scene is missing from it, and why
        index = (out_dir / "index.html").read_text()
        assert "Not reported (1)" in index and "<li>scene_0002: " in index


def test_report_json_keeps_stdout_json_when_a_scene_fails(three_scenes, capsys):
    sc = three_scenes
    run_cli(args(sc, "merge"), capsys)
    without_frames(sc, "scene_0003")
    with pytest.raises(SystemExit) as exc:
        from robomask.cli.main import main
        main(args(sc, "report", "--json", "--no-html"))
    captured = capsys.readouterr()
    assert exc.value.code == 1
    assert len(json.loads(captured.out)["scenes"]) == 2
    assert "error: scene_0003: " in captured.err


def test_export_goes_on_past_a_failed_scene(three_scenes, capsys, tmp_path):
    sc = three_scenes
    without_sessions(sc, "scene_0002")
    out_dir = tmp_path / "coco"
    code, out = run_cli(args(sc, "export", "--format", "coco", "--out", str(out_dir)), capsys)
    assert_failed_one_of_three(code, out, "scene_0002")
    assert sorted(p.name for p in out_dir.iterdir()) == ["scene_0001.json", "scene_0003.json"]


def test_export_checks_every_target_before_writing_any(three_scenes, capsys, tmp_path):
    sc = three_scenes
    out_dir = tmp_path / "coco"
    out_dir.mkdir()
    (out_dir / "scene_0003.json").write_text("{}")
    code, out = run_cli(args(sc, "export", "--format", "coco", "--out", str(out_dir)), capsys)
    assert_user_error(code, out, "scene_0003.json", "--force")
    assert sorted(p.name for p in out_dir.iterdir()) == ["scene_0003.json"]


def test_depth_goes_on_past_a_scene_without_depth(three_scenes, capsys, tmp_path):
    sc = three_scenes
    run_cli(args(sc, "merge"), capsys)
    for name in ("scene_0001", "scene_0003"):
        cam = sc.camera_dir.parents[1] / name / sc.camera_dir.name
        (cam / "depth").mkdir()
        for f in (cam / "color").iterdir():
            w, h = sc.size_wh
            cv2.imwrite(str(cam / "depth" / f.name), np.full((h, w), 900, np.uint16))
    code, out = run_cli(args(sc, "depth", "--out", str(tmp_path / "d")), capsys)
    assert_failed_one_of_three(code, out, "scene_0002")
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == [
        "scene_0001_depth_masked", "scene_0003_depth_masked"]


def test_run_counts_its_failed_scenes(three_scenes, capsys):
    sc = three_scenes
    without_frames(sc, "scene_0002")
    code, out = run_cli(args(sc, "run", "--stages", "merge"), capsys)
    assert code == 1, out
    assert "error: scene_0002/merge: " in out
    assert "1 of 3 scene(s) failed" in out


def test_status_lists_every_scene_and_counts_the_unreadable_one(three_scenes, capsys):
    sc = three_scenes
    without_frames(sc, "scene_0002")
    code, out = run_cli(args(sc, "status"), capsys)
    assert_failed_one_of_three(code, out, "scene_0002")
    assert "scene_0001" in out and "scene_0003" in out and "0/3 scenes fully done" in out
