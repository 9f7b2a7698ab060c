"""Each papersift process runs BLAS and OpenMP on one thread unless the environment says."""

from __future__ import annotations

import os
import subprocess
import sys

PROBE = (
    "import jobs.cli as cli\n"
    "from threadpoolctl import threadpool_info\n"
    "print(cli.limit_threads())\n"
    "print(sorted({i['num_threads'] for i in threadpool_info()}))\n"
)


def probe(**env: str) -> list[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
    }
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env=clean | env, capture_output=True, text=True, check=True
    )
    return done.stdout.split("\n")


def test_one_thread_by_default() -> None:
    applied, threads, _ = probe()
    assert applied == "True" and threads == "[1]"


def test_the_environment_wins() -> None:
    applied, threads, _ = probe(OPENBLAS_NUM_THREADS="2", OMP_NUM_THREADS="2")
    assert applied == "False" and threads == "[2]"
