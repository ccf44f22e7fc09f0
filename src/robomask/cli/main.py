"""Entry point: builds the typer app and turns user errors into one line and an exit code."""

from __future__ import annotations

import errno
import logging
import sys
from typing import Any

import typer
from rich.logging import RichHandler
from rich.markup import escape
from typer.core import TyperGroup

from robomask.cli import (
    annotate_cmd,
    demo_cmd,
    doctor_cmd,
    export_cmds,
    kin_cmds,
    merge_cmd,
    qa_cmds,
    run_cmds,
    setup_cmds,
)
from robomask.cli.allocator import keep_freed_buffers
from robomask.cli.common import err_console
from robomask.errors import RobomaskError, excerpt

try:  # typer >= 0.29 vendors click; its usage errors derive from TyperException
    from typer import TyperException as UsageProblem
except ImportError:  # older typer depends on click itself
    from click import ClickException as UsageProblem



def _plain_flags(command: Any, ctx: Any) -> None:
    """Show on/off options (``--force``, ``--help``) without typer's ``<bool>`` type column;
    options that take a value keep theirs."""
    for param in (*command.params, command.get_help_option(ctx)):
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""


class _Group(TyperGroup):
    """The root command: every subcommand's help shows flags as plain flags."""

    def get_params(self, ctx: Any) -> list[Any]:
        _plain_flags(self, ctx)
        return super().get_params(ctx)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            _plain_flags(command, ctx)
        return command


app = typer.Typer(
    name="robomask",
    cls=_Group,
    help="Mask robot arms (links + cable, gripper cut out) in manipulation videos.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
for module in (setup_cmds, merge_cmd, run_cmds, demo_cmd, annotate_cmd, qa_cmds, doctor_cmd,
               kin_cmds, export_cmds):
    module.register(app)


@app.callback()
def _root(verbose: bool = typer.Option(False, "--verbose", "-v",
                                       help="Log what robomask does (INFO level).")) -> None:
    """Mask robot arms (links + cable, gripper cut out) in manipulation videos."""
    logging.getLogger("robomask").setLevel(logging.INFO if verbose else logging.WARNING)


def _print_error(message: str) -> None:
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False,
                      soft_wrap=True)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; a :class:`RobomaskError` becomes ``error: ...`` and exit code 2."""
    keep_freed_buffers()
    handler = RichHandler(console=err_console, show_time=False, show_path=False)
    logging.basicConfig(level=logging.WARNING, format="%(message)s", handlers=[handler])
    try:
        rc = app(args=argv, prog_name="robomask", standalone_mode=False)
    except UsageProblem as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        err_console.print("aborted")
        sys.exit(130)
    except RobomaskError as exc:
        _print_error(str(exc))
        sys.exit(exc.exit_code)
    except OSError as exc:  # the file system refused: a path, a permission, a full disk
        where = excerpt(str(exc.filename), 200)[1:-1] if exc.filename else "a file"
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            _print_error(f"no space left on {where} ({exc.strerror})")
        else:
            _print_error(f"{where}: expected a usable path, got: {exc.strerror or exc}")
        sys.exit(RobomaskError.exit_code)
    sys.exit(rc if isinstance(rc, int) else 0)


if __name__ == "__main__":
    main()
