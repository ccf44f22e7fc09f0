"""``robomask doctor``: one table of the backends that work here, and fixes for the rest."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from robomask.cli.common import console, err_console, open_config, say
from robomask.doctor import BackendCheck, check_backends

DEFAULT_CONFIG = Path("mask_config.yaml")


def doctor_table(checks: list[BackendCheck]) -> Table:
    """One row per problem, the backend and its verdict in the first column, long words
    folded, never cut, so the table reads at 80 columns."""
    table = Table("backend", "why not", "fix", show_lines=True)
    for c in checks:
        verdict = Text("works", "green") if c.ok else Text("fails here", "red")
        name = Text.assemble(c.name, "\n", verdict, ("\nconfigured", "dim") if c.configured else "")
        problems = list(zip(c.reasons, c.fixes, strict=True)) or [("", "")]
        for k, (reason, fix) in enumerate(problems):
            table.add_row(name if k == 0 else "", Text(reason, overflow="fold"),
                          Text(fix, overflow="fold"))
    return table


def doctor(
    config: Annotated[Path | None, typer.Option(
        "--config", "-c", help="mask_config.yaml whose weight paths and kinematics section "
        "to check too (default: ./mask_config.yaml when there is one).")] = None,
) -> None:
    """Show which backends work on this machine; for the others, why and the fix."""
    if config is None and DEFAULT_CONFIG.is_file():
        config = DEFAULT_CONFIG
    cfg = open_config(config) if config is not None else None
    with err_console.status("checking the backends (importing torch takes a few seconds)"):
        checks = check_backends(cfg)
    console.print(doctor_table(checks))
    for c in checks:
        for note in c.notes:
            say(f"{c.name}: {note}")
    say(f"weight paths and kinematics section checked in {config}" if config is not None
        else f"weight paths and kinematics section not checked: no ./{DEFAULT_CONFIG} here; "
             "pass --config FILE")
    if any(c.configured and not c.ok for c in checks):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command()(doctor)
