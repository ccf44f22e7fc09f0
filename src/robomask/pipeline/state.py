"""Stage markers: which stages of a scene are done, and with which inputs.

A marker ``{out}/.robomask/{scene}/{stage}.json`` holds a fingerprint of the stage's
inputs (config values, prompt file contents, upstream markers). A stage is done when
its marker says so with the same fingerprint; a changed input makes it stale. Mask
folders written by the old notebooks (complete, with no robomask state) count as done.
"""

from __future__ import annotations

import functools
import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from robomask.io.atomic import write_json
from robomask.io.maskstore import MaskStore

StageStatus = Literal["done", "stale", "interrupted", "partial", "missing", "error"]


def fingerprint(*parts: Any) -> str:
    """A short stable hash of JSON-able ``parts`` (paths and other objects via str)."""
    blob = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def file_digest(path: Path) -> str | None:
    """Hash of a file's bytes, or None when it does not exist."""
    p = Path(path)
    return hashlib.sha256(p.read_bytes()).hexdigest()[:16] if p.is_file() else None


def tree_digest(path: Path) -> str | None:
    """Hash of a file's bytes, or of a folder's file names and bytes (all depths); None
    when nothing is there. A file unchanged since the last call (same inode, size and
    modification time) is not read again: one LeRobot table serves many episodes."""
    p = Path(path)
    if not p.is_dir():
        return _stat_digest(p)
    files = sorted(f for f in p.rglob("*") if f.is_file())
    return fingerprint([(f.relative_to(p).as_posix(), _stat_digest(f)) for f in files])


def _stat_digest(path: Path) -> str | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return _digest_of(str(path), st.st_ino, st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=4096)
def _digest_of(path: str, inode: int, size: int, mtime_ns: int) -> str | None:
    return file_digest(Path(path))


@dataclass
class StageState:
    """The marker of one stage of one scene.

    Args:
        state_dir: ``{out}/.robomask/{scene}``.
        stage: ``"arm"``, ``"gripper"`` or ``"export"``.
    """

    state_dir: Path
    stage: str

    @property
    def path(self) -> Path:
        return self.state_dir / f"{self.stage}.json"

    def read(self) -> dict[str, Any] | None:
        """The marker; None when there is none. A marker that cannot be read (markers are
        written atomically, so someone edited it) reads as ``{"status": "unreadable"}``,
        which counts as interrupted: nothing trusts the stage until it is redone."""
        try:
            marker = json.loads(self.path.read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            marker = None
        return marker if isinstance(marker, dict) else {"status": "unreadable"}

    def status(self, fp: str | None, store: MaskStore) -> StageStatus:
        """``done``, ``stale``, ``interrupted``, ``partial`` or ``missing``.

        Args:
            fp: Fingerprint of the current inputs; None compares none (a marker saying
                done, with every mask present, is done).
            store: The stage's mask folder.

        With no marker, a complete folder is notebook-era output and counts as done.
        A marker saying ``running`` is a run killed or failed part-way: ``interrupted``.
        """
        marker = self.read()
        if marker is None:
            if store.root.is_dir() and store.is_complete():
                return "done"
            return "partial" if store.root.is_dir() and len(store.missing()) < len(store) \
                else "missing"
        if marker.get("status") in ("running", "unreadable"):
            return "interrupted"
        if marker.get("status") != "done" or (fp is not None and marker.get("fingerprint") != fp):
            return "stale"
        return "done" if store.is_complete() else "partial"

    def is_done(self, fp: str, store: MaskStore) -> bool:
        """True when the marker says done with fingerprint ``fp`` and no mask is missing,
        or when there is no marker and ``store`` is a complete notebook-era folder."""
        return self.status(fp, store) == "done"

    def done_fingerprint(self) -> str | None:
        """The fingerprint of a finished stage (for downstream fingerprints)."""
        marker = self.read()
        return marker.get("fingerprint") if marker and marker.get("status") == "done" else None

    def mark_running(self, fp: str) -> None:
        write_json(self.path, {"stage": self.stage, "status": "running", "fingerprint": fp,
                               "started_at": time.time()})

    def mark_done(self, fp: str, **info: Any) -> None:
        write_json(self.path, {"stage": self.stage, "status": "done", "fingerprint": fp,
                               "finished_at": time.time(), **info})
