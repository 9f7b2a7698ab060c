"""Fixtures for the job tests: the captured feeds over real HTTP, real SMTP, a config on disk."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from feed_server import FeedServer
from jobs_support import FIXTURES
from smtp_server import SmtpServer, TlsSetup, make_tls
from typer.testing import CliRunner

from jobs.cli import app


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    """The captured feeds served over HTTP on loopback."""
    server = FeedServer(FIXTURES / "feeds").start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsSetup:
    """A private CA and a certificate for 127.0.0.1."""
    return make_tls(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def start_smtp() -> Iterator[Callable[..., SmtpServer]]:
    """Start real aiosmtpd servers; all are stopped at teardown."""
    servers: list[SmtpServer] = []

    def start(**options: Any) -> SmtpServer:
        server = SmtpServer(**options)
        server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def cli() -> Callable[..., Any]:
    """Run `papersift ARGS` in-process; returns click's Result (stdout, stderr, exit_code)."""
    runner = CliRunner()

    def invoke(*args: str) -> Any:
        return runner.invoke(app, list(args), catch_exceptions=False)

    return invoke
