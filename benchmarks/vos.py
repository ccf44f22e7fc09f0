"""Benchmark: the opencv backend as a video object segmenter, against a plain pipeline.

Every sequence folder under ``--davis`` (``{seq}/frames/*.jpg``, ``{seq}/masks/*.png``
0/255) is segmented from clicks simulated on frame 0's ground truth only, by two rules:

- ``centre`` (3 + 2): ``robomask.demo.central_clicks_from_mask``, 3 positives at
  distance-transform maxima in the middle of the object, 2 negatives drawn 15-60 px
  outside it (how a hurried new user clicks);
- ``spread`` (5 + 5): ``robomask.demo.clicks_from_mask``, 5 positives spread by
  farthest-point sampling over the object's interior, 5 negatives on a background ring
  1.5 %..4 % of the image diagonal away.

Two pipelines get the same clicks: robomask's opencv backend (propagating forward from
frame 0) and the plain baseline of benchmarks/plain_vos.py (GrabCut in a generous box,
DIS flow + band GrabCut, half resolution). J = mean region IoU with the ground truth
over frames 1..N-1 (DAVIS convention). Frames/s covers the propagation including frame
decoding and full-size masks, on one core: ``cv2.setNumThreads(1)``. The keyframe
latency is that of the click-to-mask step on the same clicks with the frame upscaled to
1280x720 (median of 3). Times are CPU seconds of this process (``time.process_time``):
on a machine shared with other work they do not grow with its load, as wall-clock
times do; on an idle core the two agree.

The demo scene (``make_demo_scene``, 640x360, 90 frames) is scored twice: its arm and
its gripper as sequences clicked on frame 0 only by each rule, both pipelines; and
robomask with the scene's own prompt files (clicks on frames 0, 45, 89, one per link,
cable or finger, negatives nearby): J over the frames that carry no clicks; "IoU frame
0" is its first keyframe's mask.

Usage:
    python benchmarks/vos.py [--davis /work/shared/data/davis] [--rules centre spread]
        [--stride N] [--no-demo]

``--stride N`` keeps every N-th frame of each sequence (N times the motion between
frames, as a hand-held camera or a fast arm gives).

Figures: docs/benchmarks.md, section "Video object segmentation (opencv backend)".
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from plain_vos import PlainSegmenter

from robomask.backends.opencv import OpenCVBackend
from robomask.demo import central_clicks_from_mask, clicks_from_mask, make_demo_scene
from robomask.io.frames import open_frames
from robomask.masks import mask_iou
from robomask.prompts import ARM_KEY, RIGHT_KEY, read_prompts
from robomask.scenes import ARM_PROMPTS_FILE, GRIPPER_PROMPTS_FILE

Clicks = tuple[np.ndarray, np.ndarray]
RULES: dict[str, Callable[[np.ndarray], Clicks]] = {
    "centre": lambda m: central_clicks_from_mask(m, positives=3, negatives=2),
    "spread": lambda m: clicks_from_mask(m, positives=5, negatives=5),
}
RULE_NAMES = {"centre": "centre-heavy 3 + 2", "spread": "spread 5 + 5"}


def run_robomask(frames, clicks: Clicks) -> tuple[np.ndarray, list[np.ndarray], float]:
    """(keyframe mask, masks of frames 1..N-1, seconds of the propagation)."""
    with OpenCVBackend().open_session(frames) as session:
        first = session.add_clicks(0, 1, *clicks).masks[1]
        t0 = time.process_time()
        masks = [fm.masks[1] for fm in session.propagate(direction="forward")
                 if fm.frame_index > 0]
        return first, masks, time.process_time() - t0


def run_plain(frames, clicks: Clicks) -> tuple[np.ndarray, list[np.ndarray], float]:
    plain = PlainSegmenter()
    first = plain.keyframe(frames[0], *clicks)
    t0 = time.process_time()
    masks = list(plain.track((frames[i] for i in range(len(frames))), first))
    return first, masks, time.process_time() - t0


PIPELINES = {"robomask": run_robomask, "plain": run_plain}


def davis_sequence(folder: Path, rule: str, pipeline: str, stride: int = 1) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        frame_dir = folder / "frames"
        if stride > 1:  # every stride-th frame: faster motion, longer gaps
            frame_dir = Path(tmp)
            for f in sorted((folder / "frames").iterdir())[::stride]:
                (frame_dir / f.name).symlink_to(f.resolve())
        truth = [cv2.imread(str(p), cv2.IMREAD_GRAYSCALE) > 127
                 for p in sorted((folder / "masks").glob("*.png"))[::stride]]
        return _score(open_frames(frame_dir), truth, rule, pipeline)


def _score(frames, truth: list[np.ndarray], rule: str, pipeline: str) -> dict[str, float]:
    clicks = RULES[rule](truth[0])
    first, masks, seconds = PIPELINES[pipeline](frames, clicks)
    ious = [mask_iou(m, t) for m, t in zip(masks, truth[1:], strict=True)]
    return {"J": statistics.fmean(ious), "first": mask_iou(first, truth[0]),
            "fps": len(ious) / seconds, "frames": len(frames),
            "latency_ms": keyframe_latency(frames[0], truth[0].shape, clicks, pipeline)}


def keyframe_latency(rgb: np.ndarray, shape_hw: tuple[int, int], clicks: Clicks,
                     pipeline: str) -> float:
    """Median ms of the click-to-mask step on the frame upscaled to 1280x720 (3 runs)."""
    h, w = shape_hw
    big = cv2.resize(rgb, (1280, 720), interpolation=cv2.INTER_LINEAR)
    points, labels = clicks[0] * np.array([1280 / w, 720 / h]), clicks[1]
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        cv2.imwrite(str(Path(tmp) / "0.png"), big[..., ::-1])
        with OpenCVBackend().open_session(open_frames(Path(tmp))) as session:
            for _ in range(3):
                t0 = time.process_time()
                if pipeline == "robomask":
                    session.add_clicks(0, 1, points, labels)
                else:
                    PlainSegmenter().keyframe(big, points, labels)
                times.append(time.process_time() - t0)
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
            t0 = time.process_time()
            ious = [mask_iou(fm.union(), demo.ground_truth(kind, fm.frame_index))
                    for fm in session.propagate() if fm.frame_index not in demo.keyframes]
            seconds = time.process_time() - t0
    return {"J": statistics.fmean(ious), "min": min(ious), "first": first[0],
            "fps": demo.num_frames / seconds, "frames": demo.num_frames}


def davis_table(root: Path, rules: list[str], stride: int) -> None:
    folders = sorted(p for p in root.iterdir()
                     if (p / "frames").is_dir() and (p / "masks").is_dir())
    for rule in rules:
        every = f", every {stride}th frame" if stride > 1 else ""
        print(f"\n{RULE_NAMES[rule]} clicks on frame 0{every}:\n")
        print("| sequence | frames | J robomask | J plain | IoU frame 0 robomask | IoU frame 0 "
              "plain | frames/s robomask | frames/s plain | keyframe 1280x720 ms robomask "
              "| ms plain |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        js: dict[str, list[float]] = {p: [] for p in PIPELINES}
        for folder in folders:
            r = {p: davis_sequence(folder, rule, p, stride) for p in PIPELINES}
            for p in PIPELINES:
                js[p].append(r[p]["J"])
            a, b = r["robomask"], r["plain"]
            print(f"| {folder.name} | {a['frames']} | {a['J']:.3f} | {b['J']:.3f} | "
                  f"{a['first']:.3f} | {b['first']:.3f} | {a['fps']:.1f} | {b['fps']:.1f} | "
                  f"{a['latency_ms']:.0f} | {b['latency_ms']:.0f} |", flush=True)
        if folders:
            ja, jb = statistics.fmean(js["robomask"]), statistics.fmean(js["plain"])
            print(f"| **mean** | | **{ja:.3f}** | **{jb:.3f}** (robomask / plain "
                  f"{ja / max(jb, 1e-9):.2f}x) | | | | | | |")


def demo_table(rules: list[str]) -> None:
    """The demo scene's arm and gripper as two sequences, clicked on frame 0 by each rule."""
    print("\n| demo scene, clicks on frame 0 only | J robomask | J plain | IoU frame 0 "
          "robomask | IoU frame 0 plain |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        demo = make_demo_scene(Path(tmp))
        frames = open_frames(demo.camera_dir / "color")
        for kind in ("arm", "gripper"):
            truth = [demo.ground_truth(kind, i) for i in range(demo.num_frames)]
            for rule in rules:
                a, b = (_score(frames, truth, rule, p) for p in ("robomask", "plain"))
                print(f"| demo {kind}, {RULE_NAMES[rule]} | {a['J']:.3f} | {b['J']:.3f} | "
                      f"{a['first']:.3f} | {b['first']:.3f} |", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--davis", type=Path, default=Path("/work/shared/data/davis"))
    parser.add_argument("--rules", nargs="+", choices=list(RULES), default=list(RULES))
    parser.add_argument("--stride", type=int, default=1,
                        help="keep every N-th frame (faster motion, as a hand-held camera)")
    parser.add_argument("--no-demo", action="store_true", help="skip the demo scene rows")
    args = parser.parse_args()
    cv2.setNumThreads(1)
    print(f"# opencv backend vs plain baseline, one core (cv2.setNumThreads(1)); "
          f"OpenCV {cv2.__version__}, {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}")
    if args.davis.is_dir():
        davis_table(args.davis, args.rules, max(1, args.stride))
    else:
        print(f"\n(DAVIS skipped: expected sequences under {args.davis}, got no such folder)")
    if args.no_demo:
        return 0
    demo_table(args.rules)
    print("\n| demo scene (robomask, 3 keyframes) | frames | J | min IoU | IoU frame 0 | "
          "frames/s (both passes) |")
    print("|---|---|---|---|---|---|")
    for kind in ("arm", "gripper"):
        r = demo_scene(kind)
        print(f"| demo {kind} 640x360 | {r['frames']} | {r['J']:.3f} | {r['min']:.3f} | "
              f"{r['first']:.3f} | {r['fps']:.1f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
