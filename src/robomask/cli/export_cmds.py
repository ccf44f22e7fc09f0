"""``robomask export`` and ``robomask depth``: the masks in the formats other tools read."""

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
    exit_on_failures,
    open_config,
    scene_patterns,
)
from robomask.config import Config
from robomask.export import FORMATS, Exporter, ExportOptions, build_exporter, default_out_dir
from robomask.scenes import open_scenes

FORMAT_HELP = ", ".join(sorted(FORMATS))


def export(
    fmt: Annotated[str, typer.Option("--format", "-f", help=f"One of: {FORMAT_HELP}.")],
    config: ConfigOption = Path("mask_config.yaml"),
    scene: SceneOption = None,
    scenes: ScenesOption = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Export root (default: exports/{format} in the task's output "
                            "folder {export_base_dir}/{task_name}).")] = None,
    stage: Annotated[str | None, typer.Option(
        help="Masks to export: export (merged), arm, gripper, or sessions (both sessions, "
             "per object). Default: export for propainter and lerobot, sessions for coco and "
             "davis.")
    ] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Replace an existing export of a scene.")] = False,
    max_side: Annotated[int | None, typer.Option(
        help="propainter: scale frames down so the longer side is at most this (pixels).")
    ] = None,
    fit: Annotated[str | None, typer.Option(
        help="propainter: pad (default) or crop frames to multiples of 8.")] = None,
    in_place: Annotated[bool, typer.Option(
        "--in-place", help="lerobot: add the mask feature to the dataset itself instead of "
                           "a copy at --out.")] = False,
    jobs: CoresOption = None,
) -> None:
    """Write the masks of the selected scenes as propainter, coco, davis or lerobot data."""
    cfg = open_config(config)
    params = {k: v for k, v in (("max_side", max_side), ("fit", fit),
                                ("in_place", in_place or None)) if v is not None}
    exporter = build_exporter(cfg, fmt, ExportOptions(out or default_out_dir(cfg, fmt), stage,
                                                      force, params, jobs))
    _run(exporter, cfg, scene_patterns(scene, scenes))


def depth(
    config: ConfigOption = Path("mask_config.yaml"),
    scene: SceneOption = None,
    scenes: ScenesOption = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Root of {scene}_depth_masked/ (default: {export_base_dir}/"
                            "{task_name}).")] = None,
    stage: Annotated[str | None, typer.Option(
        help="Masks to cut out: export (default, merged), arm or gripper.")] = None,
    ply: Annotated[bool, typer.Option(
        "--ply", help="Also write a coloured point cloud per frame to {scene}_pointcloud/ "
                      "(needs depth_intrinsics or kinematics.intrinsics).")] = False,
    near_robot: Annotated[float | None, typer.Option(
        "--near-robot", help="Also drop points within this many metres of the rendered arm "
                             "(needs the kinematics section).")] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Replace existing outputs of a scene.")] = False,
    jobs: CoresOption = None,
) -> None:
    """Depth images with the masked pixels set to 0 (and point clouds with --ply)."""
    from robomask.export.depth import DepthExporter

    cfg = open_config(config)
    params = {"ply": ply, **({"near_robot_m": near_robot} if near_robot is not None else {})}
    exporter = DepthExporter(cfg, ExportOptions(out or cfg.output_dir, stage, force, params,
                                                jobs))
    _run(exporter, cfg, scene_patterns(scene, scenes))


def _run(exporter: Exporter, cfg: Config, patterns: list[str]) -> None:
    """Run ``exporter`` on the selected scenes that open; print what each wrote, then the
    failed scenes (exit 1)."""
    chosen, failures = open_scenes(cfg, patterns or None)
    with ProgressView() as view:
        results, failed = exporter.run(chosen, on_progress=view)
    for r in results:
        console.print(f"{r.scene}: {r.frames} frames ({r.frames_per_s:.1f} frames/s) -> "
                      f"{', '.join(str(t) for t in r.targets)}", highlight=False, soft_wrap=True)
    for line in exporter.next_steps(results) if results else []:
        console.print(line, highlight=False, soft_wrap=True)
    exit_on_failures(failures + failed, len(chosen) + len(failures))


def register(app: typer.Typer) -> None:
    app.command()(export)
    app.command()(depth)
