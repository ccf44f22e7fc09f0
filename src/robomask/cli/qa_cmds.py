"""``robomask preview``, ``robomask video``, ``robomask report``: visual QA of masks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from robomask.cli.common import (
    ConfigOption,
    CoresOption,
    ProgressView,
    SceneOption,
    ScenesOption,
    exit_on_failures,
    open_config,
    say,
    scene_patterns,
)
from robomask.io.atomic import refuse_overwrite, write_json

if TYPE_CHECKING:
    from robomask.config import Config
    from robomask.report.flags import SceneFlags
    from robomask.scenes import Scene

# default output folders, in the task's output folder {export_base_dir}/{task_name}
PREVIEW_DIR, VIDEO_DIR, REPORT_DIR = "qa_preview", "qa_video", "qa_report"


def _out_option(default: str) -> Any:
    return typer.Option("--out", "-o", help=f"Output file (default: {default} in the "
                        "task's output folder, replaced on each run).")


OutForceOption = Annotated[bool, typer.Option(
    "--force", help="Overwrite an existing --out file.")]


def _one_scene(cfg: Config, scene: str | None) -> Scene:
    from robomask.scenes import select_scenes

    return select_scenes(cfg, [scene] if scene else None)[0]


def _target(config: Path, scene: str | None, out: Path | None, force: bool, folder: str,
            name: str) -> tuple[Config, Scene, Path]:
    """The config, the scene and the file to write: ``out`` (refused when it exists,
    without ``--force``), or robomask's own ``{folder}/{name}`` in the task's output
    folder, replaced on each run (``{scene}`` in ``name`` is the scene's name)."""
    if out is not None:
        refuse_overwrite(out, force=force)
    cfg = open_config(config)
    sc = _one_scene(cfg, scene)
    return cfg, sc, out or cfg.output_dir / folder / name.format(scene=sc.name)


def preview(
    config: ConfigOption = Path("mask_config.yaml"),
    scene: SceneOption = None,
    stage: Annotated[str | None, typer.Option(
        help="arm | gripper | export (default: arm and gripper filled, export outlined).")
    ] = None,
    out: Annotated[Path | None, _out_option(f"{PREVIEW_DIR}/{{scene}}_{{stage}}.png")] = None,
    force: OutForceOption = False,
) -> None:
    """Overlay grid of every vis_frame_stride-th frame (at most vis_max_plots) as a PNG."""
    from robomask.report.preview import VIEWS
    from robomask.report.preview import preview as render_preview_png

    if stage not in VIEWS:
        raise typer.BadParameter(f"expected arm, gripper or export, got {stage!r}",
                                 param_hint="--stage")
    cfg, sc, path = _target(config, scene, out, force, PREVIEW_DIR,
                            f"{{scene}}_{stage or 'all'}.png")
    image = render_preview_png(sc, cfg, stage, out=path, show=False)
    say(f"wrote {path.resolve()} ({image.width}x{image.height})")


def video(
    config: ConfigOption = Path("mask_config.yaml"),
    scene: SceneOption = None,
    out: Annotated[Path | None, _out_option(f"{VIDEO_DIR}/{{scene}}.mp4")] = None,
    fps: Annotated[float | None, typer.Option(
        min=1, help="Frames per second (default: from timestamp names, else 30).")] = None,
    width: Annotated[int | None, typer.Option(
        min=16, help="Scale down to this width in pixels (default: full size).")] = None,
    force: OutForceOption = False,
) -> None:
    """Overlay mp4 of a whole scene: arm and gripper filled, export outlined, frame numbers."""
    from robomask.report.video import write_overlay_video

    cfg, sc, path = _target(config, scene, out, force, VIDEO_DIR, "{scene}.mp4")
    with ProgressView() as view:
        write_overlay_video(sc, cfg, path, fps=fps, width=width, on_progress=view)
    say(f"wrote {path.resolve()}")


def _summary(r: SceneFlags) -> str:
    if not r.flags:
        return f"{r.scene}: no flags ({r.n_frames} frames)"
    keys = ", ".join(str(k) for k in r.keyframes)
    return (f"{r.scene}: {r.flagged_frames}/{r.n_frames} flagged frames in {len(r.flags)} "
            f"flag(s), worst {r.flags[0].severity} ({r.flags[0].kind}); keyframes: {keys}")


def report(
    config: ConfigOption = Path("mask_config.yaml"),
    scene: SceneOption = None,
    scenes: ScenesOption = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help=f"Report folder (default: {REPORT_DIR}/ in the task's output folder).")
    ] = None,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print the flags as JSON on stdout instead of a summary.")] = False,
    html: Annotated[bool, typer.Option(
        help="Write the HTML pages and thumbnails (--no-html: flags.json only).")] = True,
    fail_above: Annotated[int | None, typer.Option(
        min=0, help="Exit 1 when any scene has more than this many flagged frames.")] = None,
    jobs: CoresOption = None,
) -> None:
    """Flag frames whose masks need a look; write a static HTML report and flags.json."""
    from robomask.report.flags import scan_scene
    from robomask.report.html import report_json, write_report
    from robomask.scenes import each_scene, open_scenes

    cfg = open_config(config)
    chosen, failures = open_scenes(cfg, scene_patterns(scene, scenes) or None)
    total = len(chosen) + len(failures)
    folder = out or cfg.output_dir / REPORT_DIR
    with ProgressView() as view:
        if html:
            results, failures = write_report(chosen, cfg, folder, config_path=str(config),
                                             jobs=jobs, failed=failures, on_progress=view)
        else:
            results, failed = each_scene(chosen, lambda s: scan_scene(
                s, cfg, jobs=jobs, on_progress=view))
            failures += failed
    data = report_json(results, cfg, str(config), failures)
    if not html:
        write_json(folder / "flags.json", data)
    if as_json:
        typer.echo(json.dumps(data, indent=2))
    else:
        for r in results:
            say(_summary(r))
        say(f"report: {folder / 'index.html' if html else folder / 'flags.json'}")
    over = [r.scene for r in results if fail_above is not None and
            r.flagged_frames > fail_above]
    if over:
        say(f"{len(over)} scene(s) with more than {fail_above} flagged frames: "
            f"{', '.join(over)}", err=True)
    exit_on_failures(failures, total, err=as_json)
    if over:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command()(preview)
    app.command()(video)
    app.command()(report)
