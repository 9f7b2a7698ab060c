"""Fixtures for the reliability tests: papersift processes, and worlds of real servers + a database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from feed_server import FeedServer
from papersift_process import Papersift
from reliability_world import World
from smtp_server import SmtpServer


@pytest.fixture(scope="session")
def forked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Papersift]:
    """`papersift` commands as processes forked from one warm zygote (fast to start)."""
    launcher = Papersift("fork", tmp_path_factory.mktemp("forked-runs"))
    yield launcher
    launcher.close()


@pytest.fixture
def executed(tmp_path: Path) -> Papersift:
    """`papersift` commands as new processes of the installed console script."""
    return Papersift("exec", tmp_path)


@pytest.fixture
def make_world(tmp_path: Path) -> Iterator[Callable[[str], World]]:
    """Make worlds on database URLs; their feed and SMTP servers are stopped at teardown."""
    servers: list[FeedServer | SmtpServer] = []

    def make(database_url: str) -> World:
        root = tmp_path / f"world-{len(servers)}"
        feed_dir = root / "feeds"
        feed_dir.mkdir(parents=True)
        feeds = FeedServer(feed_dir).start()
        servers.append(feeds)
        smtp = SmtpServer()
        smtp.start()
        servers.append(smtp)
        world = World(root, database_url, smtp, feeds, feed_dir)
        world.write_config()
        return world

    yield make
    for server in servers:
        server.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def make_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], str]:
    """Make fresh databases for worlds: new SQLite files, or new PostgreSQL databases."""
    if request.param == "postgresql":
        make_pg: Callable[[], str] = request.getfixturevalue("make_pg_url")
        return make_pg
    counter = iter(range(1_000_000))
    return lambda: f"sqlite:///{tmp_path / f'papersift-{next(counter)}.db'}"


@pytest.fixture
def database_url(make_database_url: Callable[[], str]) -> str:
    """A fresh database for a world, on SQLite and on PostgreSQL."""
    return make_database_url()
