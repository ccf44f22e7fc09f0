"""Benchmark: ``robomask merge`` against the old notebook's per-frame loop.

Builds synthetic scenes of 1280x720 frames whose session checkpoints hold an arm (links,
cable, base: ~15% of the frame) and a gripper blob at its tip (~1.5%), then

1. times robomask's merge (``merge_scene``) and the notebook loop (PIL open both PNGs,
   ``cv2.dilate`` with ``np.ones((2r+1, 2r+1))``, ``np.where``, PIL save) in the same
   process, alternating, best of ``--repeats``, as frames per CPU second (robust on a
   shared machine) and per wall-clock second; checks both give identical pixels;
2. runs ``robomask merge`` (the CLI) once per scene length, each in its own process, and
   reports that process's peak RSS (``ru_maxrss`` from ``wait4``).

Everything runs on one core: ``cv2.setNumThreads(1)`` and, when ``taskset`` exists, the
whole script re-runs itself under ``taskset -c 0``. Session checkpoints are written the
way robomask's sessions write them (``MaskStore``) and, for a second timing, the way the
notebooks wrote them (PIL, default zlib level).

``--whole-process`` instead times whole processes as a user sees them, on checkpoints
the notebooks wrote: ``robomask merge`` (the CLI: start-up, checks, every frame) against
a process that imports numpy, OpenCV and PIL and runs the notebook loop. Pairs alternate
(``--repeats`` of each, medians): on one core (both under ``taskset -c 0``, robomask
with ``--jobs 1``) and on every core (neither pinned, robomask's default ``--jobs``).
Both outputs are compared pixel by pixel.

Usage:
    python benchmarks/merge.py [--frames 1000] [--long-frames 5000] [--radius 15]
        [--repeats 3] [--workdir DIR]
    python benchmarks/merge.py --whole-process [--frames 400] [--repeats 5]

Figures: docs/benchmarks.md, section "Merge and export".
"""

from __future__ import annotations

import argparse
import inspect
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from robomask.config import load_config, render_template
from robomask.io.maskstore import MaskStore
from robomask.pipeline.merge import merge_scene
from robomask.scenes import scene as open_scene

SIZE_WH = (1280, 720)
TASK = "task_bench"
PINNED_ENV = "ROBOMASK_BENCH_PINNED"


def arm_and_gripper(frame_index: int, size_wh: tuple[int, int] = SIZE_WH) -> tuple[
        np.ndarray, np.ndarray]:
    """Uint8 0/255 (height, width) masks of an arm and its gripper on one frame.

    The arm is a base, two thick links and a cable from the bottom left towards a tip
    that sweeps across the image; the gripper is a rotated block at the tip.
    """
    w, h = size_wh
    t = frame_index / 40.0
    base = (int(0.12 * w), h - 1)
    elbow = (int(0.30 * w + 0.05 * w * np.sin(t)), int(0.40 * h + 0.05 * h * np.cos(t)))
    tip = (int(0.60 * w + 0.12 * w * np.sin(0.7 * t)), int(0.45 * h + 0.12 * h * np.cos(t)))
    arm = np.zeros((h, w), np.uint8)
    cv2.ellipse(arm, base, (int(0.11 * w), int(0.2 * h)), 0, 180, 360, 255, -1)
    cv2.line(arm, base, elbow, 255, int(0.15 * h))
    cv2.line(arm, elbow, tip, 255, int(0.14 * h))
    cable = np.array([base, (base[0] + 90, base[1] - 200), (elbow[0] + 60, elbow[1] + 30),
                      (tip[0] - 40, tip[1] + 40)], np.int32)
    cv2.polylines(arm, [cable], False, 255, 9)
    grip = np.zeros((h, w), np.uint8)
    angle = float(np.degrees(np.arctan2(tip[1] - elbow[1], tip[0] - elbow[0])))
    box = cv2.boxPoints(((tip[0] + 35 * np.cos(np.radians(angle)),
                          tip[1] + 35 * np.sin(np.radians(angle))), (130, 95), angle))
    cv2.fillPoly(grip, [box.astype(np.int32)], 255)
    return arm, grip


