"""Fixtures for the digest tests (the SMTP servers and TLS CA come from tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from smtp_server import SmtpServer


@pytest.fixture
def smtp_server(start_server: Callable[..., SmtpServer]) -> SmtpServer:
    """A plain SMTP server on 127.0.0.1 (no TLS, no AUTH)."""
    return start_server()
