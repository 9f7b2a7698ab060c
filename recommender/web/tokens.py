"""Signed, expiring, purpose-bound tokens for the links in digests.

A token names the user, the paper (if any), the action and when it was issued. It is signed
with HMAC (itsdangerous) under a salt per purpose, so a "relevant" token never works as an
"unsubscribe" one. Several secrets may be active: the newest signs, all verify (rotation).
"""

from __future__ import annotations

import os
import secrets as secrets_module
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from itsdangerous import BadData, URLSafeSerializer

from recommender.config import Settings
from recommender.errors import ConfigError, PapersiftError

PURPOSES = (
    "relevant",
    "not-relevant",
    "unsubscribe",
    "profile",
    # The self-service pages, one purpose each: a picks link never opens the settings.
    "picks",
    "search",
    "library",
    "settings",
    "feed",
    # The hidden field of every form on those pages (the CSRF defence; see web/forms.py).
    "form",
)
# Purposes that act on one paper; the others act on the user as a whole.
PAPER_PURPOSES = frozenset({"relevant", "not-relevant"})


class InvalidLink(PapersiftError):
    """A token that is forged, tampered, truncated, expired or for another purpose."""


class ExpiredLink(InvalidLink):
    """A genuine token older than the configured maximum age."""


@dataclass(frozen=True)
class LinkClaim:
    """What a verified token says."""

    purpose: str
    user_id: str
    paper_key: str | None
    issued_at: datetime


def _invalid() -> InvalidLink:
    return InvalidLink(
        "this link is not valid (it was changed, cut short, or is for another action)",
        "Use the link exactly as it appears in your digest",
    )


class LinkSigner:
    """Signs and verifies link tokens; `secrets` are newest first."""

    def __init__(self, secrets: list[str], max_age: timedelta) -> None:
        if not secrets:
            raise ValueError("at least one secret is needed")
        # itsdangerous signs with the last key and verifies with all of them.
        self._keys = list(reversed(secrets))
        self.max_age = max_age

    def __repr__(self) -> str:
        # Never let a secret reach a log line or a traceback through repr().
        return f"LinkSigner(<{len(self._keys)} secret(s)>, max_age={self.max_age})"

    def _serializer(self, purpose: str) -> URLSafeSerializer:
        if purpose not in PURPOSES:
            raise ValueError(f"unknown link purpose {purpose!r}")
        return URLSafeSerializer(self._keys, salt=f"papersift.link.{purpose}")

    def sign(self, purpose: str, user_id: str, paper_key: str | None, now: datetime) -> str:
        """A URL-safe token for one action of one user (on one paper)."""
        if (purpose in PAPER_PURPOSES) != (paper_key is not None):
            raise ValueError(
                f"a {purpose!r} link needs {'a' if purpose in PAPER_PURPOSES else 'no'} paper"
            )
        payload = {"u": user_id, "p": paper_key, "t": int(now.timestamp())}
        return str(self._serializer(purpose).dumps(payload))

    def verify(self, token: str, purpose: str, now: datetime) -> LinkClaim:
        """The claim of a valid token; raises InvalidLink (ExpiredLink when too old)."""
        try:
            payload = self._serializer(purpose).loads(token)
        except BadData:
            raise _invalid() from None
        if not isinstance(payload, dict):
            raise _invalid()
        user, paper, issued_at = payload.get("u"), payload.get("p"), payload.get("t")
        if not isinstance(user, str) or not isinstance(issued_at, int):
            raise _invalid()
        if paper is not None and not isinstance(paper, str):
            raise _invalid()
        # A paper action without a paper (or a user-wide one with a paper) was never issued
        # by sign(); refuse it rather than guess what it means.
        if (purpose in PAPER_PURPOSES) != (paper is not None):
            raise _invalid()
        issued = datetime.fromtimestamp(issued_at, tz=UTC)
        if now - issued > self.max_age:
            raise ExpiredLink(
                f"this link expired on {(issued + self.max_age):%d %b %Y}",
                "Use the links of a more recent digest",
            )
        return LinkClaim(purpose, user, paper, issued)


def load_secrets(env_var: str, path: Path) -> list[str]:
    """Signing secrets from the environment variable (comma-separated) or the secret file.

    The file holds one secret per line, newest first; it is created with mode 0600 and a
    fresh random secret when neither source exists.
    """
    from_env = os.environ.get(env_var, "") if env_var else ""
    values = [s.strip() for s in from_env.split(",") if s.strip()]
    if values:
        return values
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # O_EXCL: two processes starting at once must not both write a secret; the
            # mode is given to open() so the file is never readable by others, not even
            # for the moment a later chmod would need.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(secrets_module.token_urlsafe(32) + "\n")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(
            f"web secret file {path}: cannot read ({exc.strerror})",
            "Fix web.secret_file or its permissions",
        ) from None
    values = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    if not values:
        raise ConfigError(f"web secret file {path} is empty", "Put one secret per line in it")
    return values


def signer_for(settings: Settings) -> LinkSigner:
    """The link signer of an installation: its configured secret sources and link lifetime.

    The one place both the digest composer and the web app get their signer from.
    """
    web = settings.web
    secrets = load_secrets(web.secret_env, settings.secret_path)
    return LinkSigner(secrets, timedelta(days=web.token_max_age_days))


def action_url(base_url: str, action: str, token: str) -> str:
    """The link a reader clicks: it shows a confirmation page; only its POST acts."""
    return f"{base_url.rstrip('/')}/{action}/{token}"
