"""Pipeline.run / run_many and `robomask run`: resume after a crash, failures, summary."""

from __future__ import annotations

import shutil

import cv2
import numpy as np
import pytest

from conftest import spec_export
from robomask.backends import register_backend
from robomask.cli.main import main
from robomask.pipeline.runner import Pipeline
from scripted_backend import ScriptedBackend

BUILT: list[ScriptedBackend] = []


@pytest.fixture(autouse=True)
def scripted():
    def factory(config, stage):
        BUILT.append(ScriptedBackend(text=False))
        return BUILT[-1]

    register_backend("scripted", factory)
    BUILT.clear()
    yield


def _outputs(cfg, name):
    out = {}
    for kind in ("_ckpt_arm", "_ckpt_gripper", ""):
        d = cfg.output_dir / f"{name}{kind}"
        out[kind] = {p.name: p.read_bytes() for p in sorted(d.glob("*.png"))}
    return out


class Crash(Exception):
    pass


@pytest.mark.parametrize("crash_stage", ["arm", "gripper", "merge"])
def test_interrupted_run_resumes_to_identical_output(make_scene, tmp_path, crash_stage):
    sc = make_scene(with_ckpt=False, backend="scripted", export_arm_dilate_radius=2,
                    export_gripper_dilate_radius=1)
    with Pipeline(sc.config) as pipe:
        pipe.run(sc.name)
    reference = _outputs(sc.config, sc.name)
    shutil.rmtree(sc.config.output_dir)

    def crash_after_3(update):
        if update.stage.endswith(crash_stage) and update.done == 3:
            raise Crash

    with Pipeline(sc.config) as pipe, pytest.raises(Crash):
        pipe.run(sc.name, on_progress=crash_after_3)
    with Pipeline(sc.config) as pipe:
        reports = pipe.run(sc.name)
    statuses = {r.stage: r.status for r in reports}
    stages = ["arm", "gripper", "merge"]
    for stage in stages[:stages.index(crash_stage)]:
        assert statuses[stage] == "skipped"
    assert statuses[crash_stage] == "done"
    assert _outputs(sc.config, sc.name) == reference
    if crash_stage == "merge":
        assert reports[-1].frames == sc.num_frames


@pytest.mark.parametrize(("gpus_arm", "gpus_gripper", "built"), [("0", "0", 1), ("0,1", "2,3", 2)])
def test_models_built_once_per_pipeline(make_scene, gpus_arm, gpus_gripper, built):
    sc = make_scene(with_ckpt=False, backend="scripted", cuda_visible_devices_arm=gpus_arm,
                    cuda_visible_devices_gripper=gpus_gripper)
    with Pipeline(sc.config) as pipe:
        pipe.run(sc.name)
        pipe.run(sc.name, force=True)
    # one model per set of GPUs, kept across runs, closed with the pipeline
    assert len(BUILT) == built and all(b.closed for b in BUILT)


def test_run_cli_reports_failed_scene_and_continues(make_scene, capsys):
    sc = make_scene(name="scene_0001", with_ckpt=False, backend="scripted")
    sc2 = make_scene(name="scene_0002", with_ckpt=False, backend="scripted")
    (sc2.camera_dir / "annotation_prompts_gripper_points.json").write_text("{ not json")
    with pytest.raises(SystemExit) as exc:
        main(["run", "--config", str(sc.config_path), "--scenes", "scene_000*"])
    out = capsys.readouterr().out
    assert exc.value.code == 1
    assert "scene_0002" in out and "failed" in out and "line 1, column 3" in out
    exported = sorted((sc.out_dir / "scene_0001").glob("*.png"))
    assert [p.name for p in exported] == [f"{i:05d}.png" for i in range(sc.num_frames)]
    assert not (sc.out_dir / "scene_0002").exists()
    # the scripted backend draws each clicked object as a disc of radius 3 around its click,
    # 1 px further right per frame: arm click (w/4, 8) px, grippers at (0.1, 0.1) and
    # (0.9, 0.1) of the frame (conftest); the export follows SPEC's rule (scipy)
    cfg, (w, h) = sc.config, sc.size_wh
    yy, xx = np.mgrid[0:h, 0:w]

    def disc(x: float, y: float) -> np.ndarray:
        return (xx - x) ** 2 + (yy - y) ** 2 <= 9

    for i, path in enumerate(exported):
        arm = disc(w / 4 + i, 8)
        grip = disc(0.1 * w + i, 0.1 * h) | disc(0.9 * w + i, 0.1 * h)
        want = spec_export(arm, grip, cfg.export_arm_dilate_radius,
                           cfg.export_gripper_dilate_radius, cfg.export_mode, cfg.dilate_kernel)
        got = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        assert got.shape == (h, w) and set(np.unique(got)) <= {0, 255}
        np.testing.assert_array_equal(got == 255, want, err_msg=path.name)
        assert want.any() and not want.all()


def test_segment_cli_rejects_unknown_stage(make_scene, capsys):
    sc = make_scene(backend="scripted")
    with pytest.raises(SystemExit) as exc:
        main(["segment", "hand", "--config", str(sc.config_path)])
    assert exc.value.code == 2
    assert "expected 'arm' or 'gripper', got 'hand'" in capsys.readouterr().err


def test_status_follows_runs_crashes_and_changed_prompts(make_scene, capsys):
    from robomask.pipeline.status import scene_status

    sc = make_scene(with_ckpt=False, backend="scripted")
    assert scene_status(sc.config, sc.name).stages == {
        "arm": "missing", "gripper": "missing", "export": "missing"}

    def crash(update):
        if update.stage.endswith("gripper") and update.done == 2:
            raise Crash

    with Pipeline(sc.config) as pipe, pytest.raises(Crash):
        pipe.run(sc.name, on_progress=crash)
    assert scene_status(sc.config, sc.name).stages == {
        "arm": "done", "gripper": "interrupted", "export": "missing"}
    with Pipeline(sc.config) as pipe:
        pipe.run(sc.name)
    assert set(scene_status(sc.config, sc.name).stages.values()) == {"done"}
    prompts = sc.camera_dir / "annotation_prompts_gripper_points.json"
    prompts.write_text(prompts.read_text().replace("0.9", "0.8"))
    assert scene_status(sc.config, sc.name).stages["gripper"] == "stale"
    with pytest.raises(SystemExit) as exc:
        main(["status", "--config", str(sc.config_path)])
    out = capsys.readouterr().out
    assert exc.value.code == 0 and "stale" in out and "0/1 scenes fully done" in out
