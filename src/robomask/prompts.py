"""Prompt files (SPEC section 4): ``annotation_prompts_{arm,gripper}_points.json``.

Reads the wrapped format (``{"format": ..., "prompts": {...}}``) and the bare prompt
map, abs (pixel) and rel (fraction) coordinates, the legacy ARM_LEFT/ARM_RIGHT keys, and
an entry's optional ``box_xyxy`` (absent in older files: no box; older readers ignore it).
Writes the wrapped format atomically. Checks against a video and a config live in
:mod:`robomask.prompt_checks`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

import numpy as np

from robomask.errors import PromptError, excerpt
from robomask.io.atomic import (
    TMP_SUFFIX,
    finish_group,
    json_bytes,
    remove_stale_temporaries,
    write_group,
    write_json,
)
from robomask.io.textfile import read_text

FORMAT = "sam3.annotation_prompts.v1"
ARM_KEY = "ARM_CABLE_INITIAL_PROMPTS"
ARM2_KEY = "ARM_CABLE_2_INITIAL_PROMPTS"
LEFT_KEY = "GRIPPER_LEFT_KEYFRAME_PROMPTS"
RIGHT_KEY = "GRIPPER_RIGHT_KEYFRAME_PROMPTS"
PROMPT_KEYS = (ARM_KEY, ARM2_KEY, LEFT_KEY, RIGHT_KEY)
LEGACY_ARM_KEYS = ("ARM_LEFT_INITIAL_PROMPTS", "ARM_RIGHT_INITIAL_PROMPTS")
REQUIRED_KEYS: dict[str, tuple[str, ...]] = {"arm": (ARM_KEY,), "gripper": (LEFT_KEY, RIGHT_KEY)}

PROMPT_FILE_GLOB = "annotation_prompts_*.json"
MAX_PROMPT_BYTES = 16 * 1024 * 1024
MAX_INT_DIGITS = 18  # frame indices, object ids, pixels: nothing near 10**18
PAIR_JOURNAL = ".annotation_prompts.journal"  # pending renames of a pair save

CoordType = Literal["abs", "rel"]
GENERATED_BY = "robomask kinematics"  # stats.generated_by of prompt files made from a render


@dataclass(frozen=True)
class PromptEntry:
    """Clicks on one object on one frame.

    Attributes:
        frame_index: 0-based frame the clicks are on.
        obj_id: Object the clicks belong to.
        points: (x, y) pairs; pixels when ``coord_type == "abs"``, fractions of width and
            height in [0, 1] when ``"rel"``.
        labels: 1 = positive click, 0 = negative, one per point.
        coord_type: ``"abs"`` or ``"rel"``; kept as read so that a round trip is exact.
        box: Optional box around the object, (x0, y0, x1, y1) in the units of
            ``coord_type`` (key ``box_xyxy`` in the files; None = no box). Backends that
            take boxes (``Capabilities.box_prompts``) get it with the points; the others
            use the points alone.
    """

    frame_index: int
    obj_id: int
    points: tuple[tuple[float, float], ...]
    labels: tuple[int, ...]
    coord_type: CoordType = "abs"
    box: tuple[float, float, float, float] | None = None

    def points_px(self, size_wh: tuple[int, int]) -> np.ndarray:
        """Points as a float (N, 2) array of (x, y) pixels."""
        pts = np.asarray(self.points, dtype=np.float64).reshape(-1, 2)
        if self.coord_type == "rel":
            pts = pts * np.asarray(size_wh, dtype=np.float64)
        return pts

    def points_rel(self, size_wh: tuple[int, int]) -> np.ndarray:
        """Points as a float (N, 2) array of (x, y) fractions of (width, height)."""
        pts = np.asarray(self.points, dtype=np.float64).reshape(-1, 2)
        if self.coord_type == "abs":
            pts = pts / np.asarray(size_wh, dtype=np.float64)
        return pts

    def box_px(self, size_wh: tuple[int, int]) -> np.ndarray | None:
        """The box as a float (4,) array (x0, y0, x1, y1) in pixels; None without one."""
        if self.box is None:
            return None
        box = np.asarray(self.box, dtype=np.float64)
        if self.coord_type == "rel":
            box = box * np.tile(np.asarray(size_wh, dtype=np.float64), 2)
        return box

    def to_json(self) -> dict[str, Any]:
        def num(v: float) -> float | int:
            return int(v) if float(v).is_integer() and self.coord_type == "abs" else float(v)

        out: dict[str, Any] = {"frame_index": self.frame_index, "obj_id": self.obj_id,
                               "coord_type": self.coord_type,
                               "points": [[num(x), num(y)] for x, y in self.points],
                               "labels": list(self.labels)}
        if self.box is not None:
            out["box_xyxy"] = [num(v) for v in self.box]
        return out


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def parse_entry(raw: Any, where: str) -> PromptEntry:
    """Validate one ENTRY dict; ``where`` names it in errors (``"file: KEY[3]"``)."""
    if not isinstance(raw, dict):
        raise PromptError(f"{where}: expected an object with frame_index, obj_id, points, "
                          f"labels, got {excerpt(raw)}")
    for key in ("frame_index", "obj_id", "points", "labels"):
        if key not in raw:
            raise PromptError(f"{where}: expected key '{key}', got no such key")
    fi, oid = raw["frame_index"], raw["obj_id"]
    if not _is_int(fi) or fi < 0:
        raise PromptError(f"{where}: frame_index: expected an integer >= 0, got {excerpt(fi)}")
    if not _is_int(oid):
        raise PromptError(f"{where}: obj_id: expected an integer, got {excerpt(oid)}")
    coord = raw.get("coord_type", "abs")
    if coord not in ("abs", "rel"):
        raise PromptError(f"{where}: coord_type: expected 'abs' or 'rel', got {excerpt(coord)}")
    pts, labels = raw["points"], raw["labels"]
    if not isinstance(pts, list) or not all(
        isinstance(p, list | tuple) and len(p) == 2 and all(_is_num(c) for c in p) for p in pts
    ):
        raise PromptError(f"{where}: points: expected a list of [x, y] numbers (finite), "
                          f"got {excerpt(pts)}")
    if not isinstance(labels, list) or not all(lb in (0, 1) and _is_int(lb) for lb in labels):
        raise PromptError(f"{where}: labels: expected a list of 0 or 1, got {excerpt(labels)}")
    if len(pts) != len(labels) or not pts:
        raise PromptError(f"{where}: expected points and labels of equal, non-zero length, "
                          f"got {len(pts)} points and {len(labels)} labels")
    if coord == "rel":
        for k, (x, y) in enumerate(pts):
            if not (0 <= x <= 1 and 0 <= y <= 1):
                raise PromptError(f"{where}: point {k}: expected rel coordinates in [0, 1], "
                                  f"got ({x}, {y})")
    return PromptEntry(fi, oid, tuple((float(x), float(y)) for x, y in pts),
                       tuple(int(lb) for lb in labels), coord,
                       _parse_box(raw.get("box_xyxy"), coord, where))


def _parse_box(raw: Any, coord: str, where: str) -> tuple[float, float, float, float] | None:
    """The optional ``box_xyxy`` of an entry (absent or null: None)."""
    if raw is None:
        return None
    if not (isinstance(raw, list) and len(raw) == 4 and all(_is_num(v) for v in raw)):
        raise PromptError(f"{where}: box_xyxy: expected [x0, y0, x1, y1] (4 finite numbers), "
                          f"got {excerpt(raw)}")
    x0, y0, x1, y1 = (float(v) for v in raw)
    if not (x0 < x1 and y0 < y1):
        raise PromptError(f"{where}: box_xyxy: expected x0 < x1 and y0 < y1, got "
                          f"[{x0:g}, {y0:g}, {x1:g}, {y1:g}]")
    top = 1.0 if coord == "rel" else math.inf
    if not (min(x0, y0) >= 0 and max(x1, y1) <= top):
        unit = "rel coordinates in [0, 1]" if coord == "rel" else "pixels >= 0"
        raise PromptError(f"{where}: box_xyxy: expected {unit}, got "
                          f"[{x0:g}, {y0:g}, {x1:g}, {y1:g}]")
    return x0, y0, x1, y1


@dataclass
class PromptSet:
    """The four prompt lists of a scene, keyed as in the files."""

    entries: dict[str, list[PromptEntry]] = field(
        default_factory=lambda: {k: [] for k in PROMPT_KEYS})

    def __post_init__(self) -> None:
        for k in PROMPT_KEYS:
            self.entries.setdefault(k, [])

    def __getitem__(self, key: str) -> list[PromptEntry]:
        return self.entries[key]

    def is_empty(self, keys: Iterable[str] = PROMPT_KEYS) -> bool:
        return not any(self.entries[k] for k in keys)

    def only(self, keys: Iterable[str]) -> PromptSet:
        """A copy holding only ``keys``; the other lists are empty."""
        keep = set(keys)
        return PromptSet({k: list(v) if k in keep else [] for k, v in self.entries.items()})

    def to_json(self, extra_stats: dict[str, Any] | None = None) -> dict[str, Any]:
        """The wrapped file format, with a summary (and ``extra_stats``) in ``stats``."""
        doc = {
            "format": FORMAT,
            "created_at_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "prompts": {k: [e.to_json() for e in self.entries[k]] for k in PROMPT_KEYS},
            "stats": {k: {"entries": len(v), "points": sum(len(e.points) for e in v),
                          "keyframes": sorted({e.frame_index for e in v})}
                      for k, v in self.entries.items()},
        }
        doc["stats"].update(extra_stats or {})
        return doc


def parse_prompt_map(data: Any, *, source: str, kind: str | None = None) -> PromptSet:
    """Build a :class:`PromptSet` from decoded JSON (wrapped or bare map).

    Args:
        data: The decoded JSON document.
        source: File name for messages.
        kind: ``"arm"`` or ``"gripper"`` to require that file's keys; None requires none.
    """
    if isinstance(data, dict) and "prompts" in data:
        data = data["prompts"]
    if not isinstance(data, dict):
        raise PromptError(f"{source}: expected a JSON object of prompt lists, got "
                          f"{type(data).__name__}")
    data = dict(data)
    if ARM_KEY not in data and any(k in data for k in LEGACY_ARM_KEYS):
        data[ARM_KEY] = [e for k in LEGACY_ARM_KEYS for e in _entry_list(data, k, source)]
    for key in REQUIRED_KEYS.get(kind or "", ()):
        if key not in data:
            raise PromptError(f"{source}: expected key '{key}', got keys "
                              f"{excerpt(sorted(map(str, data)))}")
    out = PromptSet()
    for key in PROMPT_KEYS:
        out.entries[key] = [parse_entry(r, f"{source}: {key}[{i}]")
                            for i, r in enumerate(_entry_list(data, key, source))]
    return out


def _entry_list(data: dict[str, Any], key: str, source: str) -> list[Any]:
    """The list under ``key`` (missing or null: empty); anything else is an error."""
    raw = data.get(key)
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise PromptError(f"{source}: {key}: expected a list of entries (or null), got "
                          f"{excerpt(raw)}")
    return raw


def read_prompts(path: Path | str, *, kind: str | None = None) -> PromptSet:
    """Read a prompt file; errors name the file, the line and column, key or entry.

    A pair save (:func:`write_prompt_pair`) killed half-way is finished first, so that
    the file read matches its partner.
    """
    path = Path(path)
    finish_group(path.parent / PAIR_JOURNAL)
    if not path.is_file():
        raise PromptError(f"{path}: expected a prompt file, got nothing there")
    text = read_text(path, what="prompt file", max_bytes=MAX_PROMPT_BYTES, error=PromptError)
    try:
        data = json.loads(text, parse_int=_bounded_int, parse_float=_finite_float,
                          parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise PromptError(f"{path}: expected valid JSON, got a syntax error at line "
                          f"{exc.lineno}, column {exc.colno}: {exc.msg}") from exc
    except _BadNumber as exc:
        raise PromptError(f"{path}: {exc}") from exc
    except RecursionError as exc:
        raise PromptError(f"{path}: expected JSON nested a few levels deep, got nesting too "
                          "deep to read") from exc
    return parse_prompt_map(data, source=str(path), kind=kind)


class _BadNumber(ValueError):
    """A JSON number no prompt file holds (the message says which)."""


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise _BadNumber(f"expected integers of at most {MAX_INT_DIGITS} digits, got one of "
                         f"{len(text.lstrip('-'))}")
    return int(text)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _BadNumber(f"expected finite numbers, got {text[:40]}")
    return value


def _no_constant(name: str) -> float:
    raise _BadNumber(f"expected finite numbers, got {name}")


def write_prompts(path: Path | str, prompts: PromptSet, *,
                  extra_stats: dict[str, Any] | None = None) -> None:
    """Write ``prompts`` in the wrapped format, atomically."""
    write_json(Path(path), prompts.to_json(extra_stats))


def generated_stats(path: Path | str) -> dict[str, Any] | None:
    """The ``stats`` of a prompt file robomask generated from a render; None for a file a
    person made (or edited and saved), or no readable file."""
    try:
        stats = json.loads(Path(path).read_text(encoding="utf-8")).get("stats")
    except (OSError, ValueError, AttributeError):
        return None
    return stats if isinstance(stats, dict) and stats.get("generated_by") == GENERATED_BY else None


def write_prompt_pair(arm_path: Path, arm: PromptSet, gripper_path: Path,
                      gripper: PromptSet) -> None:
    """Write the arm and gripper files of one camera folder as a pair: a kill at any
    moment leaves both old or both new (once :func:`recover_prompt_pair` or a read ran).
    """
    arm_path, gripper_path = Path(arm_path), Path(gripper_path)
    if arm_path.parent != gripper_path.parent:
        raise PromptError(f"{gripper_path}: expected it beside {arm_path}, got another folder")
    write_group({arm_path: json_bytes(arm.to_json()), gripper_path: json_bytes(gripper.to_json())},
                arm_path.parent / PAIR_JOURNAL)


def recover_prompt_pair(folder: Path) -> bool:
    """At start-up: finish a pair save that was killed after its commit point, else drop
    the temporaries of one killed before it. True when a save was finished."""
    finished = finish_group(Path(folder) / PAIR_JOURNAL)
    remove_stale_temporaries(Path(folder), f".{PROMPT_FILE_GLOB}.*{TMP_SUFFIX}")
    return finished
