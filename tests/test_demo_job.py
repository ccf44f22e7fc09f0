"""`robomask demo`: the whole pipeline end to end on the real opencv backend."""

from __future__ import annotations

import pytest

from robomask.cli.main import main
from robomask.demo.job import run_demo


def test_demo_runs_whole_pipeline_and_scores_against_ground_truth(tmp_path):
    result = run_demo(tmp_path / "demo")
    assert [(r.stage, r.status) for r in result.reports] == [
        ("arm", "done"), ("gripper", "done"), ("merge", "done")]
    frames = result.reports[0].frames
    assert frames >= 60
    for kind in ("arm", "gripper", "export"):
        assert len(list(result.scene.mask_dir(kind).glob("*.png"))) == frames
    # floors measured on the deterministic demo scene, with margin (see docs/benchmarks.md)
    assert result.iou["arm"] >= 0.75
    assert result.iou["gripper"] >= 0.6
    assert result.iou["export"] >= 0.75
    again = run_demo(tmp_path / "demo")
    assert [r.status for r in again.reports] == ["skipped"] * 3
    assert again.iou == result.iou


def test_demo_cli_prints_iou_and_output_paths(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["demo", "--dir", str(tmp_path / "d")])
    out = capsys.readouterr().out
    assert exc.value.code == 0, out
    assert "IoU vs ground truth, export" in out
    assert str(tmp_path / "d") in out.replace("\n", "")
