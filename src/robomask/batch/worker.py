"""What one batch worker process does: hold one Pipeline, run scenes on it.

Shared by the local process executor and the Ray executor, so both build each model
once per worker process and pin a worker to its GPU the same way.
"""

from __future__ import annotations

import os
from typing import Any

from robomask.config import Config
from robomask.pipeline.runner import Pipeline, StageName, StageReport
from robomask.progress import ProgressCallback


def pin_gpu(config_data: dict[str, Any], gpu: int | None) -> Config:
    """Make this process see only ``gpu`` and point both session stages at it.

    Must run before anything initialises CUDA in the process.
    """
    if gpu is not None:
        os.environ["CUDA_VISIBLE_DEVICES"] = str(gpu)
        config_data = {**config_data, "cuda_visible_devices_arm": "0",
                       "cuda_visible_devices_gripper": "0"}
    return Config.model_validate(config_data)


class SceneWorker:
    """A pipeline kept for the life of a worker process."""

    def __init__(self, config_data: dict[str, Any], gpu: int | None) -> None:
        self.pipeline = Pipeline(pin_gpu(config_data, gpu))

    def run(self, scene_name: str, stages: tuple[StageName, ...], force: bool,
            on_progress: ProgressCallback | None = None) -> list[StageReport]:
        return self.pipeline.run(scene_name, stages, force=force, on_progress=on_progress)

    def close(self) -> None:
        self.pipeline.close()
