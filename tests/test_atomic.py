"""robomask.io.atomic: whole files or nothing, groups of files, a full disk as one line."""

from __future__ import annotations

import errno
import re
from pathlib import Path

import pytest

from robomask.cli.main import main
from robomask.errors import DiskFullError
from robomask.io import atomic

SRC = Path(__file__).resolve().parents[1] / "src" / "robomask"


def _disk_full(monkeypatch) -> None:
    """Every file opened for writing through robomask.io.atomic fails like a full disk."""
    real_open = open

    def fake_open(path, mode="r", *args, **kw):
        if "w" not in mode:
            return real_open(path, mode, *args, **kw)
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(atomic, "open", fake_open, raising=False)


def test_full_disk_is_a_typed_error_naming_the_folder(tmp_path, monkeypatch):
    _disk_full(monkeypatch)
    target = tmp_path / "out" / "00000.png"
    with pytest.raises(DiskFullError, match=r"no space left on .*out"):
        atomic.write_bytes(target, b"x")
    assert not list((tmp_path / "out").iterdir())  # no temporary left behind


def test_full_disk_during_run_is_one_line_and_stops(make_scene, monkeypatch, capsys):
    sc = make_scene(with_ckpt=False, backend="scripted_backend:build")
    _disk_full(monkeypatch)
    with pytest.raises(SystemExit) as exc:
        main(["run", "--config", str(sc.config_path), "--scene", sc.name])
    out = capsys.readouterr()
    text = out.out + out.err
    assert exc.value.code == 2, text
    assert "Traceback" not in text
    assert "no space left on" in text and str(sc.out_dir) in text.replace("\n", "")


def test_stray_out_of_space_oserror_is_one_line(tmp_path, monkeypatch, capsys):
    from robomask.cli import setup_cmds

    def full(*a, **kw):
        raise OSError(errno.ENOSPC, "No space left on device", "/mnt/full/x.yaml")

    monkeypatch.setattr(setup_cmds, "write_text", full)
    with pytest.raises(SystemExit) as exc:
        main(["init", str(tmp_path / "c.yaml")])
    assert exc.value.code == 2
    assert "no space left on /mnt/full/x.yaml" in capsys.readouterr().err


def test_group_is_all_or_nothing_before_its_commit_point(tmp_path, monkeypatch):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text("old a")
    b.write_text("old b")
    calls = []
    real = atomic._write_temp

    def second_fails(path, data):
        calls.append(path)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(path, data)

    monkeypatch.setattr(atomic, "_write_temp", second_fails)
    with pytest.raises(KeyboardInterrupt):
        atomic.write_group({a: b"new a", b: b"new b"}, tmp_path / ".j")
    assert (a.read_text(), b.read_text()) == ("old a", "old b")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "b.json"]


# A write that bypasses robomask.io.atomic: Path.write_text/bytes, cv2.imwrite, open(.., "w")
_DIRECT_WRITE = re.compile(r"\.write_(text|bytes)\(|cv2\.imwrite\(|\bopen\([^)]*[\"'][wax]b?[\"']"
                           r"|mode=[\"'][wax]b?[\"']")


def test_every_write_in_src_goes_through_the_atomic_writer():
    offenders = []
    for path in SRC.rglob("*.py"):
        if path.name == "atomic.py" and path.parent.name == "io":
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            # a writer that needs a file name writes to the temporary of atomic.writing()
            if _DIRECT_WRITE.search(line) and "tmp" not in line:
                offenders.append(f"{path.relative_to(SRC)}:{n}: {line.strip()}")
    assert not offenders, "\n".join(offenders)
