"""`robomask demo`: the whole pipeline end to end on the real opencv backend."""

from __future__ import annotations

import pytest

from robomask.cli.main import main
from robomask.demo.job import run_demo


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    """One CLI demo run shared by the tests (it takes seconds, not milliseconds)."""
    root = tmp_path_factory.mktemp("demo") / "robomask_demo"
    with pytest.MonkeyPatch.context() as mp, pytest.raises(SystemExit) as exc:
        mp.setenv("COLUMNS", "200")
        main(["demo", "--dir", str(root), "--kind", "clicks"])
    assert exc.value.code == 0
    return root


def test_demo_cli_prints_stages_iou_and_output_paths(demo_dir, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["demo", "--dir", str(demo_dir), "--kind", "clicks"])
    out = capsys.readouterr().out
    assert exc.value.code == 0, out
    rows = [ln for ln in out.splitlines() if ln.startswith("│")]
    assert [ln.split("│")[-2].strip() for ln in rows] == ["skipped"] * 3  # all done before
    assert "IoU vs ground truth, export" in out
    assert str(demo_dir / "masks") in out.replace("\n", "")
    annotate = next(ln for ln in out.splitlines() if ln.lstrip().startswith("robomask annotate"))
    assert annotate.endswith("(needs pip install 'robomask[ui]')")


def test_demo_outputs_match_ground_truth(demo_dir):
    result = run_demo(demo_dir)
    assert [(r.stage, r.status) for r in result.reports] == [
        ("arm", "skipped"), ("gripper", "skipped"), ("merge", "skipped")]
    frames = result.reports[0].frames
    assert frames >= 60
    for kind in ("arm", "gripper", "export"):
        assert len(list(result.scene.mask_dir(kind).glob("*.png"))) == frames
    # floors measured on the deterministic demo scene (0.946 / 0.950 / 0.986), with margin
    assert result.iou["arm"] >= 0.92
    assert result.iou["gripper"] >= 0.92
    assert result.iou["export"] >= 0.95



def test_demo_never_overwrites_a_users_file_without_force(tmp_path, capsys):
    user_config = "task_name: mine\ndata_base_dir: /d\nexport_base_dir: /e\nbackend: sam3\n" \
                  "arm_obj_id: 7\n"
    (tmp_path / "mask_config.yaml").write_text(user_config)
    with pytest.raises(SystemExit) as exc:
        main(["demo", "--dir", str(tmp_path)])
    out = capsys.readouterr()
    assert exc.value.code == 2
    assert "mask_config.yaml" in out.err and "--force" in out.err
    assert (tmp_path / "mask_config.yaml").read_text() == user_config
    assert not (tmp_path / "data").exists()  # refused before writing anything


def test_demo_refuses_an_edited_demo_file_and_foreign_frames(tmp_path):
    from robomask.demo import make_demo_scene
    from robomask.errors import OverwriteError

    demo = make_demo_scene(tmp_path, num_frames=4, size_wh=(64, 48))
    make_demo_scene(tmp_path, num_frames=4, size_wh=(64, 48))  # its own files: replaced
    prompts = demo.camera_dir / "annotation_prompts_arm_points.json"
    prompts.write_text(prompts.read_text().replace('"labels"', ' "labels"'))  # user edit
    with pytest.raises(OverwriteError, match="annotation_prompts_arm_points.json"):
        make_demo_scene(tmp_path, num_frames=4, size_wh=(64, 48))
    make_demo_scene(tmp_path, num_frames=4, size_wh=(64, 48), force=True)
    foreign = demo.camera_dir / "color" / "holiday.png"
    foreign.write_bytes(b"user photo")
    with pytest.raises(OverwriteError, match="holiday.png"):
        make_demo_scene(tmp_path, num_frames=4, size_wh=(64, 48))
    assert foreign.read_bytes() == b"user photo"


def test_kinematic_demo_needs_no_clicks(tmp_path, capsys):
    pytest.importorskip("yourdfpy")
    with pytest.raises(SystemExit) as exc:
        main(["demo", "--dir", str(tmp_path), "--kind", "kinematic"])
    out = capsys.readouterr().out
    assert exc.value.code == 0, out
    iou = {ln.split(",")[1].split(":")[0].strip(): float(ln.rsplit(":", 1)[1])
           for ln in out.splitlines() if ln.startswith("IoU vs ground truth")}
    # measured 0.979 / 0.978 / 0.987 on this deterministic scene, floors with margin
    assert iou["arm"] >= 0.93 and iou["gripper"] >= 0.93 and iou["export"] >= 0.95
    assert "robomask render" in out
