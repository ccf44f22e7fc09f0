"""``robomask render`` and ``robomask calibrate``: the kinematic render of a scene."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from robomask.cli.common import (
    ConfigOption,
    ProgressView,
    SceneOption,
    open_config,
    say,
)


def render(
    config: ConfigOption = Path("mask_config.yaml"),
    scene: SceneOption = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Folder to write (default: {scene}_render in the task's output "
                            "folder {export_base_dir}/{task_name})."
    )] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite a folder with files.")
                     ] = False,
) -> None:
    """Render the arm and gripper masks from the URDF, joint angles and camera (no model)."""
    from robomask.report.render import write_render
    from robomask.scenes import select_scenes

    cfg = open_config(config)
    sc = select_scenes(cfg, [scene] if scene else None)[0]
    with ProgressView() as view:
        result = write_render(sc, cfg, out, force=force, on_progress=view)
    shown = ", ".join(f"{k} in {v}/{result.frames} frames" for k, v in result.objects.items())
    say(f"wrote {result.out_dir} ({shown}; {result.frames / result.seconds:.1f} frames/s)")
    say(f"preview: {result.preview}")


def _frame_list(text: str) -> list[int]:
    try:
        frames = sorted({int(x) for x in text.split(",") if x.strip()})
    except ValueError as exc:
        raise typer.BadParameter(f"expected frame indices like 0,40,80, got {text!r}",
                                 param_hint="--frames") from exc
    if not frames:
        raise typer.BadParameter("expected at least one frame index, got none",
                                 param_hint="--frames")
    return frames


def calibrate(
    config: ConfigOption = Path("mask_config.yaml"),
    scene: SceneOption = None,
    frames: Annotated[str, typer.Option(
        help="Frames with good masks, e.g. 0,40,80.")] = "0",
    masks: Annotated[Path | None, typer.Option(
        help="Folder of whole-robot masks (00000.png, {stem}.png or *_N.png); default: the "
             "arm and gripper session results.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an earlier refined pose.")
                     ] = False,
) -> None:
    """Refine the camera pose from a few good masks; writes the pose beside the old one."""
    from robomask.pipeline.calibrate import calibrate_scene
    from robomask.scenes import select_scenes

    cfg = open_config(config)
    sc = select_scenes(cfg, [scene] if scene else None)[0]
    with ProgressView("renders") as view:
        result = calibrate_scene(sc, cfg, _frame_list(frames), masks_dir=masks, force=force,
                                 on_progress=view)
    cal = result.calibration
    say(f"IoU of the render against the masks on frames {list(cal.frames)}: "
        f"{cal.iou_before:.3f} before, {cal.iou_after:.3f} after ({cal.evaluations} "
        f"renders, {cal.seconds:.1f} s)")
    say(f"wrote {result.written}; point kinematics.{result.key} at it to use it")


def register(app: typer.Typer) -> None:
    app.command()(render)
    app.command()(calibrate)
