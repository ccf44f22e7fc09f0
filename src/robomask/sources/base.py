"""The scene every source yields, and the interface a source implements."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from robomask.io.frames import FrameSource, open_frames
from robomask.io.maskstore import MaskStore

ARM_PROMPTS_FILE = "annotation_prompts_arm_points.json"
GRIPPER_PROMPTS_FILE = "annotation_prompts_gripper_points.json"
OUTPUT_KINDS = ("arm", "gripper", "export")


class Episode(Protocol):
    """A scene stored inside a dataset's shared files (a LeRobot episode).

    Attributes:
        index: The dataset's episode_index.
        data_path: The table holding the episode's rows (joint states, timestamps).
    """

    index: int
    data_path: Path

    def open(self) -> FrameSource:
        """The episode's frames."""
        ...


@dataclass(frozen=True)
class Scene:
    """Paths of one scene (one camera of one episode).

    Attributes:
        name: Scene name, e.g. ``"scene_0018"`` or ``"episode_000001"``.
        frames_path: ``.../cam_{camera}/color`` folder, ``color.mp4`` standing in for it,
            or the video file an episode is stored in.
        camera_dir: Where the prompt files live (``.../cam_{camera}`` for the SPEC layout).
        output_dir: ``{export_base_dir}/{task_name}``.
        mask_naming: ``"index"`` or ``"source_stem"``.
        episode: The episode when the frames are a part of ``frames_path`` (LeRobot);
            None: ``frames_path`` is the whole video.
    """

    name: str
    frames_path: Path
    camera_dir: Path
    output_dir: Path
    mask_naming: str = "index"
    episode: Episode | None = None

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
        return self.episode.open() if self.episode is not None else open_frames(self.frames_path)

    def store(self, kind: str, frames: FrameSource) -> MaskStore:
        """The mask store of ``kind`` sized and named after ``frames``."""
        return MaskStore(self.mask_dir(kind), size_wh=frames.size_wh, stems=frames.stems,
                         naming=self.mask_naming)  # type: ignore[arg-type]


class SceneSource(Protocol):
    """Where a config's scenes are.

    Attributes:
        where: Says where scenes are looked for, for messages (e.g. the task folder).
    """

    where: str

    def names(self) -> list[str]:
        """Every scene name, sorted; raises SceneError when the source itself is missing."""
        ...

    def scene(self, name: str) -> Scene:
        """The scene ``name``; raises SceneError when it or its files are missing."""
        ...
