"""The notebooks' layout (SPEC section 2): one folder per scene under the task folder,
frames in ``cam_{camera}/{frames_dir}/`` (or ``{frames_dir}.mp4``), prompts beside them."""

from __future__ import annotations

from robomask.config import Config
from robomask.errors import SceneError
from robomask.sources.base import Scene


class FolderSource:
    """Scenes are the folders of ``{data_base_dir}/{task_name}/{split}``."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.where = str(config.task_dir)

    def names(self) -> list[str]:
        if not self.config.task_dir.is_dir():
            raise SceneError(f"{self.config.task_dir}: expected the task folder "
                             "{data_base_dir}/{task_name}/{split}, got nothing there")
        return sorted(p.name for p in self.config.task_dir.iterdir() if p.is_dir())

    def scene(self, name: str) -> Scene:
        config = self.config
        scene_dir = config.task_dir / name
        camera_dir = scene_dir / f"cam_{config.camera}"
        folder = camera_dir / config.frames_dir
        video = camera_dir / f"{config.frames_dir}.mp4"
        if not scene_dir.is_dir():
            found = self.names()[:5] if config.task_dir.is_dir() else []
            raise SceneError(
                f"scene '{name}': expected a folder at {scene_dir}, got nothing there",
                hint=f"scenes found: {', '.join(found) or 'none'}")
        if folder.is_dir():
            frames_path = folder
        elif video.is_file():
            frames_path = video
        else:
            raise SceneError(
                f"scene '{name}': expected a frame folder {folder} or video {video}, got neither",
                hint="check the config keys camera and frames_dir")
        return Scene(name, frames_path, camera_dir, config.output_dir, config.mask_naming)
