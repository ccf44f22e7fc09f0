"""``robomask render`` and ``robomask calibrate``: the kinematic render of a scene."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from robomask.cli.common import (
    ConfigOption,
    ProgressView,
    SceneOption,
    console,
    open_config,
)
from robomask.report.render import write_render
from robomask.scenes import select_scenes


def render(
    config: ConfigOption = Path("mask_config.yaml"),
    scene: SceneOption = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Folder to write (default {export_base_dir}/{task}/{scene}_render)."
    )] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite a folder with files.")
                     ] = False,
) -> None:
    """Render the arm and gripper masks from the URDF, joint angles and camera (no model)."""
    cfg = open_config(config)
    sc = select_scenes(cfg, [scene] if scene else None)[0]
    with ProgressView() as view:
        result = write_render(sc, cfg, out, force=force, on_progress=view)
    shown = ", ".join(f"{k} in {v}/{result.frames} frames" for k, v in result.objects.items())
    console.print(f"wrote {result.out_dir} ({shown}; {result.frames / result.seconds:.1f} "
                  f"frames/s); preview: {result.preview}")


def register(app: typer.Typer) -> None:
    app.command()(render)
