"""Batch executors: local worker processes and Ray, on a scripted backend."""

from __future__ import annotations

import os

import pytest

from robomask.batch import run_batch
from robomask.batch.worker import pin_gpu


def _scenes(make_scene, n=3, **values):
    scs = [make_scene(name=f"scene_{i:04d}", with_ckpt=False, backend="scripted_backend:build",
                      **values) for i in range(n)]
    return scs[-1].config, scs


def _exported(sc):
    return {p.name: p.read_bytes() for p in sorted((sc.out_dir / sc.name).glob("*.png"))}


def test_local_workers_match_in_process_run(make_scene, tmp_path):
    cfg, scs = _scenes(make_scene)
    reference = run_batch(cfg, ["scene_*"])
    assert [r.status for r in reference] == ["done"] * 9
    expected = {sc.name: _exported(sc) for sc in scs}
    updates = []
    reports = run_batch(cfg, ["scene_*"], jobs=2, force=True, on_progress=updates.append)
    assert [(r.scene, r.stage, r.status) for r in reports] == [
        (f"scene_{i:04d}", s, "done") for i in range(3) for s in ("arm", "gripper", "merge")]
    assert {sc.name: _exported(sc) for sc in scs} == expected
    assert {u.stage.split("/")[0] for u in updates} == {sc.name for sc in scs}


def test_local_workers_isolate_a_failing_scene(make_scene):
    cfg, scs = _scenes(make_scene)
    (scs[1].camera_dir / "annotation_prompts_gripper_points.json").write_text("[")
    reports = run_batch(cfg, ["scene_*"], jobs=2)
    status = {(r.scene, r.stage): r.status for r in reports}
    assert status[("scene_0001", "gripper")] == "failed"
    assert status[("scene_0000", "merge")] == status[("scene_0002", "merge")] == "done"


def test_pin_gpu_sets_visible_device_and_stage_gpus(make_scene, monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    cfg, _ = _scenes(make_scene, n=1, cuda_visible_devices_arm="0,1",
                     cuda_visible_devices_gripper="2,3")
    pinned = pin_gpu(cfg.model_dump(mode="json"), 3)
    assert os.environ["CUDA_VISIBLE_DEVICES"] == "3"
    assert pinned.cuda_devices("arm") == pinned.cuda_devices("gripper") == [0]


def test_ray_actors_run_every_scene(make_scene):
    ray = pytest.importorskip("ray", reason="ray is not installed (pip install 'robomask[ray]')")
    cfg, scs = _scenes(make_scene)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": os.path.dirname(__file__)}})
    try:
        reports = run_batch(cfg, ["scene_*"], jobs=2, ray_address="local")
    finally:
        ray.shutdown()
    assert [(r.scene, r.status) for r in reports if r.stage == "merge"] == [
        (sc.name, "done") for sc in scs]
    assert all(len(_exported(sc)) == sc.num_frames for sc in scs)
