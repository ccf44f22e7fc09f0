"""Click-to-mask quality of the opencv backend on real robot photos (no tracking).

Scores the mask that one ``add_clicks`` call gives (what the annotation UI previews)
against a real whole-robot mask: ../shared/data/franka_easyhec (10 poses of a white
Franka arm against a white wall, 640x480, masks from a calibration tool). Clicks are
simulated from the ground truth with ``robomask.demo.clicks_from_mask`` (positives
spread over the robot, negatives on a ring of background around it), as a user would
click a robot link by link.

    python benchmarks/clicks_real.py [--data ../shared/data/franka_easyhec] [--clicks 5 10]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2
import numpy as np

from robomask.backends.opencv import OpenCVBackend
from robomask.demo.clicks import clicks_from_mask
from robomask.io.frames import FolderFrames
from robomask.masks import mask_iou

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "data" / "franka_easyhec"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT)
    parser.add_argument("--clicks", type=int, nargs="+", default=[5, 10],
                        help="positive (= negative) clicks per image")
    args = parser.parse_args()
    if not (args.data / "frames").is_dir():
        print(f"skipped: {args.data}/frames not found (the dev data is not on this machine)")
        sys.exit(0)
    cv2.setNumThreads(1)
    frames = FolderFrames(args.data / "frames")
    masks = [cv2.imread(str(args.data / "masks" / f"{s}.png"), cv2.IMREAD_GRAYSCALE) > 0
             for s in frames.stems]
    print(f"{len(frames)} images {frames.size_wh[0]}x{frames.size_wh[1]}, one core")
    print(f"{'clicks':>7} {'mean IoU':>9} {'min IoU':>8} {'median ms':>10}  per image")
    for k in args.clicks:
        ious, times = [], []
        with OpenCVBackend().open_session(frames) as session:
            for i, truth in enumerate(masks):
                pts, labels = clicks_from_mask(truth, positives=k, negatives=k)
                t0 = time.perf_counter()
                fm = session.add_clicks(i, 1, pts, labels)
                times.append((time.perf_counter() - t0) * 1000)
                pred = fm.masks[1]
                ious.append(mask_iou(pred, truth))
        print(f"{k:>4}+{k:<2} {np.mean(ious):>9.3f} {np.min(ious):>8.3f} "
              f"{np.median(times):>10.0f}  " + " ".join(f"{v:.2f}" for v in ious))


if __name__ == "__main__":
    main()
