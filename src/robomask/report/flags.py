"""Fault detectors over a :class:`~robomask.report.measure.SceneSeries`, and keyframes.

Each detector turns per-frame numbers into :class:`Flag` runs (inclusive frame ranges):

- ``lost_track``: an object empty where the frames on both sides have it (with an
  objects CSV); without one, a stage's union empty between non-empty frames, or holding
  fewer parts than usual between frames that hold the usual number.
- ``area_jump``: an area that grows or shrinks by more than ``qa_area_jump_ratio``
  between consecutive frames, until it comes back near the level before the jump.
- ``wrong_object``: a gripper farther than ``qa_gripper_max_gap_frac`` of the image
  diagonal from the arm mask.
- ``swap``: left and right gripper on the other sides (x) than in most frames.
- ``export_empty``: the exported mask empty while the arm session mask is not.
- ``missing_mask``: a frame without a (readable) mask in a stage that has masks.
- ``render_mismatch``: with a ``kinematics`` section, a session mask whose IoU with the
  robot's render falls below ``kinematics.check_min_iou`` (:mod:`robomask.report.kincheck`).

A score ranks flags: ``weight(kind) * magnitude * sqrt(frames)``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

import numpy as np

from robomask.config import Config
from robomask.progress import ProgressCallback
from robomask.report.kincheck import RenderCheck, render_check
from robomask.report.measure import SceneSeries, measure_scene
from robomask.scenes import Scene

WEIGHTS = {"lost_track": 1.0, "swap": 1.0, "export_empty": 1.0, "wrong_object": 0.8,
           "area_jump": 0.8, "missing_mask": 0.5, "render_mismatch": 0.8}
LIMITED_LOST_WEIGHT = 0.5  # a part-count dip is weaker evidence than an object CSV


@dataclass(frozen=True)
class Flag:
    """A run of frames that needs a look.

    Attributes:
        kind: One of :data:`WEIGHTS`' keys.
        stage: ``"arm"``, ``"gripper"`` or ``"export"``.
        start: First frame of the run (0-based).
        end: Last frame of the run (inclusive).
        score: Higher is worse.
        reason: One sentence for the user.
        obj_id: The object, when the check was per object.
    """

    kind: str
    stage: str
    start: int
    end: int
    score: float
    reason: str
    obj_id: int | None = None

    @property
    def frames(self) -> int:
        return self.end - self.start + 1

    @property
    def severity(self) -> str:
        """``"high"`` (score >= 2), ``"medium"`` (>= 1) or ``"low"``."""
        return "high" if self.score >= 2 else "medium" if self.score >= 1 else "low"

    def frame_range(self) -> str:
        return str(self.start) if self.start == self.end else f"{self.start}-{self.end}"


@dataclass
class SceneFlags:
    """The flags of one scene, worst first, and the keyframes that cover them.

    Attributes:
        scene: Scene name.
        n_frames: Frames in the scene.
        flags: Flags sorted by score, highest first.
        keyframes: Fewest frames such that every flag's run contains one, ascending.
        notes: Checks that were skipped or limited, and why.
    """

    scene: str
    n_frames: int
    flags: list[Flag] = field(default_factory=list)
    keyframes: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def flagged_frames(self) -> int:
        """Frames inside at least one flag's run."""
        hit = np.zeros(self.n_frames, bool)
        for f in self.flags:
            hit[f.start:f.end + 1] = True
        return int(hit.sum())

    def to_dict(self, config_path: str = "mask_config.yaml") -> dict:
        """JSON-able summary, with the ``robomask annotate`` command of each keyframe."""
        return {"scene": self.scene, "frames": self.n_frames,
                "flagged_frames": self.flagged_frames,
                "flags": [{**asdict(f), "frames": f.frames, "severity": f.severity}
                          for f in self.flags],
                "suggested_keyframes": self.keyframes,
                "annotate_commands": [annotate_command(config_path, self.scene, k)
                                      for k in self.keyframes],
                "notes": self.notes}


def annotate_command(config_path: str, scene: str, frame: int) -> str:
    """The shell command that opens the annotation UI on ``frame`` of ``scene``."""
    return f"robomask annotate --config {config_path} --scene {scene} --frame {frame}"


