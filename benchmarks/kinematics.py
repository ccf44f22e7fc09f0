"""Benchmark: kinematic masks on real data (xarm_roboreg: 10 poses of an xArm7, 1280x720).

The folder (``--data``) holds frames/img_N.png, masks/mask_sam2_img_N.png (SAM2 masks of
the arm, 0/255), joint_states/joint_state_N.npy, camera_info.yaml, HT_hydra_robust.npy
(camera pose in the base frame, ROS camera_link axes) and urdf/xarm7.urdf with STL
meshes. It is laid out as a robomask scene in a temporary folder (links, no copies of
frames) with a ``kinematics:`` section, and measured:

1. render IoU: the render of every frame against its SAM2 mask (mesh_faces 800 and 3000),
   and with ``refine_px`` 2 and 4 (the outline moved onto image edges, GrabCut in a band);
2. render speed: labels of the 7-link arm (8 meshed links) at 1280x720 on one core
   (``cv2.setNumThreads(1)``, BLAS pinned to one thread), 100 renders: frames per
   second of the process's CPU time (the figure for one core) and of wall time (lower
   when other processes share the machine);
3. zero-click pipeline: ``kinematics.use: prompts`` writes the arm prompt file from the
   render (every frame a keyframe: the 10 frames are unrelated poses, not a video), the
   opencv backend's arm session runs on it; IoU of its masks against the SAM2 masks,
   with the generated boxes (GrabCut's rectangle) and without them (clicks only);
4. calibration: the pose perturbed by 3 cm and 3 degrees (random directions, 3 seeds),
   refined from the masks of frames 0, 4 and 8; IoU before and after on those 3 frames
   and on all 10.

Usage:
    python benchmarks/kinematics.py [--data /work/shared/data/xarm_roboreg] [--figure IMAGE]
        [--zero-click-only]

``--figure`` writes frames 3 and 7 with the render filled red and the SAM2 mask outlined
yellow (docs/img/kinematic_xarm.jpg).

Figures: docs/kinematics.md.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import platform  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from dataclasses import replace  # noqa: E402
from pathlib import Path  # noqa: E402

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from robomask.config import load_config, render_template  # noqa: E402
from robomask.kinematics import open_scene_render  # noqa: E402
from robomask.kinematics.calibrate import pose_delta, refine_pose  # noqa: E402
from robomask.kinematics.refine import refine_objects  # noqa: E402
from robomask.masks import mask_iou  # noqa: E402
from robomask.pipeline.kinprompts import ensure_kinematic_prompts  # noqa: E402
from robomask.pipeline.runner import Pipeline  # noqa: E402
from robomask.prompts import PromptSet, generated_stats, read_prompts, write_prompts  # noqa: E402
from robomask.report.overlay import draw_label, draw_overlay  # noqa: E402
from robomask.report.preview import tile_grid  # noqa: E402
from robomask.scenes import scene  # noqa: E402

CALIB_FRAMES = (0, 4, 8)


def make_scene(data: Path, root: Path, mesh_faces: int, use: str = "check") -> Path:
    """The data as a robomask scene under ``root``; returns the config path."""
    cam = root / "data" / "xarm" / "train" / "scene_xarm" / "cam_0"
    cam.mkdir(parents=True, exist_ok=True)
    if not (cam / "color").exists():
        (cam / "color").symlink_to(data / "frames")
    shutil.copy(data / "HT_hydra_robust.npy", cam / "HT.npy")
    kinematics = {"urdf": str(data / "urdf" / "xarm7.urdf"),
                  "joint_states": str(data / "joint_states"),
                  "intrinsics": str(data / "camera_info.yaml"),
                  "camera_pose_in_base": "{cam_dir}/HT.npy", "camera_frame": "ros_body",
                  "arm_links": ["link*"], "mesh_faces": mesh_faces, "use": use,
                  "keyframe_every": 1}
    path = root / "mask_config.yaml"
    path.write_text(render_template(task_name="xarm", scene_name="scene_xarm",
                                    data_base_dir=str(root / "data"),
                                    export_base_dir=str(root / "out"), camera="0",
                                    backend="opencv", sam3_checkpoint=None,
                                    kinematics=kinematics))
    return path


def truth(data: Path) -> list[np.ndarray]:
    return [cv2.imread(str(data / "masks" / f"mask_sam2_img_{i}.png"), 0) > 0
            for i in range(10)]


def render_iou(config_path: Path, gt: list[np.ndarray]
               ) -> tuple[list[float], float, float]:
    cfg = load_config(config_path)
    sr = open_scene_render(cfg, scene(cfg, "scene_xarm"))
    ious = [mask_iou(sr.labels(i) > 0, gt[i]) for i in range(len(gt))]
    sr.labels(0)
    t0, c0 = time.perf_counter(), time.process_time()
    for k in range(100):
        sr.labels(k % len(gt))
    return ious, 100 / (time.process_time() - c0), 100 / (time.perf_counter() - t0)


def refined_iou(config_path: Path, gt: list[np.ndarray], radius_px: int
                ) -> tuple[float, float]:
    """Mean IoU of the refined render and seconds per frame."""
    cfg = load_config(config_path)
    sc = scene(cfg, "scene_xarm")
    sr, frames = open_scene_render(cfg, sc), sc.frames()
    t0, ious = time.perf_counter(), []
    for i in range(len(gt)):
        masks = refine_objects(frames[i], sr.frame_masks(i).masks, radius_px)
        ious.append(mask_iou(masks[cfg.arm_obj_id], gt[i]))
    return float(np.mean(ious)), (time.perf_counter() - t0) / len(gt)


def zero_click(config_path: Path, gt: list[np.ndarray], *,
               boxes: bool = True) -> tuple[list[float], float]:
    """The arm session on generated prompts; ``boxes`` False drops their boxes first
    (the file keeps its generated stats, so it is not made again)."""
    cfg = load_config(config_path)
    t0 = time.perf_counter()
    if not boxes:
        sc = scene(cfg, "scene_xarm")
        ensure_kinematic_prompts(sc, cfg)
        path = sc.arm_prompts_path
        made = read_prompts(path)
        write_prompts(path, PromptSet({k: [replace(e, box=None) for e in v]
                                       for k, v in made.entries.items()}),
                      extra_stats=generated_stats(path))
    with Pipeline(cfg) as pipe:
        pipe.segment("scene_xarm", "arm", force=True)
    seconds = time.perf_counter() - t0
    sc = scene(cfg, "scene_xarm")
    store = sc.store("arm", sc.frames())
    return [mask_iou(store.read(i), gt[i]) for i in range(len(gt))], seconds


def calibration(config_path: Path, gt: list[np.ndarray], seed: int) -> dict[str, float]:
    cfg = load_config(config_path)
    sr = open_scene_render(cfg, scene(cfg, "scene_xarm"))
    good = sr.renderer.camera.base_to_optical
    rng = np.random.default_rng(seed)
    rot, shift = rng.normal(size=3), rng.normal(size=3)
    delta = np.r_[rot / np.linalg.norm(rot) * np.radians(3), shift / np.linalg.norm(shift) * 0.03]
    sr.renderer.camera = sr.renderer.camera.with_base_to_optical(pose_delta(delta) @ good)
    all_before = float(np.mean([mask_iou(sr.labels(i) > 0, gt[i]) for i in range(10)]))
    cal = refine_pose(sr, {i: gt[i] for i in CALIB_FRAMES})
    sr.renderer.camera = sr.renderer.camera.with_base_to_optical(cal.base_to_optical)
    all_after = float(np.mean([mask_iou(sr.labels(i) > 0, gt[i]) for i in range(10)]))
    err = np.linalg.inv(good) @ cal.base_to_optical
    return {"before3": cal.iou_before, "after3": cal.iou_after, "before10": all_before,
            "after10": all_after, "seconds": cal.seconds, "renders": cal.evaluations,
            "t_err_cm": float(np.linalg.norm(err[:3, 3]) * 100),
            "r_err_deg": float(np.degrees(np.linalg.norm(cv2.Rodrigues(err[:3, :3])[0])))}


def figure(config_path: Path, data: Path, gt: list[np.ndarray], out: Path) -> None:
    cfg = load_config(config_path)
    sr = open_scene_render(cfg, scene(cfg, "scene_xarm"))
    tiles = []
    for i in (3, 7):
        rgb = cv2.imread(str(data / "frames" / f"img_{i}.png"))[..., ::-1]
        tile = draw_overlay(rgb, {"arm": sr.labels(i) > 0, "export": gt[i]}, thickness=3)
        tiles.append(draw_label(cv2.resize(tile, (640, 360), interpolation=cv2.INTER_AREA),
                                f"frame {i}: render (red), SAM2 mask (yellow)"))
    ok, buf = cv2.imencode(out.suffix, tile_grid(tiles, 2)[..., ::-1])
    if ok:
        out.write_bytes(buf.tobytes())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("/work/shared/data/xarm_roboreg"))
    ap.add_argument("--figure", type=Path, help="write the overlay figure to this PNG")
    ap.add_argument("--zero-click-only", action="store_true",
                    help="measure the zero-click pipeline (with and without boxes) only")
    args = ap.parse_args()
    if not (args.data / "urdf" / "xarm7.urdf").is_file():
        print(f"skipped: no xarm_roboreg data at {args.data}")
        return
    cv2.setNumThreads(1)
    gt = truth(args.data)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
          f"data: {args.data} (10 frames, 1280x720)")
    with tempfile.TemporaryDirectory() as tmp:
        if args.figure:
            figure(make_scene(args.data, Path(tmp) / "fig", 800), args.data, gt, args.figure)
        for faces in () if args.zero_click_only else (800, 3000):
            ious, cpu_fps, wall_fps = render_iou(
                make_scene(args.data, Path(tmp) / f"f{faces}", faces), gt)
            print(f"render, mesh_faces {faces}: IoU mean {np.mean(ious):.3f} (min "
                  f"{min(ious):.3f}, max {max(ious):.3f}); {cpu_fps:.1f} frames per CPU "
                  f"second on one core ({wall_fps:.1f} frames/s wall)")
        for radius in () if args.zero_click_only else (2, 4):
            iou, per_frame = refined_iou(Path(tmp) / "f800" / "mask_config.yaml", gt, radius)
            print(f"render + refine_px {radius}: IoU mean {iou:.3f}; {per_frame:.2f} s/frame")
        for boxes in (True, False):
            ious, seconds = zero_click(make_scene(args.data, Path(tmp) / f"zc{boxes}", 800,
                                                  "prompts"), gt, boxes=boxes)
            print(f"zero-click arm session (opencv, kinematic prompts, "
                  f"{'clicks + boxes' if boxes else 'clicks only'}): IoU mean "
                  f"{np.mean(ious):.3f} (min {min(ious):.3f}); {seconds:.1f} s incl. prompts")
        if args.zero_click_only:
            return
        path = make_scene(args.data, Path(tmp) / "cal", 800)
        rows = [calibration(path, gt, seed) for seed in range(3)]
        for k, r in enumerate(rows):
            print(f"calibration seed {k}: IoU frames {CALIB_FRAMES} {r['before3']:.3f} -> "
                  f"{r['after3']:.3f}; all 10 frames {r['before10']:.3f} -> "
                  f"{r['after10']:.3f}; pose error after {r['t_err_cm']:.2f} cm, "
                  f"{r['r_err_deg']:.2f} deg; {r['renders']} renders, {r['seconds']:.1f} s")
        mean = {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}
        print(f"calibration mean: 3 frames {mean['before3']:.3f} -> {mean['after3']:.3f}; "
              f"10 frames {mean['before10']:.3f} -> {mean['after10']:.3f}")


if __name__ == "__main__":
    main()