def build_scene(root: Path, name: str, num_frames: int, writer: str) -> Path:
    """A scene of ``num_frames`` frames with both session checkpoints; returns the config.

    Args:
        root: Folder for data, masks and the config.
        name: Scene name.
        num_frames: Frames in the scene.
        writer: ``"robomask"`` (MaskStore, as robomask's sessions write) or ``"notebook"``
            (PIL with its default zlib level, as the old notebooks wrote).
    """
    color = root / "data" / TASK / "train" / name / "cam_105422061350" / "color"
    color.mkdir(parents=True, exist_ok=True)
    # merge reads only the first frame's header: one real frame, hard-linked under every name.
    first = color / f"{1737546126000:d}.png"
    rng = np.random.default_rng(0)
    cv2.imwrite(str(first), rng.integers(0, 255, (SIZE_WH[1], SIZE_WH[0], 3), np.uint8))
    stems = [str(1737546126000 + 33 * i) for i in range(num_frames)]
    for stem in stems[1:]:
        os.link(first, color / f"{stem}.png")
    out = root / "masks" / TASK
    stores = {k: MaskStore(out / f"{name}_ckpt_{k}", size_wh=SIZE_WH, stems=stems)
              for k in ("arm", "gripper")}
    for store in stores.values():
        store.prepare()
    for i in range(num_frames):
        for kind, mask in zip(("arm", "gripper"), arm_and_gripper(i), strict=True):
            if writer == "robomask":
                stores[kind].write(i, mask > 0)
            else:
                Image.fromarray(mask, "L").save(stores[kind].path(i))
    config = root / "mask_config.yaml"
    config.write_text(render_template(task_name=TASK, scene_name=name,
                                      data_base_dir=str(root / "data"),
                                      export_base_dir=str(root / "masks")))
    return config


def notebook_merge(ckpt_arm: Path, ckpt_gripper: Path, out_dir: Path, num_frames: int,
                   radius_arm: int, radius_gripper: int, log_every: int = 50) -> None:
    """The old merge notebook's loop: one frame at a time, full-frame dilation, PIL I/O."""
    out_dir.mkdir(parents=True, exist_ok=True)
    k_arm = np.ones((2 * radius_arm + 1, 2 * radius_arm + 1), np.uint8)
    k_grip = np.ones((2 * radius_gripper + 1, 2 * radius_gripper + 1), np.uint8)
    for fi in range(num_frames):
        arm = np.array(Image.open(ckpt_arm / f"{fi:05d}.png"))
        grip = np.array(Image.open(ckpt_gripper / f"{fi:05d}.png"))
        arm_d = cv2.dilate((arm > 0).astype(np.uint8), k_arm) if radius_arm > 0 else arm > 0
        grip_d = cv2.dilate((grip > 0).astype(np.uint8), k_grip) if radius_gripper > 0 \
            else grip > 0
        final = np.where((arm_d > 0) & (grip_d == 0), 255, 0).astype(np.uint8)
        if fi % log_every == 0:
            _ = (int((arm > 0).sum()), int((grip > 0).sum()), int((final > 0).sum()))
        Image.fromarray(final, "L").save(out_dir / f"{fi:05d}.png")


def same_pixels(dir_a: Path, dir_b: Path, num_frames: int) -> bool:
    """True when every ``00000.png ...`` of both folders decodes to the same array."""
    for i in range(num_frames):
        a = cv2.imread(str(dir_a / f"{i:05d}.png"), cv2.IMREAD_UNCHANGED)
        b = cv2.imread(str(dir_b / f"{i:05d}.png"), cv2.IMREAD_UNCHANGED)
        if a is None or b is None or a.shape != b.shape or not np.array_equal(a, b):
            return False
    return True


