"""Every input that makes `run` fail makes `check` fail first, naming the same culprit
(the cases a hostile user found passing `check` and failing only at `run`)."""

from __future__ import annotations

import json

import pytest

from cli_run import run_cli, wide_console  # noqa: F401
from robomask.prompts import LEFT_KEY, RIGHT_KEY


def _edit_gripper(sc, **lists) -> None:
    path = sc.camera_dir / "annotation_prompts_gripper_points.json"
    data = json.loads(path.read_text())
    data["prompts"].update(lists)
    path.write_text(json.dumps(data))


def _edit_config(sc, line: str) -> None:
    key = line.split(":")[0]
    kept = [ln for ln in sc.config_path.read_text().splitlines() if not ln.startswith(key + ":")]
    sc.config_path.write_text("\n".join([*kept, line]) + "\n")


CASES = {
    "prompt key set to {}": (lambda sc: _edit_gripper(sc, **{LEFT_KEY: {}}), LEFT_KEY),
    "both gripper sides empty": (lambda sc: _edit_gripper(sc, **{LEFT_KEY: [], RIGHT_KEY: []}),
                                 "at least one gripper side"),
    "arm file without clicks on opencv": (
        lambda sc: (sc.camera_dir / "annotation_prompts_arm_points.json").write_text(
            '{"ARM_CABLE_INITIAL_PROMPTS": []}'), "expected arm clicks"),
    "unknown backend": (lambda sc: _edit_config(sc, 'backend: "nope"'), "'nope'"),
    "GPU list of letters": (lambda sc: _edit_config(sc, 'cuda_visible_devices_arm: "a,b"'),
                            "cuda_visible_devices_arm"),
    "radius past the frame": (lambda sc: _edit_config(sc, "export_arm_dilate_radius: 200"),
                              "export_arm_dilate_radius"),
    "huge radius": (lambda sc: _edit_config(sc, "export_gripper_dilate_radius: 10000000000"),
                    "export_gripper_dilate_radius"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_check_fails_where_run_fails(make_scene, capsys, case):
    backend = "opencv" if "opencv" in case else "scripted_backend:build"
    sc = make_scene(with_ckpt=False, backend=backend)
    spoil, culprit = CASES[case]
    spoil(sc)
    args = ["--config", str(sc.config_path), "--scene", sc.name]
    check_code, check_out = run_cli(["check", *args], capsys)
    run_code, run_out = run_cli(["run", *args], capsys)
    assert run_code != 0 and culprit in run_out, run_out
    assert check_code != 0 and culprit in check_out, check_out
