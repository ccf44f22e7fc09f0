"""``robomask export``: the masks in the formats other tools read (robomask.export)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from robomask.cli.common import (
    ConfigOption,
    CoresOption,
    ProgressView,
    SceneOption,
    ScenesOption,
    console,
    open_config,
    scene_patterns,
)
from robomask.export import FORMATS, ExportOptions, build_exporter, default_out_dir
from robomask.scenes import select_scenes

FORMAT_HELP = ", ".join(sorted(FORMATS))


def export(
    fmt: Annotated[str, typer.Option("--format", "-f", help=f"One of: {FORMAT_HELP}.")],
    config: ConfigOption = Path("mask_config.yaml"),
    scene: SceneOption = None,
    scenes: ScenesOption = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Export root (default: {export_base_dir}/{task_name}/exports/"
                            "{format}).")] = None,
    stage: Annotated[str | None, typer.Option(
        help="Masks to export: export (merged), arm, gripper, or sessions (both sessions, "
             "per object). Default: export for propainter, sessions for coco and davis.")
    ] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Replace an existing export of a scene.")] = False,
    max_side: Annotated[int | None, typer.Option(
        help="propainter: scale frames down so the longer side is at most this (pixels).")
    ] = None,
    fit: Annotated[str | None, typer.Option(
        help="propainter: pad (default) or crop frames to multiples of 8.")] = None,
    jobs: CoresOption = None,
) -> None:
    """Write the masks of the selected scenes as propainter, coco or davis datasets."""
    cfg = open_config(config)
    params = {k: v for k, v in (("max_side", max_side), ("fit", fit)) if v is not None}
    exporter = build_exporter(cfg, fmt, ExportOptions(out or default_out_dir(cfg, fmt), stage,
                                                      force, params, jobs))
    chosen = select_scenes(cfg, scene_patterns(scene, scenes) or None)
    with ProgressView() as view:
        results = exporter.run(chosen, on_progress=view)
    for r in results:
        console.print(f"{r.scene}: {r.frames} frames ({r.frames_per_s:.1f}/s) -> "
                      f"{', '.join(str(t) for t in r.targets)}", highlight=False, soft_wrap=True)
    for line in exporter.next_steps(results):
        console.print(line, highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.command()(export)
