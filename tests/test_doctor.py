"""``robomask doctor`` and the promise that the base install imports no heavy package."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from robomask.cli.main import main
from robomask.doctor import check_backend, check_backends


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


def test_cli_table_and_exit_code(make_scene, capsys) -> None:
    sc = make_scene(backend="sam3")
    with pytest.raises(SystemExit) as e:
        main(["doctor", "--config", str(sc.config_path)])
    out = capsys.readouterr().out
    assert "sam3 (configured)" in out and "sam3-hf" in out
    assert "sam3-hf: text detections: duplicate suppression (NMS) done by robomask" in out
    assert e.value.code == (0 if check_backend("sam3", sc.config).ok else 1)
    with pytest.raises(SystemExit) as e:
        main(["doctor"])
    assert e.value.code == 0 and "weight paths not checked" in capsys.readouterr().out


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
