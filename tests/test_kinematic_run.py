"""``robomask run`` with a kinematics section and no prompt files, end to end."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("yourdfpy")

from cli_run import run_cli  # noqa: E402
from robomask.config import load_config  # noqa: E402
from robomask.demo.kinematic import make_kinematic_scene  # noqa: E402
from robomask.masks import mask_iou  # noqa: E402
from robomask.prompts import GENERATED_BY, generated_stats  # noqa: E402
from robomask.scenes import scene  # noqa: E402

FRAMES, SIZE = 16, (320, 180)


def _iou(demo, kind: str) -> float:
    cfg = load_config(demo.config_path)
    s = scene(cfg, demo.scene)
    frames = s.frames()
    store = s.store(kind, frames)
    return float(np.mean([mask_iou(store.read(i), demo.ground_truth(kind, i))
                          for i in range(demo.num_frames)]))


def test_zero_click_run_with_generated_prompts(tmp_path, capsys):
    demo = make_kinematic_scene(tmp_path, num_frames=FRAMES, size_wh=SIZE)
    assert not (demo.camera_dir / "annotation_prompts_arm_points.json").exists()
    code, out = run_cli(["run", "--config", str(demo.config_path), "--scene", demo.scene],
                        capsys)
    assert code == 0, out
    assert _iou(demo, "arm") > 0.85 and _iou(demo, "gripper") > 0.85
    for name in ("arm", "gripper"):
        stats = generated_stats(demo.camera_dir / f"annotation_prompts_{name}_points.json")
        assert stats is not None and stats["generated_by"] == GENERATED_BY
        assert stats["generated_keyframes"][0] == 0


def test_a_users_prompt_file_is_never_overwritten(tmp_path, capsys):
    demo = make_kinematic_scene(tmp_path, num_frames=FRAMES, size_wh=SIZE)
    mine = demo.camera_dir / "annotation_prompts_arm_points.json"
    mine.write_text(json.dumps({"ARM_CABLE_INITIAL_PROMPTS": [
        {"frame_index": 0, "obj_id": 0, "points": [[5, 5]], "labels": [1]}]}))
    before = mine.read_bytes()
    code, out = run_cli(["run", "--config", str(demo.config_path), "--scene", demo.scene],
                        capsys)
    assert code == 0, out
    assert mine.read_bytes() == before
    assert generated_stats(demo.camera_dir / "annotation_prompts_gripper_points.json")


def test_use_masks_takes_the_render_as_the_session_result(tmp_path, capsys):
    demo = make_kinematic_scene(tmp_path, num_frames=6, size_wh=SIZE)
    text = demo.config_path.read_text().replace('"use": "prompts"', '"use": "masks"')
    demo.config_path.write_text(text)
    code, out = run_cli(["run", "--config", str(demo.config_path), "--scene", demo.scene],
                        capsys)
    assert code == 0, out
    assert _iou(demo, "arm") > 0.99 and _iou(demo, "gripper") > 0.99  # same renderer as GT
    assert not (demo.camera_dir / "annotation_prompts_arm_points.json").exists()


def test_report_flags_frames_where_mask_and_render_part(tmp_path, capsys):
    from robomask.io.maskstore import encode_png
    from robomask.report.flags import scan_scene

    demo = make_kinematic_scene(tmp_path, num_frames=8, size_wh=SIZE)
    text = demo.config_path.read_text().replace('"use": "prompts"', '"use": "masks"')
    demo.config_path.write_text(text)
    assert run_cli(["run", "--config", str(demo.config_path), "--scene", demo.scene],
                   capsys)[0] == 0
    cfg = load_config(demo.config_path)
    s = scene(cfg, demo.scene)
    store = s.store("arm", s.frames())
    store.path(5).write_bytes(encode_png(np.zeros(SIZE[::-1], bool)))  # the arm lost
    flags = scan_scene(s, cfg).flags
    mismatch = [f for f in flags if f.kind == "render_mismatch"]
    assert [(f.stage, f.start, f.end) for f in mismatch] == [("arm", 5, 5)]
    code, out = run_cli(["report", "--config", str(demo.config_path), "--scene", demo.scene],
                        capsys)
    page = (cfg.output_dir / "qa_report" / f"{demo.scene}.html").read_text()
    assert "Session masks vs kinematic render" in page and "render_mismatch" in page


def test_use_masks_with_edge_refinement_stays_on_the_robot(tmp_path, capsys):
    demo = make_kinematic_scene(tmp_path, num_frames=4, size_wh=SIZE)
    text = demo.config_path.read_text().replace('"use": "prompts"',
                                                '"use": "masks", "refine_px": 3')
    demo.config_path.write_text(text)
    code, out = run_cli(["run", "--config", str(demo.config_path), "--scene", demo.scene],
                        capsys)
    assert code == 0, out
    assert _iou(demo, "arm") > 0.95 and _iou(demo, "gripper") > 0.9


def test_annotate_opens_on_the_generated_clicks(tmp_path):
    pytest.importorskip("fastapi")
    from robomask.annotator.server import make_context

    demo = make_kinematic_scene(tmp_path, num_frames=6, size_wh=SIZE)
    cfg = load_config(demo.config_path)
    ctx = make_context(cfg, scene(cfg, demo.scene))
    try:
        shown = ctx.state.to_json()
        assert {c["obj_id"] for c in shown["clicks"]} == {cfg.arm_obj_id,
                                                         cfg.gripper_right_obj_id}
        assert any("generated from the kinematic render" in n for n in ctx.state.load_notes)
    finally:
        ctx.close()


def test_generated_prompts_carry_each_objects_box(tmp_path):
    """Every generated entry has a box: the render's silhouette box plus a small margin,
    holding its positive clicks; the annotator loads such files and keeps the boxes."""
    pytest.importorskip("fastapi")
    from robomask.annotator.server import make_context
    from robomask.kinematics import open_scene_render
    from robomask.pipeline.kinprompts import ensure_kinematic_prompts
    from robomask.prompts import PROMPT_KEYS, read_prompts

    demo = make_kinematic_scene(tmp_path, num_frames=6, size_wh=SIZE)
    cfg = load_config(demo.config_path)
    sc = scene(cfg, demo.scene)
    assert len(ensure_kinematic_prompts(sc, cfg)) == 2
    render = open_scene_render(cfg, sc)
    entries = [e for path in (sc.arm_prompts_path, sc.gripper_prompts_path)
               for key in PROMPT_KEYS for e in read_prompts(path)[key]]
    assert entries
    for e in entries:
        assert e.box is not None
        x0, y0, x1, y1 = e.box
        ys, xs = np.nonzero(render.masks_of_labels(render.labels(e.frame_index))[e.obj_id])
        assert x0 < xs.min() and y0 < ys.min() or min(x0, y0) == 0
        assert x0 >= xs.min() - 20 and y0 >= ys.min() - 20  # a small margin
        assert x1 > xs.max() and y1 > ys.max() and x1 <= SIZE[0] and y1 <= SIZE[1]
        for (x, y), label in zip(e.points, e.labels, strict=True):
            assert label == 0 or (x0 <= x < x1 and y0 <= y < y1)
    first, last = entries[0], entries[-1]
    outside = (last.box[0] - 1, last.box[1]) if last.box[0] >= 1 else (last.box[2], 0)
    ctx = make_context(cfg, sc)
    try:  # a click inside an entry's box keeps it, one outside drops it
        ctx.state.add_click(first.frame_index, first.obj_id, *first.points[0], 1)
        ctx.state.add_click(last.frame_index, last.obj_id, *outside, 1)
        ctx.state.save()
    finally:
        ctx.close()
    again = [e for path in (sc.arm_prompts_path, sc.gripper_prompts_path)
             for key in PROMPT_KEYS for e in read_prompts(path)[key]]
    assert [e.box for e in again] == [e.box for e in entries[:-1]] + [None]
