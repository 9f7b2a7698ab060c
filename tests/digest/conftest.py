"""Fixtures for the digest tests: real aiosmtpd servers on loopback and a private TLS CA."""

from __future__ import annotations

import gc
import os
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parents[1]))

from smtp_server import SmtpServer, TlsSetup, make_tls


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


@pytest.fixture
def smtp_server(start_server: Callable[..., SmtpServer]) -> SmtpServer:
    """A plain SMTP server on 127.0.0.1 (no TLS, no AUTH)."""
    return start_server()
