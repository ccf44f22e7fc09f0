"""Benchmark: the opencv backend as a video object segmenter, on DAVIS and the demo scene.

Clicks are simulated from the ground truth of the first frame only, by
``robomask.demo.clicks_from_mask`` (``--positives`` points spread by farthest-point
sampling over the object's interior, ``--negatives`` points spread over a background
ring 1.5 %..4 % of the image diagonal away from it). The session propagates forward from
frame 0; J = mean region IoU with the ground truth over frames 1..N-1 (DAVIS
convention). Frames/s covers the propagation including frame decoding and full-size
masks, on one core: ``cv2.setNumThreads(1)`` (OpenBLAS/OMP thread variables do not
affect OpenCV's own thread pool, so they are left alone). The keyframe latency is that
of ``add_clicks`` on the same clicks with the frame upscaled to 1280x720.

The demo scene (``make_demo_scene``, 640x360, 90 frames) is scored with its own prompt
files (clicks on frames 0, 45, 89, one per link, cable or finger, negatives nearby): J
over the frames that carry no clicks; "IoU frame 0" is its first keyframe's mask.

DAVIS sequences are read from ``--davis`` (``{seq}/frames/*.jpg``, ``{seq}/masks/*.png``
0/255); when that folder is missing the DAVIS part is skipped with a message.

Usage:
    python benchmarks/vos.py [--davis /work/shared/data/davis] [--positives 5]
        [--negatives 5]

Figures: docs/benchmarks.md, section "Video object segmentation (opencv backend)".
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from robomask.backends.opencv import OpenCVBackend
from robomask.demo import clicks_from_mask, make_demo_scene
from robomask.io.frames import open_frames
from robomask.masks import mask_iou
from robomask.prompts import ARM_KEY, RIGHT_KEY, read_prompts
from robomask.scenes import ARM_PROMPTS_FILE, GRIPPER_PROMPTS_FILE

SEQUENCES = ("blackswan", "car-shadow", "dog")


def davis_sequence(folder: Path, positives: int, negatives: int) -> dict[str, float]:
    frames = open_frames(folder / "frames")
    gts = sorted((folder / "masks").glob("*.png"))
    truth = [cv2.imread(str(p), cv2.IMREAD_GRAYSCALE) > 127 for p in gts]
    points, labels = clicks_from_mask(truth[0], positives=positives, negatives=negatives)
    with OpenCVBackend().open_session(frames) as session:
        first = session.add_clicks(0, 1, points, labels).masks[1]
        t0 = time.perf_counter()
        ious = [mask_iou(fm.masks[1], truth[fm.frame_index])
                for fm in session.propagate(direction="forward") if fm.frame_index > 0]
        seconds = time.perf_counter() - t0
    return {"J": statistics.fmean(ious), "min": min(ious), "first": mask_iou(first, truth[0]),
            "fps": len(ious) / seconds, "frames": len(frames),
            "latency_ms": keyframe_latency(frames[0], truth[0], points, labels)}


def keyframe_latency(rgb: np.ndarray, truth: np.ndarray, points: np.ndarray,
                     labels: np.ndarray) -> float:
    """Median ms of ``add_clicks`` on the frame upscaled to 1280x720 (3 runs)."""
    h, w = truth.shape
    with tempfile.TemporaryDirectory() as tmp:
        big = cv2.resize(rgb, (1280, 720), interpolation=cv2.INTER_LINEAR)
        cv2.imwrite(str(Path(tmp) / "0.png"), big[..., ::-1])
        scaled = points * np.array([1280 / w, 720 / h])
        with OpenCVBackend().open_session(open_frames(Path(tmp))) as session:
            times = []
            for _ in range(3):
                t0 = time.perf_counter()
                session.add_clicks(0, 1, scaled, labels)
                times.append(time.perf_counter() - t0)
    return 1000 * statistics.median(times)


def demo_scene(kind: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        demo = make_demo_scene(Path(tmp))
        frames = open_frames(demo.camera_dir / "color")
        file, key = {"arm": (ARM_PROMPTS_FILE, ARM_KEY),
                     "gripper": (GRIPPER_PROMPTS_FILE, RIGHT_KEY)}[kind]
        entries = read_prompts(demo.camera_dir / file)[key]
        with OpenCVBackend().open_session(frames) as session:
            first = [mask_iou(session.add_clicks(e.frame_index, e.obj_id,
                                            e.points_px(frames.size_wh),
                                            np.array(e.labels)).masks[e.obj_id],
                         demo.ground_truth(kind, e.frame_index)) for e in entries]
            t0 = time.perf_counter()
            ious = [mask_iou(fm.union(), demo.ground_truth(kind, fm.frame_index))
                    for fm in session.propagate() if fm.frame_index not in demo.keyframes]
            seconds = time.perf_counter() - t0
    return {"J": statistics.fmean(ious), "min": min(ious), "first": first[0],
            "fps": demo.num_frames / seconds, "frames": demo.num_frames}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--davis", type=Path, default=Path("/work/shared/data/davis"))
    parser.add_argument("--positives", type=int, default=5)
    parser.add_argument("--negatives", type=int, default=5)
    args = parser.parse_args()
    cv2.setNumThreads(1)
    print(f"# opencv backend, one core (cv2.setNumThreads(1)); OpenCV {cv2.__version__}, "
          f"{platform.processor() or platform.machine()}, Python {platform.python_version()}")
    print(f"# clicks: {args.positives} positive + {args.negatives} negative on frame 0\n")
    print("| sequence | size | frames | J (mean IoU, frames 1..N-1) | min IoU | IoU frame 0 "
          "| frames/s | add_clicks 1280x720 (ms) |")
    print("|---|---|---|---|---|---|---|---|")
    js = []
    if not args.davis.is_dir():
        print(f"\n(DAVIS skipped: expected sequences under {args.davis}, got no such folder)")
    else:
        for name in SEQUENCES:
            if not (args.davis / name / "frames").is_dir():
                print(f"| {name} | skipped: {args.davis / name} missing | | | | | | |")
                continue
            r = davis_sequence(args.davis / name, args.positives, args.negatives)
            js.append(r["J"])
            print(f"| {name} | 854x480 | {r['frames']} | {r['J']:.3f} | {r['min']:.3f} | "
                  f"{r['first']:.3f} | {r['fps']:.1f} | {r['latency_ms']:.0f} |", flush=True)
        if js:
            print(f"| **DAVIS mean** | | | **{statistics.fmean(js):.3f}** | | | | |")
    for kind in ("arm", "gripper"):
        r = demo_scene(kind)
        print(f"| demo {kind} (3 keyframes) | 640x360 | {r['frames']} | {r['J']:.3f} | "
              f"{r['min']:.3f} | {r['first']:.3f} | {r['fps']:.1f} (both passes) | |",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
