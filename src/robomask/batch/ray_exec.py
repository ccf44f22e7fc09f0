"""Run scenes on a Ray cluster: one actor per GPU, each holding one Pipeline.

Ray gives each actor its GPU (``num_gpus=1``) and sets CUDA_VISIBLE_DEVICES for it;
scenes go to whichever actor is free. Frames and outputs must be on storage that every
node sees (the config's paths are used as they are).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from robomask._optional import require
from robomask.batch.worker import SceneWorker
from robomask.config import Config
from robomask.pipeline.runner import StageName, StageReport
from robomask.progress import ProgressCallback, Ticker


def run_ray(config: Config, scene_names: Sequence[str], stages: tuple[StageName, ...], *,
            workers: int, gpus_per_worker: float = 1.0, address: str | None = None,
            force: bool = False, on_progress: ProgressCallback | None = None
            ) -> list[StageReport]:
    """Run ``stages`` of every scene on ``workers`` Ray actors.

    Args:
        config: The config, sent to every actor.
        scene_names: Scenes to run.
        stages: Stages per scene.
        workers: Actors to start (one model each).
        gpus_per_worker: GPUs Ray reserves per actor (0 for CPU backends).
        address: Ray cluster address (``"auto"`` to join a running cluster); None starts
            a local Ray instance.
        force: Redo finished stages.
        on_progress: Receives one update per finished scene (``batch/scenes``).
    """
    ray = require("ray", "ray", purpose="running on a Ray cluster")
    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, log_to_driver=False)
    actor_cls = ray.remote(num_gpus=gpus_per_worker)(_RayWorker)
    data = config.model_dump(mode="json")
    actors = [actor_cls.remote(data) for _ in range(max(1, min(workers, len(scene_names))))]
    pool = ray.util.ActorPool(actors)
    ticker = Ticker("batch/scenes", len(scene_names), on_progress)
    results: dict[str, list[StageReport]] = {}
    for reports in pool.map_unordered(lambda a, n: a.run.remote(n, stages, force), scene_names):
        results[reports[0].scene] = reports
        ticker.advance(1, f"{reports[0].scene}: " + ", ".join(
            f"{r.stage} {r.status}" for r in reports))
    for a in actors:
        ray.get(a.close.remote())
        ray.kill(a)
    return [r for name in scene_names for r in results[name]]


class _RayWorker:
    """Ray actor body (made remote in :func:`run_ray`, so importing needs no Ray)."""

    def __init__(self, config_data: dict[str, Any]) -> None:
        # Ray already set CUDA_VISIBLE_DEVICES to this actor's GPU(s): no pinning here.
        self.worker = SceneWorker(config_data, None)

    def run(self, scene_name: str, stages: tuple[StageName, ...], force: bool
            ) -> list[StageReport]:
        return self.worker.run(scene_name, stages, force)

    def close(self) -> None:
        self.worker.close()
