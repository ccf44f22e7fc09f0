"""Run scenes in parallel worker processes on one machine: one job per GPU (or CPU slot).

Each worker is a fresh (spawned) process pinned to its GPU through
CUDA_VISIBLE_DEVICES before any model is built; it pulls scenes from a shared queue, so
a long scene does not hold up the others, and builds its model once. Progress and
results come back through a queue; a worker that dies (out of memory, segfault) fails
only the scene it was on.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import traceback
from collections.abc import Sequence
from typing import Any

from robomask.batch.worker import SceneWorker
from robomask.config import Config
from robomask.pipeline.runner import StageName, StageReport
from robomask.progress import ProgressCallback


def _worker_main(config_data: dict[str, Any], gpu: int | None, stages: tuple[StageName, ...],
                 force: bool, tasks: Any, events: Any, slot: int) -> None:
    worker = SceneWorker(config_data, gpu)
    try:
        while True:
            name = tasks.get()
            if name is None:
                return
            events.put(("start", slot, name))
            try:
                reports = worker.run(name, stages, force,
                                     on_progress=lambda u: events.put(("progress", slot, u)))
            except Exception as exc:  # a bug in one scene must not stop the others
                reports = [StageReport(name, "?", "failed", 0, 0.0,
                                       f"{type(exc).__name__}: {exc} "
                                       f"({traceback.format_exc(limit=3).splitlines()[-1]})")]
            events.put(("reports", slot, reports))
    finally:
        worker.close()


def run_local(config: Config, scene_names: Sequence[str], stages: tuple[StageName, ...], *,
              jobs: int, gpus: Sequence[int] | None = None, force: bool = False,
              on_progress: ProgressCallback | None = None) -> list[StageReport]:
    """Run ``stages`` of every scene on ``jobs`` worker processes.

    Args:
        config: The config; each worker gets a copy.
        scene_names: Scenes to run.
        stages: Stages per scene, in order.
        jobs: Worker processes (ignored when ``gpus`` is given: one worker per GPU).
        gpus: GPU indices; worker k sees only ``gpus[k]`` (CUDA_VISIBLE_DEVICES).
        force: Redo finished stages.
        on_progress: Receives every worker's progress updates.

    Returns:
        Stage reports of all scenes, in scene order.
    """
    slots: list[int | None] = list(gpus) if gpus else [None] * max(jobs, 1)
    slots = slots[: max(len(scene_names), 1)]
    ctx = mp.get_context("spawn")
    tasks, events = ctx.Queue(), ctx.Queue()
    for name in scene_names:
        tasks.put(name)
    for _ in slots:
        tasks.put(None)
    data = config.model_dump(mode="json")
    procs = [ctx.Process(target=_worker_main, args=(data, gpu, stages, force, tasks, events, k),
                         daemon=True) for k, gpu in enumerate(slots)]
    for p in procs:
        p.start()
    results: dict[str, list[StageReport]] = {}
    current: dict[int, str | None] = {}
    try:
        while len(results) < len(scene_names):
            try:
                kind, slot, payload = events.get(timeout=1.0)
            except queue.Empty:
                for k, p in enumerate(procs):
                    name = current.get(k)
                    if not p.is_alive() and name is not None and name not in results:
                        results[name] = [StageReport(name, "?", "failed", 0, 0.0,
                                                     f"worker process died (exit code "
                                                     f"{p.exitcode})")]
                        current[k] = None
                if not any(p.is_alive() for p in procs) and events.empty():
                    break
                continue
            if kind == "start":
                current[slot] = payload
            elif kind == "progress" and on_progress is not None:
                on_progress(payload)
            elif kind == "reports":
                results[payload[0].scene] = payload
                current[slot] = None
    finally:
        for p in procs:
            p.join(timeout=5)
            if p.is_alive():
                p.terminate()
    return [r for name in scene_names for r in results.get(name, [
        StageReport(name, "?", "failed", 0, 0.0, "not run: every worker stopped")])]
