"""QA report and overlay video on long synthetic 1280x720 scenes: time and peak memory.

Shows that memory does not grow with scene length (masks are read frame by frame; only
per-frame numbers and strided thumbnails are kept). Each measurement runs in a fresh
process so that its peak RSS (VmHWM) is its own.

    python benchmarks/report.py                 # 250 and 1000 frames
    python benchmarks/report.py --frames 250 1000 2000 --keep /tmp/qa_bench
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _proc import rss_mb  # benchmarks/_proc.py (run as scripts: this folder is on sys.path)

SIZE_WH = (1280, 720)


def generate(root: Path, n: int) -> None:
    """A two-arm scene: JPEG frames, session PNGs, objects CSVs, exports; a leak planted
    on frames n/2 .. n/2+9 so the report has something to flag."""
    import cv2
    import numpy as np

    from robomask.config import load_config, render_template
    from robomask.io.objstats import stats_of, write_object_stats
    from robomask.masks import FrameMasks
    from robomask.pipeline.merge import merge_scene
    from robomask.scenes import scene

    w, h = SIZE_WH
    cfg_path = root / "mask_config.yaml"
    cfg_path.write_text(render_template(task_name="task", scene_name="scene_0001",
                                        data_base_dir=str(root / "data"),
                                        export_base_dir=str(root / "out"), arm_obj_id_2=1))
    cfg = load_config(cfg_path)
    color = cfg.task_dir / "scene_0001" / f"cam_{cfg.camera}" / "color"
    color.mkdir(parents=True)
    sc = scene(cfg, "scene_0001")
    yy, xx = np.mgrid[0:h, 0:w]
    background = np.stack([(xx * 60 // w + 40), (yy * 60 // h + 50), np.full_like(xx, 70)],
                          axis=2).astype(np.uint8)
    arm_rows, grip_rows = [], []
    for i in range(n):
        cv2.imwrite(str(color / f"{1737546126000 + 33 * i}.jpg"), background)
    frames = sc.frames()
    stores = {k: sc.store(k, frames) for k in ("arm", "gripper")}
    for s in stores.values():
        s.prepare()
    for i in range(n):
        sway = round(40 * math.sin(2 * math.pi * i / 120))
        xr, xl = 820 + sway, 320 - sway
        masks = {k: np.zeros((h, w), bool) for k in range(4)}
        masks[0][0:380, xr:xr + 110] = True
        masks[1][0:380, xl:xl + 110] = True
        masks[2][380:480, xl - 20:xl + 130] = True
        masks[3][380:480, xr - 20:xr + 130] = True
        if n // 2 <= i < n // 2 + 10:
            masks[0][0:380, xr + 110:xr + 330] = True
        arm = FrameMasks(i, (w, h), {0: masks[0], 1: masks[1]})
        grip = FrameMasks(i, (w, h), {2: masks[2], 3: masks[3]})
        stores["arm"].write(i, arm.union())
        stores["gripper"].write(i, grip.union())
        arm_rows += stats_of(arm, cfg.arm_ids)
        grip_rows += stats_of(grip, cfg.gripper_ids)
    write_object_stats(sc.state_dir / "arm_objects.csv", arm_rows)
    write_object_stats(sc.state_dir / "gripper_objects.csv", grip_rows)
    merge_scene(sc, cfg)


def measure(root: Path, what: str) -> dict:
    """Run the report or the video on the scene under ``root``; time and memory."""
    from robomask.config import load_config
    from robomask.report.html import write_report
    from robomask.report.video import write_overlay_video
    from robomask.scenes import scene

    cfg = load_config(root / "mask_config.yaml")
    sc = scene(cfg, "scene_0001")
    base = rss_mb("VmRSS")
    t0 = time.perf_counter()
    if what == "report":
        (flags,) = write_report([sc], cfg, root / "report")
        extra = {"flags": len(flags.flags), "flagged_frames": flags.flagged_frames}
    else:
        out = write_overlay_video(sc, cfg, root / "overlay.mp4")
        extra = {"mp4_mb": round(out.stat().st_size / 2**20, 1)}
    seconds = time.perf_counter() - t0
    return {"what": what, "seconds": round(seconds, 2), "rss_after_imports_mb": round(base, 1),
            "peak_rss_mb": round(rss_mb("VmHWM"), 1), **extra}


def _child(*args: str) -> str:
    return subprocess.run([sys.executable, __file__, *args], check=True, capture_output=True,
                          text=True).stdout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, nargs="+", default=[250, 1000])
    ap.add_argument("--keep", type=Path, help="Keep the scenes under this folder.")
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        cmd, root, n = args.child
        if cmd == "generate":
            generate(Path(root), int(n))
        else:
            print(json.dumps(measure(Path(root), cmd)))
        return
    base = args.keep or Path(tempfile.mkdtemp(prefix="robomask_qa_bench_"))
    print(f"{'frames':>6} {'what':>6} {'seconds':>8} {'frames/s':>9} {'RSS after imports':>18} "
          f"{'peak RSS':>9}  notes")
    for n in args.frames:
        root = base / f"n{n}"
        if not (root / "mask_config.yaml").exists():
            root.mkdir(parents=True, exist_ok=True)
            _child("--child", "generate", str(root), str(n))
        for what in ("report", "video"):
            r = json.loads(_child("--child", what, str(root), str(n)))
            notes = {k: v for k, v in r.items() if k not in (
                "what", "seconds", "rss_after_imports_mb", "peak_rss_mb")}
            print(f"{n:>6} {what:>6} {r['seconds']:>8.1f} {n / r['seconds']:>9.1f} "
                  f"{r['rss_after_imports_mb']:>15.0f} MB {r['peak_rss_mb']:>6.0f} MB  {notes}",
                  flush=True)
    if not args.keep:
        import shutil

        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
