"""Shared fixtures: migrated stores on SQLite and PostgreSQL, fresh blank database URLs, and
real SMTP servers on loopback with a private TLS CA.

PostgreSQL tests use the server at 127.0.0.1:5432 for real, each in its own database created
for the test and dropped after it, so tests running concurrently never share tables. When the
server is unreachable they are skipped, except under CI=true, where that is a failure.
"""

from __future__ import annotations

import gc
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from smtp_server import SmtpServer, TlsSetup, make_tls
from sqlalchemy.pool import QueuePool

from recommender.store import Store, open_store

PG_HOST = "127.0.0.1"
PG_PORT = 5432
PG_ADMIN_DATABASE = "test"
PG_USERS = ("postgres", "root")
PG_DATABASE_PREFIX = "papersift_t_"


@dataclass(frozen=True)
class PostgresServer:
    """The reachable PostgreSQL server and the user that can create databases on it."""

    user: str

    def admin(self) -> psycopg.Connection:
        """An AUTOCOMMIT connection to the admin database (for CREATE/DROP DATABASE)."""
        return psycopg.connect(
            host=PG_HOST,
            port=PG_PORT,
            user=self.user,
            dbname=PG_ADMIN_DATABASE,
            autocommit=True,
            connect_timeout=5,
        )

    def url(self, database: str, password: str | None = None) -> str:
        """A SQLAlchemy URL for `database` (a password is accepted and ignored: trust auth)."""
        credentials = f"{self.user}:{password}" if password else self.user
        return f"postgresql://{credentials}@{PG_HOST}:{PG_PORT}/{database}"


@pytest.fixture(scope="session")
def postgres_server() -> PostgresServer:
    """The PostgreSQL server; skips (or fails under CI=true) when it is unreachable."""
    errors = []
    for user in PG_USERS:
        try:
            with psycopg.connect(
                host=PG_HOST,
                port=PG_PORT,
                user=user,
                dbname=PG_ADMIN_DATABASE,
                connect_timeout=5,
            ):
                return PostgresServer(user)
        except psycopg.Error as exc:
            errors.append(f"as {user}: {str(exc).strip()}")
    message = f"PostgreSQL at {PG_HOST}:{PG_PORT} is unreachable: {'; '.join(errors)}"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def _open_backends(server: PostgresServer, database: str) -> int:
    with server.admin() as admin:
        row = admin.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (database,)
        ).fetchone()
    return int(row[0]) if row else 0


@pytest.fixture
def make_pg_database(postgres_server: PostgresServer) -> Iterator[Callable[[], str]]:
    """Create fresh, uniquely named databases; each is checked for open connections, then dropped."""
    created: list[str] = []

    def make() -> str:
        name = f"{PG_DATABASE_PREFIX}{secrets.token_hex(6)}"
        with postgres_server.admin() as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        created.append(name)
        return name

    yield make
    leaks = []
    for name in created:
        # Backends end a moment after their client closes the socket.
        deadline = time.monotonic() + 3
        while (count := _open_backends(postgres_server, name)) and time.monotonic() < deadline:
            time.sleep(0.05)
        if count:
            leaks.append(f"{name}: {count}")
        with postgres_server.admin() as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
    assert not leaks, f"connections left open at teardown: {', '.join(leaks)}"


@pytest.fixture
def make_pg_url(
    postgres_server: PostgresServer, make_pg_database: Callable[[], str]
) -> Callable[[], str]:
    """Make a fresh blank PostgreSQL database and return its URL."""
    return lambda: postgres_server.url(make_pg_database())


@pytest.fixture
def pg_url(make_pg_url: Callable[[], str]) -> str:
    """The URL of a fresh blank PostgreSQL database, dropped after the test."""
    return make_pg_url()


@pytest.fixture
def make_sqlite_url(tmp_path: Path) -> Callable[[], str]:
    """Make URLs of new SQLite files in the test's temp folder."""
    counter = iter(range(1_000_000))
    return lambda: f"sqlite:///{tmp_path / f'papersift-{next(counter)}.db'}"


@pytest.fixture
def sqlite_url(make_sqlite_url: Callable[[], str]) -> str:
    """The URL of a SQLite file that does not exist yet."""
    return make_sqlite_url()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def make_blank_url(request: pytest.FixtureRequest) -> Callable[[], str]:
    """Make URLs of blank databases, on SQLite and on PostgreSQL."""
    name = "make_sqlite_url" if request.param == "sqlite" else "make_pg_url"
    factory: Callable[[], str] = request.getfixturevalue(name)
    return factory


@pytest.fixture
def blank_url(make_blank_url: Callable[[], str]) -> str:
    """The URL of a blank database, on SQLite and on PostgreSQL."""
    return make_blank_url()


def checked_close(store: Store) -> None:
    """Close a store, failing if any of its connections is still checked out."""
    pool = store.engine.pool
    leaked = pool.checkedout() if isinstance(pool, QueuePool) else 0
    store.close()
    assert leaked == 0, f"{leaked} connection(s) to {store.url} still checked out"


@pytest.fixture
def sqlite_store(sqlite_url: str) -> Iterator[Store]:
    """A migrated store on a temp SQLite file."""
    store = open_store(sqlite_url, migrate=True)
    yield store
    checked_close(store)


@pytest.fixture
def pg_store(pg_url: str) -> Iterator[Store]:
    """A migrated store on a fresh PostgreSQL database."""
    store = open_store(pg_url, migrate=True)
    yield store
    checked_close(store)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest) -> Store:
    """A migrated store, on SQLite and on PostgreSQL."""
    name = "sqlite_store" if request.param == "sqlite" else "pg_store"
    result: Store = request.getfixturevalue(name)
    return result


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else 0


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsSetup:
    """A CA and a certificate for localhost / 127.0.0.1, made once per session."""
    return make_tls(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def start_server() -> Iterator[Callable[..., SmtpServer]]:
    """Start SmtpServer(**options); every server is stopped, and checked for leaks, at teardown."""
    servers: list[SmtpServer] = []
    threads_before = set(threading.enumerate())
    fds_before = _open_fds()

    def start(**options: Any) -> SmtpServer:
        server = SmtpServer(**options)
        server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
    assert set(threading.enumerate()) <= threads_before, "a server thread is still running"
    if _open_fds() > fds_before:
        gc.collect()  # an unclosed socket now raises its ResourceWarning here, as an error
        assert _open_fds() <= fds_before, "sockets or files were left open"
