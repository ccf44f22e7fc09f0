"""Batch executors: many scenes in one call, in-process, on local workers, or on Ray."""

from __future__ import annotations

from collections.abc import Sequence

from robomask.config import Config
from robomask.pipeline.runner import ALL_STAGES, Pipeline, StageName, StageReport
from robomask.progress import ProgressCallback
from robomask.scenes import select_scene_names


def run_batch(config: Config, patterns: Sequence[str] | None = None,
              stages: Sequence[StageName] = ALL_STAGES, *, jobs: int = 1,
              gpus: Sequence[int] | None = None, ray_address: str | None = None,
              force: bool = False, on_progress: ProgressCallback | None = None
              ) -> list[StageReport]:
    """Run ``stages`` for every scene matching ``patterns``; resumable, failures isolated.

    Args:
        config: The config.
        patterns: Scene names or globs (default: the config's scene_name).
        stages: Stages per scene, in order.
        jobs: Parallel worker processes on this machine (1 = in this process).
        gpus: GPU indices, one worker per GPU (overrides ``jobs``).
        ray_address: Run on Ray instead (``"local"`` for a local Ray, ``"auto"`` or an
            address to join a cluster); ``jobs`` actors with one GPU each when ``gpus``
            is given, else CPU actors.
        force: Redo finished stages.
        on_progress: Receives progress updates.
    """
    names = select_scene_names(config, patterns)
    stages = tuple(stages)
    if ray_address is not None:
        from robomask.batch.ray_exec import run_ray

        return run_ray(config, names, stages, workers=len(gpus) if gpus else jobs,
                       gpus_per_worker=1.0 if gpus else 0.0,
                       address=None if ray_address == "local" else ray_address,
                       force=force, on_progress=on_progress)
    if gpus or jobs > 1:
        from robomask.batch.local import run_local

        return run_local(config, names, stages, jobs=jobs, gpus=gpus, force=force,
                         on_progress=on_progress)
    with Pipeline(config) as pipe:
        return [r for n in names for r in pipe.run(n, stages, force=force,
                                                   on_progress=on_progress)]
