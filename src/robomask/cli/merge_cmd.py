"""``robomask merge``: dilate and combine the session masks of the selected scenes."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from robomask.cli.common import (
    ConfigOption,
    CoresOption,
    ForceOption,
    ProgressView,
    SceneOption,
    ScenesOption,
    exit_on_failures,
    open_config,
    say,
    scene_patterns,
)

if TYPE_CHECKING:
    from robomask.scenes import Scene


def merge(
    config: ConfigOption = Path("mask_config.yaml"),
    scene: SceneOption = None,
    scenes: ScenesOption = None,
    export_mode: Annotated[str | None, typer.Option(
        help="arm_minus_gripper | union | arm | gripper (default: from config).")] = None,
    force: ForceOption = False,
    jobs: CoresOption = None,
) -> None:
    """Merge {scene}_ckpt_arm and {scene}_ckpt_gripper into the exported masks.

    A scene that fails is reported at the end; the others are merged (exit code 1)."""
    from robomask.pipeline.merge import merge_scene
    from robomask.scenes import each_scene, open_scenes

    cfg = open_config(config, export_mode=export_mode)
    chosen, failures = open_scenes(cfg, scene_patterns(scene, scenes) or None)
    total = len(chosen) + len(failures)

    def merge_one(s: Scene) -> None:
        result = merge_scene(s, cfg, force=force, jobs=jobs, on_progress=view)
        done = (f"{result.frames_written} frames written, {result.frames_skipped} "
                "already done" if result.frames_written else
                f"all {result.frames_skipped} frames already done (--force redoes them)")
        say(f"{s.name}: {done} -> {s.mask_dir('export')}")

    with ProgressView() as view:
        failures += each_scene(chosen, merge_one)[1]
    exit_on_failures(failures, total)


def register(app: typer.Typer) -> None:
    app.command()(merge)
