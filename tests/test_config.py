"""config.py and ``robomask init``: every key, old configs, relative paths, errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from robomask.cli.main import main
from robomask.config import Config, config_from_dict, load_config, render_template
from robomask.errors import ConfigError

# A config as the notebooks' users have it today (SPEC section 3), typical values.
NOTEBOOK_CONFIG = """\
task_name: "task_0013"
scene_name: "scene_0014"
data_base_dir: "/data/dataset"
sam3_checkpoint: "/models/sam3/sam3.pt"
export_base_dir: "/data/masks"
cuda_visible_devices: "0,1,2,3"
cuda_visible_devices_arm: "0,1"
cuda_visible_devices_gripper: "2,3"
apply_temporal_disambiguation: false
arm_obj_id: 0
arm_obj_id_2: 1
gripper_left_obj_id: 2
gripper_right_obj_id: 3
arm_text_prompt: "robot and cable"
arm_text_bootstrap_frame_index: 0
vis_frame_stride: 30
vis_max_plots: 10
export_arm_dilate_radius: 15
export_gripper_dilate_radius: 15
export_log_every: 50
"""


def run_cli(args: list[str], capsys) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exc:
        main(args)
    captured = capsys.readouterr()
    return exc.value.code, captured.out + captured.err


def test_init_writes_every_key_and_load_config_reads_it_back(tmp_path, capsys):
    path = tmp_path / "mask_config.yaml"
    code, out = run_cli(["init", str(path)], capsys)
    assert code == 0 and "wrote" in out
    raw = yaml.safe_load(path.read_text())
    assert set(raw) == set(Config.model_fields)
    cfg = load_config(path)
    for key, value in raw.items():
        got = getattr(cfg, key)
        got = got.model_dump() if key == "dataset" else got
        assert (str(got) if isinstance(got, Path) else got) == value, key
    assert "# arm dilation radius (pixels)" in path.read_text()  # commented


def test_init_says_cuda_visible_devices_is_not_used(tmp_path, capsys):
    path = tmp_path / "mask_config.yaml"
    assert run_cli(["init", str(path)], capsys)[0] == 0
    line = next(ln for ln in path.read_text().splitlines()
                if ln.startswith("cuda_visible_devices:"))
    comment = line.split("#", 1)[1]
    assert "not used by robomask" in comment and "merge stage" not in comment
    assert "cuda_visible_devices_arm" in comment


def test_init_refuses_to_overwrite_without_force(tmp_path, capsys):
    path = tmp_path / "mask_config.yaml"
    path.write_text("task_name: mine\n")
    code, out = run_cli(["init", str(path)], capsys)
    assert code == 2 and str(path) in out and "--force" in out
    assert path.read_text() == "task_name: mine\n"
    code, _ = run_cli(["init", str(path), "--force"], capsys)
    assert code == 0 and set(yaml.safe_load(path.read_text())) == set(Config.model_fields)


def test_notebook_config_loads_unchanged(tmp_path):
    path = tmp_path / "mask_config.yaml"
    path.write_text(NOTEBOOK_CONFIG)
    cfg = load_config(path)
    assert cfg.arm_ids == [0, 1] and cfg.gripper_ids == [2, 3]
    assert cfg.cuda_devices("arm") == [0, 1] and cfg.cuda_devices("gripper") == [2, 3]
    assert cfg.output_dir == Path("/data/masks/task_0013")
    assert cfg.task_dir == Path("/data/dataset/task_0013/train")
    # robomask's additions default to the notebooks' behaviour.
    assert (cfg.split, cfg.camera, cfg.frames_dir) == ("train", "105422061350", "color")
    assert (cfg.export_mode, cfg.dilate_kernel, cfg.mask_naming) == (
        "arm_minus_gripper", "square", "index")


def test_relative_paths_are_relative_to_the_config_folder(tmp_path, monkeypatch):
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "mask_config.yaml").write_text(render_template(
        data_base_dir="data", export_base_dir="../out", sam3_checkpoint="weights/sam3.pt"))
    monkeypatch.chdir(tmp_path)
    cfg = load_config("project/mask_config.yaml")
    assert cfg.data_base_dir == folder / "data"
    assert cfg.export_base_dir == tmp_path / "out"
    assert cfg.sam3_checkpoint == folder / "weights" / "sam3.pt"


def test_overrides_replace_keys_and_none_is_ignored(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(NOTEBOOK_CONFIG)
    cfg = load_config(path, export_mode="union", backend=None)
    assert cfg.export_mode == "union" and cfg.backend == "sam3"
    with pytest.raises(ConfigError, match="export_mode"):
        load_config(path, export_mode="everything")


def test_unknown_key_suggests_the_closest_name():
    with pytest.raises(ConfigError) as exc:
        config_from_dict({"task_name": "t", "data_base_dir": "/d", "export_base_dir": "/e",
                          "gripper_left_objid": 2}, source="c.yaml")
    assert "c.yaml: unknown key 'gripper_left_objid'" in str(exc.value)
    assert exc.value.hint == "did you mean 'gripper_left_obj_id'?"
    with pytest.raises(ConfigError) as exc:
        config_from_dict({"zzz": 1}, source="c.yaml")
    assert "robomask init" in exc.value.hint


@pytest.mark.parametrize(("text", "message"), [
    ("- a\n- b\n", "expected a mapping"),
    ("", "key 'task_name': expected a value, got no such key"),
    ("task_name: t\ndata_base_dir: /d\nexport_base_dir: /e\narm_obj_id: zero\n",
     "key 'arm_obj_id': expected a valid integer"),
    ("task_name: t\ndata_base_dir: /d\nexport_base_dir: /e\ngripper_left_obj_id: 0\n",
     "gripper_left_obj_id: expected an object id distinct from the others, got 0, which "
     "arm_obj_id already uses"),
    ("task_name: t\ndata_base_dir: /d\nexport_base_dir: /e\nexport_log_every: 0\n",
     "key 'export_log_every': expected greater than or equal to 1, got 0"),
    ("task_name: [t\n", "expected valid YAML, got a syntax error at line 2"),
    ("task_name: t\ndata_base_dir: /d\nexport_base_dir: /e\ndilate_kernel: round\n",
     "key 'dilate_kernel': expected 'square' or 'disk', got 'round'"),
])
def test_invalid_files_name_file_and_key(tmp_path, text, message):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    assert str(path) in str(exc.value) and message in str(exc.value)


@pytest.mark.parametrize("value", ["0;1", "a,b", "0,,1", "1e3"])
def test_bad_cuda_devices_value_fails_at_load_not_at_run(value):
    with pytest.raises(ConfigError, match=rf"key 'cuda_visible_devices_arm': .* got '{value}'"):
        config_from_dict({"task_name": "t", "data_base_dir": "/d", "export_base_dir": "/e",
                          "cuda_visible_devices_arm": value})
    cfg = config_from_dict({"task_name": "t", "data_base_dir": "/d", "export_base_dir": "/e",
                            "cuda_visible_devices_arm": " 0, 1 ", "cuda_visible_devices": ""})
    assert cfg.cuda_devices("arm") == [0, 1]


def test_missing_config_file_hints_init(tmp_path):
    with pytest.raises(ConfigError) as exc:
        load_config(tmp_path / "mask_config.yaml")
    assert "expected a config file" in str(exc.value) and "robomask init" in exc.value.hint
