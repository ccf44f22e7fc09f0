"""Joint states per frame, from a folder of files, a CSV/parquet table or a LeRobot episode.

Sources:
- a folder of ``.npy``/``.txt`` files, one per frame, matched to frames by file stem
  (``1737546126606.npy`` for frame ``1737546126606.png``) or by the integer at the end
  of the stem (``joint_state_3.npy`` -> frame_index 3);
- a ``.csv`` or ``.parquet`` table with a ``frame_index`` column (exact match) or a
  ``timestamp`` column (nearest row within a tolerance; seconds, or milliseconds when the
  values are above 1e11; frames are timed by their integer millisecond stems), and
  either one column per joint or one column of vectors (e.g. LeRobot's
  ``observation.state``, whose value names come from the dataset's ``meta/info.json``).
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from robomask._optional import require
from robomask.errors import KinematicsError

MatchMode = Literal["auto", "stem", "index", "frame_index", "timestamp"]
_TRAILING_INT = re.compile(r"(?<![0-9])([0-9]{1,18})$")  # ASCII, short enough for int()


def trailing_index(name: str) -> int | None:
    """The number a file stem ends in (``frame_0042`` -> 42), or None."""
    m = _TRAILING_INT.search(name)
    return int(m.group(1)) if m else None


@dataclass(frozen=True)
class JointTrack:
    """Joint values for every frame of a video.

    Attributes:
        names: Joint names, the order of ``values``' columns.
        values: Float (num_frames, len(names)): radians (metres for prismatic joints).
    """

    names: tuple[str, ...]
    values: np.ndarray

    def at(self, frame_index: int) -> dict[str, float]:
        """Joint name -> value on ``frame_index``."""
        return dict(zip(self.names, self.values[frame_index].tolist(), strict=True))


@dataclass(frozen=True)
class JointTable:
    """Rows of a joint-state table as read (see :func:`read_joint_table`).

    Attributes:
        source: The file.
        names: Names of the value columns (None when a vector column has no names).
        values: Float (rows, values per row).
        frame_index: Int (rows,) or None when the table has no frame_index column.
        timestamp_s: Float (rows,) seconds or None when the table has no timestamp.
    """

    source: Path
    names: tuple[str, ...] | None
    values: np.ndarray
    frame_index: np.ndarray | None
    timestamp_s: np.ndarray | None


def lerobot_names(info_json: Path, column: str) -> list[str] | None:
    """Value names of ``column`` in a LeRobot ``meta/info.json`` (None when it has none).

    LeRobot writes ``features[column]["names"]`` as a list, as a dict holding one list
    (e.g. ``{"motors": [...]}``), or as a list holding one list (``[[...]]``).
    """
    try:
        info = json.loads(Path(info_json).read_text(encoding="utf-8"))
        names = info["features"][column].get("names")
    except (OSError, ValueError, KeyError, AttributeError, TypeError) as exc:
        raise KinematicsError(f"{info_json}: expected LeRobot meta/info.json with "
                              f"features.{column}, got {type(exc).__name__}: {exc}") from exc
    if isinstance(names, dict) and len(names) == 1:
        names = next(iter(names.values()))
    if isinstance(names, list) and len(names) == 1 and isinstance(names[0], list):
        names = names[0]
    if isinstance(names, list) and all(isinstance(n, str) for n in names):
        return names
    return None


def _find_info_json(table: Path) -> Path | None:
    for parent in list(table.parents)[:4]:
        candidate = parent / "meta" / "info.json"
        if candidate.is_file():
            return candidate
    return None


def _table_columns(path: Path) -> dict[str, list]:
    if path.suffix == ".parquet":
        pq = require("pyarrow.parquet", "kinematics", purpose="parquet joint states")
        try:
            return pq.read_table(path).to_pydict()
        except Exception as exc:  # pyarrow raises several types for a bad file
            raise KinematicsError(f"{path}: expected a parquet table, got an unreadable file "
                                  f"({exc})") from exc
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise KinematicsError(f"{path}: expected a CSV table, got an unreadable file "
                              f"({exc})") from exc
    if not rows:
        raise KinematicsError(f"{path}: expected a header and rows, got no rows")
    return {k: [r[k] for r in rows] for k in rows[0]}


def _floats(path: Path, what: str, raw: Sequence) -> np.ndarray:
    try:
        return np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise KinematicsError(f"{path}: column {what}: expected numbers, got {exc}") from exc


def read_joint_table(path: Path | str, *, column: str | None = None,
                     joint_names: Sequence[str] | None = None,
                     episode_index: int | None = None) -> JointTable:
    """Read a CSV or parquet joint-state table.

    Args:
        path: The ``.csv`` or ``.parquet`` file.
        column: A column holding one vector per row (e.g. ``"observation.state"``); its
            names come from the LeRobot ``meta/info.json`` found above the file, if any.
        joint_names: Without ``column``: the table's columns to read, one per joint.
        episode_index: Keep only the rows of this episode (a LeRobot v3 table holds
            several); None or a table without an ``episode_index`` column: every row.

    Raises:
        KinematicsError: Unreadable file, missing columns, or non-numeric values.
    """
    path = Path(path)
    if not path.is_file():
        raise KinematicsError(f"kinematics.joint_states: expected a table at {path}, got "
                              "nothing there")
    cols = _table_columns(path)
    if episode_index is not None and "episode_index" in cols:
        rows = [r for r, e in enumerate(cols["episode_index"]) if int(e) == episode_index]
        cols = {k: [v[r] for r in rows] for k, v in cols.items()}
    names: tuple[str, ...] | None
    if column is not None:
        if column not in cols:
            raise KinematicsError(f"{path}: expected a column '{column}', got columns "
                                  f"{sorted(cols)[:12]}")
        raw = cols[column]
        if raw and isinstance(raw[0], str):  # a CSV cell like "[0.1, 0.2]" or "0.1 0.2"
            raw = [[float(x) for x in re.split(r"[,\s]+", s.strip("[] ")) if x] for s in raw]
        lengths = {len(r) for r in raw}
        if len(lengths) != 1:
            raise KinematicsError(f"{path}: column '{column}': expected vectors of one "
                                  f"length, got lengths {sorted(lengths)}")
        values = _floats(path, column, raw)
        info = _find_info_json(path)
        found = lerobot_names(info, column) if info else None
        names = tuple(found) if found else None
    else:
        if not joint_names:
            raise KinematicsError(f"{path}: expected kinematics.joint_states_column or "
                                  "kinematics.joint_names to pick the value columns, got "
                                  "neither")
        missing = [n for n in joint_names if n not in cols]
        if missing:
            raise KinematicsError(f"{path}: expected a column per joint, got no column "
                                  f"{missing[0]!r}", hint=f"columns: {sorted(cols)[:12]}")
        values = np.stack([_floats(path, n, cols[n]) for n in joint_names], axis=1)
        names = tuple(joint_names)
    frame_index = (_floats(path, "frame_index", cols["frame_index"]).astype(np.int64)
                   if "frame_index" in cols else None)
    ts = _floats(path, "timestamp", cols["timestamp"]) if "timestamp" in cols else None
    if ts is not None and len(ts) and np.median(ts) > 1e11:
        ts = ts / 1000.0
    return JointTable(path, names, values, frame_index, ts)


def _folder_rows(folder: Path, frame_stems: Sequence[str], match: MatchMode
                 ) -> tuple[list[Path], str]:
    files = {p.stem: p for p in folder.iterdir() if p.suffix in (".npy", ".txt")}
    if not files:
        raise KinematicsError(f"kinematics.joint_states: expected .npy or .txt files in "
                              f"{folder}, got none")
    if match in ("auto", "stem") and all(s in files for s in frame_stems):
        return [files[s] for s in frame_stems], "stem"
    if match == "stem":
        first = next(s for s in frame_stems if s not in files)
        raise KinematicsError(f"{folder}: expected a joint state file '{first}.npy' for the "
                              f"frame '{first}', got none")
    by_index = {i: p for s, p in files.items() if (i := trailing_index(s)) is not None}
    for i, stem in enumerate(frame_stems):
        if i not in by_index:
            raise KinematicsError(f"{folder}: expected a joint state for frame {i} ('{stem}'): "
                                  f"a file named by the frame's stem or ending in {i}, got none")
    return [by_index[i] for i in range(len(frame_stems))], "index"


def _read_values_file(path: Path) -> np.ndarray:
    try:
        arr = np.load(path) if path.suffix == ".npy" else np.loadtxt(path)
        return np.asarray(arr, dtype=np.float64).reshape(-1)
    except (OSError, ValueError, TypeError) as exc:
        raise KinematicsError(f"{path}: expected joint values (numbers), got an unreadable "
                              f"file ({exc})") from exc


def _table_rows(table: JointTable, frame_stems: Sequence[str], match: MatchMode,
                tolerance_s: float) -> np.ndarray:
    n = len(frame_stems)
    if match in ("auto", "frame_index") and table.frame_index is not None:
        row_of = {int(f): r for r, f in enumerate(table.frame_index)}
        missing = next((i for i in range(n) if i not in row_of), None)
        if missing is not None:
            raise KinematicsError(f"{table.source}: expected a row with frame_index {missing} "
                                  f"(frame '{frame_stems[missing]}'), got none")
        return np.asarray([row_of[i] for i in range(n)])
    if table.timestamp_s is None:
        raise KinematicsError(f"{table.source}: expected a frame_index or timestamp column, "
                              "got neither")
    if not all(s.isdigit() for s in frame_stems):
        raise KinematicsError(f"{table.source}: matching by timestamp expects frames named by "
                              f"integer milliseconds, got frame names like '{frame_stems[0]}'")
    order = np.argsort(table.timestamp_s, kind="stable")
    ts = table.timestamp_s[order]
    want = np.asarray([int(s) for s in frame_stems], dtype=np.float64) / 1000.0
    pos = np.clip(np.searchsorted(ts, want), 1, max(len(ts) - 1, 1))
    left, right = ts[pos - 1], ts[np.minimum(pos, len(ts) - 1)]
    nearest = np.where(np.abs(want - left) <= np.abs(right - want), pos - 1, pos)
    nearest = np.minimum(nearest, len(ts) - 1)
    gap = np.abs(ts[nearest] - want)
    bad = np.flatnonzero(gap > tolerance_s)
    if len(bad):
        i = int(bad[0])
        raise KinematicsError(f"{table.source}: frame {i} ('{frame_stems[i]}'): expected a "
                              f"joint state within {tolerance_s} s, got the nearest "
                              f"{gap[i]:.3f} s away",
                              hint="raise kinematics.timestamp_tolerance_s, or check units")
    return order[nearest]


def read_joint_states(source: Path | str, frame_stems: Sequence[str], *,
                      known_joints: Sequence[str], joint_names: Sequence[str] | None = None,
                      match: MatchMode = "auto", tolerance_s: float = 0.02,
                      column: str | None = None, episode_index: int | None = None
                      ) -> JointTrack:
    """Joint values for every frame of a video.

    Args:
        source: A folder of per-frame files, or a .csv/.parquet table.
        frame_stems: The video's frame names (without extension), in frame order.
        known_joints: The URDF's joints; the default value order is its actuated joints.
        joint_names: Names of the values, in order (default: a LeRobot table's names,
            else ``known_joints``).
        match: How files or rows meet frames (``auto`` picks stem, then index; or
            frame_index, then timestamp for tables).
        tolerance_s: Largest timestamp gap accepted, in seconds.
        column: Vector column of a table (e.g. ``observation.state``).
        episode_index: Only this episode's rows of a table (LeRobot).

    Raises:
        KinematicsError: Missing source, a frame without a state, an unknown joint name,
            or a number of values different from the names.
    """
    source = Path(source)
    if source.is_dir():
        files, _ = _folder_rows(source, frame_stems, match)
        rows = [_read_values_file(p) for p in files]
        table_names, where = None, [str(p) for p in files]
    elif source.suffix in (".csv", ".parquet"):
        table = read_joint_table(source, column=column, joint_names=None if column else (
            joint_names or known_joints), episode_index=episode_index)
        picked = _table_rows(table, frame_stems, match, tolerance_s)
        rows = [table.values[r] for r in picked]
        table_names, where = table.names, [f"{source}: row {r}" for r in picked]
    else:
        raise KinematicsError(f"kinematics.joint_states: expected a folder, .csv or .parquet, "
                              f"got {source}" + ("" if source.exists() else " (nothing there)"))
    names = tuple(joint_names or table_names or known_joints)
    known = set(known_joints)
    unknown = [n for n in names if n not in known]
    if unknown and (joint_names or not table_names):
        raise KinematicsError(f"kinematics.joint_names: expected joints of the URDF, got "
                              f"unknown joint {unknown[0]!r}", hint=f"URDF joints: "
                              f"{', '.join(known_joints)}")
    for r, w in zip(rows, where, strict=True):
        if len(r) != len(names):
            raise KinematicsError(f"{w}: expected {len(names)} joint values (one per "
                                  f"kinematics.joint_names), got {len(r)}")
    keep = [k for k, n in enumerate(names) if n in known]
    if not keep:
        raise KinematicsError(f"{source}: expected value names that are URDF joints, got "
                              f"{list(names)[:6]}", hint="set kinematics.joint_names")
    values = np.asarray(rows, dtype=np.float64).reshape(len(frame_stems), len(names))
    return JointTrack(tuple(names[k] for k in keep), values[:, keep])
