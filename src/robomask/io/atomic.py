"""Atomic file writes: a temporary file in the same folder, then a rename.

A run killed at any moment leaves either the old file or the new one, never a
truncated one. Temporary names start with a dot and end in ``.tmp`` so that globs
like ``*.png`` never see them. :func:`write_group` extends this to several files of
one folder that must change together (the arm and gripper prompt files).

A write that fails for lack of space raises :class:`~robomask.errors.DiskFullError`
naming the folder, never a bare ``OSError``. :func:`refuse_overwrite` is the one check
that a command does not replace a user's file (or fill a user's folder) without
``--force``.
"""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from robomask.errors import DiskFullError, OverwriteError

TMP_SUFFIX = ".tmp"
_NO_SPACE = (errno.ENOSPC, errno.EDQUOT)


@contextmanager
def space_checked(path: Path) -> Iterator[None]:
    """Turn an out-of-space ``OSError`` raised inside into :class:`DiskFullError`."""
    try:
        yield
    except OSError as exc:
        if exc.errno not in _NO_SPACE:
            raise
        raise DiskFullError(f"{path}: no space left on {Path(path).parent} ({exc.strerror})",
                            hint="free some space (or move export_base_dir), then run "
                                 "again: finished frames are kept") from exc


def refuse_overwrite(path: Path, *, force: bool, got: str | None = None,
                     instead: str | None = None) -> None:
    """Raise unless ``force`` when ``path`` is taken: a file that exists, or a folder that
    holds anything (a command's own default outputs need no check).

    Args:
        path: The file or folder a command is about to write.
        force: The command's ``--force``.
        got: What is there, for the message (default: "an existing one" / "one with files").
        instead: The other way out, for the hint (e.g. "--out another folder").

    Raises:
        OverwriteError: ``{path}: expected no file there, got ...`` with a ``--force`` hint.
    """
    p = Path(path)
    folder = p.is_dir()
    if force or not (any(p.iterdir()) if folder else p.exists()):
        return
    want = "an empty or new folder" if folder else "no file there"
    got = got or ("one with files" if folder else "an existing one")
    raise OverwriteError(f"{p}: expected {want}, got {got}",
                         hint="pass --force to overwrite" + (f", or {instead}" if instead else ""))


def _temp_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}{TMP_SUFFIX}")


def _write_temp(path: Path, data: bytes) -> Path:
    """Write ``data`` beside ``path`` under a temporary name; returns that name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_path(path)
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


@contextmanager
def writing(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` to write to (for writers that need a
    file name, such as a video muxer); on leaving the block it is renamed to ``path``,
    on an error removed.

    Raises:
        DiskFullError: No space left on the device.
    """
    path = Path(path)
    with space_checked(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = _temp_path(path)
        try:
            yield tmp
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise


def write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, creating parent folders.

    Raises:
        DiskFullError: No space left on the device.
    """
    with writing(path) as tmp, open(tmp, "wb") as fh:
        fh.write(data)


def write_text(path: Path, text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    write_bytes(path, text.encode("utf-8"))


def json_bytes(obj: Any) -> bytes:
    """``obj`` as indented UTF-8 JSON ending in a newline (the format of every JSON file
    robomask writes)."""
    return (json.dumps(obj, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def write_json(path: Path, obj: Any) -> None:
    """Write ``obj`` as indented JSON to ``path`` atomically."""
    write_bytes(path, json_bytes(obj))


def write_group(files: Mapping[Path, bytes], journal: Path) -> None:
    """Replace several files of one folder so that a kill leaves all old or all new.

    Every file is written under a temporary name first; then ``journal`` (in the same
    folder) records the renames still to do; that write is the commit point. A kill
    before it leaves the old files and stray temporaries (see
    :func:`remove_stale_temporaries`); a kill after it is finished by
    :func:`finish_group`, which readers call before reading.

    Raises:
        DiskFullError: No space left on the device (the old files are untouched).
    """
    temps: dict[Path, Path] = {}
    journal = Path(journal)
    with space_checked(journal):
        try:
            for path, data in files.items():
                temps[Path(path)] = _write_temp(Path(path), data)
            renames = [[t.name, p.name] for p, t in temps.items()]
            write_bytes(journal, json.dumps({"renames": renames}).encode())
        except BaseException:
            for tmp in temps.values():
                tmp.unlink(missing_ok=True)
            raise
    finish_group(journal)


def finish_group(journal: Path) -> bool:
    """Do the renames a committed :func:`write_group` left undone; True when there was a
    journal. Safe to call from several processes at once."""
    journal = Path(journal)
    try:
        renames = json.loads(journal.read_bytes())["renames"]
    except FileNotFoundError:
        return False
    except (ValueError, KeyError, TypeError):  # torn journal: cannot be ours (atomic)
        journal.unlink(missing_ok=True)
        return False
    for tmp_name, name in renames:
        with suppress(FileNotFoundError):  # renamed already (by the writer or a reader)
            os.replace(journal.parent / tmp_name, journal.parent / name)
    journal.unlink(missing_ok=True)
    return True


def remove_stale_temporaries(folder: Path, pattern: str = ".*" + TMP_SUFFIX) -> int:
    """Delete temporary files a killed run left in ``folder`` (those matching ``pattern``);
    returns how many."""
    folder = Path(folder)
    if not folder.is_dir():
        return 0
    stale = list(folder.glob(pattern))
    for p in stale:
        p.unlink(missing_ok=True)
    return len(stale)
