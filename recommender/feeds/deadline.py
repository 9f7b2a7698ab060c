"""A hard deadline for one HTTP fetch: when it passes, the connection's socket is shut down.

httpx timeouts apply per read, so a server that drips a byte now and then never trips them.
A timer thread shuts the socket down instead, which makes the blocked read return at once.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from typing import Any


class Deadline:
    """Shuts the connection's socket when time is up, so a blocked read returns at once."""

    def __init__(self, seconds: float) -> None:
        self.ends = time.monotonic() + seconds
        self.expired = False
        self._socket: socket.socket | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def trace(self, event: str, info: dict[str, Any]) -> None:
        """httpcore trace hook: remember the socket of a newly opened connection."""
        if event in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
            self.watch(info.get("return_value"))

    def watch(self, stream: Any) -> None:
        """Remember the socket under an httpcore network stream (if it has one)."""
        sock = stream.get_extra_info("socket") if stream is not None else None
        with self._lock:
            self._socket = sock if isinstance(sock, socket.socket) else self._socket

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            if self._socket is not None:
                # The base-class call: SSLSocket.shutdown would also tear down TLS state that
                # the reading thread is still using. OSError: the peer already closed it.
                with contextlib.suppress(OSError):
                    socket.socket.shutdown(self._socket, socket.SHUT_RDWR)

    def __enter__(self) -> Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
