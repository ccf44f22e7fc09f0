"""``robomask demo``: make the synthetic scene, run the whole pipeline, score it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from robomask.config import load_config
from robomask.io.maskstore import MaskStore
from robomask.masks import mask_iou
from robomask.pipeline.merge import merge_frame
from robomask.pipeline.runner import Pipeline, StageReport
from robomask.progress import ProgressCallback
from robomask.scenes import Scene, scene

DEMO_SCENE = "scene_0001"
DemoKind = Literal["clicks", "kinematic"]


@dataclass(frozen=True)
class DemoReport:
    """Outcome of the demo.

    Attributes:
        scene: The demo scene's paths (outputs under ``scene.output_dir``).
        config_path: The generated mask_config.yaml.
        reports: Stage reports of the run.
        iou: Mean IoU over frames against ground truth, for ``arm``, ``gripper`` (session
            masks) and ``export`` (the merge rule applied to the ground truth).
    """

    scene: Scene
    config_path: Path
    reports: list[StageReport]
    iou: dict[str, float]


def run_demo(root: Path, *, force: bool = False, kind: DemoKind = "clicks",
             on_progress: ProgressCallback | None = None) -> DemoReport:
    """Write a demo scene under ``root`` and run arm, gripper and merge on it.

    ``kind``: ``clicks`` (the scene with hand-placed clicks in its prompt files) or
    ``kinematic`` (a URDF, joint angles and a camera, no prompt files: the clicks are
    made from the render; needs the ``kinematics`` extra).

    A second call finds every stage done and skips it (the scene is regenerated
    byte-identically), unless ``force``, which also overwrites files in ``root`` that
    the demo did not write (without it they stop the demo).

    Raises:
        OverwriteError: A file in the way is not the demo's and ``force`` is off.
    """
    if kind == "kinematic":
        from robomask.demo.kinematic import make_kinematic_scene as make
    else:
        from robomask.demo import make_demo_scene as make

    demo = make(Path(root), force=force)
    config_path = Path(root) / "mask_config.yaml"
    cfg = load_config(config_path)
    with Pipeline(cfg) as pipe:
        reports = pipe.run(DEMO_SCENE, force=force, on_progress=on_progress)
    s = scene(cfg, DEMO_SCENE)
    iou: dict[str, float] = {}
    if all(r.status != "failed" for r in reports):
        frames = s.frames()
        gt = {k: MaskStore(Path(root) / "ground_truth" / DEMO_SCENE / k, size_wh=frames.size_wh,
                           stems=frames.stems) for k in ("arm", "gripper")}
        scores: dict[str, list[float]] = {"arm": [], "gripper": [], "export": []}
        for i in range(len(frames)):
            arm, grip = gt["arm"].read(i), gt["gripper"].read(i)
            truth = {"arm": arm, "gripper": grip, "export": merge_frame(arm, grip, cfg)}
            for kind in scores:
                scores[kind].append(mask_iou(s.store(kind, frames).read(i), truth[kind]))
        iou = {k: float(np.mean(v)) for k, v in scores.items()}
    del demo
    return DemoReport(s, config_path, reports, iou)
