"""The `papersift` command object and what every command shares: errors, exit codes, tables.

Exit status: 0 success, 1 finished but some items failed, 2 usage or config error.
Every command is a thin call into the same job functions the scheduler runs.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime
from functools import wraps
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from recommender.errors import (
    ConfigError,
    CycleLocked,
    InputError,
    PapersiftError,
    SchemaOutOfDate,
)

app = typer.Typer(
    name="papersift",
    help="Papersift: personal paper alerts from arXiv, Hugging Face and journal feeds.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


def _print_version(wanted: bool) -> None:
    if wanted:
        out.print(f"papersift {package_version('papersift')}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print the installed version and exit.",
        ),
    ] = False,
) -> None:
    """Papersift: personal paper alerts from arXiv, Hugging Face and journal feeds."""


config_app = typer.Typer(help="Check or show the configuration.", no_args_is_help=True)
app.add_typer(config_app, name="config")

# Piped output (cron mails, logs, tests) gets wide tables instead of rich's 80-column default.
_WIDTH = None if sys.stdout.isatty() else 160
out = Console(highlight=False, soft_wrap=True, width=_WIDTH)
err = Console(stderr=True, highlight=False, soft_wrap=True, width=_WIDTH)

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="Config file (default: ./config.toml or $PAPERSIFT_CONFIG; "
        "without either, the bundled demo configuration).",
        show_default=False,
    ),
]

F = TypeVar("F", bound=Callable[..., Any])
USAGE_ERRORS = (ConfigError, InputError, SchemaOutOfDate)


def working(message: str) -> AbstractContextManager[object]:
    """A spinner on a terminal; nothing in logs and pipes."""
    return err.status(message) if err.is_terminal else nullcontext()


def now_utc() -> datetime:
    """The clock, read once per command at the edge."""
    return datetime.now(UTC)


def handle_errors(function: F) -> F:
    """Turn library exceptions into `Error: <what>. <hint>` and the right exit status."""

    @wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except ConfigError as exc:
            if exc.problems:
                for line in exc.problems:
                    err.print(line, markup=False)
            else:
                err.print(f"Error: {exc}", markup=False)
            raise typer.Exit(2) from None
        except USAGE_ERRORS as exc:
            err.print(f"Error: {exc}", markup=False)
            raise typer.Exit(2) from None
        except CycleLocked as exc:
            err.print(f"Error: {exc}", markup=False)
            raise typer.Exit(1) from None
        except PapersiftError as exc:
            err.print(f"Error: {exc}", markup=False)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def command(
    name: str | None = None, *, parent: typer.Typer = app, **kwargs: Any
) -> Callable[[F], F]:
    """Register a CLI command with uniform error handling."""

    def decorate(function: F) -> F:
        parent.command(name, **kwargs)(handle_errors(function))
        return function

    return decorate


def warn(warnings: list[str]) -> None:
    """Print skipped items (a bad BibTeX entry, say) without changing the exit status."""
    for warning in warnings:
        err.print(f"Warning: {warning}", markup=False)


def finish(problems: list[str]) -> None:
    """Print item problems and exit 1 if there were any."""
    for problem in problems:
        err.print(f"Error: {problem}", markup=False)
    if problems:
        raise typer.Exit(1)


def table(title: str, columns: list[str], rows: list[list[Any]]) -> Table:
    """A rich table with the given header and rows."""
    result = Table(title=title, title_justify="left")
    for column in columns:
        result.add_column(column, overflow="fold")
    for row in rows:
        result.add_row(*[str(cell) for cell in row])
    return result
