"""The episodes of one camera of a LeRobot dataset as scenes named ``episode_000001``."""

from __future__ import annotations

import re

from robomask.config import Config
from robomask.errors import ConfigError, SceneError
from robomask.sources.base import Scene
from robomask.sources.lerobot.frames import EpisodeOpener
from robomask.sources.lerobot.meta import LeRobotMeta

SCENE_PREFIX = "episode_"
PROMPTS_DIR = "prompts"


def scene_name(episode_index: int) -> str:
    """``episode_000001`` for episode 1."""
    return f"{SCENE_PREFIX}{episode_index:06d}"


def parse_episodes(spec: str) -> list[int]:
    """``"1,2,4"`` or ``"0-9,12"`` -> sorted episode indices.

    Raises:
        ConfigError: A part is not a number or a range ``a-b`` with a <= b.
    """
    out: set[int] = set()
    for part in (p.strip() for p in spec.split(",")):
        m = re.fullmatch(r"(\d+)(?:\s*-\s*(\d+))?", part)
        if not m or (m.group(2) and int(m.group(2)) < int(m.group(1))):
            raise ConfigError(f"dataset.episodes: expected indices like '1,2,4' or '0-9', "
                              f"got {part!r} in {spec!r}")
        out.update(range(int(m.group(1)), int(m.group(2) or m.group(1)) + 1))
    return sorted(out)


class LeRobotSource:
    """Scenes of ``dataset.camera`` in the LeRobot dataset ``dataset.root``.

    Prompt files of a scene live in ``{export_base_dir}/{task_name}/prompts/{scene}/``,
    outputs beside the SPEC layout's (``{export_base_dir}/{task_name}/{scene}/``, ...);
    nothing is written into the dataset.

    Raises:
        SceneError: Not a LeRobot dataset, unsupported version, or unknown camera.
    """

    def __init__(self, config: Config) -> None:
        assert config.dataset.root is not None  # the config validator requires it
        self.config = config
        self.meta = LeRobotMeta(config.dataset.root)
        self.camera = self.meta.camera(config.dataset.camera)
        self.where = f"{self.meta.root} ({self.camera})"

    def episode_indices(self) -> list[int]:
        """The episodes ``dataset.episodes`` selects (all of meta/ when unset).

        Raises:
            SceneError: A selected episode is not in the dataset's meta/.
        """
        known = self.meta.episodes()
        spec = self.config.dataset.episodes
        chosen = parse_episodes(spec) if spec else sorted(known)
        for i in chosen:
            if i not in known:
                raise SceneError(f"dataset.episodes: episode {i}: expected one of the "
                                 f"{len(known)} episodes in {self.meta.root}/meta, got no "
                                 f"such episode", hint=f"episodes there: {_ranges(known)}")
        return chosen

    def names(self) -> list[str]:
        return [scene_name(i) for i in self.episode_indices()]

    def scene(self, name: str) -> Scene:
        m = re.fullmatch(rf"{SCENE_PREFIX}(\d+)", name)
        chosen = self.episode_indices()
        if not m or int(m.group(1)) not in chosen:
            raise SceneError(f"scene '{name}': expected an episode of {self.where} like "
                             f"{scene_name(chosen[0]) if chosen else 'episode_000000'}, "
                             "got no such episode",
                             hint="check dataset.episodes in the config")
        files = self.meta.files(int(m.group(1)), self.camera)
        for path, what in ((files.video, "video"), (files.data, "parquet")):
            if not path.is_file():
                raise SceneError(f"{path}: episode {files.index}: expected its {what} file, "
                                 "got nothing there")
        out = self.config.output_dir
        return Scene(name, files.video, out / PROMPTS_DIR / name, out,
                     self.config.mask_naming, EpisodeOpener(files))


def _ranges(indices) -> str:
    """``0-99`` style summary of sorted integers."""
    ids = sorted(indices)
    parts, start = [], None
    for k, i in enumerate(ids):
        start = i if start is None else start
        if k + 1 == len(ids) or ids[k + 1] != i + 1:
            parts.append(f"{start}-{i}" if i != start else f"{i}")
            start = None
    return ", ".join(parts[:10]) + (" ..." if len(parts) > 10 else "")
