"""Benchmark: robomask's own share of a whole ``robomask run`` when the model is the work.

A stand-in backend spends a fixed time per frame (38 ms: SAM3 on an H100, one object;
10 ms: a fast model) and yields masks shaped like an arm with its cable (arm session)
and two gripper fingers (gripper session) at 1280x720. It reads each frame from the
session's frame source, as a real backend does. Model time is the fixed time times the
model steps taken (clicks and frames); a step that overran it (drawing the masks while
robomask's threads held the GIL) counts as robomask's overhead. Each ``robomask run``
(arm, gripper, merge) runs in its own process; the parent times the whole process and
reads its peak RSS (``ru_maxrss`` from ``wait4``).

    overhead share = (whole-process wall time - model time) / whole-process wall time

Frames are the real 1280x720 robot PNGs of /work/shared/data/robot_frames when present
(else rendered ones), hard-linked under every frame name: decoding costs what a real
frame costs without filling the disk. ``--src DIR ...`` runs robomask from other
checkouts too (e.g. an older commit) for A/B pairs, which run alternately; the peak
RSS runs at other lengths use the first ``--src``.

Usage:
    python benchmarks/pipeline_overhead.py [--frames 1000] [--model-ms 38 10]
        [--rss-frames 1000 5000] [--repeats 1] [--src DIR ...] [--workdir DIR]

Figures: docs/benchmarks.md, section "Session pipeline overhead".
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
from merge import SIZE_WH, arm_and_gripper  # benchmarks/merge.py (this folder is on sys.path)

TASK = "task_bench"
SCENE = "scene_bench"
REAL_FRAMES = Path("/work/shared/data/robot_frames")


def build_scene(root: Path, num_frames: int) -> Path:
    """Frames, prompt files and a config for the stand-in; returns the config path."""
    from robomask.prompts import ARM_KEY, LEFT_KEY, RIGHT_KEY, PromptEntry, PromptSet, write_prompts

    cam = root / "data" / TASK / "train" / SCENE / "cam_105422061350"
    color = cam / "color"
    color.mkdir(parents=True, exist_ok=True)
    sources = sorted(REAL_FRAMES.glob("*.png")) if REAL_FRAMES.is_dir() else []
    if not sources:
        rng = np.random.default_rng(0)
        for k in range(3):
            img = np.full((SIZE_WH[1], SIZE_WH[0], 3), 90 + 40 * k, np.uint8)
            img += rng.integers(0, 40, img.shape, dtype=np.uint8)
            sources.append(root / f"frame{k}.png")
            cv2.imwrite(str(sources[-1]), img)
    for i in range(num_frames):
        os.link(sources[i % len(sources)], color / f"{1737546126000 + 33 * i}.png")
    arm, grip = PromptSet(), PromptSet()
    arm.entries[ARM_KEY] = [PromptEntry(0, 0, ((300.0, 500.0),), (1,))]
    grip.entries[LEFT_KEY] = [PromptEntry(0, 2, ((700.0, 300.0),), (1,))]
    grip.entries[RIGHT_KEY] = [PromptEntry(0, 3, ((760.0, 300.0),), (1,))]
    write_prompts(cam / "annotation_prompts_arm_points.json", arm)
    write_prompts(cam / "annotation_prompts_gripper_points.json", grip)
    config = root / "mask_config.yaml"  # the keys it needs only, so older checkouts read it
    config.write_text(f"task_name: {TASK}\nscene_name: {SCENE}\ndata_base_dir: {root / 'data'}\n"
                      f"export_base_dir: {root / 'masks'}\nbackend: standin\n")
    return config


def child(config: Path, model_ms: float, model_log: Path) -> None:
    """Run ``robomask run`` in this process with the stand-in registered."""
    from robomask.backends import Capabilities, VideoSession, register_backend
    from robomask.backends.base import Backend
    from robomask.cli.main import main
    from robomask.masks import FrameMasks

    class StandinSession(VideoSession):
        backend_name = "standin"

        def __init__(self, frames, backend: StandinBackend) -> None:
            super().__init__(frames, backend.capabilities)
            self.backend = backend
            self.objects: set[int] = set()

        def _model_step(self, frame_index: int) -> FrameMasks:
            """Masks of the clicked objects, taking ``model_ms`` in all."""
            t0 = time.perf_counter()
            arm, grip = arm_and_gripper(frame_index)
            cols = np.nonzero(grip.any(axis=0))[0]
            mid = int(cols.mean()) if len(cols) else 0
            left, right = grip > 0, grip > 0
            left[:, mid:] = False
            right[:, :mid] = False
            shapes = {2: left, 3: right}
            fm = FrameMasks(frame_index, self.size_wh,
                            {o: shapes.get(o, arm > 0) for o in self.objects})
            left_s = t0 + self.backend.seconds - time.perf_counter()
            if left_s > 0:
                time.sleep(left_s)
            self.backend.model_s += self.backend.seconds  # what the model alone would take
            return fm

        def _add_clicks(self, frame_index, obj_id, points_xy, labels) -> FrameMasks:
            self.objects.add(obj_id)
            return self._model_step(frame_index)

        def _propagate(self, start_frame_index: int, *, reverse: bool) -> Iterator[FrameMasks]:
            order = range(start_frame_index, -1, -1) if reverse else \
                range(start_frame_index, self.num_frames)
            for i in order:
                _ = self.frames[i]  # the model reads its input frame
                yield self._model_step(i)

        def _remove_object(self, obj_id: int) -> None:
            self.objects.discard(obj_id)

        def _reset(self) -> None:
            self.objects = set()

    class StandinBackend(Backend):
        name = "standin"
        capabilities = Capabilities(text_prompts=False, clicks=True, devices=("cpu",))

        def __init__(self) -> None:
            self.seconds = model_ms / 1000
            self.model_s = 0.0

        def open_session(self, frames) -> StandinSession:
            return StandinSession(frames, self)

    built: list[StandinBackend] = []

    def factory(config, stage):
        built.append(StandinBackend())
        return built[-1]

    register_backend("standin", factory)
    try:
        main(["run", "--config", str(config), "--scene", SCENE, "--force"])
    except SystemExit as exc:
        if exc.code:
            raise
    finally:
        model_log.write_text(json.dumps(sum(b.model_s for b in built)))


def run_once(config: Path, model_ms: float, src: Path) -> dict[str, float]:
    """One whole ``robomask run`` in its own process: wall, model and stage seconds, RSS."""
    log = config.parent / "model_s.json"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), str(Path(__file__).parent)])}
    cmd = [sys.executable, __file__, "--child", str(config), "--model-ms", str(model_ms),
           "--model-log", str(log)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"robomask run failed: {proc.stderr.read().decode()[-2000:]}")
    state = config.parent / "masks" / TASK / ".robomask" / SCENE
    stages = {k: json.loads((state / f"{k}.json").read_text())["seconds"]
              for k in ("arm", "gripper", "export")}
    model = json.loads(log.read_text())
    return {"wall": wall, "model": model, "share": (wall - model) / wall,
            "rss_mib": usage.ru_maxrss / 1024, **stages}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=1000)
    parser.add_argument("--model-ms", type=float, nargs="+", default=[38.0, 10.0])
    parser.add_argument("--rss-frames", type=int, nargs="*", default=[1000, 5000])
    parser.add_argument("--rss-model-ms", type=float, default=10.0)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--src", type=Path, nargs="+",
                        default=[Path(__file__).resolve().parent.parent / "src"])
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--model-log", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.model_ms[0], args.model_log)
        return

    load = os.getloadavg()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, python "
          f"{platform.python_version()}, opencv {cv2.__version__}; load average "
          f"{load[0]:.1f} {load[1]:.1f} {load[2]:.1f}; frames: "
          f"{'robot_frames PNGs' if REAL_FRAMES.is_dir() else 'rendered PNGs'} "
          f"{SIZE_WH[0]}x{SIZE_WH[1]}", flush=True)
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        configs = {n: build_scene(Path(tmp) / f"n{n}", n)
                   for n in {args.frames, *args.rss_frames}}
        for ms in args.model_ms:
            runs: dict[Path, list[dict[str, float]]] = {s: [] for s in args.src}
            for _ in range(args.repeats):
                for src in args.src:  # alternate, so that a busy moment hits each alike
                    runs[src].append(run_once(configs[args.frames], ms, src))
            for src, rs in runs.items():
                med = {k: statistics.median(r[k] for r in rs) for k in rs[0]}
                print(f"[{ms:g} ms/frame, {args.frames} frames, {src}] wall {med['wall']:.1f} s, "
                      f"model {med['model']:.1f} s, overhead share {100 * med['share']:.1f} % "
                      f"(arm {med['arm']:.1f} s, gripper {med['gripper']:.1f} s, merge "
                      f"{med['export']:.1f} s; median of {len(rs)}), peak RSS "
                      f"{med['rss_mib']:.0f} MiB", flush=True)
        for n in args.rss_frames:  # the first --src only
            r = run_once(configs[n], args.rss_model_ms, args.src[0])
            print(f"[{args.rss_model_ms:g} ms/frame, {n} frames, {args.src[0]}] peak RSS "
                  f"{r['rss_mib']:.0f} MiB, wall {r['wall']:.1f} s, overhead share "
                  f"{100 * r['share']:.1f} %", flush=True)


if __name__ == "__main__":
    main()
