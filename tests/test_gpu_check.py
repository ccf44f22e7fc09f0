"""benchmarks/gpu_check.py stays runnable without a GPU: its CPU dry run (tiny sam3-hf,
12 frames, a window of 5) goes through every measuring step."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.hf

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def test_dry_run(tmp_path: Path, monkeypatch, capsys) -> None:
    pytest.importorskip("transformers")
    torch = pytest.importorskip("torch")
    monkeypatch.syspath_prepend(str(BENCH))
    import gpu_check

    out = tmp_path / "gpu_check.json"
    monkeypatch.setattr(sys, "argv", ["gpu_check.py", "--dry-run", "--stages", "gripper",
                                      "--out", str(out)])
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        gpu_check.main()
    finally:
        torch.set_num_threads(threads)
    cases = json.loads(out.read_text())
    assert [(c["window"], c["status"]) for c in cases] == [(None, "done"), (5, "done")]
    for c in cases:
        assert c["fps"] > 0 and 0 <= c["robomask_share"] < 1 and c["model_seconds"] > 0
    assert "robomask %" in capsys.readouterr().out
