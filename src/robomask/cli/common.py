"""Shared CLI pieces: consoles, the config option, and the progress display."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Column

if TYPE_CHECKING:  # each command imports what it runs, when it runs (start-up time)
    from robomask.config import Config
    from robomask.progress import Progress as ProgressUpdate
    from robomask.scenes import SceneFailure

console = Console()
err_console = Console(stderr=True)

ConfigOption = Annotated[Path, typer.Option("--config", "-c", help="mask_config.yaml to use.")]
SceneOption = Annotated[str | None, typer.Option("--scene", help="One scene name.")]
ScenesOption = Annotated[list[str] | None, typer.Option(
    "--scenes", metavar="<glob>", help="Scene names or globs, e.g. 'scene_00*' (repeatable).")]
ForceOption = Annotated[bool, typer.Option("--force", help="Redo finished stages and frames.")]
CoresOption = Annotated[int | None, typer.Option(
    "--jobs", "-j", min=1, help="Workers on frames at once (default: every core; outputs "
    "are the same for any number).")]


def say(text: str, *, err: bool = False) -> None:
    """Print one plain line: no rich markup (so ``pip install 'robomask[sam3]'`` and paths
    with brackets print as they are), no highlighting, and no hard wrap inside a path."""
    (err_console if err else console).print(text, markup=False, highlight=False,
                                            soft_wrap=True)


def exit_on_failures(failures: Sequence[SceneFailure], total: int, *, err: bool = False
                     ) -> None:
    """End a multi-scene command whose other scenes went on: one ``error:`` line per failed
    scene, then how many of ``total`` scenes failed, and exit code 1; nothing when none
    failed. ``err`` prints to stderr (when stdout carries data, e.g. ``--json``).

    A lone scene's error is raised as it is (one line, exit code 2, as any user error).
    """
    if not failures:
        return
    if total == 1 and failures[0].error is not None:
        raise failures[0].error
    for f in failures:
        say(f"error: {f.scene}: {f.message}", err=err)
    say(f"{len(failures)} of {total} scene(s) failed", err=err)
    raise typer.Exit(1)


def open_config(path: Path, **overrides: object) -> Config:
    from robomask.config import load_config

    return load_config(path, **overrides)


def scene_patterns(scene: str | None, scenes: list[str] | None) -> list[str]:
    """--scene and --scenes together, in the order given."""
    return ([scene] if scene else []) + list(scenes or [])


def _uncut() -> Column:
    """A progress column that is never cut short (counts, rate, times)."""
    return Column(no_wrap=True)


class ProgressView:
    """Renders :class:`robomask.progress.Progress` updates as rich bars with frames/s
    and ETA; messages (e.g. the merge pixel counts) are printed above the bars.

    A stage with nothing to do (total and done both 0, e.g. a merge whose frames are all
    done) gets no bar, and nothing is drawn until the first bar is needed. A long batch
    keeps the screen short: finished bars beyond the newest :attr:`KEEP_FINISHED` are
    hidden (the summary table lists every stage). A stage name longer than
    :attr:`NAME_WIDTH` is cut, so that the counts, rate and ETA fit an 80-column terminal.
    """

    KEEP_FINISHED = 6
    NAME_WIDTH = 28  # a longer stage name is cut (…) so that counts, rate and ETA fit 80

    def __init__(self, unit: str = "frames") -> None:
        name = Column(max_width=self.NAME_WIDTH, overflow="ellipsis", no_wrap=True)
        self._progress = Progress(
            TextColumn("{task.description}", table_column=name), BarColumn(),
            MofNCompleteColumn(table_column=_uncut()),
            TextColumn("{task.fields[rate]}", table_column=_uncut()),
            TimeElapsedColumn(table_column=_uncut()), TextColumn("ETA", table_column=_uncut()),
            TimeRemainingColumn(table_column=_uncut()), console=err_console, transient=False)
        self._tasks: dict[str, TaskID] = {}
        self._unit = unit

    def __enter__(self) -> ProgressView:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._tasks:
            self._progress.stop()

    def __call__(self, update: ProgressUpdate) -> None:
        if update.message:
            self._progress.console.print(update.message, highlight=False, markup=False)
        task = self._tasks.get(update.stage)
        if task is None:
            if update.total == 0 and update.done == 0:
                return
            if not self._tasks:
                self._progress.start()
            task = self._progress.add_task(update.stage, total=update.total, rate="")
            self._tasks[update.stage] = task
            self._hide_old_finished()
        rate = (f"{update.rate_per_s:.1f} {update.unit or self._unit}/s" if update.done
                else "")
        self._progress.update(task, completed=update.done, total=update.total, rate=rate)

    def _hide_old_finished(self) -> None:
        finished = [t for t in self._progress.tasks if t.finished and t.visible]
        for t in finished[:-self.KEEP_FINISHED]:
            self._progress.update(t.id, visible=False)
