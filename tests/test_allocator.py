"""The CLI process tunes glibc's allocator for frame-sized arrays (a speed setting:
benchmarks/merge.py measures it; here only that it takes effect where glibc is)."""

from __future__ import annotations

import ctypes.util
import sys

import pytest

from robomask.cli.allocator import keep_freed_buffers


@pytest.mark.skipif(not sys.platform.startswith("linux") or ctypes.util.find_library("c") is None,
                    reason="glibc's mallopt")
def test_thresholds_are_set_on_glibc():
    assert keep_freed_buffers() is True


def test_the_cli_sets_them_before_any_command(monkeypatch):
    import robomask.cli.main as cli_main

    calls = []
    monkeypatch.setattr(cli_main, "keep_freed_buffers", lambda: calls.append(1) or True)
    with pytest.raises(SystemExit):
        cli_main.main(["--help"])
    assert calls == [1]
