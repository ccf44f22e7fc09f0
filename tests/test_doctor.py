"""``robomask doctor`` and the promise that the base install imports no heavy package."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rich.console import Console

from robomask.cli import common, doctor_cmd
from robomask.cli.doctor_cmd import doctor_table
from robomask.cli.main import main
from robomask.doctor import BackendCheck, check_backend, check_backends


def _cuda() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return torch.cuda.is_available()


def _importable(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def test_without_config_checks_software_only() -> None:
    checks = {c.name: c for c in check_backends()}
    assert {"sam3", "sam3-hf"} <= set(checks)
    sam3 = checks["sam3"]
    assert sam3.ok == (_cuda() and _importable("sam3") and not any(
        "BPE" in r for r in sam3.reasons))
    if not _cuda():
        assert any(r.startswith("no CUDA") for r in sam3.reasons)
        assert "sam3-hf" in sam3.fixes[sam3.reasons.index(next(
            r for r in sam3.reasons if r.startswith("no CUDA")))]
    if not _importable("sam3"):
        assert "pip install 'robomask[sam3]'" in sam3.fixes
    assert len(sam3.reasons) == len(sam3.fixes)
    assert checks["sam3-hf"].ok == (_importable("torch") and _importable("transformers"))


def test_config_weight_paths(make_scene, tmp_path: Path) -> None:
    cfg = make_scene(backend="sam3-hf", sam3_checkpoint=str(tmp_path / "sam3.pt")).config
    hf = check_backend("sam3-hf", cfg)
    assert hf.configured and not hf.ok
    assert any("no weights" in r and "sam3_hf_model_dir" in r for r in hf.reasons)
    assert any("huggingface-cli download facebook/sam3" in f for f in hf.fixes)
    assert any("sam3_checkpoint" in r for r in check_backend("sam3", cfg).reasons)
    folder = tmp_path / "sam3-hf"
    folder.mkdir()
    for name in ("config.json", "model.safetensors", "processor_config.json", "tokenizer.json"):
        (folder / name).write_text("{}")
    cfg.sam3_hf_model_dir = folder
    assert check_backend("sam3-hf", cfg).ok == (_importable("torch")
                                                and _importable("transformers"))


def test_cli_exit_code_follows_the_configured_backend(make_scene, capsys, tmp_path,
                                                     monkeypatch) -> None:
    sc = make_scene(backend="opencv")  # needs nothing: works on every machine
    with pytest.raises(SystemExit) as e:
        main(["doctor", "--config", str(sc.config_path)])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert "configured" in out and "sam3-hf" in out
    assert "sam3-hf: text detections: duplicate suppression (NMS) done by robomask" in \
        out.replace("\n", " ")
    missing = tmp_path / "no_such_folder"  # sam3-hf without its weights fails everywhere
    sc = make_scene(backend="sam3-hf", sam3_hf_model_dir=str(missing))
    with pytest.raises(SystemExit) as e:
        main(["doctor", "--config", str(sc.config_path)])
    assert e.value.code == 1 and "no_such_folder" in capsys.readouterr().out
    (tmp_path / "empty").mkdir()
    monkeypatch.chdir(tmp_path / "empty")  # no mask_config.yaml here
    with pytest.raises(SystemExit) as e:
        main(["doctor"])
    out = capsys.readouterr().out
    assert e.value.code == 0 and "weight paths and kinematics section not checked" in out


def test_cli_reads_the_config_in_the_current_folder(make_scene, capsys, monkeypatch) -> None:
    sc = make_scene(backend="sam3-hf", sam3_hf_model_dir=str(Path("no_such_folder")))
    monkeypatch.chdir(sc.config_path.parent)
    with pytest.raises(SystemExit) as e:
        main(["doctor"])
    out = capsys.readouterr().out
    assert e.value.code == 1 and "no_such_folder" in out  # the configured backend fails
    assert "weight paths and kinematics section checked in mask_config.yaml" in out


def _cells(text: str) -> list[list[str]]:
    """Rows of a rendered rich table: the text of each cell, one list per printed line."""
    return [[c.strip() for c in line.strip("│").split("│")]
            for line in text.splitlines() if line.startswith("│")]


def test_table_at_80_columns_one_row_per_problem_nothing_cut() -> None:
    bpe = "bpe_simple_vocab_16e6.txt.gz"
    checks = [
        BackendCheck("opencv", True, configured=True),
        BackendCheck("sam3", False,
                     ("no CUDA: no CUDA GPU visible", f"no BPE file ({bpe})", "no sam3 package"),
                     ("run on a machine with an NVIDIA GPU", f"get {bpe} (sam3 GitHub "
                      "repository, sam3/assets/) and set sam3_bpe_path",
                      "pip install 'robomask[sam3]'")),
    ]
    console = Console(width=80, record=True, file=io.StringIO())
    console.print(doctor_table(checks))
    text = console.export_text()
    assert "…" not in text and "..." not in text
    assert max(len(line) for line in text.splitlines()) <= 80
    rows = text.split("┩")[1].split("├")  # rows are separated by lines
    assert len(rows) == 1 + 3  # opencv + one row per sam3 problem
    for reason, fix, row in zip(checks[1].reasons, checks[1].fixes, rows[1:], strict=True):
        cells = _cells(row)
        assert "".join(c[1] for c in cells).replace(" ", "") == reason.replace(" ", "")
        assert "".join(c[2] for c in cells).replace(" ", "") == fix.replace(" ", "")
    assert [c[0] for c in _cells(rows[0])] == ["opencv", "works", "configured"]
    assert _cells(rows[1])[0][0] == "sam3" and _cells(rows[1])[1][0] == "fails here"
    assert all(c[0] == "" for c in _cells(rows[2]) + _cells(rows[3]))


def test_missing_checkpoint_is_spelled_as_yaml(make_scene) -> None:
    if not _importable("torch"):
        pytest.skip("without torch, sam3 stops at 'no torch' before the weight paths")
    cfg = make_scene(backend="sam3", sam3_checkpoint=None).config
    assert cfg.sam3_checkpoint is None
    reasons = check_backend("sam3", cfg).reasons
    assert any(r.startswith("no weights: sam3_checkpoint:") and r.endswith("got null")
               for r in reasons)
    assert not any("None" in r for r in reasons)


def test_cli_shows_a_status_line_while_checking(monkeypatch, capsys) -> None:
    seen = []

    def slow_checks(config):  # stands in for the torch import, which takes seconds
        deadline = time.monotonic() + 5
        while "checking" not in common.err_console.file.getvalue() \
                and time.monotonic() < deadline:
            time.sleep(0.02)
        seen.append(common.err_console.file.getvalue())
        return [BackendCheck("opencv", True)]

    monkeypatch.setattr(doctor_cmd, "check_backends", slow_checks)
    monkeypatch.setattr(common.err_console, "_file", io.StringIO())  # (its default: None)
    monkeypatch.setattr(common.err_console, "_force_terminal", True)  # as on a terminal
    monkeypatch.setattr(common.err_console, "is_interactive", True)
    with pytest.raises(SystemExit) as e:
        main(["doctor"])
    assert e.value.code == 0
    assert "checking the backends" in seen[0]


def test_base_imports_no_heavy_package() -> None:
    code = ("import json, sys\n"
            "import robomask, robomask.backends, robomask.cli.main, robomask.doctor\n"
            "import robomask.backends.sam3, robomask.backends.sam3_hf\n"
            "print(json.dumps(sorted(m for m in ('torch', 'transformers', 'sam3') "
            "if m in sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert json.loads(out) == []


def test_sam3_import_chain_is_checked(tmp_path: Path, monkeypatch) -> None:
    """A sam3 that is installed but does not import (0.1.4 without psutil) is reported.

    The package here is test data shaped like sam3 0.1.4: its model_builder imports a
    module that is missing, as sam3/model/sam3_video_predictor.py imports psutil.
    """
    pytest.importorskip("torch")
    if _importable("sam3"):
        pytest.skip("a real sam3 is installed here")
    pkg = tmp_path / "sam3"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "model_builder.py").write_text("import robomask_test_absent_psutil  # noqa\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in [m for m in sys.modules if m == "sam3" or m.startswith("sam3.")]:
        monkeypatch.delitem(sys.modules, name)
    sam3 = check_backend("sam3")
    broken = [r for r in sam3.reasons if r.startswith("sam3 does not import")]
    assert broken and "robomask_test_absent_psutil" in broken[0]
    assert "pip install 'robomask[sam3]'" in sam3.fixes[sam3.reasons.index(broken[0])]


def test_kinematic_backend_needs_a_kinematics_section(make_scene):
    from robomask._optional import available
    from robomask.doctor import check_backend

    sc = make_scene()
    check = check_backend("kinematic", sc.config)
    assert not check.ok and "no kinematics section" in check.reasons[-1]
    installed = all(available(m) for m in ("yourdfpy", "trimesh", "fast_simplification"))
    assert check_backend("kinematic").ok == installed


def test_a_config_that_renders_marks_the_kinematic_backend_configured(make_scene):
    from robomask.config import KinematicsConfig

    sc = make_scene()
    eye = [[1.0, 0, 0, 0], [0, 1.0, 0, 0], [0, 0, 1.0, 0], [0, 0, 0, 1.0]]
    kin = KinematicsConfig(urdf="robot.urdf", intrinsics=[[500.0, 0, 320], [0, 500.0, 240],
                                                          [0, 0, 1]],
                           camera_pose_in_base=eye, use="masks")
    masks = sc.config.model_copy(update={"kinematics": kin, "backend": "sam3"})
    # use: masks runs the kinematic backend whatever `backend` says
    assert check_backend("kinematic", masks).configured
    assert not check_backend("sam3", masks).configured
    prompts = masks.model_copy(update={"kinematics": kin.model_copy(update={"use": "prompts"})})
    assert check_backend("kinematic", prompts).configured  # the render makes the prompts
    assert check_backend("sam3", prompts).configured
    assert not check_backend("kinematic", sc.config).configured  # no section: not in use


def test_without_a_config_doctor_says_what_it_did_not_check(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit):
        main(["doctor"])
    out = capsys.readouterr().out.replace("\n", " ")
    assert "kinematics section" in out and "--config" in out
