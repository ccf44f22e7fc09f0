"""SAM3 on a GPU: frames/s, peak GPU memory and robomask's own share of the wall time.

Runs robomask's arm and gripper sessions (``run_session``, as ``robomask segment``)
through both SAM3 backends with random weights, on synthetic 1280x720 demo scenes,
with and without ``max_frames_per_session``:

- ``sam3``: the official predictor, ``build_sam3_video_predictor(checkpoint_path=None,
  bpe_path=...)``. sam3 0.1.4 fetches the checkpoint from the Hub when none is given and
  its predictor takes no ``load_from_HF``; the fetch function is replaced by one that
  returns None, so the model keeps its random weights.
- ``sam3-hf``: a full-size ``Sam3VideoModel`` (default config) with random weights, saved
  and loaded through the backend like real weights.

Random weights find random objects: this checks the plumbing, memory and speed, not
quality. robomask's share = 1 - (time inside the model libraries / wall time of the
session); library calls end with a CUDA synchronize so that GPU time is counted there.
Cases run in order until ``--budget-s`` is spent; the rest are listed as skipped.

    python benchmarks/gpu_check.py --bpe bpe_simple_vocab_16e6.txt.gz --out gpu_check.json
    python benchmarks/gpu_check.py --dry-run   # CPU: tiny sam3-hf on a small scene

Run from the repository root with ``src`` and ``tests`` on PYTHONPATH (the random
transformers folder is built by tests/sam3_hf_folder.py); docs/sam3.md says how to run it
on the borrowed GPU machine.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any

TARGET_SHARE = 0.05  # robomask's own share of the wall time should stay below this


@dataclass
class Case:
    backend: str
    frames: int
    window: int | None
    stage: str
    status: str = "pending"
    seconds: float | None = None
    fps: float | None = None
    model_seconds: float | None = None
    robomask_share: float | None = None
    peak_gpu_mb: float | None = None
    peak_over_weights_mb: float | None = None
    objects: dict[str, int] | None = None


class ModelClock:
    """Time spent inside wrapped library calls (outermost call only; CUDA synchronized)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._depth = 0

    def _sync(self) -> None:
        import torch

        if torch.cuda.is_available():
            torch.cuda.synchronize()

    def wrap(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            self._depth += 1
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self._sync()
                    self.seconds += time.perf_counter() - t0
        return timed

    def wrap_stream(self, fn: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
        def timed(*args: Any, **kwargs: Any) -> Iterator[Any]:
            stream = self.wrap(fn)(*args, **kwargs)
            step = self.wrap(next)
            while True:
                try:
                    item = step(stream)
                except StopIteration:
                    return
                yield item
        return timed


def instrument(backend: Any, clock: ModelClock) -> None:
    """Route the backend's library calls through ``clock``."""
    if backend.name == "sam3":
        pred = backend.predictor
        pred.handle_request = clock.wrap(pred.handle_request)
        pred.handle_stream_request = clock.wrap_stream(pred.handle_stream_request)
        return
    for name in ("pixels", "detect", "encode_for_tracker"):
        setattr(backend, name, clock.wrap(getattr(backend, name)))
    tracker = backend.model.tracker_model
    tracker.forward = clock.wrap(tracker.forward)
    proc = backend.tracker_processor
    for name in ("post_process_masks", "add_inputs_to_inference_session", "init_video_session"):
        setattr(proc, name, clock.wrap(getattr(proc, name)))


def build(name: str, config: Any, work: Path, *, bpe: Path | None, dry_run: bool) -> Any:
    """A backend with random weights (see the module notes)."""
    if name == "sam3":
        import sam3.model_builder as builder

        from robomask.backends.sam3 import Sam3Backend

        builder.download_ckpt_from_hf = lambda: None  # keep the random weights
        factory = partial(builder.build_sam3_video_predictor, checkpoint_path=None,
                          bpe_path=str(bpe), gpus_to_use=[0],
                          apply_temporal_disambiguation=config.apply_temporal_disambiguation)
        return Sam3Backend(factory, config)
    from robomask.backends import build_backend
    from sam3_hf_folder import full_sam3_folder, tiny_sam3_folder  # tests/

    folder = (tiny_sam3_folder if dry_run else full_sam3_folder)(work)
    return build_backend(config.model_copy(update={"sam3_hf_model_dir": folder,
                                                   "backend": "sam3-hf"}), "arm")


def gpu_mb(kind: str) -> float | None:
    import torch

    if not torch.cuda.is_available():
        return None
    value = torch.cuda.max_memory_allocated() if kind == "peak" else torch.cuda.memory_allocated()
    return round(value / 2**20, 1)


def run_case(case: Case, backend: Any, clock: ModelClock, scene_config: Any) -> None:
    import torch

    from robomask.pipeline.sessions import run_session
    from robomask.scenes import scene

    config = scene_config.model_copy(update={"backend": case.backend,
                                             "max_frames_per_session": case.window})
    sc = scene(config, config.scene_name)
    weights = gpu_mb("now")
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    clock.seconds = 0.0
    t0 = time.perf_counter()
    result = run_session(case.stage, sc, config, backend, force=True)
    case.seconds = round(time.perf_counter() - t0, 2)
    case.fps = round(case.frames / case.seconds, 2)
    case.model_seconds = round(clock.seconds, 2)
    case.robomask_share = round(1 - clock.seconds / case.seconds, 4)
    case.peak_gpu_mb = gpu_mb("peak")
    if case.peak_gpu_mb is not None and weights is not None:
        case.peak_over_weights_mb = round(case.peak_gpu_mb - weights, 1)
    case.objects = {str(k): v for k, v in result.object_frames.items()}
    case.status = "done"


def plan(backends: list[str], lengths: list[int], window: int, stages: list[str]) -> list[Case]:
    return [Case(b, n, w, s) for b in backends for n in lengths
            for w in ([None, window] if window < n else [None]) for s in stages]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", nargs="+", default=["sam3", "sam3-hf"])
    parser.add_argument("--frames", type=int, nargs="+", default=[300, 1500])
    parser.add_argument("--window", type=int, default=300, help="max_frames_per_session")
    parser.add_argument("--stages", nargs="+", default=["arm", "gripper"])
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--bpe", type=Path, help="bpe_simple_vocab_16e6.txt.gz (sam3)")
    parser.add_argument("--budget-s", type=float, default=480.0)
    parser.add_argument("--out", type=Path, help="write the results as JSON here too")
    parser.add_argument("--dry-run", action="store_true",
                        help="CPU check of this script: tiny sam3-hf, 12 frames of 160x96")
    args = parser.parse_args()
    if args.dry_run:
        args.backends, args.frames, args.window, args.size = ["sam3-hf"], [12], 5, "160x96"
        from robomask._optional import import_problem

        print(f"sam3 official import chain: {import_problem('sam3.model_builder') or 'ok'}")
    w, h = (int(v) for v in args.size.split("x"))
    start = time.perf_counter()
    cases = plan(args.backends, args.frames, args.window, args.stages)
    with tempfile.TemporaryDirectory() as tmp, ProcessPoolExecutor(len(args.frames)) as pool:
        work = Path(tmp)
        # The scenes are drawn in other processes while the first model is built.
        scenes = {n: pool.submit(make_scene, work, n, (w, h)) for n in args.frames}
        for name in args.backends:
            mine = [c for c in cases if c.backend == name]
            try:
                backend = build(name, scenes[args.frames[0]].result(), work, bpe=args.bpe,
                                dry_run=args.dry_run)
            except Exception as exc:  # reported per case; the other backend still runs
                for c in mine:
                    c.status = f"not built: {type(exc).__name__}: {exc}"
                continue
            clock = ModelClock()
            instrument(backend, clock)
            with backend:
                for case in mine:
                    if time.perf_counter() - start > args.budget_s:
                        case.status = "skipped (budget)"
                        continue
                    run_case(case, backend, clock, scenes[case.frames].result())
                    print(json.dumps(asdict(case)), flush=True)
    report(cases, args.out, time.perf_counter() - start)


def make_scene(work: Path, frames: int, size_wh: tuple[int, int]) -> Any:
    """A synthetic demo scene (the demo's layout, clicks and config); its config."""
    from robomask.config import load_config
    from robomask.demo import make_demo_scene

    t0 = time.perf_counter()
    demo = make_demo_scene(work / f"scene_{frames}", num_frames=frames, size_wh=size_wh)
    print(f"scene of {frames} frames at {size_wh[0]}x{size_wh[1]} written in "
          f"{time.perf_counter() - t0:.1f} s", flush=True)
    return load_config(demo.config_path).model_copy(update={"device": "auto"})


def report(cases: list[Case], out: Path | None, seconds: float) -> None:
    print(f"\n{'backend':8} {'frames':>6} {'window':>6} {'stage':8} {'fps':>7} "
          f"{'peak GPU MB':>11} {'robomask %':>10}  status")
    for c in cases:
        share = "" if c.robomask_share is None else f"{100 * c.robomask_share:.1f}"
        print(f"{c.backend:8} {c.frames:6} {c.window or '-':>6} {c.stage:8} "
              f"{c.fps or '':>7} {c.peak_gpu_mb or '':>11} {share:>10}  {c.status}")
    over = [c for c in cases if c.robomask_share is not None and c.robomask_share > TARGET_SHARE]
    print(f"total {seconds:.0f} s; robomask's share above {100 * TARGET_SHARE:.0f} % in "
          f"{len(over)} case(s)")
    if out is not None:
        out.write_text(json.dumps([asdict(c) for c in cases], indent=1))


if __name__ == "__main__":
    sys.exit(main())
