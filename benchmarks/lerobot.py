"""LeRobot datasets: decoding speed against a PNG folder of the same frames, and the
lerobot mask export (round-trip IoU, bytes per frame) on real episodes.

Uses ../shared/data/lerobot_g1 (LeRobot v2.1, AV1 640x480, episodes 1, 2 and 4): decodes
every episode through robomask's LeRobot source and through a PNG folder of the same
frames, segments the episodes with the opencv backend from clicks on frame 0 (two arms,
two hands), then exports the masks as a ``.robot_mask`` video feature and reads it back.

    python benchmarks/lerobot.py
    python benchmarks/lerobot.py --dataset PATH --episodes 1,2 --keep /tmp/lerobot_bench
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

DEFAULT = Path("/work/shared/data/lerobot_g1")
# Clicks on frame 0 of the G1 head camera, (x, y) pixels: arm + cable, arm 2, hands.
CLICKS = {
    "ARM_CABLE_INITIAL_PROMPTS": (0, [(600, 300), (610, 400), (450, 350)], [1, 1, 0]),
    "ARM_CABLE_2_INITIAL_PROMPTS": (1, [(120, 330), (40, 420), (300, 350)], [1, 1, 0]),
    "GRIPPER_LEFT_KEYFRAME_PROMPTS": (2, [(140, 150), (230, 120), (240, 185)], [1, 1, 1]),
    "GRIPPER_RIGHT_KEYFRAME_PROMPTS": (3, [(540, 120), (500, 140), (560, 170)], [1, 1, 1]),
}


def write_prompts_for(scene) -> None:
    from robomask.prompts import PromptEntry, PromptSet, write_prompts

    for path, keys in ((scene.arm_prompts_path, ("ARM_CABLE_INITIAL_PROMPTS",
                                                 "ARM_CABLE_2_INITIAL_PROMPTS")),
                       (scene.gripper_prompts_path, ("GRIPPER_LEFT_KEYFRAME_PROMPTS",
                                                     "GRIPPER_RIGHT_KEYFRAME_PROMPTS"))):
        ps = PromptSet()
        for key in keys:
            obj, pts, labels = CLICKS[key]
            ps.entries[key] = [PromptEntry(0, obj, tuple(map(tuple, pts)), tuple(labels))]
        write_prompts(path, ps)


def decode_rates(scene, png_dir: Path) -> dict[str, float]:
    """Frames/s reading the episode in order and ms per random frame, from the dataset's
    video and from a PNG folder of the same frames."""
    import cv2

    from robomask.io.frames import FolderFrames

    frames = scene.frames()
    png_dir.mkdir(parents=True, exist_ok=True)
    for i, rgb in enumerate(frames):
        cv2.imwrite(str(png_dir / f"{i:05d}.png"), rgb[..., ::-1])
    out = {"frames": len(frames)}
    picks = random.Random(0).sample(range(len(frames)), 30)
    for name, opener in (("lerobot", scene.frames), ("png", lambda: FolderFrames(png_dir))):
        src = opener()
        t0 = time.perf_counter()
        for _ in src:
            pass
        out[f"{name}_fps"] = len(src) / (time.perf_counter() - t0)
        src = opener()
        t0 = time.perf_counter()
        for i in picks:
            src[i]
        out[f"{name}_random_ms"] = 1000 * (time.perf_counter() - t0) / len(picks)
    return out


CODECS = [("libx264", {"qp": "0", "g": "2", "preset": "veryfast"}),  # what the export uses
          ("libx264", {"crf": "18", "g": "2"}),
          ("libsvtav1", {"crf": "30", "g": "2", "preset": "10"}),  # LeRobot's default
          ("libsvtav1", {"crf": "10", "g": "2", "preset": "10"})]


def codec_table(scene, work: Path) -> list[dict]:
    """Round-trip IoU and bytes per frame of the episode's export masks per encoder."""
    from robomask.export.lerobot_video import encode_masks, read_back

    frames = scene.frames()
    store = scene.store("export", frames)
    masks = [store.read(i) for i in range(len(store))]
    rows = []
    for encoder, options in CODECS:
        path = work / f"codec_{encoder}_{'_'.join(options.values())}.mp4"
        size = encode_masks(path, masks, frames.timestamps, 30.0, frames.size_wh,
                            encoder=encoder, options=options)
        check = read_back(path, masks, frames.timestamps)
        rows.append({"encoder": encoder, "options": options, "min_iou": check.min_iou,
                     "bytes_per_frame": round(size / len(masks), 1)})
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", type=Path, default=DEFAULT)
    ap.add_argument("--episodes", default="1,2,4")
    ap.add_argument("--keep", type=Path, help="work folder to keep (default: a temp folder)")
    args = ap.parse_args()
    if not (args.dataset / "meta" / "info.json").is_file():
        print(f"skipped: no LeRobot dataset at {args.dataset}")
        return 0
    from robomask.config import config_from_dict
    from robomask.export.lerobot import export_lerobot
    from robomask.pipeline.runner import Pipeline
    from robomask.scenes import select_scenes

    work = args.keep or Path(tempfile.mkdtemp(prefix="lerobot_bench_"))
    cfg = config_from_dict({"export_base_dir": str(work / "out"), "backend": "opencv",
                            "arm_obj_id_2": 1, "dataset": {
                                "format": "lerobot", "root": str(args.dataset.resolve()),
                                "episodes": args.episodes}})
    scenes = select_scenes(cfg, ["*"])
    results: dict = {"decode": {}, "segment_s": {}}
    for s in scenes:
        results["decode"][s.name] = decode_rates(s, work / "png" / s.name)
        write_prompts_for(s)
    with Pipeline(cfg) as pipe:
        for s in scenes:
            t0 = time.perf_counter()
            reports = pipe.run(s)  # with --keep, a second run reuses the masks
            failed = [r for r in reports if r.status == "failed"]
            if failed:
                print(f"{s.name}: {failed[0].stage} failed: {failed[0].message}")
                return 1
            results["segment_s"][s.name] = round(time.perf_counter() - t0, 1)
    ex = export_lerobot(cfg, scenes, work / "copy", force=True)
    results["export"] = {"frames": ex.frames, "seconds": round(ex.seconds, 2),
                         "frames_per_s": round(ex.frames / ex.seconds, 1),
                         "bytes_per_frame": round(ex.bytes_per_frame, 1),
                         "min_iou": ex.min_iou, "max_time_error_s": ex.max_time_error_s,
                         "videos": [str(v.path) for v in ex.videos]}
    results["codecs"] = codec_table(scenes[0], work)
    json.dump(results, sys.stdout, indent=2, default=float)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
