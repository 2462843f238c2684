"""The ``puhui`` command (Typer): the thin CLI shell over the services.

Each command group lives in its own module and is registered here. Errors are mapped once, in
:func:`main`: a :class:`~puhui.errors.PuhuiError` prints its code and its Chinese and English
sentence and exits with status 2 (1 for an internal error); no stack trace reaches the user.
"""

from __future__ import annotations

import sys

import click
import typer
from rich.console import Console

from puhui.errors import InvariantViolation, PuhuiError

app = typer.Typer(
    name="puhui",
    help="普惠 puhui — digital inclusive credit: loans, ledger, scoring, risk.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

err_console = Console(stderr=True)


#: Command-group modules; each defines ``register(app)``. Keep one line per group.
_GROUPS = (
    "puhui.cli.products",
    "puhui.cli.model",
)


def _register() -> None:
    import importlib

    for module_name in _GROUPS:
        importlib.import_module(module_name).register(app)


def report_error(exc: PuhuiError) -> None:
    """Print a domain error the way every command does."""
    err_console.print(f"[bold red]错误[/] [{exc.code}] {exc.message_zh}", highlight=False)
    err_console.print(f"Error [{exc.code}] {exc.message_en}", highlight=False)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI and map errors to exit codes."""
    _register()
    try:
        app(args=argv, standalone_mode=False)
    except PuhuiError as exc:
        report_error(exc)
        return 2
    except InvariantViolation as exc:
        err_console.print(f"[bold red]内部错误 internal error[/]: {exc}", highlight=False)
        return 1
    except click.exceptions.Abort:
        err_console.print("已取消 aborted")
        return 130
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
