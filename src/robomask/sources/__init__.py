"""Scene sources: where a config's scenes, their frames and prompt files come from.

Every source answers the same two questions (:class:`~robomask.sources.base.SceneSource`):
which scene names exist, and the :class:`~robomask.sources.base.Scene` of a name. The
``dataset.format`` config key picks one:

- ``spec`` (default): the notebooks' folders, ``{data_base_dir}/{task_name}/{split}/{scene}``
  (:mod:`robomask.sources.folder`).
- ``lerobot``: a LeRobot v2.1 or v3.0 dataset, one scene per episode of one camera
  (:mod:`robomask.sources.lerobot`).
"""

from __future__ import annotations

from robomask.config import Config
from robomask.sources.base import Scene, SceneSource
from robomask.sources.folder import FolderSource

__all__ = ["Scene", "SceneSource", "scene_source"]


def scene_source(config: Config) -> SceneSource:
    """The source the config's ``dataset.format`` names."""
    if config.dataset.format == "lerobot":
        from robomask.sources.lerobot.source import LeRobotSource  # only for such datasets

        return LeRobotSource(config)
    return FolderSource(config)
