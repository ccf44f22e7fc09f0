"""``robomask segment``, ``robomask run``: the sessions and the whole pipeline."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from robomask.cli.common import (
    ConfigOption,
    ForceOption,
    ProgressView,
    SceneOption,
    ScenesOption,
    console,
    exit_on_failures,
    open_config,
    say,
    scene_patterns,
)
from robomask.config import ALL_STAGES
from robomask.errors import ConfigError

if TYPE_CHECKING:
    from robomask.pipeline.runner import StageReport

BackendOption = Annotated[str | None, typer.Option(
    "--backend", help="Backend to use instead of the config's (sam3, sam3-hf, opencv).")]
JobsOption = Annotated[int, typer.Option(
    "--jobs", "-j", min=1, help="Scenes in parallel, one worker process each.")]
GpusOption = Annotated[str | None, typer.Option(
    "--gpus", help="GPUs for parallel jobs, one job per GPU, e.g. '0,1,2,3'.")]
RayOption = Annotated[str | None, typer.Option(
    "--ray", help="Run on Ray: 'local', 'auto' (running cluster) or a cluster address.")]


def print_summary(reports: list[StageReport]) -> None:
    """The summary table (scene, stage, frames, time, status) and warnings under it; when a
    stage failed, its error and the count of failed scenes, then exit 1."""
    from robomask.scenes import SceneFailure

    table = Table("scene", "stage", "frames", "time", "fps", "status")
    colours = {"done": "green", "skipped": "cyan", "failed": "red"}
    for r in reports:
        fps = f"{r.frames / r.seconds:.1f}" if r.status == "done" and r.seconds > 0 else ""
        table.add_row(r.scene, r.stage, str(r.frames), f"{r.seconds:.1f}s", fps,
                      f"[{colours[r.status]}]{r.status}[/]")
    console.print(table)
    if any(r.status == "skipped" for r in reports):
        console.print("skipped: done with the same inputs (--force redoes them)",
                      highlight=False)
    for r in reports:
        if r.message and r.status != "failed":
            say(f"warning: {r.scene}/{r.stage}: {r.message}")
    exit_on_failures([SceneFailure(f"{r.scene}/{r.stage}", r.message) for r in reports
                      if r.status == "failed"], len({r.scene for r in reports}))


def segment(
    stage: Annotated[str, typer.Argument(help="arm or gripper")],
    config: ConfigOption = Path("mask_config.yaml"),
    scene: SceneOption = None,
    scenes: ScenesOption = None,
    backend: BackendOption = None,
    jobs: JobsOption = 1,
    gpus: GpusOption = None,
    ray: RayOption = None,
    force: ForceOption = False,
) -> None:
    """Run the arm or gripper session of the selected scenes."""
    if stage not in ("arm", "gripper"):
        raise ConfigError(f"stage: expected 'arm' or 'gripper', got {stage!r}")
    _run(config, scene_patterns(scene, scenes), (stage,), backend, jobs, gpus, ray, force)


def run(
    config: ConfigOption = Path("mask_config.yaml"),
    scene: SceneOption = None,
    scenes: ScenesOption = None,
    stages: Annotated[str, typer.Option(help="Comma-separated stages to run.")] =
        ",".join(ALL_STAGES),
    backend: BackendOption = None,
    jobs: JobsOption = 1,
    gpus: GpusOption = None,
    ray: RayOption = None,
    force: ForceOption = False,
) -> None:
    """Arm session, gripper session and merge for every selected scene (resumable)."""
    chosen = tuple(s.strip() for s in stages.split(",") if s.strip())
    bad = [s for s in chosen if s not in ALL_STAGES]
    if bad or not chosen:
        raise ConfigError(f"--stages: expected a comma-separated subset of "
                          f"{','.join(ALL_STAGES)}, got {stages!r}", hint="e.g. --stages arm,merge")
    _run(config, scene_patterns(scene, scenes), chosen, backend, jobs, gpus, ray, force)


def _parse_gpus(gpus: str | None) -> list[int] | None:
    if gpus is None:
        return None
    try:
        return [int(g) for g in gpus.split(",") if g.strip()]
    except ValueError as exc:
        raise ConfigError(f"--gpus: expected comma-separated GPU numbers like '0,1', got "
                          f"{gpus!r}") from exc


def _run(config: Path, patterns: list[str], stages: tuple, backend: str | None, jobs: int,
         gpus: str | None, ray: str | None, force: bool) -> None:
    from robomask.batch import run_batch

    cfg = open_config(config, backend=backend)
    with ProgressView() as view:
        reports = run_batch(cfg, patterns or None, stages, jobs=jobs, gpus=_parse_gpus(gpus),
                            ray_address=ray, force=force, on_progress=view)
    print_summary(reports)


def status(
    config: ConfigOption = Path("mask_config.yaml"),
    scene: SceneOption = None,
    scenes: ScenesOption = None,
) -> None:
    """Which stages of the selected scenes are done, stale, interrupted or missing; a scene
    that cannot be read is an error (exit 1)."""
    from robomask.pipeline.status import scene_status
    from robomask.scenes import SceneFailure, select_scene_names

    cfg = open_config(config)
    names = select_scene_names(cfg, scene_patterns(scene, scenes) or None)
    colours = {"done": "green", "stale": "yellow", "interrupted": "yellow", "partial": "yellow",
               "missing": "dim", "error": "red"}
    table = Table("scene", "frames", "arm", "gripper", "export")
    rows = [scene_status(cfg, n) for n in names]
    for st in rows:
        table.add_row(st.scene, str(st.frames), *(
            f"[{colours[st.stages[k]]}]{st.stages[k]}[/]" for k in ("arm", "gripper", "export")))
    console.print(table)
    done = sum(all(v == "done" for v in st.stages.values()) for st in rows)
    failures = [SceneFailure(st.scene, st.message) for st in rows if st.message]
    say(f"{done}/{len(rows)} scenes fully done")
    if done + len(failures) < len(rows):  # run cannot mend a scene it cannot read
        chosen = (f" --scene {scene}" if scene else "") + "".join(
            f" --scenes '{p}'" for p in scenes or [])
        say(f"to finish: robomask run --config {config}{chosen} (redoes stale, interrupted "
            "and partial stages, runs missing ones)")
    exit_on_failures(failures, len(rows))


def register(app: typer.Typer) -> None:
    app.command()(segment)
    app.command()(run)
    app.command()(status)
