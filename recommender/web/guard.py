"""ASGI middleware: security headers on every response, and an access log without tokens."""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

access_log = logging.getLogger("papersift.web.access")


def redact_path(path: str) -> str:
    """`/relevant/…`: the first segment only, since the rest is a capability token."""
    first, _, rest = path.lstrip("/").partition("/")
    return f"/{first}/…" if rest else f"/{first}"


class SecurityHeaders:
    """Adds CSP, no-referrer, no-store, nosniff, no framing and noindex to every response."""

    def __init__(self, app: ASGIApp, csp: str) -> None:
        self.app = app
        self.headers = [
            (b"content-security-policy", csp.encode("ascii")),
            # The token is in the URL: a Referer header would hand it to the paper's site.
            (b"referrer-policy", b"no-referrer"),
            # Pages show personal data under a capability URL: no shared cache may keep them.
            (b"cache-control", b"no-store"),
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"x-robots-tag", b"noindex, nofollow"),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in self.headers if n not in names]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class AccessLog:
    """Logs method, redacted path and status; replaces uvicorn's log, which shows tokens."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            access_log.info("%s %s %d", scope["method"], redact_path(scope["path"]), status)
