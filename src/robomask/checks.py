"""``robomask check``: validate config, frames and prompt files without a model."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from robomask.config import Config
from robomask.errors import RobomaskError
from robomask.io.frames import FolderFrames
from robomask.prompt_checks import prompt_warnings, validate_prompts
from robomask.prompts import read_prompts
from robomask.scenes import Scene, select_scenes


@dataclass(frozen=True)
class Problem:
    """One finding of a check.

    Attributes:
        scene: Scene name ("" for the config itself).
        what: ``frames``, ``arm prompts``, ``gripper prompts`` or ``config``.
        severity: ``error`` stops a run; ``warning`` does not.
        message: One line naming the culprit.
    """

    scene: str
    what: str
    severity: Literal["error", "warning"]
    message: str


def check_scene(scene: Scene, config: Config, *, decode: bool = False) -> list[Problem]:
    """Every problem of one scene's frames and prompt files.

    Args:
        scene: The scene.
        config: The config it is checked against (object ids, layout).
        decode: Decode every frame (slow) instead of reading only the headers.
    """
    out: list[Problem] = []
    try:
        frames = scene.frames()
        if isinstance(frames, FolderFrames):
            frames.check_sizes()
        if decode:
            for _ in frames:
                pass
    except RobomaskError as exc:
        return [Problem(scene.name, "frames", "error", str(exc))]
    for kind, path in (("arm", scene.arm_prompts_path), ("gripper", scene.gripper_prompts_path)):
        what = f"{kind} prompts"
        if not Path(path).is_file():
            if kind == "gripper":
                out.append(Problem(scene.name, what, "error",
                                   f"{path}: expected a gripper prompt file, got nothing there"))
            elif config.backend == "opencv":
                out.append(Problem(scene.name, what, "error",
                                   f"{path}: expected arm clicks (backend opencv reads no "
                                   "text), got no file"))
            continue
        try:
            prompts = read_prompts(path, kind=kind)
            validate_prompts(prompts, source=str(path), num_frames=len(frames),
                             size_wh=frames.size_wh, config=config)
        except RobomaskError as exc:
            out.append(Problem(scene.name, what, "error", str(exc)))
            continue
        out += [Problem(scene.name, what, "warning", w.message)
                for w in prompt_warnings(prompts, frames.size_wh)]
    if config.arm_text_bootstrap_frame_index >= len(frames):
        out.append(Problem(scene.name, "config", "error",
                           f"arm_text_bootstrap_frame_index: expected 0..{len(frames) - 1}, got "
                           f"{config.arm_text_bootstrap_frame_index}"))
    return out


def check_scenes(config: Config, patterns: list[str] | None, *,
                 decode: bool = False) -> list[Problem]:
    """Problems of every selected scene (a selection error is itself a problem)."""
    try:
        scenes = select_scenes(config, patterns)
    except RobomaskError as exc:
        return [Problem("", "scenes", "error", str(exc))]
    return [p for s in scenes for p in check_scene(s, config, decode=decode)]
