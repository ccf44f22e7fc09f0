"""Running the CLI in a test: exit code and output, never a traceback; the one-line
error check. Import ``wide_console`` into a test module to use it as a fixture."""

from __future__ import annotations

import pytest

from robomask.cli import common
from robomask.cli.main import main


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    """A console wide enough that rich does not wrap a one-line message."""
    for console in (common.console, common.err_console):
        monkeypatch.setattr(console, "width", 2000)


def run_cli(args: list[str], capsys) -> tuple[int, str]:
    """Exit code and stdout + stderr of ``robomask ARGS``; fails on a traceback."""
    with pytest.raises(SystemExit) as exc:
        main(args)
    captured = capsys.readouterr()
    out = captured.out + captured.err
    assert "Traceback" not in out, out
    return exc.value.code, out


def assert_user_error(code: int, out: str, *culprits: str) -> None:
    """Exit 2 (user error) with a one-line message naming every culprit."""
    assert code == 2, out
    line = next(ln for ln in out.splitlines() if ln.startswith("error:"))
    for c in culprits:
        assert c in line, f"{c!r} not in {line!r}"
