"""The Python API over the whole pipeline: ``Pipeline.from_config(...).run(scene)``.

The CLI's ``segment``, ``merge`` and ``run`` commands call these same methods.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from robomask.backends import Backend, build_backend
from robomask.config import ALL_STAGES, Config, Stage, StageName, load_config
from robomask.errors import DiskFullError, RobomaskError
from robomask.pipeline.merge import MergeResult, merge_scene
from robomask.pipeline.sessions import SessionResult, run_session
from robomask.progress import ProgressCallback
from robomask.scenes import Scene, scene

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StageReport:
    """One row of a run's summary.

    Attributes:
        scene: Scene name.
        stage: ``arm``, ``gripper`` or ``merge``.
        status: ``done``, ``skipped`` (already done with the same inputs) or ``failed``.
        frames: Frames the stage covers (0 when it failed before knowing).
        seconds: Wall time.
        message: Warnings, or the error of a failed stage.
    """

    scene: str
    stage: str
    status: Literal["done", "skipped", "failed"]
    frames: int
    seconds: float
    message: str = ""


class Pipeline:
    """Arm session, gripper session and merge for scenes of one config.

    Backends are built on first use and kept, so a run over many scenes builds each
    model once. Use as a context manager, or call :meth:`close`.

    Example:
        >>> with Pipeline.from_config("mask_config.yaml", backend="opencv") as pipe:
        ...     reports = pipe.run("scene_0018")  # doctest: +SKIP
    """

    def __init__(self, config: Config) -> None:
        self.config = config
        self._backends: dict[tuple[str, ...], Backend] = {}

    @classmethod
    def from_config(cls, config: Config | Path | str, **overrides: Any) -> Pipeline:
        """From a :class:`Config` or a mask_config.yaml path; ``overrides`` replace keys."""
        if isinstance(config, Config):
            cfg = config.model_copy(update={k: v for k, v in overrides.items() if v is not None})
            return cls(Config.model_validate(cfg.model_dump()))
        return cls(load_config(config, **overrides))

    # --- scenes and backends ---
    def scene(self, name: str | Scene) -> Scene:
        return name if isinstance(name, Scene) else scene(self.config, name)

    def backend(self, stage: Stage) -> Backend:
        """The backend of a session stage, built once (stages on the same GPUs share it)."""
        key = (self.config.backend, *map(str, self.config.cuda_devices(stage)))
        if key not in self._backends:
            log.info("building backend %s for the %s stage", self.config.backend, stage)
            self._backends[key] = build_backend(self.config, stage)
        return self._backends[key]

    def close(self) -> None:
        """Free every model this pipeline built."""
        while self._backends:
            _, backend = self._backends.popitem()
            backend.close()

    def __enter__(self) -> Pipeline:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- stages ---
    def segment(self, scene_name: str | Scene, stage: Stage, *, force: bool = False,
                on_progress: ProgressCallback | None = None) -> SessionResult:
        """Run the arm or gripper session of one scene."""
        return run_session(stage, self.scene(scene_name), self.config,
                           lambda: self.backend(stage), force=force, on_progress=on_progress)

    def merge(self, scene_name: str | Scene, *, force: bool = False, jobs: int | None = None,
              on_progress: ProgressCallback | None = None) -> MergeResult:
        """Merge the two session results of one scene into the export folder on ``jobs``
        threads (None = every core)."""
        return merge_scene(self.scene(scene_name), self.config, force=force, jobs=jobs,
                           on_progress=on_progress)

    def run(self, scene_name: str | Scene, stages: Iterable[StageName] = ALL_STAGES, *,
            force: bool = False, on_progress: ProgressCallback | None = None
            ) -> list[StageReport]:
        """Run ``stages`` of one scene in order; stops at the first failed stage.

        Returns one :class:`StageReport` per stage attempted. User errors become failed
        reports; a full disk (:class:`~robomask.errors.DiskFullError`) and other
        exceptions (bugs, Ctrl-C) propagate.
        """
        reports: list[StageReport] = []
        name = scene_name.name if isinstance(scene_name, Scene) else scene_name
        for stage in stages:
            t0 = time.perf_counter()
            try:
                if stage == "merge":
                    m = self.merge(scene_name, force=force, on_progress=on_progress)
                    status = "skipped" if m.frames_written == 0 else "done"
                    reports.append(StageReport(name, stage, status,
                                               m.frames_written + m.frames_skipped, m.seconds))
                else:
                    r = self.segment(scene_name, stage, force=force, on_progress=on_progress)
                    reports.append(StageReport(name, stage, "skipped" if r.skipped else "done",
                                               r.frames, r.seconds, "; ".join(r.warnings)))
            except DiskFullError:
                raise  # every later write fails too: stop the whole run
            except RobomaskError as exc:
                # the report carries the failure (the CLI prints it under its summary);
                # an error record as well printed it twice
                log.info("%s/%s failed: %s", name, stage, exc)
                reports.append(StageReport(name, stage, "failed", 0,
                                           time.perf_counter() - t0, str(exc)))
                break
        return reports
