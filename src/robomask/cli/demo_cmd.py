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
) -> None:
    """Make a synthetic robot scene and run arm, gripper and merge on it (opencv backend)."""
    from robomask.demo.job import run_demo

    say(f"writing the synthetic demo scene under {directory}/ ...")
    with ProgressView() as view:
        result = run_demo(directory, force=force, on_progress=view)
    print_summary(result.reports)
    if any(r.status == "failed" for r in result.reports):
        raise typer.Exit(1)
    for kind, value in result.iou.items():
        console.print(f"IoU vs ground truth, {kind:8s}: {value:.3f}")
    s, cfg = result.scene, result.config_path
    console.print(f"\nframes:   {s.frames_path}\n"
                  f"prompts:  {s.arm_prompts_path}\n          {s.gripper_prompts_path}\n"
                  f"sessions: {s.mask_dir('arm')}/\n          {s.mask_dir('gripper')}/\n"
                  f"exported: {s.mask_dir('export')}/\n"
                  f"config:   {cfg}\n\nnext:\n"
                  f"  robomask report   --config {cfg} --scene {s.name}   # QA report\n"
                  f"  robomask annotate --config {cfg} --scene {s.name}   # click, see masks"
                  " (needs pip install 'robomask[ui]')\n"
                  f"  robomask run      --config {cfg} --scene {s.name} --force",
                  highlight=False, markup=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.command()(demo)
