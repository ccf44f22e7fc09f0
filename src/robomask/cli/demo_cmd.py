"""``robomask demo``: the whole pipeline on a synthetic scene, on any laptop."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from robomask.cli.common import ProgressView, console, say
from robomask.cli.run_cmds import print_summary


def demo(
    directory: Annotated[Path, typer.Option("--dir", help="Where to write the demo.")] = Path(
        "robomask_demo"),
    force: Annotated[bool, typer.Option(
        "--force", help="Overwrite files in --dir that the demo did not write; redo every "
        "stage.")] = False,
    kind: Annotated[str, typer.Option(
        "--kind", help="kinematic: zero clicks, prompts made from a URDF render (needs "
        "pip install 'robomask\\[kinematics]'); clicks: prompt files with clicks; auto: "
        "kinematic when installed, else clicks.")] = "auto",
) -> None:
    """Make a synthetic robot scene and run arm, gripper and merge on it (opencv backend)."""
    from robomask._optional import available
    from robomask.demo.job import run_demo

    if kind not in ("auto", "kinematic", "clicks"):
        raise typer.BadParameter(f"expected auto, kinematic or clicks, got {kind!r}",
                                 param_hint="--kind")
    if kind == "auto":
        kind = "kinematic" if available("yourdfpy") and available("trimesh") else "clicks"
        if kind == "clicks":
            say("the zero-click kinematic demo needs pip install 'robomask[kinematics]'; "
                "running the click demo")
    what = ("a URDF, joint angles and a camera, no clicks" if kind == "kinematic"
            else "clicks in its prompt files")
    say(f"writing the synthetic demo scene ({what}) under {directory}/ ...")
    with ProgressView() as view:
        result = run_demo(directory, force=force, kind=kind,  # type: ignore[arg-type]
                          on_progress=view)
    print_summary(result.reports)
    for output, value in result.iou.items():
        console.print(f"IoU vs ground truth, {output:8s}: {value:.3f}")
    s, cfg = result.scene, result.config_path
    console.print(f"\nframes:   {s.frames_path}\n"
                  f"prompts:  {s.arm_prompts_path}\n          {s.gripper_prompts_path}\n"
                  f"sessions: {s.mask_dir('arm')}/\n          {s.mask_dir('gripper')}/\n"
                  f"exported: {s.mask_dir('export')}/\n"
                  f"config:   {cfg}\n\nnext:\n"
                  f"  robomask report   --config {cfg} --scene {s.name}   # QA report\n"
                  f"  robomask annotate --config {cfg} --scene {s.name}   # click, see masks"
                  " (needs pip install 'robomask[ui]')\n"
                  f"  robomask run      --config {cfg} --scene {s.name} --force"
                  + (f"\n  robomask render   --config {cfg} --scene {s.name}   # the render "
                     "alone: check a calibration" if kind == "kinematic" else ""),
                  highlight=False, markup=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.command()(demo)
