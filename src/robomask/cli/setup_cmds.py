"""``robomask init`` and ``robomask check``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Column, Table

from robomask.cli.common import (
    ConfigOption,
    SceneOption,
    ScenesOption,
    console,
    open_config,
    say,
    scene_patterns,
)
from robomask.errors import RobomaskError
from robomask.io.atomic import refuse_overwrite, write_text


def init(
    path: Annotated[Path, typer.Argument(help="Where to write the config.")] = Path(
        "mask_config.yaml"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented mask_config.yaml with every key."""
    from robomask.config import render_template

    refuse_overwrite(path, force=force)
    write_text(path, render_template())
    say(f"wrote {path}: edit task_name, data_base_dir and export_base_dir")


def check(
    config: ConfigOption = Path("mask_config.yaml"),
    scene: SceneOption = None,
    scenes: ScenesOption = None,
    decode: Annotated[bool, typer.Option(
        help="Also decode every frame (slow): the only way to catch damaged JPEG or mp4 "
             "data; lists every frame that fails.")] = False,
) -> None:
    """Validate config, frames and prompt files of the selected scenes (no model loaded).

    Runs the checks `run` makes on its inputs (prompts against the video and config, the
    backend's name and whether it needs arm clicks, dilation radii against the frame),
    and checks every frame's header, end marker and PNG checksums.
    """
    from robomask.checks import check_scenes
    from robomask.scenes import select_scene_names

    cfg = open_config(config)
    patterns = scene_patterns(scene, scenes) or None
    problems = check_scenes(cfg, patterns, decode=decode)
    try:
        n_scenes = len(select_scene_names(cfg, patterns))
    except RobomaskError:  # reported in the table as a "scenes" problem
        n_scenes = 0
    frames = "every frame decoded" if decode else "frame headers"
    checked = (f"checked {n_scenes} scene{'' if n_scenes == 1 else 's'} "
               f"(config, {frames}, prompt files)")
    if not problems:
        say(f"{checked}: no problems found")
        return
    # fold, not the default ellipsis: a long path is the culprit and must stay whole
    table = Table("scene", "what", "severity", Column("problem", overflow="fold"),
                  show_lines=False)
    for p in problems:
        colour = "red" if p.severity == "error" else "yellow"
        table.add_row(p.scene, p.what, f"[{colour}]{p.severity}[/]", escape(p.message))
    console.print(table)
    errors = sum(p.severity == "error" for p in problems)
    say(f"{checked}: {errors} error(s), {len(problems) - errors} warning(s)")
    if errors:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command()(init)
    app.command()(check)
