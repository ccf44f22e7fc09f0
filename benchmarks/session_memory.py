"""Peak memory and speed of a whole run (arm, gripper, merge) against video length.

Each length runs in its own process on the synthetic demo scene (opencv backend, one
core), so the peaks do not mix. Masks stream to disk as they are produced, so peak RSS
should not grow with the number of frames.

    python benchmarks/session_memory.py [--frames 150 600] [--size 640x360]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _proc import rss_mb  # benchmarks/_proc.py (run as scripts: this folder is on sys.path)


def child(frames: int, size_wh: tuple[int, int]) -> None:
    import cv2

    from robomask.config import load_config
    from robomask.demo import make_demo_scene
    from robomask.pipeline.runner import Pipeline

    cv2.setNumThreads(1)
    with tempfile.TemporaryDirectory() as tmp:
        make_demo_scene(Path(tmp), num_frames=frames, size_wh=size_wh)
        base_mb = rss_mb()
        cfg = load_config(Path(tmp) / "mask_config.yaml")
        times = {}
        with Pipeline(cfg) as pipe:
            for stage in ("arm", "gripper", "merge"):
                t0 = time.perf_counter()
                reports = pipe.run("scene_0001", (stage,))
                assert reports[0].status == "done", reports
                times[stage] = time.perf_counter() - t0
        print(json.dumps({"frames": frames, "peak_rss_mb": round(rss_mb(), 1),
                          "rss_after_scene_written_mb": round(base_mb, 1),
                          **{f"{k}_fps": round(frames / v, 1) for k, v in times.items()}}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, nargs="+", default=[150, 600])
    parser.add_argument("--size", default="640x360")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    if args.child:
        child(args.child, (w, h))
        return
    print(f"{'frames':>7} {'peak RSS MB':>12} {'arm fps':>8} {'gripper fps':>12} {'merge fps':>10}")
    for n in args.frames:
        out = subprocess.run(["taskset", "-c", "0", sys.executable, __file__, "--child", str(n),
                              "--size", args.size], capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{n:>7} {r['peak_rss_mb']:>12} {r['arm_fps']:>8} {r['gripper_fps']:>12} "
              f"{r['merge_fps']:>10}")


if __name__ == "__main__":
    main()
