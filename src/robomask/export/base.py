"""What every exporter shares: options, scene iteration, staged targets, --force, progress.

An exporter names the paths (files or folders) each scene writes; :meth:`Exporter.run`
refuses to start when any of them exists without ``force``, writes each scene into a
hidden staging path beside its target and renames it into place only when the scene
is complete, so a killed export never leaves a half-written target that a consumer
(or a later ``--force`` run's check) would take for a finished one.
"""

from __future__ import annotations

import os
import shutil
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol

from robomask.config import Config
from robomask.errors import ExportError
from robomask.io.atomic import refuse_overwrite
from robomask.io.frames import FolderFrames, FrameSource
from robomask.parallel import map_frames
from robomask.progress import ProgressCallback, Ticker
from robomask.scenes import Scene, SceneFailure, each_scene

_PARTIAL = ".partial-"
_OLD = ".old-"


@dataclass(frozen=True)
class ExportOptions:
    """Settings of one export run.

    Attributes:
        out_dir: Root folder of this export (default chosen by the caller:
            ``{export_base_dir}/{task_name}/exports/{format}``).
        stage: Which masks to read: ``export`` (the merged masks), ``arm``, ``gripper``,
            or ``sessions`` (both session results, per object); None = the format's
            default.
        force: Replace targets that exist.
        params: Format-specific options, e.g. ``{"max_side": 960}`` for propainter.
        jobs: Processes working on the frames of a scene (None = every core); the
            files are the same for any number.
    """

    out_dir: Path
    stage: str | None = None
    force: bool = False
    params: Mapping[str, Any] = field(default_factory=dict)
    jobs: int | None = None


class FrameWork(Protocol):
    """The per-frame part of a scene's export: ``frame(i)`` writes or computes frame
    ``i``. Runs on worker threads: it may read shared settings and stores, but must not
    change state that another frame uses."""

    def frame(self, frame_index: int) -> Any: ...


def _do_frame(work: FrameWork, frame_index: int) -> Any:
    return work.frame(frame_index)


@dataclass(frozen=True)
class SceneExport:
    """What one scene's export wrote: its targets, frames and seconds taken."""

    scene: str
    targets: tuple[Path, ...]
    frames: int
    seconds: float

    @property
    def frames_per_s(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0


class Exporter(ABC):
    """One export format. Subclasses set the class attributes and write one scene.

    Class attributes:
        name: Format name on the command line, e.g. ``"coco"``.
        stages: Values ``--stage`` accepts; the first is the default.
        params: Names of the format-specific options it accepts (keys of
            :attr:`ExportOptions.params`).

    Args:
        config: The run's config.
        options: Where to write and what to read.

    Raises:
        ExportError: The stage or a parameter does not fit this format.
    """

    name: ClassVar[str]
    stages: ClassVar[tuple[str, ...]] = ("export", "arm", "gripper")
    params: ClassVar[tuple[str, ...]] = ()

    def __init__(self, config: Config, options: ExportOptions) -> None:
        self.config = config
        self.options = options
        self.stage = options.stage or self.stages[0]
        if self.stage not in self.stages:
            raise ExportError(f"--stage: expected one of {', '.join(self.stages)} for format "
                              f"'{self.name}', got {self.stage!r}")
        unknown = sorted(set(options.params) - set(self.params))
        if unknown:
            flags = ", ".join("--" + k.replace("_", "-") for k in unknown)
            raise ExportError(f"{flags}: expected only options of format '{self.name}', got "
                              "an option of another format",
                              hint=f"'{self.name}' takes: "
                                   f"{', '.join(self.params) or 'no format options'}")

    @abstractmethod
    def targets(self, scene: Scene) -> list[Path]:
        """Paths (files or folders) that exporting ``scene`` creates."""

    @abstractmethod
    def write_scene(self, scene: Scene, staged: list[Path],
                    on_progress: ProgressCallback | None) -> int:
        """Write ``scene`` into ``staged`` (one staging path per target, same order; none
        exists yet) and return the frames written; progress through :meth:`ticker`."""

    def ticker(self, scene: Scene, num_frames: int,
               on_progress: ProgressCallback | None) -> Ticker:
        """The progress counter of one scene's export (``{scene}/{format}``)."""
        return Ticker(f"{scene.name}/{self.name}", num_frames, on_progress)

    def map_frames(self, work: FrameWork, num_frames: int, ticker: Ticker, *,
                   frames: FrameSource | None = None) -> Iterator[Any]:
        """``work.frame(i)`` for i in 0..num_frames-1 on ``options.jobs`` threads;
        results in frame order, one progress tick each. Pass the ``frames`` that ``work``
        decodes: a video is one decoder stream, so its frames are read on one thread
        (a folder of images is read file by file, on every thread)."""
        jobs = self.options.jobs if frames is None or isinstance(frames, FolderFrames) else 1
        for result in map_frames(_do_frame, work, range(num_frames), jobs=jobs):
            ticker.advance()
            yield result

    def next_steps(self, results: Sequence[SceneExport]) -> list[str]:
        """Lines for the user after the run, e.g. the command that consumes the export."""
        return []

    def check_targets(self, scenes: Sequence[Scene]) -> None:
        """Raise before anything is written when a target exists and ``force`` is off."""
        for s in scenes:
            for t in self.targets(s):
                refuse_overwrite(t, force=self.options.force,
                                 got=f"an existing {self.name} export of scene '{s.name}'",
                                 instead="--out elsewhere")

    def run(self, scenes: Sequence[Scene], on_progress: ProgressCallback | None = None
            ) -> tuple[list[SceneExport], list[SceneFailure]]:
        """Export every scene in order; a scene's targets appear only once it is whole.

        Every target is checked (:meth:`check_targets`) before anything is written; then a
        scene that fails (a user error) leaves no target and the others go on.

        Returns:
            The scenes exported, and one :class:`~robomask.scenes.SceneFailure` per scene
            that failed.
        """
        self.check_targets(scenes)
        return each_scene(scenes, lambda s: self._export_scene(s, on_progress))

    def _export_scene(self, scene: Scene, on_progress: ProgressCallback | None
                      ) -> SceneExport:
        t0 = time.perf_counter()
        targets = self.targets(scene)
        staged = [staging_path(t) for t in targets]
        try:
            frames = self.write_scene(scene, staged, on_progress)
        except BaseException:
            for p in staged:
                _remove(p)
            raise
        for p, t in zip(staged, targets, strict=True):
            commit_staged(p, t)
        return SceneExport(scene.name, tuple(targets), frames, time.perf_counter() - t0)


def staging_path(target: Path) -> Path:
    """A fresh hidden path beside ``target`` to write it under; leftovers of killed runs
    are removed. :func:`commit_staged` puts it in place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    for p in target.parent.glob(f".{target.name}{_PARTIAL}*"):
        _remove(p)
    return target.with_name(f".{target.name}{_PARTIAL}{os.getpid()}")


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def commit_staged(staged: Path, target: Path) -> None:
    """Rename ``staged`` (file or folder) to ``target``; an existing target (``--force``)
    is moved aside first and deleted after, so the target is never missing parts."""
    if not staged.exists():
        raise ExportError(f"{target}: expected the exporter to write it, got nothing")
    old = None
    if target.exists() or target.is_symlink():
        old = target.with_name(f".{target.name}{_OLD}{os.getpid()}")
        os.replace(target, old)
    os.replace(staged, target)
    if old is not None:
        _remove(old)
