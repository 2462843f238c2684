"""The ``puhui`` command (Typer): the thin CLI shell over the services.

Each command group lives in its own module and is registered here. Errors are mapped once, in
:func:`main`: a :class:`~puhui.errors.PuhuiError` prints its code and its Chinese and English
sentence and exits with status 2 (1 for an internal error); no stack trace reaches the user.
"""

from __future__ import annotations

import functools
import sys

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
    "puhui.cli.db",
    "puhui.cli.products",
    "puhui.cli.loans",
    "puhui.cli.ledger",
    "puhui.cli.sim",
    "puhui.cli.demo",
    "puhui.cli.serve",
    "puhui.cli.model",
    "puhui.cli.data",
    "puhui.cli.features",
    "puhui.cli.risk",
    "puhui.cli.decision",
)


@functools.cache
def _register() -> None:
    """Add the command groups once: ``main`` may run many times in one process (tests), and a
    second registration would stack every group again."""
    import importlib

    for module_name in _GROUPS:
        importlib.import_module(module_name).register(app)


def report_error(exc: PuhuiError) -> None:
    """Print a domain error the way every command does."""
    err_console.print(f"[bold red]错误[/] [{exc.code}] {exc.message_zh}", highlight=False)
    err_console.print(f"Error [{exc.code}] {exc.message_en}", highlight=False)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI and map errors to exit codes (2 for a domain error)."""
    _register()
    try:
        app(args=argv, standalone_mode=True)
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except PuhuiError as exc:
        report_error(exc)
        return 2
    except InvariantViolation as exc:
        err_console.print(f"[bold red]内部错误 internal error[/]: {exc}", highlight=False)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
