"""Scenes of a config: names, selection by glob, and each one's paths.

Where scenes come from is the config's ``dataset`` source (:mod:`robomask.sources`):
the SPEC folders by default, or the episodes of a LeRobot dataset.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence

from robomask.config import Config
from robomask.errors import SceneError
from robomask.sources import scene_source
from robomask.sources.base import (
    ARM_PROMPTS_FILE,
    GRIPPER_PROMPTS_FILE,
    OUTPUT_KINDS,
    Scene,
)

__all__ = ["ARM_PROMPTS_FILE", "GRIPPER_PROMPTS_FILE", "OUTPUT_KINDS", "Scene", "list_scenes",
           "scene", "select_scene_names", "select_scenes"]


def scene(config: Config, name: str) -> Scene:
    """The :class:`Scene` called ``name`` in the config's dataset; checks it exists."""
    return scene_source(config).scene(name)


def list_scenes(config: Config) -> list[str]:
    """Names of all scenes of the config's dataset, sorted (none when it is missing)."""
    try:
        return scene_source(config).names()
    except SceneError:
        return []


def select_scene_names(config: Config, patterns: Sequence[str] | None) -> list[str]:
    """Names of the scenes matching any name or glob in ``patterns`` (default: the
    config's scene_name), in pattern order, each once.

    Raises:
        SceneError: The dataset is missing, or a pattern matches no scene.
    """
    if not patterns:
        if not config.scene_name:
            raise SceneError("no scene selected: expected --scene/--scenes or the config key "
                             "scene_name, got neither")
        patterns = [config.scene_name]
    source = scene_source(config)
    names = source.names()
    chosen: list[str] = []
    for pattern in patterns:
        hits = fnmatch.filter(names, pattern) if any(c in pattern for c in "*?[") else (
            [pattern] if pattern in names else [])
        if not hits:
            raise SceneError(f"scene pattern '{pattern}': expected a match in "
                             f"{source.where}, got none",
                             hint=f"scenes found: {', '.join(names[:5]) or 'none'}")
        chosen += [h for h in hits if h not in chosen]
    return chosen


def select_scenes(config: Config, patterns: Sequence[str] | None) -> list[Scene]:
    """:func:`select_scene_names`, each resolved to a :class:`Scene` (frames must exist)."""
    source = scene_source(config)
    return [source.scene(n) for n in select_scene_names(config, patterns)]
