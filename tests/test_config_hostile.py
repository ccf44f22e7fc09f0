"""Hostile config files: each is one line naming the file (and line or key), fast and
small, never a traceback, a MemoryError or megabytes of output."""

from __future__ import annotations

import time

import pytest

from robomask.cli.main import main
from robomask.config import load_config
from robomask.errors import ConfigError

BASE = "task_name: t\ndata_base_dir: /d\nexport_base_dir: /e\n"


def _load(tmp_path, text: str | bytes):
    path = tmp_path / "mask_config.yaml"
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path, load_config(path)


def _refused(tmp_path, text: str | bytes, *fragments: str) -> str:
    path = tmp_path / "mask_config.yaml"
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    t0 = time.perf_counter()
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    assert time.perf_counter() - t0 < 5
    message = str(exc.value)
    assert str(path) in message and len(message) < 400 and "\n" not in message, message
    for f in fragments:
        assert f in message, message
    return message


def _bomb(depth: int) -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, depth + 1):
        refs = ",".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines).replace("a0: &a0", "x0: &a0").replace(
        f"a{depth}: &a{depth}", f"arm_obj_id: &a{depth}") + "\n" + BASE


def test_alias_bomb_is_refused_at_once(tmp_path):
    # depth 9 took 2 GB and a MemoryError; 351 MB of output at depth 8
    _refused(tmp_path, _bomb(9), "aliases of plain values only", "line ")


def test_aliases_of_plain_values_still_work(tmp_path):
    _, cfg = _load(tmp_path, BASE + 'cuda_visible_devices_arm: &g "0,1"\n'
                   "cuda_visible_devices_gripper: *g\n")
    assert cfg.cuda_devices("gripper") == [0, 1]


def test_huge_value_is_excerpted(tmp_path, capsys):
    path = tmp_path / "mask_config.yaml"
    path.write_text(BASE + "export_mode: " + "x" * 100_000 + "\n")
    with pytest.raises(SystemExit) as exc:
        main(["check", "--config", str(path)])
    out = capsys.readouterr()
    assert exc.value.code == 2
    assert "export_mode" in out.err and len(out.err) + len(out.out) < 1000


@pytest.mark.parametrize("text,fragments", [
    (BASE + "arm_obj_id: 1\narm_obj_id: 5\n", ("each key once", "arm_obj_id", "line 4")),
    (BASE + "arm_obj_id: " + "9" * 5000 + "\n", ("at most 30 digits", "line 4")),
    (BASE + "vis_max_plots: " + "[" * 100_000 + "\n", ("levels of nesting",)),
    (BASE + "export_arm_dilate_radius: 1000000000\n", ("export_arm_dilate_radius", "4096")),
    (BASE + "export_gripper_dilate_radius: 1e22\n", ("export_gripper_dilate_radius",)),
    (BASE + "arm_obj_id: 1099511627776\n", ("arm_obj_id", "0..2147483647")),
    (BASE + "cuda_visible_devices_arm: a,b\n", ("cuda_visible_devices_arm", "'a,b'")),
    (BASE + "arm_obj_id: yes\n", ("arm_obj_id", "expected a number, got True")),
    (BASE + "export_arm_dilate_radius: off\n", ("export_arm_dilate_radius", "got False")),
    (BASE + "arm_text_prompt: caf\xe9\n", ("not UTF-8", "offset")),
    (BASE + "arm_text_prompt: a\x1fb\n", ("expected valid YAML", "special characters")),
])
def test_hostile_values_are_one_line(tmp_path, text, fragments):
    raw = text.encode("latin-1") if "\xe9" in text else text.encode()
    _refused(tmp_path, raw, *fragments)


def test_utf16_and_utf8_bom_configs_are_read(tmp_path):
    text = BASE + "arm_text_prompt: bras robotisé\n"
    for data in (text.encode("utf-16"), b"\xef\xbb\xbf" + text.encode()):
        _, cfg = _load(tmp_path, data)
        assert cfg.arm_text_prompt == "bras robotisé"
