"""Fixtures for the feed tests: the captured feed files and a real local feed server."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

# tests/ holds feed_server.py, shared with the end-to-end tests; tests/ is not a package.
sys.path.insert(0, str(Path(__file__).parents[1]))
from feed_server import FeedServer

FIXTURES = Path(__file__).parents[1] / "fixtures" / "feeds"


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """The folder of captured feeds (see its README.md for what each file shows)."""
    return FIXTURES


@pytest.fixture
def feed_bytes() -> Callable[[str], bytes]:
    """Read a captured feed file's bytes by name."""

    def read(name: str) -> bytes:
        return (FIXTURES / name).read_bytes()

    return read


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    """A running FeedServer on 127.0.0.1; at teardown every client connection must be closed."""
    server = FeedServer(FIXTURES).start()
    try:
        yield server
        assert server.wait_until_idle(), f"{server.open_connections} connection(s) left open"
    finally:
        server.stop()


@pytest.fixture
def http_client(feed_server: FeedServer) -> Iterator[httpx.Client]:
    """An httpx client as the jobs layer would create it; closed before the server checks."""
    with httpx.Client() as client:
        yield client
