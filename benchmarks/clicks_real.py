"""Click-to-mask quality on real robot photos (no tracking): robomask's opencv backend
against the plain baseline of benchmarks/plain_vos.py.

Scores the mask that one ``add_clicks`` call gives (what the annotation UI previews)
against real whole-robot masks, in two data sets of /work/shared/data:

- franka_easyhec: 10 poses of a white Franka arm against a white wall, 640x480, masks
  from a calibration tool;
- xarm_roboreg: 10 poses of an xArm7, 1280x720, a second arm unmasked behind it, SAM2
  masks.

Clicks are simulated from the ground truth by the two rules of benchmarks/vos.py:
``centre`` (3 positives at distance-transform maxima in the middle of the robot, 2
negatives 15-60 px outside it) and ``spread`` (5 positives by farthest-point sampling
over the robot, 5 negatives on a ring around it). One core (``cv2.setNumThreads(1)``);
times are CPU milliseconds of this process (``time.process_time``, see benchmarks/vos.py).

    python benchmarks/clicks_real.py [--data /work/shared/data]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np
from plain_vos import PlainSegmenter
from vos import RULE_NAMES, RULES

from robomask.backends.opencv import OpenCVBackend
from robomask.io.frames import FolderFrames
from robomask.masks import mask_iou

DEFAULT = Path("/work/shared/data")
SETS = {  # folder: mask file name of a frame stem
    "franka_easyhec": "{}.png",
    "xarm_roboreg": "mask_sam2_{}.png",
}


def score(frames: FolderFrames, masks: list[np.ndarray], rule: str,
          pipeline: str) -> tuple[list[float], float]:
    """IoU per image and the median milliseconds of one click-to-mask."""
    ious, times = [], []
    with OpenCVBackend().open_session(frames) as session:
        for i, truth in enumerate(masks):
            points, labels = RULES[rule](truth)
            t0 = time.process_time()
            if pipeline == "robomask":
                pred = session.add_clicks(i, 1, points, labels).masks[1]
            else:
                pred = PlainSegmenter().keyframe(frames[i], points, labels)
            times.append((time.process_time() - t0) * 1000)
            ious.append(mask_iou(pred, truth))
    return ious, statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT)
    args = parser.parse_args()
    cv2.setNumThreads(1)
    print("| data | clicks | mean IoU robomask | mean IoU plain | min robomask | min plain "
          "| median ms robomask | median ms plain |")
    print("|---|---|---|---|---|---|---|---|")
    for name, mask_name in SETS.items():
        folder = args.data / name
        if not (folder / "frames").is_dir():
            print(f"| {name} | skipped: {folder}/frames not found | | | | | | |")
            continue
        frames = FolderFrames(folder / "frames")
        masks = [cv2.imread(str(folder / "masks" / mask_name.format(s)), cv2.IMREAD_GRAYSCALE) > 0
                 for s in frames.stems]
        size = f"{frames.size_wh[0]}x{frames.size_wh[1]}"
        for rule in RULES:
            a, ta = score(frames, masks, rule, "robomask")
            b, tb = score(frames, masks, rule, "plain")
            print(f"| {name} ({len(masks)} images, {size}) | {RULE_NAMES[rule]} | "
                  f"{np.mean(a):.3f} | {np.mean(b):.3f} | {min(a):.3f} | {min(b):.3f} | "
                  f"{ta:.0f} | {tb:.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
