"""``robomask doctor``: one table of the backends that work here, and fixes for the rest."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from robomask.cli.common import console, open_config
from robomask.doctor import check_backends


def doctor(
    config: Annotated[Path | None, typer.Option(
        "--config", "-c", help="mask_config.yaml whose weight paths to check too.")] = None,
) -> None:
    """Show which backends work on this machine; for the others, why and the fix."""
    cfg = open_config(config) if config is not None else None
    checks = check_backends(cfg)
    table = Table("backend", "works", "why not", "fix", show_lines=True)
    for c in checks:
        name = f"{c.name} (configured)" if c.configured else c.name
        table.add_row(name, "[green]yes[/]" if c.ok else "[red]no[/]",
                      escape("\n".join(c.reasons)), escape("\n".join(c.fixes)))
    console.print(table)
    for c in checks:
        for note in c.notes:
            console.print(f"{c.name}: {escape(note)}")
    if cfg is None:
        console.print("weight paths not checked: pass --config mask_config.yaml")
    if any(c.configured and not c.ok for c in checks):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command()(doctor)
