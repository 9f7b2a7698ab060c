"""Fixtures for the job tests: the captured feeds over real HTTP, real SMTP, a config on disk."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from feed_server import FeedServer
from jobs_support import FIXTURES
from typer.testing import CliRunner

from jobs.cli import app


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    """The captured feeds served over HTTP on loopback."""
    server = FeedServer(FIXTURES / "feeds").start()
    yield server
    server.stop()


@pytest.fixture
def cli() -> Callable[..., Any]:
    """Run `papersift ARGS` in-process; returns click's Result (stdout, stderr, exit_code)."""
    runner = CliRunner()

    def invoke(*args: str) -> Any:
        return runner.invoke(app, list(args), catch_exceptions=False)

    return invoke
