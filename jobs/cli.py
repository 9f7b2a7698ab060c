"""The `papersift` entry point: the command object with every command module registered.

Printing and exit codes belong to jobs/cli_app.py and jobs/commands/, never to the jobs.

Exit status: 0 success, 1 finished but some items failed, 2 usage or config error.
Every command is a thin call into the same job functions the scheduler runs.
"""

from __future__ import annotations

import logging

from jobs.cli_app import app
from jobs.commands import (  # noqa: F401  (importing registers the commands)
    config_commands,
    cycle_commands,
    evaluate_commands,
    invite_commands,
    library_commands,
    offline_commands,
    paper_commands,
    status_commands,
    web_commands,
    worker_commands,
)

__all__ = ["app", "main"]


def main() -> None:
    """Entry point of the `papersift` console script."""
    # bibtexparser logs each syntax error itself; our import already reports it by entry.
    logging.getLogger("bibtexparser").setLevel(logging.CRITICAL)
    app(prog_name="papersift")
