"""Benchmark: ``robomask export`` (every format) and ``robomask depth``, frames per second.

Builds one scene of 1280x720 frames: the colour frame is a real robot frame from
``/work/shared/data/robot_frames`` when present (else a synthetic texture), hard-linked
under every frame name (each is still decoded per frame); the session masks are the
arm and gripper shapes of ``benchmarks/merge.py`` with the per-object CSV the sessions
write; the exported masks come from ``merge_scene`` (radius 15); the depth images are a
16-bit tilted plane in millimetres with sensor-like noise and holes. Then it times each
export through the Python API (what the CLI calls), whole scene, best of ``--repeats``:
frames per CPU second with ``--jobs 1`` (robust on a shared machine) and frames per
wall-clock second with ``--jobs 1`` and with every core.

Usage:
    python benchmarks/export.py [--frames 200] [--repeats 3] [--workdir DIR]

Figures: docs/datasets.md, section "Exports and depth".
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from merge import SIZE_WH, TASK, arm_and_gripper  # noqa: E402

from robomask.config import load_config, render_template  # noqa: E402
from robomask.export import ExportOptions, build_exporter  # noqa: E402
from robomask.export.depth import DepthExporter  # noqa: E402
from robomask.io.maskstore import MaskStore  # noqa: E402
from robomask.io.objstats import stats_of, write_object_stats  # noqa: E402
from robomask.masks import FrameMasks  # noqa: E402
from robomask.parallel import available_cores  # noqa: E402
from robomask.pipeline.merge import merge_scene  # noqa: E402
from robomask.scenes import scene as open_scene  # noqa: E402

REAL_FRAMES = Path("/work/shared/data/robot_frames")
K = [[910.0, 0.0, 640.0], [0.0, 910.0, 360.0], [0.0, 0.0, 1.0]]


def first_frame(w: int, h: int) -> tuple[np.ndarray, str]:
    """BGR (h, w, 3) frame: a real one when the shared data is there, else a texture."""
    real = sorted(REAL_FRAMES.glob("*.png")) if REAL_FRAMES.is_dir() else []
    if real:
        img = cv2.imread(str(real[0]))
        if img is not None and img.shape[:2] == (h, w):
            return img, f"real frame {real[0].name}"
    rng = np.random.default_rng(0)
    small = rng.integers(0, 255, (h // 16, w // 16, 3), np.uint8)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC), "synthetic texture"


def build_scene(root: Path, num_frames: int) -> tuple[Path, str]:
    w, h = SIZE_WH
    name = "scene_bench"
    cam = root / "data" / TASK / "train" / name / "cam_105422061350"
    color, depth = cam / "color", cam / "depth"
    color.mkdir(parents=True)
    depth.mkdir()
    frame, what = first_frame(w, h)
    stems = [str(1737546126000 + 33 * i) for i in range(num_frames)]
    cv2.imwrite(str(color / f"{stems[0]}.png"), frame)
    yy, xx = np.mgrid[0:h, 0:w]
    rng = np.random.default_rng(1)
    d = 900 + 0.4 * yy + 0.1 * xx + rng.normal(0, 4, (h, w))
    d[rng.random((h, w)) < 0.03] = 0
    cv2.imwrite(str(depth / f"{stems[0]}.png"), d.astype(np.uint16))
    for stem in stems[1:]:
        os.link(color / f"{stems[0]}.png", color / f"{stem}.png")
        os.link(depth / f"{stems[0]}.png", depth / f"{stem}.png")
    out = root / "masks" / TASK
    stores = {k: MaskStore(out / f"{name}_ckpt_{k}", size_wh=SIZE_WH, stems=stems)
              for k in ("arm", "gripper")}
    rows = []
    for i in range(num_frames):
        arm, grip = (m > 0 for m in arm_and_gripper(i))
        stores["arm"].write(i, arm)
        stores["gripper"].write(i, grip)
        rows += stats_of(FrameMasks(i, SIZE_WH, {2: grip}), [2, 3])
    write_object_stats(out / ".robomask" / name / "gripper_objects.csv", rows)
    config = root / "mask_config.yaml"
    config.write_text(render_template(task_name=TASK, scene_name=name,
                                      data_base_dir=str(root / "data"),
                                      export_base_dir=str(root / "masks"),
                                      depth_intrinsics=K))
    cfg = load_config(config)
    merge_scene(open_scene(cfg, name), cfg, jobs=1)
    return config, what


CASES = [("propainter", {}), ("propainter", {"max_side": 960}), ("coco", {}), ("davis", {}),
         ("depth", {}), ("depth", {"ply": True})]


def time_case(cfg, fmt: str, params: dict, jobs: int, out: Path, repeats: int
              ) -> tuple[float, float]:
    """Best frames per wall-clock second and per CPU second (user + system of this
    process, all its threads: what others sharing the machine do not inflate) of
    ``repeats`` runs."""
    scene = open_scene(cfg, cfg.scene_name)
    best_wall = best_cpu = 0.0
    for _ in range(repeats):
        options = ExportOptions(out, None, True, params, jobs)
        exporter = (DepthExporter(cfg, options) if fmt == "depth"
                    else build_exporter(cfg, fmt, options))
        t0, c0 = time.perf_counter(), os.times()
        [result] = exporter.run([scene])
        t1, c1 = time.perf_counter(), os.times()
        cpu = (c1.user - c0.user) + (c1.system - c0.system)
        best_wall = max(best_wall, result.frames / (t1 - t0))
        best_cpu = max(best_cpu, result.frames / max(cpu, 1e-9))
    return best_wall, best_cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--frames", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--workdir", type=Path, default=None)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        root = Path(tmp)
        config, what = build_scene(root, args.frames)
        cfg = load_config(config)
        cores = available_cores()
        print(f"{platform.machine()}, {cores} cores, Python {platform.python_version()}, "
              f"OpenCV {cv2.__version__}; {args.frames} frames of "
              f"{SIZE_WH[0]}x{SIZE_WH[1]} ({what}); best of {args.repeats}")
        print(f"| export | frames/CPU-s | wall frames/s, 1 job | wall frames/s, {cores} jobs "
              "| output per frame |")
        print("|---|---|---|---|---|")
        for fmt, params in CASES:
            out = root / "out" / fmt
            (wall1, cpu1), (wall_n, _) = (time_case(cfg, fmt, params, jobs, out, args.repeats)
                                          for jobs in (1, cores))
            size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) / args.frames
            label = fmt + "".join(f" --{k.replace('_', '-')}" + ("" if v is True else f" {v}")
                                  for k, v in params.items())
            print(f"| `{label}` | {cpu1:.1f} | {wall1:.1f} | {wall_n:.1f} | "
                  f"{size / 1e3:.0f} kB |", flush=True)

if __name__ == "__main__":
    main()
