"""Scenes of a config: names, selection by glob, and each one's paths.

Where scenes come from is the config's ``dataset`` source (:mod:`robomask.sources`):
the SPEC folders by default, or the episodes of a LeRobot dataset.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from robomask.config import Config
from robomask.errors import DiskFullError, RobomaskError, SceneError
from robomask.sources import scene_source
from robomask.sources.base import (
    ARM_PROMPTS_FILE,
    GRIPPER_PROMPTS_FILE,
    OUTPUT_KINDS,
    Scene,
)

__all__ = ["ARM_PROMPTS_FILE", "GRIPPER_PROMPTS_FILE", "OUTPUT_KINDS", "Scene", "SceneFailure",
           "each_scene", "list_scenes", "open_scenes", "scene", "select_scene_names",
           "select_scenes"]

S = TypeVar("S", str, Scene)
T = TypeVar("T")


@dataclass(frozen=True)
class SceneFailure:
    """A scene that a multi-scene command could not do (the others went on).

    Attributes:
        scene: The scene's name.
        message: The error, one line.
        error: The exception, when there was one (None for a failed stage report).
    """

    scene: str
    message: str
    error: RobomaskError | None = None


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


def open_scenes(config: Config, patterns: Sequence[str] | None
                ) -> tuple[list[Scene], list[SceneFailure]]:
    """:func:`select_scenes` that goes on past a scene that cannot be opened (e.g. a
    LeRobot episode listed in meta/ whose video is missing): the scenes opened, and one
    :class:`SceneFailure` per scene that was not.

    Raises:
        SceneError: The dataset is missing, or a pattern matches no scene.
    """
    source = scene_source(config)
    return each_scene(select_scene_names(config, patterns), source.scene)


def each_scene(scenes: Sequence[S], work: Callable[[S], T]
               ) -> tuple[list[T], list[SceneFailure]]:
    """``work(s)`` for every scene (a name or a :class:`Scene`), in order, as ``run`` does
    its scenes: a user error (:class:`~robomask.errors.RobomaskError`) fails only its scene
    and the others go on; a full disk (:class:`~robomask.errors.DiskFullError`) and other
    exceptions (bugs, Ctrl-C) propagate.

    Returns:
        The results of the scenes that succeeded, in order, and one
        :class:`SceneFailure` per scene that failed.
    """
    results: list[T] = []
    failures: list[SceneFailure] = []
    for s in scenes:
        try:
            results.append(work(s))
        except DiskFullError:
            raise  # every later write fails too
        except RobomaskError as exc:
            failures.append(SceneFailure(s if isinstance(s, str) else s.name, str(exc), exc))
    return results, failures
