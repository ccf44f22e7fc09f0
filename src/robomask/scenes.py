"""Where a scene's frames, prompt files and outputs live (SPEC section 2)."""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from robomask.config import Config
from robomask.errors import SceneError
from robomask.io.frames import FrameSource, open_frames
from robomask.io.maskstore import MaskStore

ARM_PROMPTS_FILE = "annotation_prompts_arm_points.json"
GRIPPER_PROMPTS_FILE = "annotation_prompts_gripper_points.json"
OUTPUT_KINDS = ("arm", "gripper", "export")


@dataclass(frozen=True)
class Scene:
    """Paths of one scene (one camera of one episode).

    Attributes:
        name: Scene folder name, e.g. ``"scene_0018"``.
        frames_path: ``.../cam_{camera}/color`` folder, or ``color.mp4`` standing in for it.
        camera_dir: ``.../cam_{camera}``: where the prompt files live.
        output_dir: ``{export_base_dir}/{task_name}``.
        mask_naming: ``"index"`` or ``"source_stem"``.
    """

    name: str
    frames_path: Path
    camera_dir: Path
    output_dir: Path
    mask_naming: str = "index"

    @property
    def arm_prompts_path(self) -> Path:
        return self.camera_dir / ARM_PROMPTS_FILE

    @property
    def gripper_prompts_path(self) -> Path:
        return self.camera_dir / GRIPPER_PROMPTS_FILE

    def mask_dir(self, kind: str) -> Path:
        """``{out}/{scene}_ckpt_arm``, ``{out}/{scene}_ckpt_gripper`` or ``{out}/{scene}``."""
        if kind == "export":
            return self.output_dir / self.name
        if kind in ("arm", "gripper"):
            return self.output_dir / f"{self.name}_ckpt_{kind}"
        raise ValueError(f"kind: expected one of {OUTPUT_KINDS}, got {kind!r}")

    @property
    def state_dir(self) -> Path:
        """robomask's own bookkeeping for this scene (stage markers, object stats)."""
        return self.output_dir / ".robomask" / self.name

    def frames(self) -> FrameSource:
        """Open the scene's frames (lazy: one frame decoded at a time)."""
        return open_frames(self.frames_path)

    def store(self, kind: str, frames: FrameSource) -> MaskStore:
        """The mask store of ``kind`` sized and named after ``frames``."""
        return MaskStore(self.mask_dir(kind), size_wh=frames.size_wh, stems=frames.stems,
                         naming=self.mask_naming)  # type: ignore[arg-type]


def scene(config: Config, name: str) -> Scene:
    """The :class:`Scene` called ``name`` under the config's layout; checks it exists."""
    scene_dir = config.task_dir / name
    camera_dir = scene_dir / f"cam_{config.camera}"
    folder = camera_dir / config.frames_dir
    video = camera_dir / f"{config.frames_dir}.mp4"
    if not scene_dir.is_dir():
        raise SceneError(f"scene '{name}': expected a folder at {scene_dir}, got nothing there",
                         hint=f"scenes found: {', '.join(list_scenes(config)[:5]) or 'none'}")
    if folder.is_dir():
        frames_path = folder
    elif video.is_file():
        frames_path = video
    else:
        raise SceneError(
            f"scene '{name}': expected a frame folder {folder} or video {video}, got neither",
            hint="check the config keys camera and frames_dir")
    return Scene(name, frames_path, camera_dir, config.output_dir, config.mask_naming)


def list_scenes(config: Config) -> list[str]:
    """Names of all scene folders under ``{data_base_dir}/{task_name}/{split}``, sorted."""
    if not config.task_dir.is_dir():
        return []
    return sorted(p.name for p in config.task_dir.iterdir() if p.is_dir())


def select_scene_names(config: Config, patterns: Sequence[str] | None) -> list[str]:
    """Names of the scenes matching any name or glob in ``patterns`` (default: the
    config's scene_name), in pattern order, each once.

    Raises:
        SceneError: The task folder is missing, or a pattern matches no scene.
    """
    if not patterns:
        if not config.scene_name:
            raise SceneError("no scene selected: expected --scene/--scenes or the config key "
                             "scene_name, got neither")
        patterns = [config.scene_name]
    if not config.task_dir.is_dir():
        raise SceneError(f"{config.task_dir}: expected the task folder "
                         "{data_base_dir}/{task_name}/{split}, got nothing there")
    names = list_scenes(config)
    chosen: list[str] = []
    for pattern in patterns:
        hits = fnmatch.filter(names, pattern) if any(c in pattern for c in "*?[") else (
            [pattern] if pattern in names else [])
        if not hits:
            raise SceneError(f"scene pattern '{pattern}': expected a match under "
                             f"{config.task_dir}, got none",
                             hint=f"scenes found: {', '.join(names[:5]) or 'none'}")
        chosen += [h for h in hits if h not in chosen]
    return chosen


def select_scenes(config: Config, patterns: Sequence[str] | None) -> list[Scene]:
    """:func:`select_scene_names`, each resolved to a :class:`Scene` (frames must exist)."""
    return [scene(config, n) for n in select_scene_names(config, patterns)]
