"""ASGI middleware: security headers on every response, and an access log without tokens."""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

access_log = logging.getLogger("papersift.web.access")


def redact_path(path: str) -> str:
    """`/relevant/…`: the first segment only, since the rest is a capability token."""
    first, _, rest = path.lstrip("/").partition("/")
    return f"/{first}/…" if rest else f"/{first}"


def security_headers(csp: str) -> dict[str, str]:
    """The headers every response carries."""
    return {
        "content-security-policy": csp,
        # The token is in the URL: a Referer header would hand it to the paper's site.
        "referrer-policy": "no-referrer",
        # Pages show personal data under a capability URL: no shared cache may keep them.
        "cache-control": "no-store",
        "x-content-type-options": "nosniff",
        "x-frame-options": "DENY",
        "x-robots-tag": "noindex, nofollow",
    }


class SecurityHeaders:
    """Adds `security_headers` to every response that does not set them itself."""

    def __init__(self, app: ASGIApp, csp: str) -> None:
        self.app = app
        self.headers = [
            (name.encode("ascii"), value.encode("ascii"))
            for name, value in security_headers(csp).items()
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