def runs(hit: np.ndarray) -> list[tuple[int, int]]:
    """Maximal runs of True in a bool (N,) array, as inclusive (start, end) pairs."""
    padded = np.concatenate(([False], np.asarray(hit, bool), [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [(int(s), int(e) - 1) for s, e in zip(edges[::2], edges[1::2], strict=True)]


def flag_score(kind: str, magnitude: float, frames: int, weight: float | None = None
               ) -> float:
    """Score of a flag: its kind's weight x magnitude x sqrt(frames)."""
    w = WEIGHTS[kind] if weight is None else weight
    return round(w * magnitude * math.sqrt(frames), 2)


def _frames(start: int, end: int) -> str:
    return f"frame {start}" if start == end else f"frames {start}-{end}"


def lost_track(area: np.ndarray, stage: str, label: str,
               obj_id: int | None = None) -> list[Flag]:
    """Runs where ``area`` is 0 and the frames just before and after have area > 0."""
    out = []
    for s, e in runs(area == 0):
        if s > 0 and e < len(area) - 1 and area[s - 1] > 0 and area[e + 1] > 0:
            out.append(Flag("lost_track", stage, s, e, flag_score("lost_track", 1, e - s + 1),
                            f"{label} empty on {_frames(s, e)}, present on frames {s - 1} "
                            f"and {e + 1} (lost track)", obj_id))
    return out


def part_dips(parts: np.ndarray, stage: str, label: str) -> list[Flag]:
    """Runs where a union mask has fewer parts than its usual count (the most common
    non-zero count) between frames that have at least the usual count."""
    counts = np.bincount(parts[parts > 0]) if (parts > 0).any() else np.zeros(1, int)
    usual = int(counts.argmax())
    out = []
    for s, e in runs((parts > 0) & (parts < usual)):
        if s > 0 and e < len(parts) - 1 and parts[s - 1] >= usual and parts[e + 1] >= usual:
            fewest = int(parts[s:e + 1].min())
            out.append(Flag("lost_track", stage, s, e,
                            flag_score("lost_track", 1, e - s + 1, LIMITED_LOST_WEIGHT),
                            f"{label} has {fewest} part(s) on {_frames(s, e)}, usually "
                            f"{usual}: an object may be lost (guessed from mask parts)"))
    return out


def area_jumps(area: np.ndarray, ratio: float, min_px: float, stage: str, label: str,
               obj_id: int | None = None) -> list[Flag]:
    """Runs that start where ``area`` changes by more than ``ratio`` from the previous
    frame and last until it is back within ``sqrt(ratio)`` of the level before the jump.

    When the first jump's new level holds to the end of the scene and lasts longer than
    the frames before the jump, those earlier frames are flagged instead: the scene most
    likely started wrong (e.g. a leak from frame 0 that a later frame corrects).

    Areas below ``min_px`` (empty, specks, missing) end a run and start none: empty
    frames are the lost-track check's business.
    """
    back, min_px = math.sqrt(ratio), max(min_px, 1.0)
    out: list[Flag] = []
    i, n = 1, len(area)
    while i < n:
        ref, cur = float(area[i - 1]), float(area[i])
        if ref < min_px or cur < min_px or max(cur / ref, ref / cur) <= ratio:
            i += 1
            continue
        j, worst = i, 1.0
        while j < n and area[j] >= min_px and max(area[j] / ref, ref / area[j]) > back:
            worst = max(worst, area[j] / ref, ref / area[j])
            j += 1
        if not out and j == n and i < n - i:
            jump = max(cur / ref, ref / cur)
            what = "larger" if ref > cur else "smaller"
            why = "leak into the background?" if ref > cur else "part of the object lost?"
            out.append(Flag("area_jump", stage, 0, i - 1,
                            flag_score("area_jump", math.log2(jump), i),
                            f"{label} area x{jump:.1f} {what} on {_frames(0, i - 1)} than from "
                            f"frame {i} to the end ({why})", obj_id))
        else:
            what = "grew" if cur > ref else "shrank"
            why = "leak into the background?" if cur > ref else "part of the object lost?"
            out.append(Flag("area_jump", stage, i, j - 1,
                            flag_score("area_jump", math.log2(worst), j - i),
                            f"{label} area {what} x{worst:.1f} from frame {i - 1} on "
                            f"{_frames(i, j - 1)} ({why})", obj_id))
        i = j + 1
    return out


def far_from_arm(gap_px: np.ndarray, max_gap_px: float, label: str,
                 obj_id: int | None = None) -> list[Flag]:
    """Runs where a gripper is more than ``max_gap_px`` pixels from the arm mask."""
    out = []
    for s, e in runs(np.nan_to_num(gap_px, nan=0.0) > max_gap_px):
        worst = float(np.max(gap_px[s:e + 1]))
        out.append(Flag("wrong_object", "gripper", s, e,
                        flag_score("wrong_object", min(worst / max_gap_px, 3.0), e - s + 1),
                        f"{label} {worst:.0f} px from the arm mask on {_frames(s, e)} "
                        f"(limit {max_gap_px:.0f} px): wrong object?", obj_id))
    return out


def swaps(cx_left: np.ndarray, cx_right: np.ndarray, min_dx_px: float) -> list[Flag]:
    """Runs where left and right gripper are on the other sides (in x) than in most frames.

    Frames where either is absent or they are less than ``min_dx_px`` apart are undecided
    and may sit inside a run.
    """
    dx = np.nan_to_num(cx_left - cx_right, nan=0.0)
    side = np.where(np.abs(dx) < min_dx_px, 0, np.sign(dx)).astype(int)
    decided = side[side != 0]
    if len(decided) == 0:
        return []
    left_of, right_of = int((decided < 0).sum()), int((decided > 0).sum())
    usual = -1 if left_of > right_of else 1 if right_of > left_of else int(decided[0])
    out = []
    wrong = np.flatnonzero(side == -usual)
    # Group wrong-side frames separated only by undecided frames into one run.
    for s, e in runs(side != usual):
        inside = wrong[(wrong >= s) & (wrong <= e)]
        if len(inside):
            a, b = int(inside[0]), int(inside[-1])
            usual_side = "left of" if usual < 0 else "right of"
            out.append(Flag("swap", "gripper", a, b, flag_score("swap", 1, b - a + 1),
                            f"left gripper not {usual_side} the right one on {_frames(a, b)}, "
                            "unlike the other frames (left/right swapped?)"))
    return out


def export_empty(export_area: np.ndarray, arm_area: np.ndarray, min_px: float) -> list[Flag]:
    """Runs where the exported mask is empty while the arm session mask is not."""
    return [Flag("export_empty", "export", s, e, flag_score("export_empty", 1, e - s + 1),
                 f"exported mask empty on {_frames(s, e)} while the arm session mask "
                 "is not (gripper covers the arm? stale export?)")
            for s, e in runs((export_area == 0) & (arm_area >= max(min_px, 1)))]


def missing_masks(area: np.ndarray, stage: str) -> list[Flag]:
    """Runs of frames without a readable mask in a stage that has masks."""
    return [Flag("missing_mask", stage, s, e, flag_score("missing_mask", 1, e - s + 1),
                 f"no readable {stage} mask on {_frames(s, e)}")
            for s, e in runs(area < 0)]


def keyframes(flags: Iterable[Flag]) -> list[int]:
    """Fewest frames such that every flag's run [start, end] contains one (greedy
    interval stabbing by run end); each is the earliest frame its group shares."""
    chosen: list[int] = []
    group_end, group_start = None, None
    for f in sorted(flags, key=lambda f: (f.end, f.start)):
        if group_end is not None and f.start <= group_end:
            group_start = max(group_start, f.start)
            continue
        if group_start is not None:
            chosen.append(group_start)
        group_end, group_start = f.end, f.start
    if group_start is not None:
        chosen.append(group_start)
    return sorted(chosen)


def object_name(config: Config, obj_id: int) -> str:
    """What ``obj_id`` is in this config: ``"arm"``, ``"left gripper"``, ... or ``"object"``."""
    names = {config.arm_obj_id: "arm", config.gripper_left_obj_id: "left gripper",
             config.gripper_right_obj_id: "right gripper"}
    if config.arm_obj_id_2 is not None:
        names[config.arm_obj_id_2] = "second arm"
    return names.get(obj_id, "object")


def render_mismatch(check: RenderCheck, min_iou: float) -> list[Flag]:
    """One flag per run of frames whose session mask and kinematic render have IoU
    below ``min_iou``."""
    flags = []
    for stage, values in check.iou.items():
        for start, end in runs(np.nan_to_num(values, nan=1.0) < min_iou):
            worst = float(np.nanmin(values[start:end + 1]))
            flags.append(Flag("render_mismatch", stage, start, end,
                              flag_score("render_mismatch", 1.0 - worst, end - start + 1),
                              f"{stage} mask and kinematic render part (IoU down to "
                              f"{worst:.2f}, below {min_iou}): a lost or leaking mask, or "
                              "a drifted calibration"))
    return flags


def _object_label(config: Config, obj_id: int) -> str:
    return f"{object_name(config, obj_id)} (object {obj_id})"


def _without_explained_jumps(flags: list[Flag]) -> list[Flag]:
    """Drop area jumps that lie inside a lost-track run of the same stage and object:
    a lost part already explains the change of area."""
    lost = [f for f in flags if f.kind == "lost_track"]
    return [f for f in flags if f.kind != "area_jump" or not any(
        g.stage == f.stage and g.obj_id == f.obj_id and g.start <= f.start and f.end <= g.end
        for g in lost)]


def detect(series: SceneSeries, config: Config, render: RenderCheck | None = None
           ) -> SceneFlags:
    """Run every check that the scene's outputs allow; see the module docstring.

    Args:
        series: The scene's measured masks.
        config: Thresholds.
        render: The kinematic check (:func:`robomask.report.kincheck.render_check`).
    """
    w, h = series.size_wh
    flags: list[Flag] = []
    notes: list[str] = []
    if render is not None and render.error:
        notes.append(f"kinematic check skipped: {render.error}")
    elif render is not None and config.kinematics is not None:
        flags += render_mismatch(render, config.kinematics.check_min_iou)
    ratio, min_px = config.qa_area_jump_ratio, series.min_area_px
    for stage in ("arm", "gripper", "export"):
        if not series.present[stage]:
            notes.append(f"no {stage} masks yet: checks that need them were skipped")
        else:
            flags += missing_masks(series.stages[stage].area_px, stage)
    for stage in ("arm", "gripper"):
        if not series.present[stage]:
            continue
        if series.per_object[stage]:
            for obj in (o for o in series.objects.values() if o.stage == stage):
                label = _object_label(config, obj.obj_id)
                flags += lost_track(obj.area_px, stage, label, obj.obj_id)
                flags += area_jumps(obj.area_px, ratio, min_px, stage, label, obj.obj_id)
        else:
            s = series.stages[stage]
            label = f"{stage} mask"
            flags += lost_track(s.area_px, stage, label)
            flags += part_dips(s.parts, stage, label)
            flags += area_jumps(s.area_px, ratio, min_px, stage, label)
            notes.append(f"no {stage}_objects.csv (masks from the old notebooks?): per-object "
                         f"checks limited; lost {stage} objects guessed from the number of "
                         "mask parts" + ("; left/right swaps not checked"
                                         if stage == "gripper" else ""))
    if series.present["arm"] and series.present["gripper"]:
        max_gap = config.qa_gripper_max_gap_frac * math.hypot(w, h)
        if series.per_object["gripper"]:
            for obj in (o for o in series.objects.values() if o.stage == "gripper"):
                flags += far_from_arm(obj.gap_px, max_gap, _object_label(config, obj.obj_id),
                                      obj.obj_id)
        else:
            flags += far_from_arm(series.gripper_gap_px, max_gap, "a gripper mask part")
    left = series.objects.get(config.gripper_left_obj_id)
    right = series.objects.get(config.gripper_right_obj_id)
    if left is not None and right is not None:
        flags += swaps(left.cx, right.cx, config.qa_swap_min_dx_frac * w)
    elif series.per_object.get("gripper"):
        notes.append("gripper_objects.csv lacks the left or the right gripper id: "
                     "left/right swaps not checked")
    if series.present["export"] and series.present["arm"]:
        if config.export_mode == "gripper":
            notes.append("export_mode is 'gripper': the empty-export check was skipped")
        else:
            flags += export_empty(series.stages["export"].area_px,
                                  series.stages["arm"].area_px, min_px)
    flags = sorted(_without_explained_jumps(flags), key=lambda f: (-f.score, f.start, f.kind))
    return SceneFlags(series.scene, series.n_frames, flags, keyframes(flags), notes)


def scan_scene(scene: Scene, config: Config, *, jobs: int | None = None,
               on_progress: ProgressCallback | None = None) -> SceneFlags:
    """Measure ``scene``'s masks on ``jobs`` threads (None = every core) and flag the
    frames that need a look.

    Example:
        >>> flags = scan_scene(scene(cfg, "scene_0018"), cfg)  # doctest: +SKIP
        >>> if flags.flagged_frames > 20: requeue(flags.scene)  # doctest: +SKIP
    """
    series = measure_scene(scene, config, jobs=jobs, on_progress=on_progress)
    return detect(series, config, render_check(scene, config, on_progress=on_progress))