def mask_fractions(num_frames: int) -> tuple[float, float]:
    """Mean fraction of the frame covered by the arm and by the gripper."""
    idx = range(0, num_frames, max(num_frames // 50, 1))
    pairs = [arm_and_gripper(i) for i in idx]
    return (float(np.mean([(a > 0).mean() for a, _ in pairs])),
            float(np.mean([(g > 0).mean() for _, g in pairs])))


def _timed(fn, *args, **kwargs) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one call; CPU time is user + system of this process,
    which other processes sharing the core do not inflate."""
    c0, w0 = time.process_time(), time.perf_counter()
    fn(*args, **kwargs)
    return time.process_time() - c0, time.perf_counter() - w0


def time_merges(root: Path, num_frames: int, radius: int, repeats: int,
                writer: str) -> dict[str, float | bool]:
    """Best-of-``repeats`` frames/s (CPU and wall clock) of robomask and the notebook loop."""
    name = f"scene_{writer}"
    config_path = build_scene(root, name, num_frames, writer)
    cfg = load_config(config_path, export_arm_dilate_radius=radius,
                      export_gripper_dilate_radius=radius)
    sc = open_scene(cfg, name)
    notebook_out = root / "notebook_out" / name
    rm, nb = [], []
    for _ in range(repeats):  # alternate, so that a busy moment hits both alike
        rm.append(_timed(merge_scene, sc, cfg, force=True))
        nb.append(_timed(notebook_merge, sc.mask_dir("arm"), sc.mask_dir("gripper"),
                         notebook_out, num_frames, radius, radius, cfg.export_log_every))
    return {"robomask_cpu": num_frames / min(c for c, _ in rm),
            "notebook_cpu": num_frames / min(c for c, _ in nb),
            "robomask_wall": num_frames / min(w for _, w in rm),
            "notebook_wall": num_frames / min(w for _, w in nb),
            "identical": same_pixels(sc.mask_dir("export"), notebook_out, num_frames)}


def cli_peak_rss(config_path: Path, scene_name: str, num_frames: int) -> tuple[float, float]:
    """Run ``robomask merge --force`` in its own process: (peak RSS in MiB, frames/s)."""
    cmd = [sys.executable, "-m", "robomask.cli.main", "merge", "--config", str(config_path),
           "--scene", scene_name, "--force"]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"robomask merge failed: {proc.stderr.read().decode()[-2000:]}")
    return usage.ru_maxrss / 1024, num_frames / seconds


def _wall_and_cpu(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, user + system CPU seconds) of one whole process and its threads."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{cmd[:3]} failed: {proc.stderr.read().decode()[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime


def whole_process(root: Path, num_frames: int, radius: int, repeats: int) -> None:
    """``robomask merge`` against a notebook-loop process on notebook-written checkpoints,
    one core and every core; prints medians and ratios."""
    name = "scene_whole"
    config_path = build_scene(root, name, num_frames, "notebook")
    masks = root / "masks" / TASK
    notebook_out = root / "notebook_out"
    notebook = ["import numpy as np, cv2", "from pathlib import Path", "from PIL import Image",
                inspect.getsource(notebook_merge),
                f"notebook_merge(Path({str(masks / f'{name}_ckpt_arm')!r}), "
                f"Path({str(masks / f'{name}_ckpt_gripper')!r}), Path({str(notebook_out)!r}), "
                f"{num_frames}, {radius}, {radius})"]
    nb_cmd = [sys.executable, "-c", "\n".join(notebook)]
    rm_cmd = [sys.executable, "-m", "robomask.cli.main", "merge", "--config", str(config_path),
              "--scene", name, "--force"]
    radii = [f"export_arm_dilate_radius: {radius}", f"export_gripper_dilate_radius: {radius}"]
    config_path.write_text("\n".join(
        [ln for ln in config_path.read_text().splitlines()
         if not ln.startswith(("export_arm_dilate_radius:", "export_gripper_dilate_radius:"))]
        + radii) + "\n")
    pin = ["taskset", "-c", "0"] if shutil.which("taskset") else []
    cases = {"one core": (pin + nb_cmd, pin + rm_cmd + ["--jobs", "1"]),
             "every core": (nb_cmd, rm_cmd)}
    print(f"whole processes, {num_frames} frames, notebook-written checkpoints, radius "
          f"{radius}; load average before: {os.getloadavg()[0]:.1f}", flush=True)
    for label, (nb, rm) in cases.items():
        nb_s: list[tuple[float, float]] = []
        rm_s: list[tuple[float, float]] = []
        for k in range(repeats):  # alternate which goes first, so load hits both alike
            pair = [(nb, nb_s), (rm, rm_s)] if k % 2 == 0 else [(rm, rm_s), (nb, nb_s)]
            for cmd, out in pair:
                out.append(_wall_and_cpu(cmd))
        nb_w, rm_w = (statistics.median(w for w, _ in xs) for xs in (nb_s, rm_s))
        nb_c, rm_c = (statistics.median(c for _, c in xs) for xs in (nb_s, rm_s))
        print(f"[{label}] wall: notebook loop {nb_w:.2f} s, robomask merge {rm_w:.2f} s -> "
              f"{nb_w / rm_w:.2f}x | CPU (user+sys): notebook {nb_c:.2f} s, robomask "
              f"{rm_c:.2f} s -> {nb_c / rm_c:.2f}x (medians of {repeats}) | identical pixels: "
              f"{same_pixels(masks / name, notebook_out, num_frames)}", flush=True)
    print(f"load average after: {os.getloadavg()[0]:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=1000)
    parser.add_argument("--long-frames", type=int, default=5000)
    parser.add_argument("--radius", type=int, default=15)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--whole-process", action="store_true")
    args = parser.parse_args()
    if args.whole_process:
        with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
            whole_process(Path(tmp), args.frames, args.radius, args.repeats)
        return

    taskset = shutil.which("taskset")
    if taskset and not os.environ.get(PINNED_ENV):
        env = {**os.environ, PINNED_ENV: "1"}
        os.execve(taskset, [taskset, "-c", "0", sys.executable, *sys.argv], env)
    cv2.setNumThreads(1)
    pinned = "taskset -c 0" if os.environ.get(PINNED_ENV) else "not pinned (no taskset)"
    print(f"machine: {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, python {platform.python_version()}, "
          f"opencv {cv2.__version__}, numpy {np.__version__}; one core: {pinned}, "
          f"cv2 threads {cv2.getNumThreads()}")
    arm_frac, grip_frac = mask_fractions(args.frames)
    print(f"scene: {args.frames} frames {SIZE_WH[0]}x{SIZE_WH[1]}, arm {100 * arm_frac:.1f}% "
          f"and gripper {100 * grip_frac:.1f}% of the frame, radius {args.radius} px (square)")

    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        root = Path(tmp)
        for writer in ("robomask", "notebook"):
            r = time_merges(root / writer, args.frames, args.radius, args.repeats, writer)
            print(f"[{writer}-written checkpoints, best of {args.repeats}] "
                  f"CPU time: robomask {r['robomask_cpu']:.1f} frames/s, notebook loop "
                  f"{r['notebook_cpu']:.1f} frames/s, ratio "
                  f"{r['robomask_cpu'] / r['notebook_cpu']:.2f}x | wall clock: robomask "
                  f"{r['robomask_wall']:.1f}, notebook {r['notebook_wall']:.1f} frames/s, ratio "
                  f"{r['robomask_wall'] / r['notebook_wall']:.2f}x | identical pixels: "
                  f"{r['identical']}")
            shutil.rmtree(root / writer)
        for n in (args.frames, args.long_frames):
            config_path = build_scene(root / f"rss{n}", "scene_rss", n, "robomask")
            rss, fps = cli_peak_rss(config_path, "scene_rss", n)
            print(f"[robomask merge CLI, {n} frames] peak RSS {rss:.1f} MiB, "
                  f"{fps:.1f} frames/s including start-up")
            shutil.rmtree(root / f"rss{n}")


if __name__ == "__main__":
    main()
