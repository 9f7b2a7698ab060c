"""The `papersift` entry point: the command object with every command module registered.

Printing and exit codes belong to jobs/cli_app.py and jobs/commands/, never to the jobs.

Exit status: 0 success, 1 finished but some items failed, 2 usage or config error.
Every command is a thin call into the same job functions the scheduler runs.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

from threadpoolctl import threadpool_limits

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

__all__ = ["app", "limit_threads", "main"]

# Set by an admin who wants more threads (or fewer) than the default of one.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def limit_threads(environ: Mapping[str, str] = os.environ) -> bool:
    """Run BLAS and OpenMP on one thread unless the environment sets a number; True if set.

    Papersift's processes share a machine (workers, the web server, the scheduler, the
    database): OpenBLAS threads then spin against each other, and a 25,000-paper text-model
    fit measured 5.7 s on one thread against 24.8 s on two (2 cores, load average 3.8).
    """
    if any(name in environ for name in THREAD_VARIABLES):
        return False
    threadpool_limits(limits=1)
    return True


def main() -> None:
    """Entry point of the `papersift` console script."""
    limit_threads()
    # bibtexparser logs each syntax error itself; our import already reports it by entry.
    logging.getLogger("bibtexparser").setLevel(logging.CRITICAL)
    app(prog_name="papersift")
